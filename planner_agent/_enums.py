"""Invalid enum values in plan data: the ``ENUM001`` issue, the closest valid value, and repair.

An enum value that does not exist (``processing_input`` and friends, the most common mistake in
LLM-written plans) is not a load failure: it becomes an ``ENUM001`` error issue, the closest valid
value is substituted so the plan can still be built and checked, and the caller decides what to
do. The plan file loader, the markdown reader and ``check_plan`` on a dict all repair this way.

>>> closest_enum_value("processing_input", DependencyType).value
'processing_output'
"""

from __future__ import annotations

import copy
import difflib
import re
from enum import Enum, StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .plan import (
    DataType,
    DependencyType,
    JobType,
    NodeType,
    PlanIssue,
    SageMakerStepType,
    Severity,
)

__all__ = ["closest_enum_value", "enum_issue", "json_path", "validate_with_enum_repair"]

ModelT = TypeVar("ModelT", bound=BaseModel)

_MAX_ENUM_TEXT = 200

_ENUMS: tuple[type[StrEnum], ...] = (
    DependencyType,
    NodeType,
    SageMakerStepType,
    JobType,
    DataType,
)


def json_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """A Pydantic ``loc`` as a JSON path.

    >>> json_path(("components", "step_specification", "dependencies", 0, "dependency_type"))
    'components.step_specification.dependencies[0].dependency_type'
    """
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def enum_issue(path: str, value: object, enum_cls: type[Enum]) -> PlanIssue:
    """The ENUM001 issue for an invalid enum value (used when importing plans).

    >>> enum_issue("x", "processing_input", DependencyType).message.startswith("'processing_input'")
    True
    """
    valid = ", ".join(str(m.value) for m in enum_cls)
    message = f"{_shown(value)} is not a valid {enum_cls.__name__}; use one of: {valid}"
    if enum_cls is DependencyType:
        message += " (there is no `processing_input`; inputs use the producer's output type)"
    return PlanIssue(code="ENUM001", severity=Severity.ERROR, path=path, message=message)


def closest_enum_value(value: object, enum_cls: type[StrEnum]) -> StrEnum:
    """The member of ``enum_cls`` nearest to ``value`` (by value or member name, any case).

    >>> closest_enum_value("processing_input", DependencyType).value
    'processing_output'
    >>> closest_enum_value("Internal", NodeType).value
    'internal'
    """
    # Enum values are short: a longer text is cut before the (quadratic) similarity search.
    text = _text(value)[:_MAX_ENUM_TEXT].strip()
    key = re.sub(r"[\s\-]+", "_", text).lower()
    for member in enum_cls:
        if key in (member.value.lower(), member.name.lower()):
            return member
    values = [m.value.lower() for m in enum_cls]
    best = difflib.get_close_matches(key, values, n=1, cutoff=0.0)
    return next(m for m in enum_cls if m.value.lower() == best[0]) if best else next(iter(enum_cls))


def _text(value: object) -> str:
    """``str(value)``; "" when even that fails (an int beyond Python's 4300-digit conversion)."""
    try:
        return str(value)
    except ValueError:
        return ""


def _shown(value: object) -> str:
    """``repr(value)`` for a message: cut when long, never failing (huge ints cannot be shown)."""
    try:
        text = repr(value)
    except ValueError:
        return f"<{type(value).__name__} too large to show>"
    return text if len(text) <= 80 else text[:77] + "..."


def _repaired_issue(path: str, value: object, enum_cls: type[StrEnum]) -> PlanIssue:
    """The ``ENUM001`` issue, plus which value was substituted to build the plan."""
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
                issues.append(_repaired_issue(json_path(loc), error["input"], cls))
                _set_at(data, loc, closest_enum_value(error["input"], cls).value)
    return model.model_validate(data), issues
