"""Reading a pipeline repository with `ast` (private to `planner_agent.checks._codebase`).

`scan` finds the registry, contracts, specifications and config/builder classes and converts them to
plan models. It never imports or executes user code; anything it cannot read is skipped and noted in
``Scan.messages`` (reported as `CodebaseWarning` by `emit_warnings`).
"""

from __future__ import annotations

import ast
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .. import conventions as cv
from .._files import FileProblem, read_text
from ..plan import (
    ContractPath,
    DataType,
    DependencyPlan,
    DependencyType,
    JobType,
    NodeType,
    OutputPlan,
    RegistryEntry,
    SageMakerStepType,
    ScriptContractPlan,
    StepSpecificationPlan,
)

E = TypeVar("E", bound=Enum)
M = TypeVar("M", bound=BaseModel)

# Content markers used when a layout folder does not exist (the repository uses other roots).
_MARKERS = ("STEP_NAMES", "ScriptContract(", "StepSpecification(")
_CLASS_MARKER = re.compile(r"^class\s+\w+(Config|StepBuilder)\b", re.MULTILINE)
_CONTRACT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*_CONTRACT$")
_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "venv", "build", "dist"})
_CONTRACT_MAPS = ("optional_env_vars", "expected_arguments", "framework_requirements")


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
    builders: dict[str, str] = field(default_factory=dict)
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


def scan(root: Path, layout: cv.Layout) -> Scan:
    """Read every relevant file under ``root`` (layout folders first, else found by content)."""
    result = Scan()
    for rel, text in _sources(root, layout):
        if isinstance(text, FileProblem):
            result.warn(f"{rel}: skipped, {text}")
            continue
        try:
            tree = ast.parse(text, filename=rel)
        except (SyntaxError, ValueError) as exc:  # ValueError: null bytes in a binary file
            result.warn(f"{rel}: skipped, cannot be parsed ({type(exc).__name__}: {exc})")
            continue
        _extract(result, rel, tree)
    return result


def _sources(root: Path, layout: cv.Layout) -> Iterator[tuple[str, str | FileProblem]]:
    """(relative path, text or why it cannot be read) of the files to index."""
    places = [layout.registry_file, layout.contracts_dir, layout.specs_dir, layout.steps_dir]
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
        return read_text(file)
    except FileProblem as problem:
        return problem


def _extract(result: Scan, rel: str, tree: ast.Module) -> None:
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            if node.name.endswith("Config"):
                result.configs[node.name] = rel
            elif node.name.endswith("StepBuilder"):
                result.builders[node.name] = rel
            continue
        target, value = _assignment(node)
        if target == "STEP_NAMES" and isinstance(value, ast.Dict):
            _registry(result, rel, value)
        elif isinstance(value, ast.Call) and target:
            called = _call_name(value)
            if called.endswith("ScriptContract"):
                contract = _contract(result, rel, target, value)
                if contract is not None:
                    result.contracts[target] = contract
            elif called == "StepSpecification":
                spec = _spec(result, rel, target, value)
                if spec is not None:
                    result.specs.append((spec, _contract_refs(tree)))


def _registry(result: Scan, rel: str, node: ast.Dict) -> None:
    for key, value in zip(node.keys, node.values, strict=True):
        name, entry = _literal(key), _literal(value)
        if not isinstance(name, str) or not isinstance(entry, dict):
            result.warn(f"{rel}: STEP_NAMES entry that is not a literal skipped")
            continue
        step_type = entry.get("sagemaker_step_type")
        parsed = _enum_value(step_type, SageMakerStepType)
        if step_type is not None and parsed is None:
            result.warn(f"{rel}: {name}: unknown sagemaker_step_type {step_type!r} ignored")
        result.registry[name] = RegistryEntry(
            step_name=name,
            config_class=str(entry.get("config_class", "")),
            builder_step_name=str(entry.get("builder_step_name", "")),
            spec_type=str(entry.get("spec_type", "")),
            sagemaker_step_type=parsed,
            description=str(entry.get("description", "")),
        )


def _contract(result: Scan, rel: str, name: str, call: ast.Call) -> ScriptContractPlan | None:
    kw = {k.arg: k.value for k in call.keywords if k.arg}

    def get(key: str, kind: type[dict[Any, Any]] | type[list[Any]]) -> Any:
        value = _literal(kw.get(key), kind())
        if isinstance(value, kind):
            return value
        result.warn(f"{rel}: {name}.{key} is not a literal {kind.__name__}; treated as empty")
        return kind()

    maps = {key: {str(k): str(v) for k, v in get(key, dict).items()} for key in _CONTRACT_MAPS}
    try:
        return ScriptContractPlan(
            file_path=rel,
            entry_point=str(_literal(kw.get("entry_point"), "")),
            input_paths=_paths(get("expected_input_paths", dict)),
            output_paths=_paths(get("expected_output_paths", dict)),
            required_env_vars=[str(v) for v in get("required_env_vars", list)],
            description=str(_literal(kw.get("description"), "")),
            **maps,
        )
    except ValidationError as exc:
        result.warn(f"{rel}: {name} skipped: {exc.errors()[0]['msg']}")
        return None


def _spec(result: Scan, rel: str, name: str, call: ast.Call) -> StepSpecificationPlan | None:
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    step_type = _step_type(kw.get("step_type"))
    if step_type is None:
        result.warn(f"{rel}: {name} skipped: step_type is not a literal or get_spec_step_type(...)")
        return None
    deps = [_item(result, rel, name, c, DependencyPlan) for c in _calls(kw.get("dependencies"))]
    outs = [_item(result, rel, name, c, OutputPlan) for c in _calls(kw.get("outputs"))]
    dependencies = [d for d in deps if d is not None]
    outputs = [o for o in outs if o is not None]
    node_type = _enum_value(_enum_source(kw.get("node_type")), NodeType)
    if node_type is None:
        node_type = cv.node_type_for(bool(dependencies), bool(outputs))
        result.warn(f"{rel}: {name}: missing or unknown node_type; using {node_type.value!r}")
    return StepSpecificationPlan(
        file_path=rel,
        step_type=step_type,
        node_type=node_type,
        dependencies=dependencies,
        outputs=outputs,
    )


def _item(result: Scan, rel: str, spec: str, call: ast.Call, model: type[M]) -> M | None:
    """A DependencySpec/OutputSpec call as a plan model; None (with a warning) if invalid."""
    data = {k.arg: _enum_source(k.value) for k in call.keywords if k.arg in model.model_fields}
    for key in ("dependency_type", "output_type", "data_type"):
        if key in data:
            enum: type[Enum] = DataType if key == "data_type" else DependencyType
            data[key] = _enum_value(data[key], enum) or data[key]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        kind = "dependency" if model is DependencyPlan else "output"
        problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        result.warn(f"{rel}: {spec}: {kind} {data.get('logical_name')!r} skipped ({problem})")
        return None


def _assignment(node: ast.stmt) -> tuple[str, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id, node.value) if isinstance(target, ast.Name) else ("", None)
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return "", None


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _literal(node: ast.expr | None, default: Any = None) -> Any:
    if node is None:
        return default
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return default


def _enum_source(node: ast.expr | None) -> Any:
    """``DependencyType.MODEL_ARTIFACTS`` -> ``"MODEL_ARTIFACTS"``; literals -> their value."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr
    return _literal(node)


def _enum_value(value: Any, enum: type[E]) -> E | None:
    """Member by name (``PROCESSING_OUTPUT``) or by value (``processing_output``); None if neither."""
    if not isinstance(value, str):
        return None
    if value in enum.__members__:
        return enum.__members__[value]
    return next((m for m in enum if m.value == value), None)


def _step_type(node: ast.expr | None) -> str | None:
    """A literal, ``get_spec_step_type("X")`` or ``get_spec_step_type_with_job_type("X", "training")``."""
    value = _literal(node)
    if isinstance(value, str):
        return value
    if not isinstance(node, ast.Call):
        return None
    args = [_literal(a) for a in node.args] + [_literal(k.value) for k in node.keywords]
    called = _call_name(node)
    if not args or not isinstance(args[0], str):
        return None
    if called == "get_spec_step_type_with_job_type":
        job = args[1] if len(args) > 1 and isinstance(args[1], str) else None
        if job is None:
            return args[0]
        member = _enum_value(job.lower(), JobType)
        return cv.variant_step_type(args[0], member) if member else f"{args[0]}_{job.capitalize()}"
    return args[0] if called == "get_spec_step_type" else None


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
