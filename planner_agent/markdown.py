"""Read seed-format markdown back into an `ImplementationPlan` (lenient import).

Reads exactly what ``render.render_markdown`` writes, and the variations found in plans written
by people and other tools: ``*``/``-``/numbered bullets at any indentation, bold labels, labels
under ``###`` headings, ``name: /path``, ``name -> /path`` and ``name (/path)``, markdown
tables, headings with other wording or numbering, a ``` ```markdown ``` wrapper, and sections
that are missing. The "Implementation Details" code blocks are a second source, read with
``ast`` (never executed): ``ScriptContract(...)``, ``StepSpecification(...)`` with
``DependencySpec``/``OutputSpec``, ``STEP_NAMES``, the config class (Pydantic fields or an
``__init__``), the builder class, the script's functions, and plain dicts or JSON with the same
keys. Bullets win where both state a field; code blocks fill what the bullets leave out. A final
code block that is never closed is read as far as it parses (``IMPORT002``).

The contract and the specification are kept as written even when they disagree: that is an
alignment finding for the checks, not a parse error. Invalid enum values become ``ENUM001``
errors with the closest valid value substituted. What could not be read is listed in
``unread`` and reported as ``IMPORT`` warnings:

======== ==========================================================================
IMPORT001 a seed section is missing
IMPORT002 the plan output appears truncated (a code block is not closed)
IMPORT003 a line, bullet, table or section was not understood (see ``unread``)
IMPORT004 a code block is not valid Python/JSON; only the part that parses was read
IMPORT005 bullets and code blocks disagree; the bullet value was kept
IMPORT006 a value was not stated and was derived (registry entry, types, paths)
======== ==========================================================================

>>> parsed = parse_markdown(open("plan.md").read())  # doctest: +SKIP
>>> parsed.plan.components.script_contract.input_paths[0].logical_name  # doctest: +SKIP
'evaluation_data'
"""

from __future__ import annotations

import ast
import json
import re
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from io import StringIO
from typing import Any

from pydantic import ValidationError

from . import conventions as cv
from .errors import PlanImportError
from .loading import json_path, validate_with_enum_repair
from .plan import (
    DataType,
    DependencyType,
    ImplementationPlan,
    JobType,
    NodeType,
    PlanIssue,
    SageMakerStepType,
    Severity,
)
from .render import EMPTY, MISSING

__all__ = ["ParsedMarkdown", "looks_like_plan", "parse_markdown"]

Facts = dict[str, Any]

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+.-]*)")
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])(?:\s+(.*))?$")
_TABLE = re.compile(r"^\s*\|")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LABEL = re.compile(
    r"^\s*(?:\*\*|__)?([A-Za-z][\w .,/&()'+-]{0,60}?)\s*(?:\*\*|__)?\s*:(?!//)\s*(.*)$", re.S
)
_PY_PATH = re.compile(r"`?([\w./-]+\.py)\b`?")
_ARROW = re.compile(r"`?([\w.\-?]+)`?\s*(?:->|→|=>|⟶|-->)\s*`?([\w.\-?]+)`?")
# What a type annotation in a bullet looks like ("str", "list[str]", "int | None", "JobType").
_TYPE_LIKE = re.compile(
    r"^(str|int|float|bool|dict|list|tuple|set|Optional|Union|Any|Literal|Path|Dict|List|None)\b"
    r"|^[A-Z][A-Za-z0-9]*$"
)
_EM, _EN = "\u2014", "\u2013"  # em/en dashes: description separators in prose
_DESC_SEPARATORS = (f" {_EM} ", f" {_EN} ", " -- ")
_EMPTY_WORDS = {"", "none", EMPTY, "n/a", "na", "-", _EM, "nothing", "not applicable", "(empty)"}
_MAX_TRIM = 120  # lines dropped at most from the end of a block that does not parse
_REGISTRY_KEYS = {"config_class", "builder_step_name", "spec_type", "sagemaker_step_type"}
_CONTRACT_KEYS = {"expected_input_paths", "expected_output_paths", "entry_point"}

# Section keys, tried in order against the normalised heading text.
_SECTIONS: tuple[tuple[str, str], ...] = (
    ("details", r"implementation details|^implementation$|^code\b|code (blocks|snippets)"),
    ("overview", r"overview|^summary"),
    ("components", r"component"),
    ("files", r"^files?\b|files? to (update|modify|change)|existing files"),
    (
        "integration",
        r"integration strategy|^integration$|pipeline integration|^dependency analysis",
    ),
    ("alignment", r"alignment"),
    ("errors", r"error"),
    ("testing", r"test|validation plan"),
)
_SECTION_PATHS = {
    "overview": "overview",
    "components": "components",
    "files": "files_to_update",
    "integration": "integration",
    "alignment": "alignment",
    "errors": "error_handling",
    "testing": "testing",
}
_SECTION_NAMES = {
    "overview": "1. Step Overview",
    "components": "2. Components to Create",
    "files": "3. Files to Update",
    "integration": "4. Integration Strategy",
    "alignment": "5. Contract-Specification Alignment",
    "errors": "6. Error Handling Strategy",
    "testing": "7. Testing and Validation Plan",
}
_OVERVIEW = (
    ("purpose", r"^purpose|^goal|^description"),
    ("inputs", r"^(required )?inputs?$"),
    ("outputs", r"^(produced )?outputs?$"),
    ("position_in_pipeline", r"position|placement"),
    ("design_principles_alignment", r"principle|alignment with"),
    ("architectural_considerations", r"architect|consideration|design decision"),
)
_COMPONENTS = (
    ("contract", r"contract"),
    ("spec", r"specification|\bspec\b"),
    ("config", r"config"),
    ("builder", r"builder"),
    ("script", r"script|processing"),
)
_SUBLABELS: dict[str, tuple[tuple[str, str], ...]] = {
    "contract": (
        ("required_env", r"required env"),
        ("optional_env", r"optional env"),
        ("env", r"env"),
        ("inputs", r"^inputs?( paths?)?$|^input"),
        ("outputs", r"^outputs?( paths?)?$|^output"),
        ("entry_point", r"entry ?point"),
        ("expected_arguments", r"argument"),
        ("framework_requirements", r"framework|requirement"),
        ("description", r"^description"),
    ),
    "spec": (
        ("dependencies", r"dependenc|^inputs?$"),
        ("outputs", r"^outputs?"),
        ("job_type_variants", r"variant|job types?"),
        ("node_type", r"node type"),
        ("step_type", r"step type"),
    ),
    "config": (
        ("sagemaker_parameters", r"sagemaker|instance|system"),
        ("step_parameters", r"param|field|essential"),
        ("class_name", r"class( name)?$"),
        ("base_class", r"base"),
    ),
    "builder": (("special_handling", r"special|handling|notes"), ("class_name", r"class")),
    "script": (("algorithm", r"algorithm|approach|logic"), ("main_functions", r"function")),
}
_INTEGRATION = (
    ("upstream_steps", r"upstream"),
    ("downstream_steps", r"downstream"),
    ("dag_updates", r"dag|pipeline (update|change)"),
)
_ALIGNMENT = (
    ("input_alignment", r"input"),
    ("output_alignment", r"output"),
    ("validation_strategy", r"validation|strategy|ensure"),
)
_ERRORS = (
    ("input_validation", r"input|validation"),
    ("script_robustness", r"robust|failure"),
    ("logging_strategy", r"log"),
    ("error_reporting", r"report"),
)
_TESTING = (
    ("unit_tests", r"unit"),
    ("integration_tests", r"integration"),
    ("validation_criteria", r"criteria|validation|success"),
)
# Entry sub-bullet labels (dependency/output/config/env/link details).
_ENTRY_LABELS = (
    ("compatible_sources", r"compatible|sources?$|^from$|producers?"),
    ("semantic_keywords", r"keyword"),
    ("property_path", r"property"),
    ("aliases", r"alias"),
    ("data_type", r"data type"),
    ("type", r"type$"),
    ("required", r"^required$|^optional$"),
    ("container_path", r"path|location"),
    ("description", r"descr|purpose|notes?$"),
    ("default", r"default"),
)
# Table headers -> canonical entry keys.
_COLUMNS = (
    ("property_path", r"property"),
    ("container_path", r"path|location|mount"),
    ("compatible_sources", r"source|producer"),
    ("semantic_keywords", r"keyword"),
    ("aliases", r"alias"),
    ("data_type", r"data ?type"),
    ("type", r"type"),
    ("required", r"required|optional|mandatory"),
    ("default", r"default|value"),
    ("description", r"descr|purpose|notes?|meaning"),
    ("direction", r"direction|kind|io"),
    ("step", r"step"),
    ("output", r"output"),
    ("dependency", r"dependency|input|consum"),
    ("name", r"name|logical|field|param|variable|env|channel|function"),
)


@dataclass(frozen=True)
class ParsedMarkdown:
    """What `parse_markdown` read: the plan, import issues, and descriptions of unread content."""

    plan: ImplementationPlan
    issues: list[PlanIssue] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)


@dataclass
class _Node:
    indent: int
    text: str
    line: int
    heading: bool = False
    children: list[_Node] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Block:
    lang: str
    code: str
    heading: str
    section: str | None
    line: int
    closed: bool


@dataclass
class _Section:
    key: str | None
    title: str
    line: int
    lines: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _Ref:
    """A name or expression in a code block that is not a literal (``DependencyType.X``)."""

    text: str


@dataclass
class _Call:
    name: str
    args: list[Any]
    kwargs: dict[str, Any]


class _Context:
    """Collects issues and unread descriptions while parsing."""

    def __init__(self) -> None:
        self.issues: list[PlanIssue] = []
        self.unread: list[str] = []

    def warn(self, code: str, path: str, message: str) -> None:
        self.issues.append(
            PlanIssue(code=code, severity=Severity.WARNING, path=path, message=message)
        )

    def skip(self, where: str, line: int, text: str, path: str = "") -> None:
        shown = " ".join(text.split())
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        self.unread.append(f"{where}, line {line}: {shown}")
        self.warn(
            "IMPORT003", path or "<root>", f"not understood in {where} (line {line}): {shown}"
        )


# --------------------------------------------------------------------------- text helpers


def _norm(text: str) -> str:
    """Heading/label text -> lower-case words without numbering, emphasis or punctuation."""
    text = re.sub(r"[*`_]", " ", text).lower()
    text = re.sub(r"^\s*(\d+(\.\d+)*[.)]?|[a-z][.)]|step \d+[.:])\s+", "", text)
    text = re.sub(r"[^a-z0-9 /&-]+", " ", text).replace("-", " ")
    return " ".join(text.split())


def _match(text: str, table: tuple[tuple[str, str], ...]) -> str | None:
    norm = _norm(text)
    return next((key for key, pattern in table if re.search(pattern, norm)), None)


def _plain(text: str) -> str:
    """Without markdown emphasis and code ticks."""
    return re.sub(r"\*\*|__|`", "", text).strip()


def _is_empty(text: str) -> bool:
    return _plain(text).strip().rstrip(".").lower() in _EMPTY_WORDS


def _split_label(text: str) -> tuple[str, str] | None:
    """``**Label**: value`` -> (label, value); None when the text does not start with a label."""
    match = _LABEL.match(text)
    if not match:
        return None
    label, value = match.group(1).strip(), match.group(2)
    value = re.sub(r"^(\*\*|__)\s*", "", value)
    return label, value.strip()


def _split_names(text: str) -> list[str]:
    """``a, b; c`` -> names (commas inside brackets or quotes do not split)."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"" and (not current.strip() or current[-1] in " ([{=:"):
            quote = char  # an opening quote, not an apostrophe inside a word
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char in ",;" and depth <= 0:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return [_plain(p) for p in parts if _plain(p) and not _is_empty(p)]


def _split_description(text: str) -> tuple[str, str]:
    """``head — description`` -> (head, description)."""
    for sep in _DESC_SEPARATORS:
        if sep in text:
            head, _, desc = text.partition(sep)
            return head.strip(), desc.strip()
    return text.strip(), ""


def _leading_name(text: str) -> tuple[str, str] | None:
    """(name, rest) for text that starts with an identifier-like name (ticks/bold allowed)."""
    match = re.match(r"^\s*(?:\*\*|__)?`?([A-Za-z_][\w\-.]*)`?(?:\*\*|__)?(.*)$", text, re.S)
    if not match:
        return None
    return match.group(1).rstrip("."), match.group(2)


def _unquote(text: str) -> str:
    """A default as written -> its text: JSON strings decoded, quotes and ticks removed."""
    text = text.strip().strip("`").strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return text[1:-1]
        return value if isinstance(value, str) else text
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    return text


def _enum_text(raw: str, enum_cls: type[StrEnum]) -> str:
    """Bullet text -> an enum value when it names one loosely (case, spaces, prefix), else raw.

    Bullets are prose, so ``Processing Output`` is accepted; a value that names no member is
    returned unchanged for validation to report as ``ENUM001``.
    """
    text = _plain(raw).split(".")[-1].strip()
    key = re.sub(r"[\s\-]+", "_", text).lower()
    for member in enum_cls:
        if key in (member.value.lower(), member.name.lower()):
            return member.value
    return text


def _bool(text: str) -> bool | None:
    word = _plain(text).lower().strip(" .")
    if word in ("required", "true", "yes", "y", "mandatory", "essential"):
        return True
    if word in ("optional", "false", "no", "n"):
        return False
    return None


# --------------------------------------------------------------------------- document structure


def _unwrap(text: str) -> str:
    """Blank out a ```markdown wrapper around the whole plan (LLM replies often have one);
    blanking rather than removing keeps reported line numbers right."""
    lines = text.splitlines()
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if filled and re.match(r"^\s*(`{3,}|~{3,})\s*(markdown|md)\s*$", lines[filled[0]], re.I):
        lines[filled[0]] = ""
        if len(filled) > 1 and re.match(r"^\s*(`{3,}|~{3,})\s*$", lines[filled[-1]]):
            lines[filled[-1]] = ""
    return "\n".join(lines)


def _scan(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str, str, bool, int]]]:
    """Split text into non-code lines and code blocks (line, lang, code, closed, indent)."""
    lines: list[tuple[int, str]] = []
    blocks: list[tuple[int, str, str, bool, int]] = []
    fence: tuple[int, str, str, int, list[str]] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence = (number, match.group(2), match.group(3).lower(), len(match.group(1)), [])
                lines.append((number, ""))  # a block ends a paragraph
            else:
                lines.append((number, line))
            continue
        start, marker, lang, indent, body = fence
        if match and match.group(2).startswith(marker[0] * len(marker)) and not match.group(3):
            blocks.append((start, lang, "\n".join(body), True, indent))
            fence = None
        else:
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
    if fence is not None:
        start, _, lang, indent, body = fence
        blocks.append((start, lang, "\n".join(body), False, indent))
    return lines, blocks


def _headings(lines: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
    found = []
    for number, line in lines:
        match = _HEADING.match(line)
        if match:
            found.append((number, len(match.group(1)), match.group(2).strip()))
    return found


def _section_key(title: str) -> str | None:
    return _match(title, _SECTIONS)


def _title(headings: list[tuple[int, int, str]]) -> tuple[int, str] | None:
    """(line, text) of the plan title: a heading naming an implementation plan, or the first h1."""
    for number, _, text in headings:
        if re.search(r"implementation plan|plan for|step plan", text, re.I):
            return number, text
    first = next(((n, t) for n, level, t in headings if level == 1), None)
    return first if first and _section_key(first[1]) is None else None


def looks_like_plan(text: str) -> bool:
    """True when ``text`` has a plan title or at least two of the seed's sections.

    >>> looks_like_plan("# Implementation Plan for X\\n## 1. Step Overview\\n- Purpose: y")
    True
    >>> looks_like_plan("just some notes")
    False
    """
    headings = _headings(_scan(_unwrap(text))[0])
    title = _title(headings)
    sections = {_section_key(t) for _, _, t in headings} - {None}
    return (title is not None and bool(sections)) or len(sections) >= 2


def _step_from_title(title: str) -> str:
    """``Implementation Plan for [Model Calibration] Step`` -> ``ModelCalibration``."""
    text = _plain(title)
    after = re.search(r"\bplan\b\s*(?:for\b|:|\u2014|\u2013|-)?\s*(.*)$", text, re.I)
    if after and after.group(1).strip():
        text = after.group(1)
    else:  # "ModelCalibration Step - Implementation Plan"
        text = re.sub(r"[\s:\u2014\u2013-]*(implementation\s+)?plan\b.*$", "", text, flags=re.I)
    text = re.sub(r"[\[\]()\"'`:]", " ", text)
    text = re.sub(r"^\s*(the|a|an|new)\s+", "", text, flags=re.I)
    text = re.sub(r"[\s-]+(pipeline\s+)?step\s*$", "", text.strip(), flags=re.I)
    words = re.findall(r"[A-Za-z0-9]+", text)
    return "".join(w[:1].upper() + w[1:] for w in words)


def _sections(
    lines: list[tuple[int, str]], headings: list[tuple[int, int, str]], title_line: int | None
) -> list[_Section]:
    """Group lines into sections; headings deeper than the section level stay inside."""
    levels = [lvl for n, lvl, t in headings if n != title_line and _section_key(t)]
    level = min(levels) if levels else 2
    sections = [_Section(key="preamble", title="text before the first section", line=1)]
    for number, line in lines:
        match = _HEADING.match(line)
        if match and number == title_line:
            continue
        if match and len(match.group(1)) <= level:
            title = match.group(2).strip()
            sections.append(_Section(key=_section_key(title), title=title, line=number))
            continue
        sections[-1].lines.append((number, line))
    return sections


def _parse_table(rows: list[str]) -> list[dict[str, str]]:
    def cells(row: str) -> list[str]:
        row = row.strip()
        row = row[1:] if row.startswith("|") else row
        row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
        return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)]

    if len(rows) < 2:
        return []
    header = [_plain(h) for h in cells(rows[0])]
    body = rows[2:] if _TABLE_RULE.match(rows[1]) else rows[1:]
    return [dict(zip(header, cells(row), strict=False)) for row in body]


def _tree(lines: list[tuple[int, str]]) -> _Node:
    """Bullets (any marker, any indentation), headings, label lines, paragraphs and tables."""
    root = _Node(indent=-1000, text="", line=0, heading=True)
    stack = [root]
    last: _Node | None = None
    table: list[str] = []

    def attach(node: _Node) -> None:
        while stack[-1].indent >= node.indent:
            stack.pop()
        stack[-1].children.append(node)
        stack.append(node)

    def flush() -> None:
        # A table belongs to the nearest open label (heading, label line, or "- Label:").
        owner = next(
            (n for n in reversed(stack) if n.heading or n.indent == -50 or n.text.endswith(":")),
            stack[-1],
        )
        owner.rows.extend(_parse_table(table))
        table.clear()

    for number, line in lines:
        if table and not _TABLE.match(line):
            flush()
        if not line.strip():
            last = None
            continue
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        if heading:
            attach(_Node(-100 + len(heading.group(1)), heading.group(2).strip(), number, True))
            last = None
        elif _TABLE.match(line):
            table.append(line)
        elif bullet:
            indent = len(bullet.group(1).expandtabs(4))
            last = _Node(indent, (bullet.group(2) or "").strip(), number)
            attach(last)
        elif last is not None:
            last.text += "\n" + line.strip()  # continuation line of the previous item
        elif re.match(
            r"^\s*(\*\*|__)?[A-Za-z][\w .,/&()'-]{0,60}(\*\*|__)?:?(\*\*|__)?\s*$", line
        ) and (line.rstrip().endswith((":", ":**", ":__"))):
            attach(_Node(-50, line.strip(), number))  # "**Input paths:**" introduces a block
        else:
            last = _Node(0, line.strip(), number)
            attach(last)
    if table:
        flush()
    return root


# --------------------------------------------------------------------------- bullet readers


def _label_of(node: _Node, table: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    """(key, value) when ``node`` is a labelled bullet or heading that ``table`` knows."""
    if node.heading:
        key = _match(node.text, table)
        return (key, node.text) if key else None
    split = _split_label(node.text)
    if split is None:
        key = _match(node.text.rstrip(":"), table) if node.indent == -50 else None
        return (key, "") if key else None
    key = _match(split[0], table)
    return (key, split[1]) if key else None


RowHandler = Callable[[_Node, "_Context", str, str], None]


def _skip_rows(node: _Node, ctx: _Context, where: str, path: str) -> None:
    for row in node.rows:
        ctx.skip(where, node.line, "table row: " + " | ".join(row.values()), path)


def _labelled(
    nodes: list[_Node],
    table: tuple[tuple[str, str], ...],
    ctx: _Context,
    where: str,
    path: str,
    rows: RowHandler = _skip_rows,
) -> Iterator[tuple[str, _Node, str]]:
    """Labelled nodes of a section; unlabelled headings are looked through, the rest reported.

    Tables that sit under no known label go to ``rows`` (by default: reported as unread).
    """
    for node in nodes:
        found = _label_of(node, table)
        if found:
            yield found[0], node, found[1]
        elif node.heading or node.indent == -50:
            if node.rows:
                rows(node, ctx, where, path)
            yield from _labelled(node.children, table, ctx, where, path, rows)
        elif node.text.strip() and not _is_empty(node.text):
            ctx.skip(where, node.line, node.text, path)


def _texts(node: _Node, value: str) -> list[str]:
    """Items of a list-valued label: inline value, sub-bullets (flattened) and table rows."""
    items = [] if _is_empty(value) else [value]
    stack = list(node.children)
    while stack:
        child = stack.pop(0)
        if child.text.strip():
            items.append(child.text)
        stack[:0] = child.children
    items += [f" {_EM} ".join(v for v in row.values() if v) for row in node.rows]
    return items


def _names(node: _Node, value: str) -> list[str]:
    """Name-list label: inline ``a, b`` plus one name per sub-bullet."""
    names = _split_names(value)
    for child in node.children:
        names += [_plain(child.text)] if not _is_empty(child.text) else []
    for row in node.rows:
        names += [_plain(next(iter(row.values()), ""))]
    return [n for n in names if n]


def _text(node: _Node, value: str) -> str:
    """String-valued label: inline value, with sub-bullets appended as lines."""
    parts = [value] if value else []
    parts += [child.text for child in node.children]
    return "\n".join(parts)


def _row_fields(row: dict[str, str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for header, value in row.items():
        key = _match(header, _COLUMNS)
        if key and key not in fields:
            fields[key] = _plain(value) if key != "description" else value.strip()
    return fields


def _entry_fields(node: _Node) -> dict[str, Any]:
    """Sub-bullet details of an entry (``- Compatible sources: A, B`` ...)."""
    fields: dict[str, Any] = {}
    for child in node.children:
        split = _split_label(child.text)
        key = _match(split[0], _ENTRY_LABELS) if split else None
        if split and key:
            value = split[1]
            if key in ("compatible_sources", "semantic_keywords", "aliases"):
                fields[key] = _names(child, value)
            elif key == "description":
                fields[key] = _text(child, value)
            elif key == "required":
                fields[key] = value if value else split[0]
            else:
                fields[key] = _plain(value)
    return fields


def _entries(
    node: _Node, value: str, parse: Any, ctx: _Context, where: str, path: str
) -> list[Facts]:
    """Entries under a label: the inline value, sub-bullets and table rows, via ``parse``."""
    found: list[Facts] = []
    inline = [] if _is_empty(value) else _split_names(value) if "," in value else [value]
    sources: list[tuple[str, _Node | None, int]] = [(v, None, node.line) for v in inline]
    sources += [(c.text, c, c.line) for c in node.children]
    for text, child, line in sources:
        entry = parse(text, _entry_fields(child) if child else {})
        if entry:
            found.append(entry)
        elif not _is_empty(text):
            ctx.skip(where, line, text, path)
    for row in node.rows:
        entry = parse("", _row_fields(row))
        if entry:
            found.append(entry)
        else:
            ctx.skip(where, node.line, " | ".join(row.values()), path)
    return found


def _path_entry(text: str, fields: dict[str, Any]) -> Facts | None:
    """``name: /path — description`` (also ``->``, ``=``, ``(/path)``, tables)."""
    name = fields.get("name", "")
    path = fields.get("container_path", "")
    desc = fields.get("description", "")
    if text:
        lead = _leading_name(text)
        if lead is None:
            return None
        name, rest = lead
        match = re.search(r"(?<![\w/])(/(?!/)[^\s`]*)", rest)  # not the // of s3://
        if not match:
            return None
        path = match.group(1).rstrip(").,;'\"")
        tail = rest[match.end() :].strip()
        sep = next(
            (s.strip() for s in (*_DESC_SEPARATORS, " - ", ": ") if tail.startswith(s.strip())), ""
        )
        if sep:
            desc = tail[len(sep) :].strip()
        elif tail.startswith("(") and tail.endswith(")"):
            desc = tail[1:-1].strip()
        else:
            desc = tail.lstrip(")").strip()
        desc = fields.get("description", desc)
    if not name or not path:
        return None
    return {"logical_name": name, "container_path": path, "description": desc}


def _qualifiers(text: str, fields: Facts) -> str:
    """Read ``(type, S3Uri, required)``-style qualifiers into ``fields``; return the rest."""
    rest: list[str] = []
    previous = ""
    text = re.sub(r"\s+(?:at|via|with property path)\s+(?=[Pp]roperties\.)", ", ", text)
    text = re.sub(r"\s+from\s+(?=[A-Z])", ", from ", text)
    for part in _split_names(text):
        word = part.strip()
        lower = word.lower()
        typed = re.match(r"^(?:dependency|output)?[ _]?type\s*[:=]\s*(.+)$", word, re.I)
        source = re.match(
            r"^(?:from|sources?|compatible(?:[ _]sources)?)\s*[:=]?\s*(.+)$", word, re.I
        )
        if typed:
            fields.setdefault("type", typed.group(1))
        elif lower.startswith(("properties.", "at properties.")) or ".S3Output" in word:
            fields.setdefault("property_path", re.sub(r"^at\s+", "", word))
        elif _bool(word) is not None and lower in ("required", "optional"):
            fields.setdefault("required", word)
        elif lower.replace(" ", "") in {d.value.lower() for d in DataType}:
            fields.setdefault("data_type", word)
        elif (
            word.startswith("DependencyType.")
            or re.fullmatch(
                r"[a-z]+(_[a-z]+)*_(input|output|data|artifacts?|samples|property|hyperparameters)",
                word,
            )
            or lower in {d.value for d in DependencyType}
            or word in DependencyType.__members__
        ):
            fields.setdefault("type", word)
        elif source:
            fields.setdefault("compatible_sources", []).append(source.group(1))
            previous = "compatible_sources"
            continue
        elif previous == "compatible_sources" and re.fullmatch(r"[A-Z][A-Za-z0-9]*", word):
            fields["compatible_sources"].append(word)
            continue
        elif lower.startswith("aliases"):
            fields.setdefault("aliases", _split_names(word.split(":", 1)[-1]))
        else:
            rest.append(word)
        previous = ""
    return ", ".join(rest)


def _spec_entry(text: str, fields: dict[str, Any], kind: str) -> Facts | None:
    """A dependency or output: ``name (type, data type, required) — description``."""
    fields = dict(fields)
    if text:
        head, desc = _split_description(text)
        lead = _leading_name(head)
        if lead is None:
            return None
        name, rest = lead
        rest = rest.strip()
        if rest.startswith("("):
            close = rest.find(")")
            inner, after = (rest[1:close], rest[close + 1 :]) if close > 0 else (rest[1:], "")
            leftover = _qualifiers(inner, fields)
            after = _qualifiers(after.strip().lstrip(":-").strip(), fields)
            desc = desc or after or leftover
        elif rest.startswith((":", "-", "=")):
            leftover = _qualifiers(rest.lstrip(":-=").strip(), fields)
            desc = desc or leftover
        elif rest:
            return None
        fields.setdefault("name", name)
        if desc:
            fields.setdefault("description", desc)
    if not fields.get("name"):
        return None
    entry: Facts = {"logical_name": fields["name"]}
    type_key = "dependency_type" if kind == "dependency" else "output_type"
    if fields.get("type"):
        entry[type_key] = _enum_text(fields["type"], DependencyType)
    if fields.get("data_type"):
        entry["data_type"] = _enum_text(fields["data_type"], DataType)
    if "description" in fields:
        entry["description"] = fields["description"]
    for key in ("compatible_sources", "semantic_keywords", "aliases"):
        if key in fields:
            value = fields[key]
            entry[key] = value if isinstance(value, list) else _split_names(value)
    if kind == "dependency" and "required" in fields:
        required = _bool(str(fields["required"]))
        entry["required"] = True if required is None else required
    if kind == "output" and fields.get("property_path"):
        entry["property_path"] = fields["property_path"]
    return entry


def _env_entries(node: _Node, value: str, group: bool | None) -> tuple[list[str], dict[str, str]]:
    """Environment variables: ``NAME (required)``, ``NAME (optional, default: "x")``, groups."""
    required: list[str] = []
    optional: dict[str, str] = {}

    def add(text: str, req: bool | None) -> None:
        text = _plain(text) if "default" not in text.lower() else text.replace("`", "")
        match = re.match(r"^\s*(?:\*\*)?([A-Za-z_][A-Za-z0-9_]*)(?:\*\*)?\s*(.*)$", text, re.S)
        if not match:
            return
        name, rest = match.groups()
        default: str | None = None
        assigned = re.match(r"^\s*=\s*(.+)$", rest)
        found = re.search(r"default(?:s| value)?\s*(?:[:=]|is|of)?\s*(.*)$", rest, re.I | re.S)
        if assigned:
            default = assigned.group(1)
        elif found:
            default = found.group(1).strip()
            if default.endswith(")") and default.count(")") > default.count("("):
                default = default[:-1].strip()
        words = rest.lower()
        is_required = req
        if is_required is None:
            is_required = not ("optional" in words or default is not None)
        if is_required:
            required.append(name)
        else:
            optional[name] = _unquote(default) if default is not None else ""

    for item in _split_names(value) if value and not _is_empty(value) else []:
        add(item, group)
    for child in node.children:
        split = _split_label(child.text)
        sub = _bool(split[0].split()[0]) if split and split[0].split() else None
        if split and sub is not None and re.match(r"^(required|optional)\b", split[0], re.I):
            r, o = _env_entries(child, split[1], sub)
            required += r
            optional.update(o)
        else:
            add(child.text, group)
    for row in node.rows:
        f = _row_fields(row)
        if f.get("name"):
            req = _bool(f.get("required", "")) if "required" in f else group
            if req is None and f.get("type"):
                req = _bool(f["type"])
            text = f["name"] + (f" default: {f['default']}" if f.get("default") else "")
            add(text, req if req is not None else (False if f.get("default") else None))
    return required, optional


def _param_entry(text: str, fields: dict[str, Any]) -> Facts | None:
    """Config parameter: ``name: type = default — description`` (and looser forms)."""
    entry: Facts = {}
    if text:
        head, desc = _split_description(text)
        lead = _leading_name(head)
        if lead is None:
            return None
        name, rest = lead
        rest = rest.strip()
        if rest.startswith("("):
            close = rest.rfind(")")
            inner, after = rest[1:close], rest[close + 1 :].strip().lstrip(":").strip()
            for part in _split_names(inner):
                found = re.match(r"^default\s*[:=]?\s*(.+)$", part, re.I)
                if found:
                    entry["default"] = found.group(1).strip()
                elif _bool(part) is True:
                    entry["default"] = None
                elif "type" not in entry:
                    entry["type"] = part
            desc = desc or after
        elif rest.startswith(":"):
            kind, eq, default = rest[1:].partition(" = ")
            if not eq and "=" in rest[1:]:
                kind, eq, default = rest[1:].partition("=")
            if kind.strip() and not eq and not _TYPE_LIKE.match(_plain(kind)):
                entry["default"] = kind.strip()  # "instance_type: ml.m5.xlarge" states a value
            elif kind.strip():
                entry["type"] = _plain(kind)
            if eq:
                entry["default"] = default.strip()
        elif rest.startswith("="):
            entry["default"] = rest[1:].strip()
        elif rest:
            desc = desc or rest.lstrip(f"-{_EN}{_EM} ").strip()
        entry["name"] = name
        if desc:
            entry["description"] = desc
    else:
        if not fields.get("name"):
            return None
        entry["name"] = fields["name"]
        if fields.get("type"):
            entry["type"] = fields["type"]
        if fields.get("default") and not _is_empty(fields["default"]):
            entry["default"] = fields["default"]
        if fields.get("description"):
            entry["description"] = fields["description"]
    return entry if re.fullmatch(r"[A-Za-z_]\w*", entry["name"]) else None


def _link_entry(text: str, fields: dict[str, Any]) -> Facts | None:
    """``Step: output -> dependency`` (also ``Step (out → dep)``, prose naming the step)."""
    if not text:
        step = fields.get("step") or fields.get("name", "")
        if not step:
            return None
        return {
            "step": step,
            "output": fields.get("output", ""),
            "dependency": fields.get("dependency", ""),
        }
    plain = _plain(text)
    known = set(cv.DEFAULT_REGISTRY) | set(cv.LEGACY_ALIASES)
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


# --------------------------------------------------------------------------- sections


def _read_overview(root: _Node, ctx: _Context) -> Facts:
    facts: Facts = {}
    where, path = _SECTION_NAMES["overview"], "overview"
    for key, node, value in _labelled([root], _OVERVIEW, ctx, where, path):
        if key in ("purpose", "position_in_pipeline"):
            facts[key] = _text(node, value)
        else:
            facts[key] = _texts(node, value)
    return facts


def _read_components(root: _Node, ctx: _Context) -> dict[str, Facts]:
    """The five components; sub-labels may be nested under them or follow them as siblings."""
    where = _SECTION_NAMES["components"]
    comps: dict[str, Facts] = {}
    current = ""
    skip_rows = lambda node: _skip_rows(node, ctx, where, "components")  # noqa: E731
    for node in _flatten_headings([root], skip_rows):
        found = _label_of(node, _COMPONENTS)
        sub = _label_of(node, _SUBLABELS[current]) if current else None
        if found and not (sub and not node.heading and _is_sub_only(node)):
            current = found[0]
            facts = comps.setdefault(current, {})
            path_match = _PY_PATH.search(found[1])
            if path_match:
                facts["file_path"] = path_match.group(1)
            class_match = re.search(r"\b([A-Z][A-Za-z0-9]*(?:Config|Builder|Step))\b", found[1])
            if class_match and current in ("config", "builder"):
                facts.setdefault("class_name", class_match.group(1))
            _read_component(current, node.children, node, facts, ctx)
        elif current and sub:
            _read_component(current, [node], None, comps[current], ctx)
        elif node.text.strip() and not _is_empty(node.text):
            ctx.skip(where, node.line, node.text, "components")
    return comps


def _is_sub_only(node: _Node) -> bool:
    """True for labels such as "Outputs" that name a part of a component, not a component."""
    split = _split_label(node.text)
    label = _norm(split[0]) if split else _norm(node.text)
    return not re.search(r"contract|specification|\bspec\b|config|builder|script", label)


def _flatten_headings(nodes: list[_Node], rows: Callable[[_Node], None]) -> Iterator[_Node]:
    """Nodes with unlabelled headings looked through (``### Details`` wrappers); their tables
    go to ``rows``."""
    for node in nodes:
        if (node.heading or node.indent == -50) and _label_of(node, _COMPONENTS) is None:
            if node.rows:
                rows(node)
            yield from _flatten_headings(node.children, rows)
        else:
            yield node


def _read_component(
    kind: str, nodes: list[_Node], owner: _Node | None, facts: Facts, ctx: _Context
) -> None:
    paths = {
        "contract": "components.script_contract",
        "spec": "components.step_specification",
        "config": "components.configuration",
        "builder": "components.step_builder",
        "script": "components.processing_script",
    }
    where, path = f"{_SECTION_NAMES['components']} ({kind})", paths[kind]
    for key, node, value in _labelled(nodes, _SUBLABELS[kind], ctx, where, path):
        if kind == "contract" and key in ("inputs", "outputs"):
            facts[key] = _entries(node, value, _path_entry, ctx, where, path)
        elif kind == "contract" and key in ("env", "required_env", "optional_env"):
            group = {"env": None, "required_env": True, "optional_env": False}[key]
            req, opt = _env_entries(node, value, group)
            facts.setdefault("required_env_vars", []).extend(req)
            facts.setdefault("optional_env_vars", {}).update(opt)
        elif kind == "contract" and key in ("expected_arguments", "framework_requirements"):
            pairs = [re.split(r"\s*(?:[:=]|->)\s*", n, maxsplit=1) for n in _names(node, value)]
            facts[key] = {p[0]: (p[1] if len(p) > 1 else "") for p in pairs}
        elif kind == "spec" and key in ("dependencies", "outputs"):
            entry_kind = "dependency" if key == "dependencies" else "output"
            facts[key] = _entries(
                node, value, lambda t, f, k=entry_kind: _spec_entry(t, f, k), ctx, where, path
            )
        elif kind == "spec" and key == "job_type_variants":
            facts[key] = [_enum_text(n, JobType) for n in _names(node, value)]
        elif kind == "spec" and key == "node_type":
            facts[key] = _enum_text(value, NodeType)
        elif kind == "config" and key in ("step_parameters", "sagemaker_parameters"):
            facts[key] = _entries(node, value, _param_entry, ctx, where, path)
        elif key in ("special_handling",):
            facts[key] = _texts(node, value)
        elif key == "main_functions":
            facts[key] = _names(node, value)
        elif key in ("class_name", "base_class", "entry_point", "step_type"):
            facts[key] = _plain(value).split()[0] if _plain(value) else ""
        else:
            facts[key] = _text(node, value)
    if owner is not None and owner.rows:
        _component_table(kind, owner, facts, ctx, where, path)


def _component_table(
    kind: str, owner: _Node, facts: Facts, ctx: _Context, where: str, path: str
) -> None:
    """A table directly under a component: contract paths (with a direction column) or spec rows."""
    for row in owner.rows:
        fields = _row_fields(row)
        direction = fields.get("direction", "").lower()
        if kind == "contract":
            entry = _path_entry("", fields)
            target = "outputs" if direction.startswith("out") else "inputs"
        elif kind == "spec":
            target = (
                "outputs"
                if direction.startswith("out") or "property_path" in fields
                else "dependencies"
            )
            entry = _spec_entry("", fields, "output" if target == "outputs" else "dependency")
        elif kind == "config":
            entry, target = _param_entry("", fields), "step_parameters"
        else:
            entry, target = None, ""
        if entry:
            facts.setdefault(target, []).append(entry)
        else:
            ctx.skip(where, owner.line, " | ".join(row.values()), path)


def _read_simple(
    root: _Node, key: str, table: tuple[tuple[str, str], ...], ctx: _Context, strings: bool
) -> Facts:
    facts: Facts = {}
    where, path = _SECTION_NAMES[key], _SECTION_PATHS[key]
    for label, node, value in _labelled([root], table, ctx, where, path):
        facts[label] = _text(node, value) if strings else _texts(node, value)
    return facts


def _read_integration(root: _Node, ctx: _Context) -> Facts:
    facts: Facts = {}
    where, path = _SECTION_NAMES["integration"], "integration"

    def links(node: _Node, ctx: _Context, where: str, path: str) -> None:
        # A table under no label: its header says whether it lists upstream or downstream steps.
        header = _norm(" ".join(node.rows[0])) if node.rows else ""
        key = "downstream_steps" if "downstream" in header else "upstream_steps"
        if "upstream" not in header and "downstream" not in header:
            _skip_rows(node, ctx, where, path)
            return
        facts.setdefault(key, []).extend(
            e for e in (_link_entry("", _row_fields(r)) for r in node.rows) if e
        )

    for label, node, value in _labelled([root], _INTEGRATION, ctx, where, path, links):
        if label == "dag_updates":
            facts[label] = _texts(node, value)
        else:
            inline = value if not _is_empty(value) else ""
            facts[label] = _entries(node, inline, _link_entry, ctx, where, f"{path}.{label}")
    return facts


def _read_files(root: _Node, ctx: _Context) -> list[str]:
    files: list[str] = []

    def rows(node: _Node) -> None:
        # The first cell that looks like a path is the file.
        for row in node.rows:
            cells = [_plain(v) for v in row.values()]
            files.extend([c for c in cells if "/" in c or c.endswith(".py")][:1])

    for node in _flatten_headings([root], rows):
        text = node.text.strip()
        if _is_empty(text):
            continue
        lead = re.match(r"^`([^`]+)`", text)
        files.append(lead.group(1) if lead else text)
        for child in node.children:
            ctx.skip(_SECTION_NAMES["files"], child.line, child.text, "files_to_update")
    return files


# --------------------------------------------------------------------------- code blocks


def _value(node: ast.AST, env: dict[str, Any]) -> Any:
    """AST -> Python data without executing anything (names resolved from module assignments)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Dict):
        return {
            _value(k, env): _value(v, env)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None and isinstance(k, ast.Constant)
        }
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [_value(e, env) for e in node.elts if not isinstance(e, ast.Starred)]
    if isinstance(node, ast.Name):
        return env.get(node.id, _Ref(node.id))
    if isinstance(node, ast.Attribute):
        return _Ref(ast.unparse(node))
    if isinstance(node, ast.Call):
        return _Call(
            ast.unparse(node.func).rsplit(".", 1)[-1],
            [_value(a, env) for a in node.args],
            {k.arg: _value(k.value, env) for k in node.keywords if k.arg},
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _value(node.operand, env)
        return -inner if isinstance(inner, int | float) else _Ref(ast.unparse(node))
    return _Ref(ast.unparse(node))


def _closers(source: str) -> str:
    """Brackets that close what ``source`` left open (for truncated blocks)."""
    stack: list[str] = []
    pairs = {"(": ")", "[": "]", "{": "}"}
    try:
        for tok in tokenize.generate_tokens(StringIO(source).readline):
            if tok.type == tokenize.OP and tok.string in pairs:
                stack.append(pairs[tok.string])
            elif tok.type == tokenize.OP and tok.string in ")]}" and stack:
                stack.pop()
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return "".join(reversed(stack))


def _parse_python(code: str) -> tuple[ast.Module | None, int]:
    """(module, lines read): the whole block, or its longest prefix that parses once the brackets
    it left open are closed (a truncated block usually stops inside a call)."""
    lines = code.splitlines()
    try:
        return ast.parse(code), len(lines)
    except SyntaxError:
        pass
    # Only the tail is worth trying: a cut-off block fails near its end, and each try re-parses.
    for end in range(len(lines) - 1, max(0, len(lines) - _MAX_TRIM), -1):
        prefix = "\n".join(lines[:end]).rstrip().rstrip(",")
        for candidate in (prefix, prefix + _closers(prefix)):
            try:
                return ast.parse(candidate), end
            except SyntaxError:
                continue
    return None, 0


@dataclass
class _Code:
    """What the code blocks state, in the same shape as the bullet facts."""

    contract: Facts = field(default_factory=dict)
    specs: list[tuple[str, Facts]] = field(default_factory=list)
    registry: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    config: Facts = field(default_factory=dict)
    builder: Facts = field(default_factory=dict)
    script: Facts = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)


def _code_enum(value: Any, enum_cls: type[StrEnum]) -> str | None:
    """``DependencyType.X`` -> X's value when X is a member; the written text otherwise (left
    for validation to report); None when the code computes it (a call, a variable)."""
    if isinstance(value, _Ref):
        attr = value.text.rsplit(".", 1)[-1]
        member = enum_cls.__members__.get(attr)
        return member.value if member else attr
    return value if isinstance(value, str) else None


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, _Call) and value.name == "get_spec_step_type" and value.args:
        return _str(value.args[0])
    return None


def _str_list(value: Any) -> list[str] | None:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return None


def _str_dict(value: Any) -> dict[str, str] | None:
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    return None


def _kwargs(value: Any, call_suffix: str, keys: set[str]) -> dict[str, Any] | None:
    """Keyword arguments of ``...<call_suffix>(...)`` or a dict carrying ``keys``."""
    if isinstance(value, _Call) and value.name.endswith(call_suffix):
        return value.kwargs
    if isinstance(value, dict) and keys & set(value):
        return value
    return None


def _contract_facts(kw: dict[str, Any]) -> Facts:
    facts: Facts = {}
    if _str(kw.get("entry_point")):
        facts["entry_point"] = _str(kw["entry_point"])
    for key, target in (("expected_input_paths", "inputs"), ("expected_output_paths", "outputs")):
        paths = _str_dict(kw.get(key))
        if paths is not None:
            facts[target] = [
                {"logical_name": k, "container_path": v, "description": ""}
                for k, v in paths.items()
            ]
    if _str_list(kw.get("required_env_vars")) is not None:
        facts["required_env_vars"] = _str_list(kw["required_env_vars"])
    for key in ("optional_env_vars", "expected_arguments", "framework_requirements"):
        if _str_dict(kw.get(key)) is not None:
            facts[key] = _str_dict(kw[key])
    if _str(kw.get("description")) is not None:
        facts["description"] = _str(kw["description"])
    return facts


def _spec_item(value: Any, kind: str) -> Facts | None:
    call = "DependencySpec" if kind == "dependency" else "OutputSpec"
    kw = _kwargs(value, call, {"logical_name"})
    if kw is None or not _str(kw.get("logical_name")):
        return None
    type_key = "dependency_type" if kind == "dependency" else "output_type"
    entry: Facts = {"logical_name": _str(kw["logical_name"])}
    kind_value = _code_enum(kw.get(type_key, kw.get("type")), DependencyType)
    if kind_value is not None:
        entry[type_key] = kind_value
    data_type = _code_enum(kw.get("data_type"), DataType)
    if data_type is not None:
        entry["data_type"] = data_type
    if isinstance(kw.get("required"), bool):
        entry["required"] = kw["required"]
    for key in ("compatible_sources", "semantic_keywords", "aliases"):
        if _str_list(kw.get(key)) is not None:
            entry[key] = _str_list(kw[key])
    for key in ("property_path", "description"):
        if _str(kw.get(key)) is not None:
            entry[key] = _str(kw[key])
    return entry


def _spec_facts(kw: dict[str, Any]) -> Facts:
    facts: Facts = {}
    step_type = _str(kw.get("step_type"))
    if step_type:
        facts["step_type"] = step_type
    node_type = _code_enum(kw.get("node_type"), NodeType)
    if node_type is not None:
        facts["node_type"] = node_type
    for key, kind in (("dependencies", "dependency"), ("outputs", "output")):
        items = kw.get(key)
        if isinstance(items, dict):  # {logical_name: DependencySpec(...)} is also seen
            items = list(items.values())
        if isinstance(items, list):
            facts[key] = [e for e in (_spec_item(v, kind) for v in items) if e]
    return facts


def _class_fields(cls: ast.ClassDef) -> list[Facts]:
    """Config fields: annotated class attributes, else the parameters of ``__init__``."""
    fields: list[Facts] = []
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            annotation = ast.unparse(stmt.annotation)
            if name.startswith("_") or name == "model_config" or "ClassVar" in annotation:
                continue
            entry: Facts = {"name": name, "type": annotation, "default": None}
            value = stmt.value
            if isinstance(value, ast.Call) and ast.unparse(value.func).endswith("Field"):
                kw = {k.arg: k.value for k in value.keywords if k.arg}
                first = value.args[0] if value.args else kw.get("default")
                if first is not None and not (
                    isinstance(first, ast.Constant) and first.value is Ellipsis
                ):
                    entry["default"] = ast.unparse(first)
                elif "default_factory" in kw:
                    factory = ast.unparse(kw["default_factory"])
                    entry["default"] = {"list": "[]", "dict": "{}"}.get(factory, f"{factory}()")
                if isinstance(kw.get("description"), ast.Constant):
                    entry["description"] = str(kw["description"].value)  # type: ignore[attr-defined]
            elif value is not None:
                entry["default"] = ast.unparse(value)
            fields.append(entry)
    if fields:
        return fields
    init = next(
        (s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
    )
    if init is None:
        return []
    # Arguments handed straight to super().__init__ are base-class fields, not this step's.
    passed = {
        n.id
        for call in ast.walk(init)
        if isinstance(call, ast.Call) and ast.unparse(call.func).endswith("super().__init__")
        for n in [*call.args, *(k.value for k in call.keywords)]
        if isinstance(n, ast.Name)
    }
    args = [*init.args.args, *init.args.kwonlyargs]
    defaults = [None] * (len(init.args.args) - len(init.args.defaults)) + list(init.args.defaults)
    defaults += list(init.args.kw_defaults)
    for arg, default in zip(args, defaults, strict=True):
        if arg.arg == "self" or arg.arg in passed:
            continue
        fields.append(
            {
                "name": arg.arg,
                "type": ast.unparse(arg.annotation) if arg.annotation else "str",
                "default": ast.unparse(default) if default is not None else None,
            }
        )
    return fields


def _is_builder(cls: ast.ClassDef) -> bool:
    bases = [ast.unparse(b) for b in cls.bases]
    return any("StepBuilder" in b for b in bases) or cls.name.endswith(("StepBuilder", "Builder"))


def _is_config(cls: ast.ClassDef) -> bool:
    bases = [ast.unparse(b) for b in cls.bases]
    if cls.name.startswith("Test") or any("TestCase" in b for b in bases):
        return False
    return any("Config" in b or b.endswith("BaseModel") for b in bases) or cls.name.endswith(
        "Config"
    )


def _block_path(code: str) -> str:
    first = next((line for line in code.splitlines() if line.strip()), "")
    match = re.match(r"^\s*#\s*(?:In\s+|File:\s*)?" + _PY_PATH.pattern, first, re.I)
    return match.group(1) if match else ""


def _path_kind(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    if name == "step_names.py" or "registry" in path:
        return "registry"
    for kind, pattern in (
        ("contract", r"contract"),
        ("spec", r"_spec\.py$|step_specs/"),
        ("config", r"^config_"),
        ("builder", r"^builder_"),
    ):
        if re.search(pattern, name if kind in ("config", "builder") else path):
            return kind
    return "script"


def _read_python(module: ast.Module, block: _Block, code: _Code) -> None:
    env: dict[str, Any] = {}
    names: dict[int, str] = {}
    for stmt in module.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = _value(stmt.value, env)
            for target in targets:
                if isinstance(target, ast.Name):
                    env[target.id] = value
                    names[id(stmt.value)] = target.id
                elif (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and isinstance(value, dict)
                    and _REGISTRY_KEYS & set(value)
                ):
                    code.registry.append((str(target.slice.value), value))  # STEP_NAMES["X"] = {}
            _read_registry(value, code)
    for node in ast.walk(module):
        if isinstance(node, ast.Call | ast.Dict):
            _read_data(_value(node, env), names.get(id(node), ""), code)
        if isinstance(node, ast.ClassDef) and _is_builder(node):
            code.builder.setdefault("class_name", node.name)
        elif (
            isinstance(node, ast.ClassDef) and _is_config(node) and "class_name" not in code.config
        ):
            code.config["class_name"] = node.name
            if node.bases:
                code.config["base_class"] = ast.unparse(node.bases[0])
            code.config["fields"] = _class_fields(node)
    functions = [
        s.name for s in module.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    is_main = any(isinstance(s, ast.If) and "__name__" in ast.unparse(s.test) for s in module.body)
    titled = (
        bool(re.search(r"script", block.heading, re.I)) and "contract" not in block.heading.lower()
    )
    scriptish = is_main or titled
    if functions and scriptish and "main_functions" not in code.script:
        code.script["main_functions"] = [f for f in functions if not f.startswith("_")]


def _read_registry(value: Any, code: _Code) -> None:
    if isinstance(value, dict):
        for key, entry in value.items():
            if isinstance(entry, dict) and _REGISTRY_KEYS & set(entry):
                code.registry.append((str(key), entry))
        if _REGISTRY_KEYS & set(value) and isinstance(value.get("step_name"), str):
            code.registry.append((value["step_name"], value))


def _read_data(value: Any, name: str, code: _Code) -> None:
    """Classify one call/dict (or JSON object) as a contract or a specification."""
    contract = _kwargs(value, "ScriptContract", _CONTRACT_KEYS)
    if contract is not None and ({"expected_input_paths", "expected_output_paths"} & set(contract)):
        if not code.contract:
            code.contract = _contract_facts(contract)
        return
    spec = _kwargs(value, "StepSpecification", set())
    if (
        spec is None
        and isinstance(value, dict)
        and {"dependencies", "outputs"} & set(value)
        and ({"step_type", "node_type"} & set(value))
    ):
        spec = value
    if spec is not None:
        code.specs.append((name, _spec_facts(spec)))


def _walk_json(value: Any, code: _Code) -> None:
    _read_registry(value, code)
    _read_data(value, "", code)
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, dict | list) and key not in ("dependencies", "outputs"):
                _walk_json(inner, code)
    elif isinstance(value, list):
        for inner in value:
            _walk_json(inner, code)


def _read_blocks(blocks: list[_Block], ctx: _Context) -> _Code:
    code = _Code()
    for block in blocks:
        if block.section == "testing" or not block.code.strip():
            continue
        where = f"code block at line {block.line}" + (
            f" ({block.heading})" if block.heading else ""
        )
        path = _block_path(block.code)
        kind = _path_kind(path) if path else None
        if kind and kind != "registry":
            code.paths.setdefault(kind, path)
        if block.lang in ("json", "jsonc"):
            try:
                _walk_json(json.loads(block.code), code)
            except json.JSONDecodeError as exc:
                ctx.unread.append(f"{where}: invalid JSON ({exc.msg})")
                ctx.warn("IMPORT004", "<root>", f"{where} is not valid JSON ({exc.msg}); not read")
            continue
        if block.lang not in ("", "python", "py", "python3"):
            ctx.unread.append(f"{where}: {block.lang} block not read")
            continue
        module, read = _parse_python(block.code)
        total = len(block.code.splitlines())
        if module is None:
            ctx.unread.append(f"{where}: not valid Python")
            ctx.warn("IMPORT004", "<root>", f"{where} is not valid Python; not read")
            continue
        if read < total:
            lost = f"line {total}" if read + 1 == total else f"lines {read + 1}-{total}"
            ctx.unread.append(f"{where}: {lost} of the block could not be read")
            if block.closed:
                ctx.warn(
                    "IMPORT004", "<root>", f"{where} is not valid Python; read the part that parses"
                )
        _read_python(module, block, code)
    return code


# --------------------------------------------------------------------------- assembly


def _merge_entries(
    bullets: list[Facts] | None, code: list[Facts] | None, path: str, ctx: _Context
) -> list[Facts]:
    """Bullet entries in order, completed from same-named code entries; code-only ones appended."""
    if bullets is None:
        return [dict(e) for e in code or []]
    merged = [dict(e) for e in bullets]
    index = {e["logical_name"]: e for e in merged}
    extra = []
    for entry in code or []:
        key = entry["logical_name"]
        target = index.get(key)
        if target is None:
            extra.append(dict(entry))
            continue
        for field_name, value in entry.items():
            if field_name not in target:
                target[field_name] = value
            elif str(target[field_name]).lower() != str(value).lower() and field_name in (
                "container_path",
                "dependency_type",
                "output_type",
                "property_path",
                "default",
            ):
                ctx.warn(
                    "IMPORT005",
                    path,
                    f"'{key}': the bullets say {field_name} {target[field_name]!r}, the code block"
                    f" {value!r}; kept the bullet value",
                )
    if extra and bullets:
        names = ", ".join(str(e["logical_name"]) for e in extra)
        ctx.warn("IMPORT005", path, f"only the code block lists {names}; added from the code")
    return merged + extra


def _pick(bullets: Facts, code: Facts, key: str, default: Any) -> Any:
    if key in bullets:
        return bullets[key]
    return code.get(key, default)


def _strip_variant(step_type: str) -> tuple[str, str | None]:
    """``ModelCalibration_Training`` -> (``ModelCalibration``, ``training``)."""
    base, _, suffix = step_type.rpartition("_")
    if base and suffix.lower() in {j.value for j in JobType}:
        return base, suffix.lower()
    return step_type, None


def _variant_from_constant(name: str) -> str | None:
    match = re.search(r"_(TRAINING|VALIDATION|TESTING|CALIBRATION)_SPEC$", name)
    return match.group(1).lower() if match else None


def _choose_spec(code: _Code) -> tuple[Facts, list[str]]:
    """The spec whose lists the plan keeps (the base one if present) and the job variants seen."""
    variants: list[str] = []
    base: Facts | None = None
    for name, facts in code.specs:
        step_type, job = _strip_variant(facts.get("step_type", ""))
        job = job or _variant_from_constant(name)
        if job:
            variants.append(job)
        elif base is None:
            base = facts
        if step_type and "step_type" in facts:
            facts["step_type"] = step_type
    chosen = base or (code.specs[0][1] if code.specs else {})
    return chosen, list(dict.fromkeys(variants))


def _params(entries: list[Facts]) -> list[Facts]:
    return [
        {
            "name": e["name"],
            "type": e.get("type") or _literal_type(e.get("default")),
            "default": e.get("default"),
            "description": e.get("description", ""),
        }
        for e in entries
    ]


def _literal_type(default: str | None) -> str:
    """The type of a default written as a Python literal (``str`` when unknown)."""
    try:
        value = ast.literal_eval(default) if default else None
    except (ValueError, SyntaxError):
        return "str"
    names = {bool: "bool", int: "int", float: "float", list: "list", dict: "dict"}
    return names.get(type(value), "str")


def _contract(bc: Facts, code: _Code, script_path: str, name: str, ctx: _Context) -> Facts:
    """Script contract: bullets first, the ScriptContract block fills the rest."""
    cc, path = code.contract, "components.script_contract"
    entry_point = _pick(bc, cc, "entry_point", "") or (
        script_path.rsplit("/", 1)[-1] if script_path else f"{name}.py"
    )
    env = bc if "required_env_vars" in bc or "optional_env_vars" in bc else cc
    if env is bc and {"required_env_vars", "optional_env_vars"} & cc.keys():
        said = (set(bc.get("required_env_vars", [])), set(bc.get("optional_env_vars", {})))
        coded = (set(cc.get("required_env_vars", [])), set(cc.get("optional_env_vars", {})))
        if said != coded:
            ctx.warn(
                "IMPORT005",
                f"{path}.required_env_vars",
                "the bullets and the code block list different environment variables; "
                "kept the bullets",
            )
    return {
        "file_path": bc.get("file_path") or code.paths.get("contract", ""),
        "entry_point": entry_point,
        "input_paths": _merge_entries(
            bc.get("inputs"), cc.get("inputs"), f"{path}.input_paths", ctx
        ),
        "output_paths": _merge_entries(
            bc.get("outputs"), cc.get("outputs"), f"{path}.output_paths", ctx
        ),
        "required_env_vars": list(env.get("required_env_vars", [])),
        "optional_env_vars": dict(env.get("optional_env_vars", {})),
        "expected_arguments": _pick(bc, cc, "expected_arguments", {}),
        "framework_requirements": _pick(bc, cc, "framework_requirements", {}),
        "description": _pick(bc, cc, "description", ""),
    }


def _spec(bs: Facts, code: _Code, step_name: str, sm_type: Any, ctx: _Context) -> Facts:
    """Step specification; types and property paths nobody stated are derived (IMPORT006)."""
    cs, code_variants = _choose_spec(code)
    path = "components.step_specification"
    deps = _merge_entries(
        bs.get("dependencies"), cs.get("dependencies"), f"{path}.dependencies", ctx
    )
    outs = _merge_entries(bs.get("outputs"), cs.get("outputs"), f"{path}.outputs", ctx)
    assumed = DependencyType.PROCESSING_OUTPUT.value
    for where, entries, key in (
        ("dependencies", deps, "dependency_type"),
        ("outputs", outs, "output_type"),
    ):
        for i, entry in enumerate(entries):
            if key not in entry:
                entry[key] = assumed
                ctx.warn(
                    "IMPORT006",
                    f"{path}.{where}[{i}].{key}",
                    f"no type stated for '{entry['logical_name']}'; assumed {assumed}",
                )
    step_kind = _member(sm_type, SageMakerStepType) or SageMakerStepType.PROCESSING
    for i, out in enumerate(outs):
        if "property_path" not in out:
            kind = _member(out["output_type"], DependencyType) or DependencyType.PROCESSING_OUTPUT
            out["property_path"] = cv.property_path_for(step_kind, out["logical_name"], kind)
            ctx.warn(
                "IMPORT006",
                f"{path}.outputs[{i}].property_path",
                f"no property path stated for '{out['logical_name']}'; "
                f"derived {out['property_path']}",
            )
    return {
        "file_path": bs.get("file_path") or code.paths.get("spec", ""),
        "step_type": bs.get("step_type") or cs.get("step_type") or step_name,
        "node_type": bs.get("node_type") or cs.get("node_type") or _node_type(deps, outs),
        "dependencies": [_dependency(d) for d in deps],
        "outputs": [_output(o) for o in outs],
        "job_type_variants": bs.get("job_type_variants", code_variants),
    }


def _config(bcfg: Facts, code: _Code, step_name: str, training: bool, ctx: _Context) -> Facts:
    """Configuration: the bullets say which fields are SageMaker parameters; code-only fields
    are classified by name."""
    step, sagemaker = bcfg.get("step_parameters"), bcfg.get("sagemaker_parameters")
    fields: list[Facts] | None = code.config.get("fields")
    if fields is not None and step is None and sagemaker is None:
        step = [f for f in fields if not _is_sagemaker_field(f["name"])]
        sagemaker = [f for f in fields if _is_sagemaker_field(f["name"])]
    elif fields is not None:
        # Match by identifier: the code block spells "class" as "class_", "2nd-x" as "_2nd_x".
        by_name = {_ident_key(f["name"]): f for f in fields}
        stated = {_ident_key(e["name"]) for e in [*(step or []), *(sagemaker or [])]}
        step = [{**by_name.get(_ident_key(e["name"]), {}), **e} for e in step or []]
        sagemaker = [{**by_name.get(_ident_key(e["name"]), {}), **e} for e in sagemaker or []]
        extra = [f for f in fields if _ident_key(f["name"]) not in stated]
        if extra:
            ctx.warn(
                "IMPORT005",
                "components.configuration",
                f"only the code block has field(s) {', '.join(f['name'] for f in extra)}; "
                "added from the code",
            )
            step += [f for f in extra if not _is_sagemaker_field(f["name"])]
            sagemaker += [f for f in extra if _is_sagemaker_field(f["name"])]
    default_base = "BasePipelineConfig" if training else "ProcessingStepConfigBase"
    return {
        "file_path": bcfg.get("file_path") or code.paths.get("config", ""),
        "class_name": _pick(bcfg, code.config, "class_name", cv.config_class_name(step_name)),
        "base_class": _pick(bcfg, code.config, "base_class", default_base),
        "step_parameters": _params(step or []),
        "sagemaker_parameters": _params(sagemaker or []),
    }


def _ident_key(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_").lower()


def _registry(code: _Code, step_name: str, ctx: _Context) -> Facts:
    """The STEP_NAMES entry for the step (or the first one); derived when there is none."""
    found = next((e for e in code.registry if e[0] == step_name), None)
    found = found or (code.registry[0] if code.registry else None)
    if found is None:
        ctx.warn(
            "IMPORT006",
            "registry_entry",
            "no STEP_NAMES entry; derived one from the step name (sagemaker_step_type unknown)",
        )
    name, entry = found or (step_name, {})
    return {
        "step_name": name,
        "config_class": _str(entry.get("config_class")) or cv.config_class_name(name),
        "builder_step_name": _str(entry.get("builder_step_name")) or cv.builder_class_name(name),
        "spec_type": _str(entry.get("spec_type")) or name,
        "sagemaker_step_type": _code_enum(entry.get("sagemaker_step_type"), SageMakerStepType),
        "description": _str(entry.get("description")) or "",
    }


def _member(value: Any, enum_cls: type[StrEnum]) -> Any:
    """The member whose value is ``value``, or None."""
    return next((m for m in enum_cls if m.value == value), None)


def _assemble(step_name: str, bullets: dict[str, Any], code: _Code, ctx: _Context) -> Facts:
    """Plan data from bullets and code facts (bullets win); validated by the caller."""
    comp = bullets.get("components", {})
    bscript, bb = comp.get("script", {}), comp.get("builder", {})
    registry = _registry(code, step_name, ctx)
    sm_type = registry["sagemaker_step_type"]
    training = sm_type == SageMakerStepType.TRAINING.value
    script_path = bscript.get("file_path") or code.paths.get("script", "")
    name = cv.snake_case(step_name)
    integration = bullets.get("integration", {})
    return {
        "step_name": step_name,
        "overview": bullets.get("overview", {}),
        "components": {
            "script_contract": _contract(comp.get("contract", {}), code, script_path, name, ctx),
            "step_specification": _spec(comp.get("spec", {}), code, step_name, sm_type, ctx),
            "configuration": _config(comp.get("config", {}), code, step_name, training, ctx),
            "step_builder": {
                "file_path": bb.get("file_path") or code.paths.get("builder", ""),
                "class_name": _pick(
                    bb, code.builder, "class_name", cv.builder_class_name(step_name)
                ),
                "special_handling": bb.get("special_handling", []),
            },
            "processing_script": {
                "file_path": script_path,
                "algorithm": bscript.get("algorithm", ""),
                "main_functions": _pick(bscript, code.script, "main_functions", []),
            },
        },
        "files_to_update": bullets.get("files", []),
        "integration": {
            key: integration.get(key, [])
            for key in ("upstream_steps", "downstream_steps", "dag_updates")
        },
        "alignment": bullets.get("alignment", {}),
        "error_handling": bullets.get("errors", {}),
        "testing": bullets.get("testing", {}),
        "registry_entry": registry,
    }


def _is_sagemaker_field(name: str) -> bool:
    known = cv.BASE_CONFIG_FIELDS | cv.PROCESSING_CONFIG_FIELDS | cv.TRAINING_CONFIG_FIELDS
    return name in known or bool(re.search(r"instance|volume|max_runtime|image_uri", name))


def _node_type(dependencies: list[Facts], outputs: list[Facts]) -> str:
    if dependencies and outputs:
        return NodeType.INTERNAL.value
    if outputs:
        return NodeType.SOURCE.value
    return NodeType.SINK.value if dependencies else NodeType.SINGULAR.value


def _dependency(e: Facts) -> Facts:
    return {
        "logical_name": e["logical_name"],
        "dependency_type": e["dependency_type"],
        "required": e.get("required", True),
        "compatible_sources": e.get("compatible_sources", []),
        "semantic_keywords": e.get("semantic_keywords", []),
        "data_type": e.get("data_type", DataType.S3URI.value),
        "description": e.get("description", ""),
    }


def _output(e: Facts) -> Facts:
    return {
        "logical_name": e["logical_name"],
        "output_type": e["output_type"],
        "property_path": e["property_path"],
        "aliases": e.get("aliases", []),
        "data_type": e.get("data_type", DataType.S3URI.value),
        "description": e.get("description", ""),
    }


def _read_section(key: str, root: _Node, ctx: _Context) -> Any:
    if key == "overview":
        return _read_overview(root, ctx)
    if key == "components":
        return _read_components(root, ctx)
    if key == "files":
        return _read_files(root, ctx)
    if key == "integration":
        return _read_integration(root, ctx)
    table, strings = {"alignment": (_ALIGNMENT, False), "errors": (_ERRORS, True)}.get(
        key, (_TESTING, False)
    )
    return _read_simple(root, key, table, ctx, strings)


def _read_sections(sections: list[_Section], ctx: _Context) -> dict[str, Any]:
    """Bullet facts per seed section; other sections are reported as unread."""
    bullets: dict[str, Any] = {}
    for section in sections:
        root = _tree(section.lines)
        key = section.key
        if key in _SECTION_NAMES and key not in bullets:
            bullets[key] = _read_section(key, root, ctx)
        elif key == "preamble":
            for node in root.children:
                if node.text.strip():
                    ctx.skip("text before the first section", node.line, node.text)
        elif key != "details":
            count = sum(1 for _, line in section.lines if line.strip())
            why = "repeats an earlier section" if key else "is not a seed section"
            ctx.unread.append(f"section '{section.title}' (line {section.line}, {count} lines)")
            ctx.warn("IMPORT003", "<root>", f"section '{section.title}' {why}; not read")
    return bullets


def _step_name(title: str | None, code: _Code) -> str | None:
    if title:
        name = _step_from_title(title)
        if name:
            return name
    if code.registry:
        return code.registry[0][0]
    for _, facts in code.specs:
        if facts.get("step_type"):
            return _strip_variant(str(facts["step_type"]))[0]
    for key, suffix in (("config", "Config"), ("builder", "StepBuilder")):
        cls = getattr(code, key).get("class_name", "")
        if cls.endswith(suffix) and len(cls) > len(suffix):
            return str(cls[: -len(suffix)])
    return None


def parse_markdown(text: str) -> ParsedMarkdown:
    """Read a seed-format markdown plan; what cannot be read is reported, not fatal.

    Raises `PlanImportError` only when ``text`` has no plan structure at all (no plan title
    and fewer than two seed sections), or no step name can be found anywhere.

    >>> from planner_agent.render import render_markdown
    >>> parse_markdown(render_markdown(plan)).plan == plan  # doctest: +SKIP
    True
    """
    body = _unwrap(text)
    if not looks_like_plan(body):
        raise PlanImportError(
            "text is not a seed-format implementation plan: no '# Implementation Plan for <Step>'"
            " heading and fewer than two of the seed's sections"
        )
    ctx = _Context()
    lines, raw_blocks = _scan(body)
    headings = _headings(lines)
    title = _title(headings)
    sections = _sections(lines, headings, title[0] if title else None)

    blocks: list[_Block] = []
    for start, lang, code_text, closed, _ in raw_blocks:
        owner = next((s for s in reversed(sections) if s.line <= start), sections[0])
        heading = next((t for n, _, t in reversed(headings) if n < start), "")
        blocks.append(_Block(lang, code_text, heading, owner.key, start, closed))
    if any(not b.closed for b in blocks):
        last = next(b for b in blocks if not b.closed)
        ctx.warn(
            "IMPORT002",
            "<root>",
            f"plan output appears truncated: the code block at line {last.line}"
            f"{' (' + last.heading + ')' if last.heading else ''} is never closed; read what was there",
        )
    code = _read_blocks(blocks, ctx)

    bullets = _read_sections(sections, ctx)
    missing = [_SECTION_NAMES[k] for k in _SECTION_NAMES if k not in bullets]
    if missing:
        ctx.warn("IMPORT001", "<root>", "sections not found: " + "; ".join(missing))

    step_name = _step_name(title[1] if title else None, code)
    if not step_name:
        raise PlanImportError(
            "no step name found: no plan title, STEP_NAMES entry or spec step_type"
        )
    data = _assemble(step_name, bullets, code, ctx)
    try:
        plan, enum_issues = validate_with_enum_repair(ImplementationPlan, data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise PlanImportError(
            f"markdown plan could not be assembled: {json_path(tuple(first['loc']))}: {first['msg']}"
        ) from None
    return ParsedMarkdown(plan=plan, issues=[*enum_issues, *ctx.issues], unread=ctx.unread)
