"""One-call entry points: `plan_step` for notebooks and scripts, `aplan_step` for asyncio code."""

from __future__ import annotations

import os
from typing import Unpack

from .planner import Planner
from .result import PlanResult
from .settings import PlannerKeywords

__all__ = ["aplan_step", "plan_step"]


def plan_step(
    requirements: str | os.PathLike[str], **kwargs: Unpack[PlannerKeywords]
) -> PlanResult:
    """Plan one new pipeline step: requirements in, a typed and checked plan out.

    Keywords are those of `Planner` (``client``, ``model``, ``mode``, ``max_attempts``,
    ``knowledge``, ``codebase``, ``strict``, ...); extra ones go to the chat-completion request.

    >>> result = plan_step("Calibrate XGBoost scores with isotonic regression")  # doctest: +SKIP
    >>> print(result.to_markdown())  # doctest: +SKIP
    """
    return Planner(**kwargs).plan(requirements)


async def aplan_step(
    requirements: str | os.PathLike[str], **kwargs: Unpack[PlannerKeywords]
) -> PlanResult:
    """Async `plan_step` (use an ``AsyncOpenAI`` client for real concurrency).

    >>> result = await aplan_step("...", client=AsyncOpenAI())  # doctest: +SKIP
    """
    return await Planner(**kwargs).aplan(requirements)
