"""Deterministic plan checks that know the four-layer architecture and, optionally, the user's codebase.

Rules live in one module per family (naming, alignment, paths, registry, structure, wiring) and are
registered by code in `RULES` when this package is imported.

>>> from planner_agent.checks import check_plan, RULES
>>> "PROP001" in RULES
True
"""

from __future__ import annotations

# Importing the family modules registers their rules.
from . import _alignment, _naming, _paths, _registry, _structure, _wiring  # noqa: F401
from ._core import (
    RULES,
    CheckContext,
    Rule,
    check_plan,
    did_you_mean,
    enum_issue,
    register_rule,
    rules_table_markdown,
    select_rules,
    sort_issues,
    unregister_rule,
)

__all__ = [
    "RULES",
    "CheckContext",
    "Rule",
    "check_plan",
    "did_you_mean",
    "enum_issue",
    "register_rule",
    "rules_table_markdown",
    "select_rules",
    "sort_issues",
    "unregister_rule",
]
