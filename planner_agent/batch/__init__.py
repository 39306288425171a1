"""Batch planning: many requirements, one `Planner`, resumable outputs, the OpenAI Batch API."""

from __future__ import annotations

from ._inputs import Requirements
from ._steps import aplan_steps, plan_steps
from ._types import BatchFileLimits, BatchItem, BatchResult, Status

__all__ = [
    "BatchFileLimits",
    "BatchItem",
    "BatchResult",
    "Requirements",
    "Status",
    "aplan_steps",
    "plan_steps",
]
