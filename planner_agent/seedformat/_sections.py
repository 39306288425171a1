"""The seed sections read from their bullets: overview, components, files, integration,
alignment, error handling and testing.

Private to `planner_agent.seedformat._reader`. `read_sections` reads each seed section's labelled
bullets (and tables) into facts keyed like the plan, section 2 through `components`;
whatever a section holds that no label of it names, and sections that are not the seed's, are
reported as unread (``IMPORT003``).
"""

from __future__ import annotations

import re
from typing import Any

from ..conventions import DEFAULT_REGISTRY, LEGACY_ALIASES
from ._blocks import SECTION_NAMES, Node, Section, tree
from ._code import REGISTRY_KEYS
from ._components import read_components
from ._context import Context, Facts
from ._labels import (
    joined_text,
    labelled,
    read_entries,
    read_rows,
    row_fields,
    skip_rows,
    text_list,
)
from ._text import Labels, is_empty, normalise, plain_text, split_description
from ._wiring import prose_links
from ._writer import MISSING

__all__ = ["read_sections"]

# Linear time on any line: a name starts only where a name can start (the lookbehind), and a
# run of spaces is matched only where it starts (``.*?\S\s*``); otherwise each start inside a long
# run of name characters or spaces rescans the rest of the run.
_ARROW = re.compile(r"`?(?<![\w.\-?])([\w.\-?]+)`?\s*(?:->|→|=>|⟶|-->)\s*`?([\w.\-?]+)`?")
# "dependency <- Step.output" and "Step.output -> dependency" (the dependency is the plan's own
# name, whatever it is; the producer is a step name and an output name).
_FROM_PRODUCER = re.compile(
    r"(?P<dependency>.*?\S)\s*(?:<--|<-|←|⟵|<=)\s*(?P<step>[^\s.]+)\.(?P<output>[^\s()]+)"
)
_TO_DEPENDENCY = re.compile(
    r"(?P<step>[^\s.]+)\.(?P<output>[^\s()]+?)\s*(?:-->|->|→|⟶|=>)\s*(?P<dependency>.+)"
)
_NUMBER = r"\d+(?:\.\d*)?|\.\d+"
# A file's path as a heading's word: "src/pipeline_steps/__init__.py", "step_names.py".
_PATH_WORD = re.compile(r"[\w.-]+(?:/[\w.-]+)+/?|[\w.-]+\.py")
# A resolver score at the end of a candidate: "(score 0.82)", "(0.82)", ", score: 0.82". The
# separators before it are stripped afterwards: a leading "[\s,;]*" rescans a long run of them
# from each of its characters.
_SCORE = re.compile(
    rf"(?:\(\s*(?:score\b\s*(?:[:=]\s*)?)?(?P<paren>{_NUMBER})\s*\)"
    rf"|score\b\s*(?:[:=]\s*)?(?P<bare>{_NUMBER}))\s*$",
    re.I,
)

_OVERVIEW: Labels = (
    ("sagemaker_step_type", r"sagemaker.*type|^sagemaker step$"),
    ("purpose", r"^purpose|^goal|^description"),
    ("inputs", r"^(required )?inputs?$"),
    ("outputs", r"^(produced )?outputs?$"),
    ("position_in_pipeline", r"position|placement"),
    ("design_principles_alignment", r"principle|alignment with"),
    ("architectural_considerations", r"architect|consideration|design decision"),
)
_INTEGRATION: Labels = (
    ("upstream_steps", r"upstream"),
    ("downstream_steps", r"downstream"),
    ("dag_updates", r"dag|pipeline (update|change)"),
    ("resolver_candidates", r"resolver|candidate"),
)
_ALIGNMENT: Labels = (
    ("input_alignment", r"input"),
    ("output_alignment", r"output"),
    ("validation_strategy", r"validation|strategy|ensure"),
)
_ERRORS: Labels = (
    ("input_validation", r"input|validation"),
    ("script_robustness", r"robust|failure"),
    ("logging_strategy", r"log"),
    ("error_reporting", r"report"),
)
_TESTING: Labels = (
    ("unit_tests", r"unit"),
    ("integration_tests", r"integration"),
    ("validation_criteria", r"criteria|validation|success"),
)
# Sections 5-7: the plan field, the labels, and whether a label holds one text (else a list).
_SIMPLE: dict[str, tuple[str, Labels, bool]] = {
    "alignment": ("alignment", _ALIGNMENT, False),
    "errors": ("error_handling", _ERRORS, True),
    "testing": ("testing", _TESTING, False),
}


def _read_overview(root: Node, ctx: Context) -> Facts:
    """Section 1: purpose and position as text, the rest as lists."""
    facts: Facts = {}
    where, path = SECTION_NAMES["overview"], "overview"
    for key, node, value in labelled([root], _OVERVIEW, ctx, where, path):
        if key == "sagemaker_step_type":  # read into the registry entry, reported there
            facts[key] = plain_text(value)
        elif key in ("purpose", "position_in_pipeline"):
            facts[key] = joined_text(node, value)
        else:
            facts[key] = text_list(node, value)
    return facts


def _read_simple(root: Node, key: str, ctx: Context) -> Facts:
    """Sections 5-7: each label's text, or list of items."""
    path, table, strings = _SIMPLE[key]
    facts: Facts = {}
    for label, node, value in labelled([root], table, ctx, SECTION_NAMES[key], path):
        facts[label] = joined_text(node, value) if strings else text_list(node, value)
    return facts


def _read_integration(root: Node, ctx: Context) -> Facts:
    """Section 4: upstream/downstream links and resolver candidates (bullets or tables), and
    DAG updates."""
    facts: Facts = {}
    where, path = SECTION_NAMES["integration"], "integration"

    def links(node: Node, ctx: Context, where: str, path: str) -> None:
        # A table under no label: its header says whether it lists upstream or downstream steps,
        # or (with a score column) resolver candidates.
        header = normalise(" ".join(node.rows[0])) if node.rows else ""
        if "score" in header:
            key = "resolver_candidates"
            found = read_rows(node, _candidate_entry, ctx, where, f"{path}.{key}")
            facts.setdefault(key, []).extend(found)
            return
        downstream = re.search(r"downstream|consumer", header)
        key = "downstream_steps" if downstream else "upstream_steps"
        if not (downstream or re.search(r"upstream|producer|source", header)):
            skip_rows(node, ctx, where, path)
            return
        facts.setdefault(key, []).extend(
            e for e in (_link_entry("", row_fields(r)) for r in node.rows) if e
        )

    def prose(node: Node) -> bool:
        # "It consumes `model_artifacts` from XGBoostTraining's `model_output`."
        found = [(k, e) for n in (node, *node.children) for k, e in prose_links(n.text)]
        for key, entry in found:
            facts.setdefault(key, []).append(entry)
        return bool(found)

    for label, node, value in labelled([root], _INTEGRATION, ctx, where, path, links, prose):
        if label == "dag_updates":
            facts[label] = text_list(node, value)
        else:
            inline = value if not is_empty(value) else ""
            # A sentence after the label ("X provides `a`, which feeds `b`") is one link: read
            # whole, before a comma splits it into parts that say nothing alone.
            said = [e for k, e in prose_links(inline) if k == label] if not node.children else []
            if said:
                facts[label] = said
                continue
            parse = _candidate_entry if label == "resolver_candidates" else _link_entry
            facts[label] = read_entries(node, inline, parse, ctx, where, f"{path}.{label}")
    return facts


def _link_entry(text: str, fields: dict[str, Any]) -> Facts | None:
    """``Step: output -> dependency`` (also ``Step (out → dep)``, prose naming the step)."""
    if not text:
        step = fields.get("step") or fields.get("compatible_sources") or fields.get("name", "")
        if not step:
            return None
        return {
            "step": step,
            "output": fields.get("output", ""),
            "dependency": fields.get("dependency", ""),
        }
    stated = sorted(prose_links(text), key=lambda found: found[0] != "upstream_steps")
    if stated:  # a sentence: "consumes model_artifacts from XGBoostTraining's model_output"
        return stated[0][1]
    plain = plain_text(text)
    known = set(DEFAULT_REGISTRY) | set(LEGACY_ALIASES)
    lead = re.match(r"^\s*([A-Za-z_][\w-]*)\s*(?:[:(]|$|\s[-\u2014\u2013]\s)", plain)
    tokens = re.findall(r"[A-Za-z][A-Za-z0-9_]*", plain)
    step = lead.group(1) if lead else next((t for t in tokens if t in known), "")
    step = step or next((t for t in tokens if re.fullmatch(r"[A-Z][a-z0-9]+[A-Z]\w*", t)), "")
    if not step:
        return None
    arrow = _ARROW.search(plain[lead.end() :] if lead else plain)
    output, dependency = (arrow.group(1), arrow.group(2)) if arrow else ("", "")
    return {
        "step": step,
        "output": "" if output == MISSING else output,
        "dependency": "" if dependency == MISSING else dependency,
    }


def _candidate_entry(text: str, fields: dict[str, Any]) -> Facts | None:
    """``dependency <- Step.output (score 0.82)`` as `render` writes it; also ``←``, the other
    way round (``Step.output -> dependency``), ``(0.82)``, ``score: 0.82`` or no score, and
    table rows with dependency, step (or producer), output and score columns."""
    if not text:
        dependency = fields.get("dependency", "")
        step = fields.get("step") or fields.get("compatible_sources", "")
        output, score = fields.get("output", ""), fields.get("score", "")
    else:
        body = split_description(plain_text(text))[0]
        found = _SCORE.search(body)
        score = (found.group("paren") or found.group("bare")) if found else ""
        body = (body[: found.start()].rstrip().rstrip(" \t,;") if found else body).strip()
        match = _FROM_PRODUCER.fullmatch(body) or _TO_DEPENDENCY.fullmatch(body)
        if match is None:
            return None
        dependency, step, output = match.group("dependency", "step", "output")
    if not (dependency and step and output):
        return None
    entry: Facts = {"dependency": dependency, "step": step, "output": output}
    if score:  # none stated: derived when the plan is assembled
        try:
            entry["score"] = float(score)
        except ValueError:
            return None
    return entry


def _heading_path(text: str) -> str | None:
    """The file a short heading names ("### 2. `src/x.py` (new)"), or None."""
    words = [w.strip("`*_:,()[]") for w in text.split()]
    if len(words) > 6:
        return None
    return next((w for w in words if _PATH_WORD.fullmatch(w)), None)


def _read_files(root: Node, ctx: Context) -> list[str]:
    """Section 3: one file per bullet (a leading `path` wins), or per table row."""
    files: list[str] = []

    def rows(node: Node) -> None:
        # The first cell that looks like a path is the file.
        for row in node.rows:
            cells = [plain_text(v) for v in row.values()]
            files.extend([c for c in cells if "/" in c or c.endswith(".py")][:1])

    def walk(nodes: list[Node]) -> None:
        for node in nodes:
            text = node.text.strip()
            named = _heading_path(text) if node.heading else None
            if named:  # "### src/x/y.py" (what to change in it is written under it)
                files.append(named)
            elif node.is_header:
                rows(node)
                walk(node.children)
                continue
            elif not is_empty(text):
                lead = re.match(r"^`([^`]+)`", text)
                files.append(lead.group(1) if lead else text)
            for child in node.children if not named else []:
                ctx.skip(SECTION_NAMES["files"], child.line, child.text, "files_to_update")

    walk(root.children)
    rows(root)
    return files


def _read_section(key: str, root: Node, ctx: Context) -> Any:
    """The facts of seed section ``key``."""
    if key == "overview":
        return _read_overview(root, ctx)
    if key == "components":
        return read_components(root, ctx)
    if key == "files":
        return _read_files(root, ctx)
    if key == "integration":
        return _read_integration(root, ctx)
    return _read_simple(root, key, ctx)


def _merge(first: Any, more: Any) -> Any:
    """Facts of two parts as one: dicts merged, lists joined, else the first part's value."""
    if isinstance(first, dict) and isinstance(more, dict):
        return {
            **more,
            **{k: _merge(v, more[k]) if k in more else v for k, v in first.items()},
        }
    if isinstance(first, list) and isinstance(more, list):
        return first + [v for v in more if v not in first]
    return first if first not in ("", None) else more


def _registry_tables(root: Node) -> list[tuple[str, dict[str, str]]]:
    """Registry entries written as a two-column ``Field | Value`` table in Implementation Details
    (``| step name | X |``, ``| config_class | XConfig |`` ...)."""
    found: list[tuple[str, dict[str, str]]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        stack += node.children
        pairs = [list(row.values()) for row in node.rows]
        facts = {
            plain_text(p[0]).lower().replace(" ", "_"): plain_text(p[1])
            for p in pairs
            if len(p) == 2
        }
        name = facts.get("step_name") or facts.get("name")
        entry = {k: v for k, v in facts.items() if v and (k in REGISTRY_KEYS or k == "description")}
        if name and REGISTRY_KEYS & set(entry):
            found.append((name, entry))
    return found


def read_sections(sections: list[Section], ctx: Context) -> dict[str, Any]:
    """Bullet facts per seed section; other sections are reported as unread. The registry
    entries that Implementation Details state as tables are under ``registry`` (the code
    blocks of that section are read by `planner_agent.seedformat._code`)."""
    bullets: dict[str, Any] = {}
    parts: dict[str, int] = {}  # the part each section was first read from
    for section in sections:
        root = tree(section.lines)
        key = section.key
        if key in SECTION_NAMES and key not in bullets:
            bullets[key] = _read_section(key, root, ctx)
            parts[key] = section.part
        elif key in SECTION_NAMES and parts[key] != section.part:
            # The same section in another part of a plan split over documents: merged.
            bullets[key] = _merge(bullets[key], _read_section(key, root, ctx))
        elif key == "preamble":
            for node in root.children:
                if node.text.strip():
                    ctx.skip("text before the first section", node.line, node.text)
        elif key == "details":
            bullets.setdefault("registry", []).extend(_registry_tables(root))
        else:
            count = sum(1 for _, line in section.lines if line.strip())
            why = "repeats an earlier section" if key else "is not a seed section"
            ctx.unread.append(f"section '{section.title}' (line {section.line}, {count} lines)")
            ctx.warn("IMPORT003", "<root>", f"section '{section.title}' {why}; not read")
    return bullets
