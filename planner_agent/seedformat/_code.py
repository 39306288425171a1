"""The "Implementation Details" code blocks, read with `ast` (never executed).

Private to `planner_agent.seedformat._reader`; the reverse of the ``_*_code`` writers.
`read_blocks` reads every Python or JSON block outside the testing section into a `Code`: the
``ScriptContract(...)`` and ``StepSpecification(...)`` calls (or plain dicts with the same keys),
the ``STEP_NAMES`` entries, the config class's fields (Pydantic fields or ``__init__``
parameters), the builder class's name, the script's functions, and the file each block names in
its first comment. Values are read by `planner_agent._pycode`, which resolves names assigned
earlier in the block. A block that does not parse is read as far as it does (``IMPORT004``); one
longer than `MAX_BLOCK_CHARS` is not read (``IMPORT004``).
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .._plan_data import loads_json
from .._pycode import (
    ParsedCode,
    as_str,
    assigned,
    call_kwargs,
    code_enum,
    items_of,
    parse_python,
    step_type_of,
    str_dict,
    str_list,
    value_of,
)
from ..plan import DataType, DependencyType, NodeType
from ._blocks import Block
from ._classes import builder_rank, class_fields, config_rank
from ._context import Context, Facts
from ._text import PY_PATH

__all__ = ["MAX_BLOCK_CHARS", "REGISTRY_KEYS", "Code", "read_blocks"]

MAX_BLOCK_CHARS = 500_000
"""Longest code block read (about 10,000 lines; a plan's blocks are a few thousand characters).
A longer one is reported (``IMPORT004``) and not read: parsing costs time and, for Python,
memory some 170 times the block's size."""

_FIRST_LINE = re.compile(r"\s*(.*)")  # the first line that is not blank, without splitting all
REGISTRY_KEYS = frozenset({"config_class", "builder_step_name", "spec_type", "sagemaker_step_type"})
"""The keys of a STEP_NAMES entry that mark a dict (or a table) as one."""
_CONTRACT_KEYS = {"expected_input_paths", "expected_output_paths", "entry_point"}
_TEST_HEADING = re.compile(r"\b(unit |integration )?tests?\b|\btesting\b", re.I)


@dataclass
class Code:
    """What the code blocks state, in the same shape as the bullet facts."""

    contract: Facts = field(default_factory=dict)
    specs: list[tuple[str, Facts]] = field(default_factory=list)
    registry: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    config: Facts = field(default_factory=dict)
    builder: Facts = field(default_factory=dict)
    script: Facts = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    configs: list[Facts] = field(default_factory=list)
    """Every config-like class (name, base_class, fields, rank); `choose_classes` picks one."""
    builders: list[Facts] = field(default_factory=list)
    """Every builder-like class (class_name, rank)."""


def _contract_facts(kw: dict[str, Any]) -> Facts:
    facts: Facts = {}
    if as_str(kw.get("entry_point")):
        facts["entry_point"] = as_str(kw["entry_point"])
    for key, target in (("expected_input_paths", "inputs"), ("expected_output_paths", "outputs")):
        paths = str_dict(kw.get(key))
        if paths is not None:
            facts[target] = [
                {"logical_name": k, "container_path": v, "description": ""}
                for k, v in paths.items()
            ]
    if str_list(kw.get("required_env_vars")) is not None:
        facts["required_env_vars"] = str_list(kw["required_env_vars"])
    for key in ("optional_env_vars", "expected_arguments", "framework_requirements"):
        if str_dict(kw.get(key)) is not None:
            facts[key] = str_dict(kw[key])
    if as_str(kw.get("description")) is not None:
        facts["description"] = as_str(kw["description"])
    return facts


def _spec_item(value: Any, kind: str) -> Facts | None:
    call = "DependencySpec" if kind == "dependency" else "OutputSpec"
    kw = call_kwargs(value, call, {"logical_name"})
    if kw is None or not as_str(kw.get("logical_name")):
        return None
    type_key = "dependency_type" if kind == "dependency" else "output_type"
    entry: Facts = {"logical_name": as_str(kw["logical_name"])}
    kind_value = code_enum(kw.get(type_key, kw.get("type")), DependencyType)
    if kind_value is not None:
        entry[type_key] = kind_value
    data_type = code_enum(kw.get("data_type"), DataType)
    if data_type is not None:
        entry["data_type"] = data_type
    if isinstance(kw.get("required"), bool):
        entry["required"] = kw["required"]
    for key in ("compatible_sources", "semantic_keywords", "aliases"):
        if str_list(kw.get(key)) is not None:
            entry[key] = str_list(kw[key])
    for key in ("property_path", "description"):
        if as_str(kw.get(key)) is not None:
            entry[key] = as_str(kw[key])
    return entry


def _spec_facts(kw: dict[str, Any]) -> Facts:
    facts: Facts = {}
    step_type = step_type_of(kw.get("step_type"))
    if step_type:
        facts["step_type"] = step_type
    node_type = code_enum(kw.get("node_type"), NodeType)
    if node_type is not None:
        facts["node_type"] = node_type
    for key, kind in (("dependencies", "dependency"), ("outputs", "output")):
        if isinstance(kw.get(key), dict | list):
            facts[key] = [e for e in (_spec_item(v, kind) for v in items_of(kw[key])) if e]
    return facts


def _block_path(code: str) -> str:
    lead = _FIRST_LINE.match(code)
    first = lead.group(1) if lead else ""
    match = re.match(r"^\s*#\s*(?:In\s+|File:\s*)?" + PY_PATH.pattern, first, re.I)
    return match.group(1) if match else ""


def _path_kind(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    if re.search(r"(^|/)tests?/|(^|/)test_[^/]*$|_tests?\.py$|(^|/)conftest\.py$", path):
        return "test"
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


def _read_python(module: ast.Module, block: Block, code: Code) -> None:
    env: dict[str, Any] = {}
    names: dict[int, str] = {}
    for stmt in module.body:
        targets, assigned_value = assigned(stmt)
        if assigned_value is not None:
            value = value_of(assigned_value, env)
            for target in targets:
                if isinstance(target, ast.Name):
                    env[target.id] = value
                    names[id(assigned_value)] = target.id
                elif (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and isinstance(value, dict)
                    and REGISTRY_KEYS & set(value)
                ):
                    code.registry.append((str(target.slice.value), value))  # STEP_NAMES["X"] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Call | ast.Dict):
            value = value_of(node, env)
            _read_data(value, names.get(id(node), ""), code)
            _read_registry(value, code)  # STEP_NAMES = {...}, STEP_NAMES.update({...}), fragments
        if not isinstance(node, ast.ClassDef):
            continue
        # Base names without their module: `best` tells an extension of a class by them.
        bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases]
        if rank := builder_rank(node):
            code.builders.append({"class_name": node.name, "rank": rank, "bases": bases})
        elif rank := config_rank(node):
            config: Facts = {
                "class_name": node.name,
                "rank": rank,
                "bases": bases,
                "fields": class_fields(node),
            }
            if node.bases:
                config["base_class"] = ast.unparse(node.bases[0])
            code.configs.append(config)
    functions = [
        s.name
        for s in module.body
        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and not s.name.startswith("test")
    ]
    is_main = any(isinstance(s, ast.If) and "__name__" in ast.unparse(s.test) for s in module.body)
    titled = (
        bool(re.search(r"script", block.heading, re.I)) and "contract" not in block.heading.lower()
    )
    scriptish = is_main or titled
    if functions and scriptish and "main_functions" not in code.script:
        code.script["main_functions"] = [f for f in functions if not f.startswith("_")]


def _read_registry(value: Any, code: Code) -> None:
    """The registry entries of a dict: ``{"X": {"config_class": ...}}`` or one entry with a
    ``step_name``; an entry read twice (a dict and the dict inside it) is kept once."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(value, dict):
        for key, entry in value.items():
            if isinstance(entry, dict) and REGISTRY_KEYS & set(entry):
                found.append((str(key), entry))
        if REGISTRY_KEYS & set(value) and isinstance(value.get("step_name"), str):
            found.append((value["step_name"], value))
    known = {name for name, _ in code.registry}
    code.registry += [(name, entry) for name, entry in found if name not in known]


def _read_data(value: Any, name: str, code: Code) -> None:
    """Classify one call/dict (or JSON object) as a contract or a specification."""
    contract = call_kwargs(value, "ScriptContract", _CONTRACT_KEYS)
    if contract is not None and ({"expected_input_paths", "expected_output_paths"} & set(contract)):
        if not code.contract:
            code.contract = _contract_facts(contract)
        return
    spec = call_kwargs(value, "StepSpecification", set())
    if (
        spec is None
        and isinstance(value, dict)
        and {"dependencies", "outputs"} & set(value)
        and ({"step_type", "node_type"} & set(value))
    ):
        spec = value
    if spec is not None:
        code.specs.append((name, _spec_facts(spec)))


def _walk_json(value: Any, code: Code) -> None:
    _read_registry(value, code)
    _read_data(value, "", code)
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, dict | list) and key not in ("dependencies", "outputs"):
                _walk_json(inner, code)
    elif isinstance(value, list):
        for inner in value:
            _walk_json(inner, code)


def read_blocks(blocks: list[Block], ctx: Context) -> Code:
    code = Code()
    for block in blocks:
        if block.section == "testing" or not block.code.strip():
            continue
        where = f"code block at line {block.line}" + (
            f" ({block.heading})" if block.heading else ""
        )
        path = _block_path(block.code)
        kind = _path_kind(path) if path else None
        if kind == "test" or _TEST_HEADING.search(block.heading):
            continue  # a test's classes are not the step's builder or config, nor its script
        if kind and kind != "registry":
            code.paths.setdefault(kind, path)
        if block.lang not in ("json", "jsonc", "", "python", "py", "python3"):
            ctx.unread.append(f"{where}: {block.lang} block not read")
        elif len(block.code) > MAX_BLOCK_CHARS:
            size = f"{len(block.code):,} characters, more than the {MAX_BLOCK_CHARS:,} read"
            ctx.unread.append(f"{where}: not read ({size})")
            ctx.warn("IMPORT004", "<root>", f"{where} is too large to read ({size}); not read")
        elif block.lang in ("json", "jsonc"):
            _read_json_block(block, where, code, ctx)
        else:
            _read_python_block(block, where, code, ctx)
    return code


def _read_json_block(block: Block, where: str, code: Code, ctx: Context) -> None:
    try:
        data = loads_json(block.code)
    except json.JSONDecodeError as exc:
        fragment = _unfragment(block.code)
        if fragment != block.code:
            with contextlib.suppress(json.JSONDecodeError):
                _walk_json(loads_json(fragment), code)
                return
        ctx.unread.append(f"{where}: invalid JSON ({exc.msg})")
        ctx.warn("IMPORT004", "<root>", f"{where} is not valid JSON ({exc.msg}); not read")
        return
    _walk_json(data, code)


# A dict fragment: the first line that is not blank or a comment starts with a quoted key.
_FRAGMENT = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*[\"'][^\"'\n]{1,200}[\"'][ \t]*:")


def _unfragment(text: str) -> str:
    """A registry entry written as a fragment of a dict (``"X": {...},``) made a whole dict;
    other text is returned as it is."""
    if not _FRAGMENT.match(text):
        return text
    return "{" + text.rstrip().rstrip(",") + "\n}"


def _read_python_block(block: Block, where: str, code: Code, ctx: Context) -> None:
    parsed = parse_python(block.code)
    total = len(block.code.splitlines())
    fragment = _unfragment(block.code) if parsed.lines < total else block.code
    if fragment != block.code:  # read as the dict it is a part of, when that reads further
        whole = parse_python(fragment)
        if whole.module is not None and whole.lines > parsed.lines:
            runs = parsed.parses + whole.parses
            parsed = ParsedCode(whole.module, min(whole.lines, total), whole.problem, runs)
    if parsed.module is None:
        ctx.unread.append(f"{where}: not read as Python ({parsed.problem})")
        ctx.warn("IMPORT004", "<root>", f"{where} cannot be read as Python ({parsed.problem})")
        return
    if parsed.lines < total:
        read = parsed.lines
        lost = f"line {total}" if read + 1 == total else f"lines {read + 1}-{total}"
        ctx.unread.append(f"{where}: {lost} of the block could not be read ({parsed.problem})")
        if block.closed:
            ctx.warn(
                "IMPORT004",
                "<root>",
                f"{where} cannot be read as Python past line {read} of the block ({parsed.problem});"
                " read the part before",
            )
    _read_python(parsed.module, block, code)
