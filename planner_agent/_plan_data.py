"""Plan data as JSON gives it (a plan, a draft or a saved result) -> `ImplementationPlan`.

Shared by ``load_plan`` (JSON files and text) and ``check_plan`` (a plan dict); invalid enum
values are repaired and reported as ``ENUM001`` issues (see `planner_agent._enums`).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ._enums import json_path, validate_with_enum_repair
from .draft import PlanDraft
from .errors import PlanImportError
from .plan import ImplementationPlan, PlanIssue

__all__ = ["plan_from_data"]


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
