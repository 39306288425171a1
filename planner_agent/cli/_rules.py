"""Every code ``check`` can print: the registered rules, and the markdown importer's findings.

The ``IMPORT`` codes are what the seed-format reader reports while it reads a markdown plan; they
are not rules, and `planner_agent.seedformat.IMPORT_CODES` describes them. Both lists feed
``planner-agent rules`` (text, JSON, or the README's markdown table) and ``--disable``.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from dataclasses import dataclass
from typing import Final

from .._suggest import did_you_mean
from ..checks import RULES, rules_table_markdown
from ..checks._core import FAMILY_ORDER
from ..seedformat import IMPORT_CODES

__all__ = [
    "IMPORT_CODES",
    "CodeInfo",
    "all_codes",
    "parse_codes",
    "rules_json",
    "rules_markdown",
    "rules_text",
]


@dataclass(frozen=True)
class CodeInfo:
    """One code ``check`` may print: severity, family, what it means and how to fix it."""

    code: str
    severity: str
    family: str
    summary: str


_IMPORT: Final = "import"


def all_codes() -> list[CodeInfo]:
    """The registered rules (as `RULES` holds them now) in family order, then the IMPORT codes."""
    families = list(dict.fromkeys([*FAMILY_ORDER, *(r.family for r in RULES.values())]))
    rules = sorted(RULES.values(), key=lambda r: (families.index(r.family), r.code))
    listed = [CodeInfo(r.code, r.severity.value, r.family, r.summary) for r in rules]
    listed += [
        CodeInfo(code, info.severity.value, _IMPORT, info.summary)
        for code, info in sorted(IMPORT_CODES.items())
    ]
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


def rules_markdown() -> str:
    """Every code as a markdown table (the README's): the checks' own table of the rules
    (`rules_table_markdown`), then one row per IMPORT code in its columns."""
    lines = [rules_table_markdown()]
    for code, info in sorted(IMPORT_CODES.items()):
        summary = info.summary.replace("|", "\\|")
        lines.append(f"| {code} | {info.severity.value} | {_IMPORT} | {summary} |")
    return "\n".join(lines) + "\n"


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
