"""What a batch returns: every item's outcome, totals, and the Batch API file limits."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from .._usage import Usage
from ..errors import ConfigurationError, PlannerError
from ..result import PlanResult
from ._display import headline, html_table, markdown_table, text_table

__all__ = ["BatchFileLimits", "BatchItem", "BatchResult", "Status"]

Status = Literal["ok", "errors", "failed", "skipped", "cached", "not_run"]


@dataclass(frozen=True)
class BatchFileLimits:
    """Bounds of one Batch API input file; larger runs are split into several files (batches).

    The defaults are OpenAI's limits; other providers (Azure OpenAI allows 100,000 requests per
    file) or a wish for smaller batches may call for others.

    >>> BatchFileLimits(max_requests=1_000).max_bytes
    209715200
    >>> BatchFileLimits(max_requests=0)
    Traceback (most recent call last):
    ...
    planner_agent.errors.ConfigurationError: BatchFileLimits.max_requests must be a positive integer; got 0.
    """

    max_requests: int = 50_000
    max_bytes: int = 200 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("max_requests", "max_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigurationError(
                    f"BatchFileLimits.{name} must be a positive integer; got {value!r}."
                )


@dataclass
class BatchItem:
    """One item's outcome; ``usage``/``requests`` count only what this run spent on it.

    ``status``: ``ok`` (no error-level issue left), ``errors`` (a plan with error-level issues),
    ``failed`` (``error`` says why), ``skipped`` (reused from out_dir by ``resume=True``),
    ``cached`` (from the result cache) or ``not_run`` (never started: a batch limit was reached
    or out_dir became unwritable; ``error`` says which).

    ``write_error`` says which of the item's files in out_dir could not be written (the plan is
    still in ``result``); None when all were written or there is no out_dir.
    """

    name: str
    source: str
    status: Status
    result: PlanResult | None = None
    error: PlannerError | None = None
    request_key: str | None = None
    usage: Usage = field(default_factory=Usage)
    requests: int = 0
    write_error: str | None = None

    def row(self) -> dict[str, Any]:
        """A compact JSON-compatible row (what summary.json lists)."""
        return {
            "name": self.name,
            "source": self.source,
            "status": self.status,
            "ok": None if self.result is None else self.result.ok,
            "error_type": None if self.error is None else type(self.error).__name__,
            "error": None if self.error is None else str(self.error),
            "write_error": self.write_error,
            "request_key": self.request_key,
            "requests": self.requests,
            "usage": self.usage.to_dict(),
        }


@dataclass
class BatchResult:
    """Every item's outcome in input order, plus totals over what this run spent."""

    items: list[BatchItem]
    model: str
    via: str
    wall_s: float
    cost_usd: float | None
    batch_requests: int = 0
    batch_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def _count(self, status: Status) -> int:
        return sum(item.status == status for item in self.items)

    @property
    def ok(self) -> int:
        """Items planned with no error-level issue left."""
        return self._count("ok")

    @property
    def with_errors(self) -> int:
        """Items planned whose plan still has error-level issues."""
        return self._count("errors")

    @property
    def failed(self) -> int:
        """Items with no plan (``item.error`` says why)."""
        return self._count("failed")

    @property
    def resumed(self) -> int:
        """Items reused from a previous run's output directory."""
        return self._count("skipped")

    @property
    def cached(self) -> int:
        """Items served from the result cache."""
        return self._count("cached")

    @property
    def not_run(self) -> int:
        """Items never started (a batch limit was reached, or out_dir became unwritable)."""
        return self._count("not_run")

    @property
    def unwritten(self) -> int:
        """Items whose files could not all be written to out_dir (their results are in memory)."""
        return sum(item.write_error is not None for item in self.items)

    @property
    def usage(self) -> Usage:
        """Tokens spent by this run."""
        return sum((item.usage for item in self.items), Usage())

    @property
    def requests(self) -> int:
        """Chat-completion requests sent over HTTP by this run (transport retries included)."""
        return sum(item.requests for item in self.items)

    @property
    def cached_token_share(self) -> float | None:
        """Share of prompt tokens served from the provider's prompt cache."""
        usage = self.usage
        return usage.cached_tokens / usage.prompt_tokens if usage.prompt_tokens else None

    def summary(self, **extra: Any) -> dict[str, Any]:
        """Totals plus one compact row per item (the content of summary.json)."""
        usage = self.usage
        share = self.cached_token_share
        return {
            "model": self.model,
            "via": self.via,
            "total": len(self.items),
            "ok": self.ok,
            "with_errors": self.with_errors,
            "failed": self.failed,
            "resumed": self.resumed,
            "cached": self.cached,
            "not_run": self.not_run,
            "unwritten": self.unwritten,
            "requests": self.requests,
            "batch_requests": self.batch_requests,
            **usage.to_dict(),
            "cached_token_share": None if share is None else round(share, 4),
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
            "wall_s": round(self.wall_s, 3),
            "batch_ids": list(self.batch_ids),
            "notes": list(self.notes),
            **extra,
            "items": [item.row() for item in self.items],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """`summary` with every item's full result."""
        data = self.summary()
        for row, item in zip(data["items"], self.items, strict=True):
            row["result"] = None if item.result is None else item.result.to_dict()
        return json.dumps(data, indent=indent)

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def summary_table(self, *, max_rows: int | None = 50) -> str:
        """A short plain-text table: the totals, one row per item (up to ``max_rows``), the notes."""
        return text_table(self.summary(), max_rows)

    def _repr_html_(self) -> str:
        return html_table(self.summary())

    def _repr_markdown_(self) -> str:
        return markdown_table(self.summary())

    def __repr__(self) -> str:
        return f"<BatchResult {headline(self.summary())}>"
