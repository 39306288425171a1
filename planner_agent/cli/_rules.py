"""Every code ``check`` can print: the registered rules, and the markdown importer's findings.

The ``IMPORT`` codes are warnings the seed-format reader (`planner_agent.seedformat`) emits while
it reads a markdown plan; they are not rules (nothing in `planner_agent.checks.RULES` runs them),
so they are listed here, with the fix, for ``planner-agent rules`` and ``--disable``.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from dataclasses import dataclass
from typing import Final

from .._suggest import did_you_mean
from ..checks import RULES
from ..checks._core import FAMILY_ORDER

__all__ = ["IMPORT_CODES", "CodeInfo", "all_codes", "parse_codes", "rules_json", "rules_text"]


@dataclass(frozen=True)
class CodeInfo:
    """One code ``check`` may print: severity, family, what it means and how to fix it."""

    code: str
    severity: str
    family: str
    summary: str


_IMPORT: Final = "import"
#: The markdown importer's findings (all warnings): code -> what it means / how to fix it.
IMPORT_CODES: Final = {
    "IMPORT001": "A seed section is missing from the markdown plan. Add it under the heading "
    "`planner-agent plan` writes for it, or check the heading's wording.",
    "IMPORT002": "The plan appears truncated: a code block is never closed; it was read as far "
    "as it parses. Plan again with a larger --max-tokens, or close the block.",
    "IMPORT003": "A line, bullet, table or section was not understood and was not read (listed "
    "as unread). Write it as the seed format's bullets, or remove it.",
    "IMPORT004": "A code block is not valid Python/JSON; only the part that parses was read. "
    "Fix the block's syntax.",
    "IMPORT005": "Bullets and a code block disagree; the bullet value was kept. Make them agree.",
    "IMPORT006": "A value was not stated and was derived (registry entry, types, paths, "
    "scores). State it if the derived value is wrong.",
    "IMPORT007": "The plan names the step in different ways (title, registry entry, "
    "specification, class names); the name most of them use was read. Use one name throughout.",
}


def all_codes() -> list[CodeInfo]:
    """The registered rules (as `RULES` holds them now) in family order, then the IMPORT codes."""
    families = list(dict.fromkeys([*FAMILY_ORDER, *(r.family for r in RULES.values())]))
    rules = sorted(RULES.values(), key=lambda r: (families.index(r.family), r.code))
    listed = [CodeInfo(r.code, r.severity.value, r.family, r.summary) for r in rules]
    listed += [CodeInfo(code, "warning", _IMPORT, text) for code, text in IMPORT_CODES.items()]
    return listed


def rules_text() -> str:
    """Every code as a readable list: code, severity, family, then the wrapped summary."""
    blocks = []
    for info in all_codes():
        body = textwrap.fill(
            info.summary, width=96, initial_indent="    ", subsequent_indent="    "
        )
        blocks.append(f"{info.code}  {info.severity:<7}  {info.family}\n{body}")
    return "\n".join(blocks) + "\n"


def rules_json() -> str:
    """Every code as JSON: a list of {code, severity, family, summary}."""
    return json.dumps([vars(info) for info in all_codes()], indent=2) + "\n"


def parse_codes(raw: str, *, imports: bool) -> list[str]:
    """``CODE[,CODE]`` as a list of known codes (case-insensitive); unknown codes raise
    `argparse.ArgumentTypeError`, which the parser reports as a usage error."""
    codes = [c.strip().upper() for c in raw.split(",") if c.strip()]
    known = [*RULES, *(IMPORT_CODES if imports else ())]
    for code in codes:
        if code in known:
            continue
        if not imports and code in IMPORT_CODES:
            raise argparse.ArgumentTypeError(
                f"{code} is a finding of reading a markdown plan file, not a rule this command "
                "runs; `planner-agent check --disable` takes IMPORT codes"
            )
        raise argparse.ArgumentTypeError(
            f"unknown code {code!r}{did_you_mean(code, known)}; `planner-agent rules` lists them"
        )
    if not codes:
        raise argparse.ArgumentTypeError("give one or more codes, e.g. --disable SPEC001,PATH002")
    return codes
