"""The JSON Schema documents published in ``schemas/`` (the contract for non-Python tools)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ._files import atomic_write
from .draft import PlanDraft
from .llm._profiles import bounded_schema, strict_schema
from .plan import ImplementationPlan

__all__ = ["schema_documents", "write_schemas"]


def schema_documents() -> dict[str, dict[str, Any]]:
    """File name -> schema: the draft the LLM fills (as generated, strict, bounded) and the plan.

    >>> sorted(schema_documents())[0]
    'implementation_plan.schema.json'
    """
    draft = PlanDraft.model_json_schema()
    return {
        "implementation_plan.schema.json": ImplementationPlan.model_json_schema(
            mode="serialization"
        ),
        "plan_draft.schema.json": draft,
        "plan_draft.strict.schema.json": strict_schema(draft),
        "plan_draft.bounded.schema.json": bounded_schema(strict_schema(draft)),
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
