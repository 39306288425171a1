"""The JSON Schema documents published in ``schemas/`` (the contract for non-Python tools), and
every schema in every dialect (what ``planner-agent schema --kind --profile`` prints)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, Literal

from ._files import atomic_write
from .decisions import StepDecisions
from .draft import PlanDraft
from .llm._dialects import DIALECTS
from .plan import ImplementationPlan

__all__ = ["SCHEMA_KINDS", "SchemaKind", "schema_documents", "schema_for", "write_schemas"]

SchemaKind = Literal["draft", "decisions", "plan"]
#: What a schema describes: ``draft`` what the LLM fills, ``decisions`` the small reply a small
#: model fills (`planner_agent.decisions`), ``plan`` the full plan.
SCHEMA_KINDS: Final[tuple[SchemaKind, ...]] = ("draft", "decisions", "plan")


def schema_for(kind: SchemaKind, profile: str = "pydantic") -> dict[str, Any]:
    """The schema of ``kind`` written in dialect ``profile`` (``pydantic``, ``strict``,
    ``bounded``; see `planner_agent.llm.DIALECTS`).

    >>> schema_for("plan", "strict")["additionalProperties"]
    False
    >>> "maxItems" in str(schema_for("draft", "bounded")), "maxItems" in str(schema_for("draft"))
    (True, False)
    """
    if kind not in SCHEMA_KINDS:
        raise ValueError(f"schema kind must be one of {', '.join(SCHEMA_KINDS)}; got {kind!r}")
    if profile not in DIALECTS:
        raise ValueError(f"schema profile must be one of {', '.join(DIALECTS)}; got {profile!r}")
    if kind == "draft":
        schema = PlanDraft.model_json_schema()
    elif kind == "decisions":
        schema = StepDecisions.model_json_schema()
    else:
        schema = ImplementationPlan.model_json_schema(mode="serialization")
    return DIALECTS[profile].apply(schema)


def schema_documents() -> dict[str, dict[str, Any]]:
    """File name -> schema: the draft the LLM fills and the decisions a small model fills (as
    generated, strict, bounded), and the plan.

    >>> sorted(schema_documents())[0]
    'implementation_plan.schema.json'
    """
    return {
        "implementation_plan.schema.json": schema_for("plan"),
        "plan_draft.schema.json": schema_for("draft"),
        "plan_draft.strict.schema.json": schema_for("draft", "strict"),
        "plan_draft.bounded.schema.json": schema_for("draft", "bounded"),
        "step_decisions.schema.json": schema_for("decisions"),
        "step_decisions.strict.schema.json": schema_for("decisions", "strict"),
        "step_decisions.bounded.schema.json": schema_for("decisions", "bounded"),
    }


def render_schema(schema: dict[str, Any]) -> str:
    """Stable text form (sorted keys, 2-space indent, trailing newline)."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema document into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schema_documents().items():
        path = directory / name
        atomic_write(path, render_schema(schema))
        written.append(path)
    return written
