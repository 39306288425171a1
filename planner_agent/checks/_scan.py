"""Reading a pipeline repository with `ast` (private to `planner_agent.checks._codebase`).

`scan` finds the registry, contracts, specifications and config/builder classes and converts them to
plan models. Values are read by `planner_agent._pycode`, the reader the markdown code blocks use too,
strictly: what is not stated as a literal is not guessed. User code is never imported or executed;
anything `scan` cannot read (not Python, nested too deeply, larger than `MAX_SOURCE_CHARS`) is
skipped and noted in ``Scan.messages`` (reported as `CodebaseWarning` by `emit_warnings`).
"""

from __future__ import annotations

import ast
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .._files import FileProblem, read_text
from .._pycode import (
    CodeTooComplex,
    assigned,
    call_name,
    enum_member,
    enum_text,
    keywords,
    literal,
    parse_module,
    value_of,
)
from ..conventions import Layout, node_type_for
from ..plan import (
    ContractPath,
    DataType,
    DependencyPlan,
    DependencyType,
    NodeType,
    OutputPlan,
    RegistryEntry,
    SageMakerStepType,
    ScriptContractPlan,
    StepSpecificationPlan,
)
from ..seedformat._classes import field_statements
from ._registry_source import COPIES, Entry, RegistryParts, Unreadable, registry_statements
from ._spec_forms import module_constants, step_type_text

M = TypeVar("M", bound=BaseModel)

# Content markers used when a layout folder does not exist (the repository uses other roots).
_MARKERS = ("STEP_NAMES", "ScriptContract(", "StepSpecification(")
_CLASS_MARKER = re.compile(r"^class\s+\w+(Config|StepBuilder)\b", re.MULTILINE)
_CONTRACT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*_CONTRACT$")
_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "venv", "build", "dist"})
_CONTRACT_MAPS = ("optional_env_vars", "expected_arguments", "framework_requirements")

MAX_SOURCE_CHARS = 2_000_000
"""Largest file indexed. Contracts, specifications and registries are a few kilobytes; parsing
takes memory some 170 times a file's size, so a generated giant is skipped with a warning."""


class CodebaseWarning(UserWarning):
    """A file or an item of the codebase that could not be read and was skipped."""


@dataclass
class Scan:
    """Everything read from the repository, before it is grouped into steps."""

    registry: dict[str, RegistryEntry] = field(default_factory=dict)
    contracts: dict[str, ScriptContractPlan] = field(default_factory=dict)  # constant -> contract
    # Each specification with the contract constants its module imports.
    specs: list[tuple[StepSpecificationPlan, list[str]]] = field(default_factory=list)
    configs: dict[str, str] = field(default_factory=dict)  # class name -> file
    # Config classes (``*Config``, ``*ConfigBase``) -> (base class names, annotated field names).
    config_fields: dict[str, tuple[tuple[str, ...], frozenset[str]]] = field(default_factory=dict)
    builders: dict[str, str] = field(default_factory=dict)
    registry_files: Counter[str] = field(default_factory=Counter)  # file -> entries read there
    # Modules that set or extend STEP_NAMES (read once every file is scanned: parts may be anywhere).
    registry_code: list[tuple[str, ast.Module]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        """Record a skipped file or item (`emit_warnings` reports them to the caller)."""
        self.messages.append(message)


MAX_WARNINGS = 10  # Individual warnings per index; the rest are summarised (all stay in .warnings).


def emit_warnings(messages: list[str], stacklevel: int) -> None:
    """Report skipped files/items as `CodebaseWarning`s, at most `MAX_WARNINGS` of them."""
    for message in messages[:MAX_WARNINGS]:
        warnings.warn(message, CodebaseWarning, stacklevel=stacklevel + 1)
    if len(messages) > MAX_WARNINGS:
        more = len(messages) - MAX_WARNINGS
        warnings.warn(
            f"{more} more files or items skipped; see CodebaseIndex.warnings",
            CodebaseWarning,
            stacklevel=stacklevel + 1,
        )


def scan(root: Path, layout: Layout) -> Scan:
    """Read every relevant file under ``root`` (layout folders first, else found by content)."""
    result = Scan()
    for rel, text in _sources(root, layout):
        if isinstance(text, FileProblem):
            result.warn(f"{rel}: skipped, {text}")
            continue
        try:
            tree = parse_module(text, filename=rel)
        except CodeTooComplex as exc:
            result.warn(f"{rel}: skipped, too complex to index ({exc})")
            continue
        except SyntaxError as exc:
            result.warn(f"{rel}: skipped, cannot be parsed ({type(exc).__name__}: {exc})")
            continue
        _extract(result, rel, tree)
    _read_registries(result, root)
    return result


def _sources(root: Path, layout: Layout) -> Iterator[tuple[str, str | FileProblem]]:
    """(relative path, text or why it cannot be read) of the files to index."""
    places = [layout.registry_file, layout.contracts_dir, layout.specs_dir]
    places += dict.fromkeys((layout.configs_dir, layout.builders_dir))
    seen: set[Path] = set()
    for place in places:
        target = root / place
        files = (
            [target]
            if target.is_file()
            else sorted(target.rglob("*.py"))
            if target.is_dir()
            else []
        )
        for file in files:
            seen.add(file)
            yield file.relative_to(root).as_posix(), _read(file)
    if all((root / place).exists() for place in places):
        return
    # Some folder differs from the layout: find the files by what they contain.
    for top, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(n for n in names if n.endswith(".py")):
            file = Path(top, name)
            if file not in seen:
                text = _read(file)
                if (
                    isinstance(text, FileProblem)
                    or any(m in text for m in _MARKERS)
                    or _CLASS_MARKER.search(text)
                ):
                    yield file.relative_to(root).as_posix(), text


def _read(file: Path) -> str | FileProblem:
    try:
        size = file.stat().st_size
    except OSError:
        size = 0  # read_text says why the file cannot be used
    limit = f"at most {MAX_SOURCE_CHARS:,} characters are read"
    if size > 4 * MAX_SOURCE_CHARS:  # 1 to 4 bytes a character: too large, known without reading
        return FileProblem(f"too large to index ({size:,} bytes; {limit})")
    try:
        text = read_text(file)
    except FileProblem as problem:
        return problem
    if len(text) > MAX_SOURCE_CHARS:
        return FileProblem(f"too large to index ({len(text):,} characters; {limit})")
    return text


def _extract(result: Scan, rel: str, tree: ast.Module) -> None:
    if registry_statements(tree):
        result.registry_code.append((rel, tree))
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            if node.name.endswith(("Config", "ConfigBase")):
                result.config_fields[node.name] = _config_fields(node)
            if node.name.endswith("Config"):
                result.configs[node.name] = rel
            elif node.name.endswith("StepBuilder"):
                result.builders[node.name] = rel
            continue
        targets, value = assigned(node)
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            continue
        target = targets[0].id
        if isinstance(value, ast.Call):
            called = call_name(value)
            if called.endswith("ScriptContract"):
                contract = _contract(result, rel, target, value)
                if contract is not None:
                    result.contracts[target] = contract
            elif called == "StepSpecification":
                spec = _spec(result, rel, target, value, tree)
                if spec is not None:
                    result.specs.append((spec, _contract_refs(tree)))


def _config_fields(node: ast.ClassDef) -> tuple[tuple[str, ...], frozenset[str]]:
    """A config class's base names and the public fields its body declares."""
    bases = tuple(ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases)
    return bases, frozenset(name for name, _, _ in field_statements(node))


def _read_registries(result: Scan, root: Path) -> None:
    """The entries of every statement that sets or extends STEP_NAMES, parts followed."""
    parts = RegistryParts(lambda rel: _load(root, rel))
    built_by_call: list[str] = []
    for rel, tree in result.registry_code:
        for kind, node, value in registry_statements(tree):
            try:
                items = (
                    [Entry(node, value, rel, tree)]
                    if value
                    else parts.entries(node, rel, tree, strict=False)
                )
            except Unreadable as exc:
                # A registry made by a function (read elsewhere from its literal) is no loss.
                whole = (
                    kind == "set" and isinstance(node, ast.Call) and call_name(node) not in COPIES
                )
                (built_by_call if whole else result.messages).append(
                    f"{exc}; that part of STEP_NAMES is not indexed"
                )
                continue
            result.messages.extend(
                f"{p}; that part of STEP_NAMES is not indexed" for p in parts.problems
            )
            parts.problems.clear()
            for item in items:
                _registry_entry(result, parts, item)
    if not result.registry:
        result.messages.extend(built_by_call)


def _registry_entry(result: Scan, parts: RegistryParts, item: Entry) -> None:
    name = literal(item.key)
    try:
        fields = {
            literal(f.key): literal(f.value) for f in parts.entries(item.value, item.rel, item.tree)
        }
    except Unreadable:
        fields = {None: None}
    if not isinstance(name, str) or None in fields or None in fields.values():
        shown = name if isinstance(name, str) else ast.unparse(item.key)
        result.warn(f"{item.rel}: STEP_NAMES entry {shown!r} is not a literal; skipped")
        return
    step_type = fields.get("sagemaker_step_type")
    parsed = enum_member(step_type, SageMakerStepType)
    if step_type is not None and parsed is None:
        result.warn(f"{item.rel}: {name}: unknown sagemaker_step_type {step_type!r} ignored")
    result.registry_files[item.rel] += 1
    result.registry[name] = RegistryEntry(
        step_name=name,
        config_class=str(fields.get("config_class", "")),
        builder_step_name=str(fields.get("builder_step_name", "")),
        spec_type=str(fields.get("spec_type", "")),
        sagemaker_step_type=parsed,
        description=str(fields.get("description", "")),
    )


def _load(root: Path, rel: str) -> ast.Module | None:
    """A module of the repository, parsed (None: missing or unreadable; the walk reports those)."""
    text = _read(root / rel) if (root / rel).is_file() else None
    if not isinstance(text, str):
        return None
    try:
        return parse_module(text, filename=rel)
    except (CodeTooComplex, SyntaxError):
        return None


def _contract(result: Scan, rel: str, name: str, call: ast.Call) -> ScriptContractPlan | None:
    kw = keywords(call)

    def get(key: str, kind: type[dict[Any, Any]] | type[list[Any]]) -> Any:
        value = literal(kw.get(key), kind())
        if isinstance(value, kind):
            return value
        result.warn(f"{rel}: {name}.{key} is not a literal {kind.__name__}; treated as empty")
        return kind()

    maps = {key: {str(k): str(v) for k, v in get(key, dict).items()} for key in _CONTRACT_MAPS}
    try:
        return ScriptContractPlan(
            file_path=rel,
            entry_point=str(literal(kw.get("entry_point"), "")),
            input_paths=_paths(get("expected_input_paths", dict)),
            output_paths=_paths(get("expected_output_paths", dict)),
            required_env_vars=[str(v) for v in get("required_env_vars", list)],
            description=str(literal(kw.get("description"), "")),
            **maps,
        )
    except ValidationError as exc:
        result.warn(f"{rel}: {name} skipped: {exc.errors()[0]['msg']}")
        return None


def _spec(
    result: Scan, rel: str, name: str, call: ast.Call, tree: ast.Module
) -> StepSpecificationPlan | None:
    kw = keywords(call)
    node = kw.get("step_type")
    step_type = step_type_text(node, module_constants(tree))
    if step_type is None:
        shown = " ".join(ast.unparse(node).split())[:80] if node is not None else "missing"
        result.warn(
            f"{rel}: {name} skipped: step_type ({shown}) is not a string, get_spec_step_type(...), "
            "get_spec_step_type_with_job_type(...), or a + or f-string of these"
        )
        return None
    deps = [_item(result, rel, name, c, DependencyPlan) for c in _calls(kw.get("dependencies"))]
    outs = [_item(result, rel, name, c, OutputPlan) for c in _calls(kw.get("outputs"))]
    dependencies = [d for d in deps if d is not None]
    outputs = [o for o in outs if o is not None]
    node_type = enum_member(_value(kw.get("node_type")), NodeType)
    if node_type is None:
        node_type = node_type_for(bool(dependencies), bool(outputs))
        result.warn(f"{rel}: {name}: missing or unknown node_type; using {node_type.value!r}")
    return StepSpecificationPlan(
        file_path=rel,
        step_type=step_type,
        node_type=node_type,
        dependencies=dependencies,
        outputs=outputs,
    )


_ENUM_FIELDS: dict[str, type[Enum]] = {
    "dependency_type": DependencyType,
    "output_type": DependencyType,
    "data_type": DataType,
}


def _item(result: Scan, rel: str, spec: str, call: ast.Call, model: type[M]) -> M | None:
    """A DependencySpec/OutputSpec call as a plan model; None (with a warning) if invalid."""
    kw = {key: node for key, node in keywords(call).items() if key in model.model_fields}
    data = {key: literal(node) for key, node in kw.items()}
    for key in _ENUM_FIELDS.keys() & kw.keys():
        # A member (DependencyType.X) or its value; any other text is left for validation to reject.
        value = _value(kw[key])
        data[key] = enum_member(value, _ENUM_FIELDS[key]) or enum_text(value)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        kind = "dependency" if model is DependencyPlan else "output"
        problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        result.warn(f"{rel}: {spec}: {kind} {data.get('logical_name')!r} skipped ({problem})")
        return None


def _value(node: ast.expr | None) -> Any:
    # Names are not resolved: a specification states its values in its own call.
    return None if node is None else value_of(node, {})


def _calls(node: ast.expr | None) -> list[ast.Call]:
    """The DependencySpec/OutputSpec calls of a list, tuple or dict literal."""
    if isinstance(node, ast.Dict):
        items: list[ast.expr | None] = list(node.values)
    elif isinstance(node, ast.List | ast.Tuple):
        items = list(node.elts)
    else:
        items = []
    return [i for i in items if isinstance(i, ast.Call)]


def _contract_refs(tree: ast.Module) -> list[str]:
    """Names of the contract constants a specification module imports."""
    return [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if _CONTRACT_NAME.match(alias.name)
    ]


def _paths(mapping: dict[Any, Any]) -> list[ContractPath]:
    return [ContractPath(logical_name=str(k), container_path=str(v)) for k, v in mapping.items()]
