"""The repair machinery: the plan's data under repair, the report of each change, the registry.

A repair is a function that edits the plan's data (``plan.model_dump()``) in place and reports
every change it makes through `Fixes.report`; `repair` registers it under its code, in code
order, and documents the code in the rules table (severity ``info``, family ``repair``), so
``disable_rules`` and ``--disable`` switch it off like a rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..checks._codebase import CodebaseIndex
from ..checks._core import Rule, register_rule
from ..plan import PlanIssue, SageMakerStepType, Severity

__all__ = [
    "CONFIG",
    "CONTRACT",
    "REPAIRS",
    "SPEC",
    "Fixes",
    "RepairFn",
    "rename_in_texts",
    "repair",
]

CONTRACT: Final = "components.script_contract"
SPEC: Final = "components.step_specification"
CONFIG: Final = "components.configuration"


@dataclass
class Fixes:
    """The plan's data being repaired (``plan.model_dump()``), what a repair may consult, and
    the changes made so far."""

    data: dict[str, Any]
    registry: Mapping[str, SageMakerStepType | None]
    #: The user's repository, when given: its base config classes decide what is a field.
    codebase: CodebaseIndex | None = None
    issues: list[PlanIssue] = field(default_factory=list)
    code: str = ""

    @property
    def contract(self) -> dict[str, Any]:
        """The script contract's data."""
        return self.data["components"]["script_contract"]  # type: ignore[no-any-return]

    @property
    def spec(self) -> dict[str, Any]:
        """The step specification's data."""
        return self.data["components"]["step_specification"]  # type: ignore[no-any-return]

    @property
    def config(self) -> dict[str, Any]:
        """The configuration's data."""
        return self.data["components"]["configuration"]  # type: ignore[no-any-return]

    @property
    def step_type(self) -> SageMakerStepType | None:
        """The registry entry's SageMaker step type."""
        value = self.data["registry_entry"].get("sagemaker_step_type")
        return value if isinstance(value, SageMakerStepType) else None

    def report(self, path: str, what: str, before: object, after: object, why: str = "") -> None:
        """Record one change under the running repair's code."""
        change = f"{what} {before!r} -> {after!r}" if after is not None else f"{what} {before!r}"
        message = f"repaired: {change}" + (f" ({why})" if why else "")
        self.issues.append(
            PlanIssue(code=self.code, severity=Severity.INFO, path=path, message=message)
        )


RepairFn = Callable[[Fixes], None]
#: Every built-in repair by code, run in code order.
REPAIRS: dict[str, RepairFn] = {}


def repair(code: str, summary: str) -> Callable[[RepairFn], RepairFn]:
    """Register a repair under ``code`` and document the code in `RULES` (it finds nothing
    itself; `repair_plan` reports what it changes)."""

    def wrap(fn: RepairFn) -> RepairFn:
        register_rule(Rule(code, Severity.INFO, "repair", summary, lambda plan, ctx: ()))
        REPAIRS[code] = fn
        return fn

    return wrap


def rename_in_texts(texts: list[str], old: str, new: str) -> list[str]:
    """``texts`` with ``old`` replaced as a whole name (not inside a longer name) by ``new``."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(old)}(?![\w-])")
    return [pattern.sub(new, text) for text in texts]
