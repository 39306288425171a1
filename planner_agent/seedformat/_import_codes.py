"""The ``IMPORT`` codes: what reading a markdown plan reports, and how to fix each.

They are findings of the seed-format reader, not rules (nothing in `planner_agent.checks.RULES`
runs them). This table is their one description: ``planner-agent rules`` lists it, ``check
--disable`` accepts its codes, and the README's rules table is generated from it.

>>> IMPORT_CODES["IMPORT002"].severity.value
'warning'
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from ..plan import Severity
from ._code import MAX_BLOCK_CHARS

__all__ = ["IMPORT_CODES", "ImportCode"]


@dataclass(frozen=True)
class ImportCode:
    """One ``IMPORT`` code: its severity, what it means and how to fix it."""

    severity: Severity
    meaning: str
    fix: str

    @property
    def summary(self) -> str:
        """The meaning and the fix as one sentence pair (the rules table's last column)."""
        return f"{self.meaning} {self.fix}"


_W = Severity.WARNING

#: code -> `ImportCode`. Read-only: the reader emits exactly these codes.
IMPORT_CODES: Final = MappingProxyType(
    {
        "IMPORT001": ImportCode(
            _W,
            "A seed section is missing from the markdown plan.",
            "Add it under the heading `planner-agent plan` writes for it, or check the "
            "heading's wording.",
        ),
        "IMPORT002": ImportCode(
            _W,
            "The plan appears truncated: a code block is never closed; it was read as far as "
            "it parses.",
            "Plan again with a larger --max-tokens, or close the block.",
        ),
        "IMPORT003": ImportCode(
            _W,
            "A line, bullet, table or section was not understood and was not read (listed as "
            "unread).",
            "Write it as the seed format's bullets, or remove it.",
        ),
        "IMPORT004": ImportCode(
            _W,
            "A code block is not valid Python/JSON or is nested too deeply (only the part that "
            f"parses was read), or is over {MAX_BLOCK_CHARS:,} characters (not read).",
            "Fix the block's syntax, or split it.",
        ),
        "IMPORT005": ImportCode(
            _W,
            "Bullets and a code block disagree; the bullet value was kept.",
            "Make them agree.",
        ),
        "IMPORT006": ImportCode(
            _W,
            "A value was not stated and was derived (registry entry, types, property paths, "
            "resolver scores, class names, entry point, node type), or filled in from another "
            "part of the plan.",
            "State it if the derived value is wrong.",
        ),
        "IMPORT007": ImportCode(
            _W,
            "The plan names the step in different ways (title, registry entry, specification, "
            "class names); the name most of them use was read.",
            "Use one name throughout.",
        ),
        "IMPORT008": ImportCode(
            _W,
            "The title says the plan changes an existing step (Expansion, Update, Refactor, ...): "
            "`check` checks it as a revision of that step (`check_plan(revision=True)`): the "
            "codebase having the step is no name collision (REG008), and its registry entry "
            "stands for what the plan leaves out (REG005).",
            "Nothing, for a plan that changes a step; name a new step differently.",
        ),
    }
)
