"""The deterministic repair pass: mechanical faults of a parsed plan, fixed before the checks.

A model, small or large, gets some things wrong that need no language understanding to fix:
names in the wrong case, two outputs in one directory, an alias listed twice, a step name that
misses the registry's spelling by a letter, ``String`` where Python says ``str``, a default
``ID`` that should be ``'ID'``. `repair_plan` fixes them (no re-ask is paid for them) and
reports each change as a ``REPAIR0xx`` issue of severity ``info`` naming the JSON path and what
changed from and to. Each code is in `planner_agent.checks.RULES` (family ``repair``) and is
switched off like a rule (``disable_rules=["REPAIR001"]``; all of them: `REPAIR_CODES`, or
``--no-repair`` on the command line). Anything that needs a decision (the step type, which of
two conflicting paths is right) is left for the checks and a re-ask.

>>> plan, repairs = repair_plan(plan)  # doctest: +SKIP
>>> [r.code for r in repairs]  # doctest: +SKIP
['REPAIR001', 'REPAIR009']
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from pydantic import ValidationError

from ..checks._codebase import CodebaseIndex
from ..conventions import DEFAULT_REGISTRY
from ..plan import ImplementationPlan, PlanIssue, SageMakerStepType

# Importing the repair modules registers the repairs, in code order.
from . import _config, _names, _outputs  # noqa: F401
from ._core import REPAIRS, Fixes

__all__ = ["REPAIR_CODES", "repair_plan"]

logger = logging.getLogger(__name__)

#: Every repair's code (``disable_rules=REPAIR_CODES`` turns the repair pass off).
REPAIR_CODES: tuple[str, ...] = tuple(sorted(REPAIRS))


def repair_plan(
    plan: ImplementationPlan,
    *,
    registry: Mapping[str, SageMakerStepType | None] | None = None,
    codebase: CodebaseIndex | None = None,
    disable: Iterable[str] = (),
) -> tuple[ImplementationPlan, list[PlanIssue]]:
    """The plan with its mechanical faults fixed, and one ``info`` issue per change.

    ``registry`` is the step registry near-miss step names are mapped to (default: the
    codebase's when ``codebase`` is given, else the typical registry,
    `conventions.DEFAULT_REGISTRY`). ``codebase`` also decides which SageMaker parameters its
    base config classes have (REPAIR007), as it does for the checks. ``disable`` holds codes to
    skip. ``plan`` itself is not changed.
    """
    off = set(disable)
    if registry is None:
        registry = DEFAULT_REGISTRY if codebase is None else codebase.registry
    while True:  # a broken repair must cost nothing: start again without it, keep the others
        fixes = Fixes(plan.model_dump(), registry, codebase)
        try:
            for code in REPAIR_CODES:
                if code not in off:
                    fixes.code = code
                    REPAIRS[code](fixes)
            break
        except Exception:
            logger.exception("repair %s failed; the plan is checked without it", fixes.code)
            off.add(fixes.code)
    if not fixes.issues:
        return plan, []
    try:
        return ImplementationPlan.model_validate(fixes.data), fixes.issues
    except ValidationError:  # a repair must never cost the plan: keep it as the model wrote it
        logger.exception("the repaired plan is not valid; it is checked as the model wrote it")
        return plan, []
