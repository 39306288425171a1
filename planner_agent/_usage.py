"""Usage and attempts: what each request/reply round of a planning run cost and found.

Shared vocabulary: errors carry the attempts and usage so far, results sum them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .plan import PlanIssue

__all__ = ["Attempt", "Usage", "UsageLimits"]


@dataclass(frozen=True)
class Usage:
    """Token usage, summed over requests. ``cached_tokens`` is the part of the prompt served from cache.

    >>> Usage(10, 5, 2) + Usage(1, 1, 0)
    Usage(prompt_tokens=11, completion_tokens=6, cached_tokens=2)
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cached_tokens + other.cached_tokens,
        )

    def to_dict(self) -> dict[str, int]:
        """JSON-compatible form."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True)
class Attempt:
    """One request/reply round: the raw reply, what was wrong with it, and what it cost.

    ``errors`` are schema/parse errors (``"<json path>: <message>"``); ``issues`` are the check
    findings of a reply that parsed. ``transport_retries`` counts retries of this one request.
    """

    number: int
    raw: str
    finish_reason: str | None
    usage: Usage
    latency_s: float
    errors: tuple[str, ...] = ()
    issues: tuple[PlanIssue, ...] = ()
    transport_retries: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form."""
        return {
            "number": self.number,
            "raw": self.raw,
            "finish_reason": self.finish_reason,
            "usage": self.usage.to_dict(),
            "latency_s": round(self.latency_s, 4),
            "errors": list(self.errors),
            "issues": [i.model_dump(mode="json") for i in self.issues],
            "transport_retries": self.transport_retries,
        }


@dataclass(frozen=True)
class UsageLimits:
    """Spending limits: planning stops before a request that would cross one.

    >>> UsageLimits(total_tokens=1000).crossed(Usage(600, 300), next_prompt=200, cost=None)
    'total_tokens 1000 (spent 900, the next request needs about 200 more)'
    """

    total_tokens: int | None = None
    cost_usd: float | None = None

    def __post_init__(self) -> None:
        for name in ("total_tokens", "cost_usd"):
            value = getattr(self, name)
            ok = value is None or (
                isinstance(value, int | float) and not isinstance(value, bool) and value > 0
            )
            if not ok:
                raise ValueError(
                    f"UsageLimits.{name} must be a positive number or None; got {value!r}"
                )

    def crossed(self, spent: Usage, *, next_prompt: int, cost: float | None) -> str | None:
        """Which limit the next request (about ``next_prompt`` prompt tokens) would cross.

        ``cost`` is the dollar cost of ``spent`` plus that prompt (None when no price is known:
        then a cost limit cannot be checked and does not stop anything).
        """
        if self.total_tokens is not None and spent.total_tokens + next_prompt > self.total_tokens:
            return (
                f"total_tokens {self.total_tokens} (spent {spent.total_tokens}, the next request "
                f"needs about {next_prompt} more)"
            )
        if self.cost_usd is not None and cost is not None and cost > self.cost_usd:
            return f"cost_usd {self.cost_usd:g} (spent and next request: about ${cost:.4f})"
        return None
