"""Section 2, "Components to Create": the five components, read from bullets and tables.

Private to `planner_agent.seedformat._reader`. A component is a label naming it (``- Script Contract:
path``, ``### Step Specification``, ``**Configuration:**``); its details are labels nested
under it or following it as siblings, and a table directly under it lists its paths,
dependencies/outputs or parameters. The result is one facts dict per component key
(``contract``, ``spec``, ``config``, ``builder``, ``script``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial

from ..conventions import PROCESSING_OUTPUT_PREFIX, TRAINING_OUTPUT_PREFIXES
from ..plan import JobType, NodeType
from ._blocks import SECTION_NAMES, Node
from ._context import Context, Facts
from ._entries import env_entries, param_entry, path_entry, spec_entry
from ._labels import (
    joined_text,
    label_of,
    labelled,
    name_list,
    read_entries,
    row_fields,
    skip_rows,
    text_list,
)
from ._text import PY_PATH, Labels, enum_word, is_empty, normalise, plain_text, split_label

__all__ = ["COMPONENTS", "flatten_headings", "read_components"]

COMPONENTS: Labels = (
    ("contract", r"contract"),
    ("spec", r"specification|\bspec\b"),
    ("config", r"config"),
    ("builder", r"builder"),
    ("script", r"script|processing"),
)
# Where each component sits in the plan (issue paths).
_PATHS = {
    "contract": "components.script_contract",
    "spec": "components.step_specification",
    "config": "components.configuration",
    "builder": "components.step_builder",
    "script": "components.processing_script",
}
_FILE: tuple[str, str] = ("file_path", r"^(file|path|location|module)( path| name)?$")
# The details of each component, by label.
_SUBLABELS: dict[str, Labels] = {
    "contract": (
        _FILE,
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
        _FILE,
        ("dependencies", r"dependenc|^inputs?$"),
        ("outputs", r"^outputs?"),
        ("job_type_variants", r"variant|job types?"),
        ("node_type", r"node type"),
        ("step_type", r"step type"),
    ),
    "config": (
        _FILE,
        ("sagemaker_parameters", r"sagemaker|instance|system"),
        ("step_parameters", r"param|field|essential"),
        ("class_name", r"class( name)?$"),
        ("base_class", r"base"),
    ),
    "builder": (
        _FILE,
        ("sagemaker_step_type", r"sagemaker.*type"),
        ("special_handling", r"special|handling|notes"),
        ("class_name", r"class"),
    ),
    "script": (
        _FILE,
        ("algorithm", r"algorithm|approach|logic"),
        ("main_functions", r"function"),
    ),
}


def read_components(root: Node, ctx: Context) -> dict[str, Facts]:
    """The five components; sub-labels may be nested under them or follow them as siblings."""
    where = SECTION_NAMES["components"]
    comps: dict[str, Facts] = {}
    current = ""

    def unread_rows(node: Node) -> None:
        skip_rows(node, ctx, where, "components")

    for node in flatten_headings([root], unread_rows):
        found = label_of(node, COMPONENTS)
        sub = label_of(node, _SUBLABELS[current]) if current else None
        if found and not (sub and not node.heading and _is_sub_only(node)):
            current = found[0]
            facts = comps.setdefault(current, {})
            path_match = PY_PATH.search(found[1])
            if path_match:
                facts["file_path"] = path_match.group(1)
            class_match = re.search(r"\b([A-Z][A-Za-z0-9]*(?:Config|Builder|Step))\b", found[1])
            if class_match and current in ("config", "builder"):
                facts.setdefault("class_name", class_match.group(1))
            _read_component(current, node.children, node, facts, ctx)
        elif current and sub:
            _read_component(current, [node], None, comps[current], ctx)
        elif node.text.strip() and not is_empty(node.text):
            ctx.skip(where, node.line, node.text, "components")
    return comps


def _is_sub_only(node: Node) -> bool:
    """True for labels such as "Outputs" that name a part of a component, not a component."""
    split = split_label(node.text)
    label = normalise(split[0]) if split else normalise(node.text)
    return not re.search(r"contract|specification|\bspec\b|config|builder|script", label)


def flatten_headings(nodes: list[Node], rows: Callable[[Node], None]) -> Iterator[Node]:
    """Nodes with unlabelled headings looked through (``### Details`` wrappers); their tables
    go to ``rows``."""
    for node in nodes:
        if node.is_header and label_of(node, COMPONENTS) is None:
            if node.rows:
                rows(node)
            yield from flatten_headings(node.children, rows)
        else:
            yield node


def _read_component(
    kind: str, nodes: list[Node], owner: Node | None, facts: Facts, ctx: Context
) -> None:
    """One component's labelled details, and the table under its label, into ``facts``."""
    where, path = f"{SECTION_NAMES['components']} ({kind})", _PATHS[kind]
    for key, node, value in labelled(nodes, _SUBLABELS[kind], ctx, where, path):
        if kind == "contract" and key in ("inputs", "outputs"):
            facts[key] = read_entries(node, value, path_entry, ctx, where, path)
        elif kind == "contract" and key in ("env", "required_env", "optional_env"):
            group = {"env": None, "required_env": True, "optional_env": False}[key]
            req, opt = env_entries(node, value, group, facts.setdefault("env_var_sources", {}))
            facts.setdefault("required_env_vars", []).extend(req)
            facts.setdefault("optional_env_vars", {}).update(opt)
        elif kind == "contract" and key in ("expected_arguments", "framework_requirements"):
            # "(?<!\s)": a run of spaces is tried where it starts only (else: quadratic time).
            pairs = [
                re.split(r"(?<!\s)\s*(?:[:=]|->)\s*", n, maxsplit=1) for n in name_list(node, value)
            ]
            facts[key] = {p[0]: (p[1] if len(p) > 1 else "") for p in pairs}
        elif kind == "spec" and key in ("dependencies", "outputs"):
            entry_kind = "dependency" if key == "dependencies" else "output"
            parse = partial(spec_entry, kind=entry_kind)
            facts[key] = read_entries(node, value, parse, ctx, where, path)
        elif kind == "spec" and key == "job_type_variants":
            facts[key] = _variants(node, value, ctx, where, path)
        elif kind == "spec" and key == "node_type":
            node_type = enum_word(value, NodeType)
            if node_type is not None:
                facts[key] = node_type
            elif not is_empty(value):
                ctx.skip(where, node.line, value, f"{path}.node_type")
        elif kind == "config" and key in ("step_parameters", "sagemaker_parameters"):
            facts[key] = read_entries(node, value, param_entry, ctx, where, path)
        elif key == "file_path":
            found = PY_PATH.search(value)
            if found:
                facts[key] = found.group(1)
            else:
                ctx.skip(where, node.line, node.text, path)
        elif key in ("special_handling",):
            facts[key] = text_list(node, value)
        elif key == "main_functions":
            facts[key] = name_list(node, value)
        elif key in ("class_name", "base_class", "entry_point", "step_type", "sagemaker_step_type"):
            facts[key] = plain_text(value).split()[0] if plain_text(value) else ""
            # "Class: `XConfig` (base `BasePipelineConfig`)", "(inherits from ...)"
            based = re.search(
                r"\((?:base(?: class)?|extends|inherits(?: from)?|subclass of)\s*:?\s*(\w+)",
                plain_text(value),
                re.I,
            )
            if key == "class_name" and based:
                facts.setdefault("base_class", based.group(1))
        else:
            facts[key] = joined_text(node, value)
    if owner is not None and owner.rows:
        _component_table(kind, owner, facts, ctx, where, path)


def _variants(node: Node, value: str, ctx: Context, where: str, path: str) -> list[str]:
    """Job-type variants named in the bullets; prose ("only one job type because ...") is
    reported as unread, never read as a variant."""
    found: list[str] = []
    items = name_list(node, value) if not is_empty(value) else []
    for item in items:
        # "training and validation", "training / calibration"
        for part in re.split(r"\s+(?:and|or|&)\s+|\s*/\s*", item):
            variant = enum_word(part, JobType)
            if variant is not None:
                found.append(variant)
            elif not is_empty(part):
                ctx.skip(where, node.line, part, f"{path}.job_type_variants")
    return list(dict.fromkeys(found))


def _is_output_dir(path: str) -> bool:
    """Under a folder SageMaker uploads after the job (processing output, model, output data)."""
    return any(path == d or path.startswith(f"{d}/") for d in _OUT_DIRS)


_OUT_DIRS = (PROCESSING_OUTPUT_PREFIX, *TRAINING_OUTPUT_PREFIXES)


def _component_table(
    kind: str, owner: Node, facts: Facts, ctx: Context, where: str, path: str
) -> None:
    """A table directly under a component: contract paths (with a direction column) or spec rows."""
    for row in owner.rows:
        fields = row_fields(row)
        direction = fields.get("direction", "").lower()
        if kind == "contract":
            entry = path_entry("", fields)
            # Without a direction column, SageMaker's output folders say which it is.
            folder = str(entry["container_path"]) if entry else ""
            out = direction.startswith("out") or (not direction and _is_output_dir(folder))
            target = "outputs" if out else "inputs"
        elif kind == "spec":
            out = direction.startswith("out") or "property_path" in fields
            out = out or ("output" in fields and "dependency" not in fields)
            target = "outputs" if out else "dependencies"
            # A "Dependency" or "Output" column names the entry.
            named = fields.get("output" if out else "dependency")
            if named and not fields.get("name"):
                fields["name"] = named
            entry = spec_entry("", fields, "output" if out else "dependency")
        elif kind == "config":
            entry, target = param_entry("", fields), "step_parameters"
        else:
            entry, target = None, ""
        if entry:
            facts.setdefault(target, []).append(entry)
        else:
            ctx.skip(where, owner.line, " | ".join(row.values()), path)
