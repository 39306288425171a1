"""Read a plan from a file or text, whatever its format: seed markdown, plan JSON or draft JSON.

`load_plan` is the one entry point for plans that were not produced by this package's planner
(hand-written, other tools, earlier runs). Enum values that do not exist (``processing_input``
and friends, the most common mistake in LLM-written plans) are not load failures: they become
``ENUM001`` error issues, the closest valid value is substituted so the plan can still be built
and checked, and the caller decides what to do. Anything else that makes the input unusable
raises `PlanImportError` with a one-line message naming the file and what was expected.

>>> loaded = load_plan("plans/model_calibration.md")  # doctest: +SKIP
>>> loaded.format, loaded.plan.step_name  # doctest: +SKIP
('markdown', 'ModelCalibration')
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from .._files import FileProblem, read_text
from ..checks import enum_issue
from ..draft import PlanDraft
from ..errors import PlanImportError, shown_path
from ..plan import (
    DataType,
    DependencyType,
    ImplementationPlan,
    JobType,
    NodeType,
    PlanIssue,
    SageMakerStepType,
)

__all__ = [
    "LoadedPlan",
    "closest_enum_value",
    "json_path",
    "load_plan",
    "validate_with_enum_repair",
]

PlanFormat = Literal["auto", "markdown", "json"]
ModelT = TypeVar("ModelT", bound=BaseModel)

_ENUMS: tuple[type[StrEnum], ...] = (
    DependencyType,
    NodeType,
    SageMakerStepType,
    JobType,
    DataType,
)
_MARKDOWN = (
    "a markdown implementation plan ('# Implementation Plan for <Step>' and the seed sections)"
)
_EXPECTED = f"{_MARKDOWN} or plan JSON"


@dataclass(frozen=True)
class LoadedPlan:
    """A plan read by `load_plan`: the plan, import issues, the format found, what was not read."""

    plan: ImplementationPlan
    issues: list[PlanIssue] = field(default_factory=list)
    format: Literal["markdown", "json"] = "json"
    unread: list[str] = field(default_factory=list)


def json_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """A Pydantic ``loc`` as a JSON path.

    >>> json_path(("components", "step_specification", "dependencies", 0, "dependency_type"))
    'components.step_specification.dependencies[0].dependency_type'
    """
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def closest_enum_value(value: object, enum_cls: type[StrEnum]) -> StrEnum:
    """The member of ``enum_cls`` nearest to ``value`` (by value or member name, any case).

    >>> closest_enum_value("processing_input", DependencyType).value
    'processing_output'
    >>> closest_enum_value("Internal", NodeType).value
    'internal'
    """
    text = str(value).strip()
    key = re.sub(r"[\s\-]+", "_", text).lower()
    for member in enum_cls:
        if key in (member.value.lower(), member.name.lower()):
            return member
    values = [m.value.lower() for m in enum_cls]
    best = difflib.get_close_matches(key, values, n=1, cutoff=0.0)
    return next(m for m in enum_cls if m.value.lower() == best[0]) if best else next(iter(enum_cls))


def _enum_issue(path: str, value: object, enum_cls: type[StrEnum]) -> PlanIssue:
    """The rules' ``ENUM001`` issue, plus which value was substituted to build the plan."""
    issue = enum_issue(path, value, enum_cls)
    substitute = closest_enum_value(value, enum_cls).value
    note = f"; read as {substitute!r} so the plan could be loaded"
    return issue.model_copy(update={"message": issue.message + note})


def _enum_for(error: Any) -> type[StrEnum] | None:
    """The enum class a Pydantic ``enum`` error expected (matched by its set of values)."""
    expected = set(re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", ""))))
    return next((e for e in _ENUMS if {m.value for m in e} == expected), None)


def _set_at(data: Any, loc: tuple[int | str, ...], value: Any) -> None:
    target = data
    for part in loc[:-1]:
        target = target[part]
    target[loc[-1]] = value


def validate_with_enum_repair(
    model: type[ModelT], data: Any, *, max_rounds: int = 5
) -> tuple[ModelT, list[PlanIssue]]:
    """Validate ``data`` as ``model``; invalid enum values become ``ENUM001`` issues.

    Each invalid value is replaced by the closest valid one and validation is repeated, so a
    plan object is built. Any other validation error is re-raised as the `ValidationError`.

    >>> plan, issues = validate_with_enum_repair(ImplementationPlan, data)  # doctest: +SKIP
    >>> [i.code for i in issues]  # doctest: +SKIP
    ['ENUM001']
    """
    data = copy.deepcopy(data)
    issues: list[PlanIssue] = []
    for _ in range(max_rounds):
        try:
            return model.model_validate(data), issues
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            fixable = [(e, _enum_for(e)) for e in errors if e["type"] == "enum"]
            if len(fixable) != len(errors) or any(cls is None for _, cls in fixable):
                raise
            for error, cls in fixable:
                assert cls is not None  # checked above; narrows for mypy
                loc = tuple(error["loc"])
                issues.append(_enum_issue(json_path(loc), error["input"], cls))
                _set_at(data, loc, closest_enum_value(error["input"], cls).value)
    return model.model_validate(data), issues


def _validation_message(name: str, what: str, exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    shown = "; ".join(f"{json_path(tuple(e['loc']))}: {e['msg']}" for e in errors[:5])
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    return f"{name} is not a valid {what}: {shown}{more}"


def plan_from_data(data: Any, name: str) -> tuple[ImplementationPlan, list[PlanIssue]]:
    """Full plan, plan draft or a saved PlanResult (``{"plan": {...}}``) -> plan and ENUM issues.

    ``name`` says what ``data`` came from in a `PlanImportError`.
    """
    if isinstance(data, dict) and isinstance(data.get("plan"), dict) and "components" not in data:
        data = data["plan"]
    if isinstance(data, dict) and "components" in data:
        try:
            return validate_with_enum_repair(ImplementationPlan, data)
        except ValidationError as exc:
            raise PlanImportError(_validation_message(name, "implementation plan", exc)) from None
    draft_keys = {"sagemaker_step_type", "inputs", "outputs", "purpose"}
    if isinstance(data, dict) and "step_name" in data and draft_keys & data.keys():
        try:
            draft, issues = validate_with_enum_repair(PlanDraft, data)
            return draft.to_plan(), issues
        except ValidationError as exc:
            raise PlanImportError(_validation_message(name, "plan draft", exc)) from None
    got = (
        f"an object with keys {sorted(data)[:6]}" if isinstance(data, dict) else type(data).__name__
    )
    raise PlanImportError(
        f"{name} is JSON but not an implementation plan: expected an object with 'components' and"
        f" 'registry_entry' (ImplementationPlan) or 'step_name' and 'sagemaker_step_type'"
        f" (PlanDraft); got {got}"
    )


def _read_file(path: Path) -> str:
    name = str(path)
    try:
        text = read_text(path)
    except FileProblem as problem:
        if str(problem) == "does not exist" or str(problem).startswith("cannot be used"):
            raise PlanImportError(
                f"plan file not found: {shown_path(name, 120)} (one-line text is read as a "
                f"path; plan text has several lines); expected {_EXPECTED}"
            ) from None
        raise PlanImportError(f"{name} {problem}; expected a plan file: {_EXPECTED}") from None
    if not text.strip():
        raise PlanImportError(f"{name} is empty; expected {_EXPECTED}")
    return text


def _source_text(source: str | Path) -> tuple[str, str, str]:
    """(text, display name, file suffix) for a path or literal text."""
    if isinstance(source, str) and ("\n" in source or source.lstrip().startswith(("{", "["))):
        if not source.strip():
            raise PlanImportError(f"the plan text is empty; expected {_EXPECTED}")
        return source, "the plan text", ""
    if isinstance(source, str) and not source.strip():
        raise PlanImportError(f"the plan text is empty; expected {_EXPECTED}")
    if not isinstance(source, str | os.PathLike):
        raise PlanImportError(
            f"a plan is read from a path or from text, not {type(source).__name__}; "
            "pass load_plan(path) or load_plan(text)"
        )
    path = Path(source)
    return _read_file(path), str(path), path.suffix.lower()


def _loads(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanImportError(
            f"{name} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


def _embedded_json(text: str) -> Any | None:
    """A JSON object in a fenced block (or the whole text), or None."""
    match = re.search(r"```(?:json|JSON)?\s*\n(\{.*\})\s*\n```", text, re.DOTALL)
    if not match:
        return None
    try:
        return json.loads(match.group(1))
    except json.JSONDecodeError:
        return None


def load_plan(source: str | Path, *, format: PlanFormat = "auto") -> LoadedPlan:
    """Read a plan from a file path or from text (a ``str`` containing a newline is text).

    ``format="auto"`` picks JSON for text starting with ``{``/``[`` or a ``.json`` file, else
    seed-format markdown. JSON may be a full `ImplementationPlan`, a `PlanDraft` (expanded with
    ``to_plan``) or a saved result (``{"plan": {...}}``).

    >>> load_plan("plan.json").plan.step_name  # doctest: +SKIP
    'ModelCalibration'
    >>> load_plan("missing.md")  # doctest: +SKIP
    Traceback (most recent call last):
    planner_agent.errors.PlanImportError: plan file not found: 'missing.md' ...
    """
    from ._reader import looks_like_plan, parse_markdown  # markdown builds on this module

    if format not in ("auto", "markdown", "json"):
        raise PlanImportError(f"unknown plan format {format!r}; use 'auto', 'markdown' or 'json'")
    text, name, suffix = _source_text(source)
    as_json = format == "json" or (
        format == "auto" and (text.lstrip().startswith(("{", "[")) or suffix == ".json")
    )
    if as_json:
        plan, issues = plan_from_data(_loads(text, name), name)
        return LoadedPlan(plan=plan, issues=issues, format="json")
    if not looks_like_plan(text):
        embedded = _embedded_json(text) if format == "auto" else None
        if embedded is not None:
            plan, issues = plan_from_data(embedded, name)
            return LoadedPlan(plan=plan, issues=issues, format="json")
        raise PlanImportError(f"{name} is neither {_MARKDOWN} nor plan JSON")
    try:
        parsed = parse_markdown(text)
    except PlanImportError as exc:
        raise PlanImportError(f"{name}: {exc.message}") from None
    return LoadedPlan(
        plan=parsed.plan, issues=list(parsed.issues), format="markdown", unread=list(parsed.unread)
    )
