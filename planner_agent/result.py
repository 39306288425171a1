"""What a planning run returns: the plan, what is left to fix, every attempt, usage and cost."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ._usage import Attempt, Usage
from .errors import PlanImportError
from .plan import ImplementationPlan, PlanIssue, Severity
from .seedformat._writer import render_markdown

__all__ = ["Attempt", "PlanResult", "Usage"]


@dataclass
class PlanResult:
    """A checked plan plus how it was obtained.

    ``ok`` is True when no error-level issue is left. In a notebook the result renders as the
    plan's markdown.
    """

    plan: ImplementationPlan
    issues: list[PlanIssue]
    attempts: list[Attempt]
    model: str
    mode: str
    cost_usd: float | None = None
    prompt_tokens: dict[str, int] = field(default_factory=dict)
    token_counts_exact: bool = True
    trimmed: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no error-level issue remains."""
        return not any(i.severity is Severity.ERROR for i in self.issues)

    @property
    def errors(self) -> list[PlanIssue]:
        """Error-level issues."""
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[PlanIssue]:
        """Warning-level issues."""
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def repairs(self) -> list[PlanIssue]:
        """What the repair pass changed (``REPAIR0xx`` issues, severity ``info``)."""
        return [i for i in self.issues if i.severity is Severity.INFO]

    @property
    def usage(self) -> Usage:
        """Usage summed over every attempt, failed ones included."""
        total = Usage()
        for attempt in self.attempts:
            total = total + attempt.usage
        return total

    def to_markdown(self) -> str:
        """The plan in the seed's "Expected Output Format" (sections 1-7 + Implementation Details)."""
        return render_markdown(self.plan)

    def to_dict(self) -> dict[str, Any]:
        """Plan, issues, attempts, usage and cost as plain JSON-compatible data."""
        return {
            "plan": self.plan.to_dict(),
            "ok": self.ok,
            "issues": [i.model_dump(mode="json") for i in self.issues],
            "model": self.model,
            "mode": self.mode,
            "usage": self.usage.to_dict(),
            "cost_usd": self.cost_usd,
            "prompt_tokens": dict(self.prompt_tokens),
            "token_counts_exact": self.token_counts_exact,
            "trimmed": list(self.trimmed),
            "elapsed_s": round(self.elapsed_s, 4),
            "attempts": [a.to_dict() for a in self.attempts],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanResult:
        """Rebuild a result from `to_dict` output; `PlanImportError` names what is missing.

        >>> PlanResult.from_dict(result.to_dict()) == result  # doctest: +SKIP
        True
        >>> PlanResult.from_dict({"plan": {}})
        Traceback (most recent call last):
        ...
        planner_agent.errors.PlanImportError: not a saved PlanResult (to_dict() output): ...
        """
        if not isinstance(data, Mapping):
            raise PlanImportError(
                f"not a saved PlanResult: expected the dict of to_dict(), got {type(data).__name__}"
            )
        try:
            return cls._from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            what = f"missing {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
            raise PlanImportError(
                f"not a saved PlanResult (to_dict() output): {what}"[:600]
            ) from exc

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> PlanResult:
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["plan"] = ImplementationPlan.model_validate(data["plan"])
        kwargs["issues"] = [PlanIssue.model_validate(i) for i in data["issues"]]
        kwargs["attempts"] = [
            Attempt(
                number=a["number"],
                raw=a["raw"],
                finish_reason=a["finish_reason"],
                usage=Usage(
                    int(a["usage"]["prompt_tokens"]),
                    int(a["usage"]["completion_tokens"]),
                    int(a["usage"]["cached_tokens"]),
                ),
                latency_s=a["latency_s"],
                errors=tuple(a["errors"]),
                issues=tuple(PlanIssue.model_validate(i) for i in a["issues"]),
                transport_retries=a["transport_retries"],
            )
            for a in data["attempts"]
        ]
        return cls(**kwargs)

    def summary(self) -> str:
        """One line: model, attempts, tokens, cost, seconds, issues."""
        usage = self.usage
        cost = "n/a" if self.cost_usd is None else f"${self.cost_usd:.4f}"
        return (
            f"{self.plan.step_name}: {'ok' if self.ok else 'has errors'} | model {self.model} "
            f"| {len(self.attempts)} attempt(s) | {usage.prompt_tokens} prompt "
            f"({usage.cached_tokens} cached) + {usage.completion_tokens} completion tokens "
            f"| cost {cost} | {self.elapsed_s:.1f}s | {len(self.errors)} error(s), "
            f"{len(self.warnings)} warning(s)"
            + (f", {len(self.repairs)} repair(s)" if self.repairs else "")
        )

    def _repr_markdown_(self) -> str:
        issues = "".join(f"\n- {i}" for i in self.issues)
        footer = f"\n\n---\n*{self.summary()}*" + (f"\n\n**Issues**{issues}" if issues else "")
        return self.to_markdown() + footer

    def __repr__(self) -> str:
        return f"<PlanResult {self.summary()}>"
