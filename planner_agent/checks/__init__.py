"""Deterministic plan checks that know the four-layer architecture and, optionally, the user's codebase.

Rules live in one module per family (naming, alignment, paths, registry, structure, wiring) and are
registered by code in `RULES` when this package is imported. `CodebaseIndex` is the static index of
a user's pipeline repository that the registry and wiring rules consult. Which findings are errors
and which are warnings follows one severity policy, stated and classified rule by rule in `_policy`.

>>> from planner_agent.checks import check_plan, RULES
>>> "PROP001" in RULES
True
"""

from __future__ import annotations

from .._enums import enum_issue

# Importing the family modules registers their rules.
from . import _alignment, _naming, _paths, _registry, _structure, _wiring  # noqa: F401
from ._codebase import CodebaseIndex, CodebaseWarning, StepInfo, index_codebase
from ._core import (
    RULES,
    CheckContext,
    CheckFn,
    Rule,
    check_plan,
    register_rule,
    rules_table_markdown,
    select_rules,
    sort_issues,
    unregister_rule,
)

__all__ = [
    "RULES",
    "CheckContext",
    "CheckFn",
    "CodebaseIndex",
    "CodebaseWarning",
    "Rule",
    "StepInfo",
    "check_plan",
    "enum_issue",
    "index_codebase",
    "register_rule",
    "rules_table_markdown",
    "select_rules",
    "sort_issues",
    "unregister_rule",
]
