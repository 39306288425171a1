"""Batch planning: many requirements, one `Planner`, resumable outputs, the OpenAI Batch API."""

from __future__ import annotations

from ._steps import BatchFileLimits, BatchItem, BatchResult, aplan_steps, plan_steps

__all__ = ["BatchFileLimits", "BatchItem", "BatchResult", "aplan_steps", "plan_steps"]
