"""Deterministic plan checks that know the four-layer architecture and, optionally, the user's codebase.

Rules live in one module per family (naming, alignment, paths, registry, structure, wiring) and are
registered by code in `RULES` when this package is imported.

>>> from planner_agent.rules import check_plan, RULES
>>> "PROP001" in RULES
True
"""

from __future__ import annotations

from . import alignment, naming, paths, registry, structure, wiring
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
    "alignment",
    "check_plan",
    "did_you_mean",
    "enum_issue",
    "naming",
    "paths",
    "register_rule",
    "registry",
    "rules_table_markdown",
    "select_rules",
    "sort_issues",
    "structure",
    "unregister_rule",
    "wiring",
]
