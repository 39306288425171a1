"""What the readers share while one markdown plan is parsed.

Private to `planner_agent.seedformat._reader`: `Context` collects the ``IMPORT`` warnings and the
descriptions of what could not be read; `Facts` is the plan data a reader found, keyed by the
plan's field names, before the plan is assembled and validated.
"""

from __future__ import annotations

from typing import Any

from ..plan import PlanIssue, Severity

__all__ = ["Context", "Facts"]

Facts = dict[str, Any]


class Context:
    """Collects issues and unread descriptions while parsing."""

    def __init__(self) -> None:
        self.issues: list[PlanIssue] = []
        self.unread: list[str] = []

    def warn(self, code: str, path: str, message: str) -> None:
        """Add an ``IMPORT`` warning at ``path`` (a JSON path into the plan, or ``<root>``)."""
        self.issues.append(
            PlanIssue(code=code, severity=Severity.WARNING, path=path, message=message)
        )

    def skip(self, where: str, line: int, text: str, path: str = "") -> None:
        """List ``text`` (at ``line`` of ``where``) as unread and warn ``IMPORT003``."""
        shown = " ".join(text.split())
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        self.unread.append(f"{where}, line {line}: {shown}")
        self.warn(
            "IMPORT003", path or "<root>", f"not understood in {where} (line {line}): {shown}"
        )
