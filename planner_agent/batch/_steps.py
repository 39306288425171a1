"""Plan many steps with one `Planner`: bounded concurrency, resumable output, a result cache.

>>> batch = plan_steps("requirements/", out_dir="plans/", concurrency=16)  # doctest: +SKIP
>>> batch.summary()["ok"], batch.cost_usd  # doctest: +SKIP

Every item gets its own outcome (one failure never stops the others); results keep input order.
Each item is identified by a *request key* (a hash of its first request, the schema, the mode and
the library version): ``resume=True`` and ``cache=`` reuse a result only when the key matches.
The engine lives in `planner_agent.batch._engine`; the Batch API path in `planner_agent.batch._openai_batch`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from .._options import check_options, is_int, is_number, is_path, require
from ..errors import BatchError, ConfigurationError, PlannerError, shown_path
from ..planner import PLANNER_OPTIONS, Planner
from ..result import PlanResult, Usage

__all__ = ["BatchFileLimits", "BatchItem", "BatchResult", "aplan_steps", "plan_steps"]

T = TypeVar("T")
Status = Literal["ok", "errors", "failed", "skipped", "cached"]
Requirements = str | Path | Sequence[str | Path] | Mapping[str, str | Path]
_SUFFIXES = (".md", ".txt")
# Names that would clash with summary.json / batch_state.json in out_dir.
_RESERVED = frozenset({"summary", "batch_state"})


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
    ``failed`` (``error`` says why), ``skipped`` (reused from out_dir by ``resume=True``) or
    ``cached`` (from the result cache).
    """

    name: str
    source: str
    status: Status
    result: PlanResult | None = None
    error: PlannerError | None = None
    request_key: str | None = None
    usage: Usage = field(default_factory=Usage)
    requests: int = 0

    def row(self) -> dict[str, Any]:
        """A compact JSON-compatible row (what summary.json lists)."""
        return {
            "name": self.name,
            "source": self.source,
            "status": self.status,
            "ok": None if self.result is None else self.result.ok,
            "error_type": None if self.error is None else type(self.error).__name__,
            "error": None if self.error is None else str(self.error),
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
            "requests": self.requests,
            "batch_requests": self.batch_requests,
            **usage.to_dict(),
            "cached_token_share": None if share is None else round(share, 4),
            "cost_usd": self.cost_usd,
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

    def __repr__(self) -> str:
        share = self.cached_token_share
        cost = "n/a" if self.cost_usd is None else f"${self.cost_usd:.4f}"
        return (
            f"<BatchResult {len(self.items)} items: {self.ok} ok, {self.with_errors} with errors, "
            f"{self.failed} failed, {self.resumed} resumed, {self.cached} cached | "
            f"{self.usage.total_tokens} tokens ({0.0 if share is None else share:.0%} cached) | "
            f"{self.requests} requests | cost {cost} | {self.wall_s:.1f}s>"
        )


# -- inputs ---------------------------------------------------------------------------------------
def _is(value: str | Path, kind: Literal["dir", "file"]) -> bool:
    try:  # a long one-line text is not a path: stat() raises "File name too long"
        return Path(value).is_dir() if kind == "dir" else Path(value).is_file()
    except (OSError, ValueError):
        return False


def _as_path(value: Any) -> Path | None:
    """The path ``value`` names, or None when it is requirements text (or not a string at all)."""
    if isinstance(value, Path):
        return value
    text = value.strip() if isinstance(value, str) else "\n"
    if "\n" in text or len(text) >= 1024:
        return None
    is_path = text.lower().endswith((".md", ".markdown", ".txt", ".text")) or _is(text, "file")
    return Path(text) if is_path else None


def requirement_files(folder: str | Path) -> list[Path]:
    """The .md/.txt files of ``folder`` by name (hidden files skipped); BatchError if none."""
    files = sorted(
        (
            p
            for p in Path(folder).iterdir()
            if p.suffix.lower() in _SUFFIXES and p.is_file() and not p.name.startswith(".")
        ),
        key=lambda p: p.name,
    )
    if not files:
        raise BatchError(f"Directory {str(folder)!r} has no .md or .txt requirements files.")
    return files


def _collect(requirements: Requirements) -> list[tuple[str, str, Any]]:
    """Name every item; raise BatchError for no items, bad names or duplicate names."""
    entries: list[tuple[str, str, Any]] = []
    if isinstance(requirements, str | Path):
        if not _is(requirements, "dir"):
            raise BatchError(
                f"Batch requirements must be a list, a mapping name -> requirements, or a directory "
                f"of .md/.txt files; {str(requirements)[:80]!r} is not a directory. For one step "
                "use plan_step(), or pass [text]."
            )
        entries = [(p.stem, str(p), p) for p in requirement_files(requirements)]
    elif isinstance(requirements, Mapping):
        for name, value in requirements.items():
            path = _as_path(value)
            entries.append((name, f"<{name}>", value) if path is None else (name, str(path), path))
    elif isinstance(requirements, Sequence):
        for i, value in enumerate(requirements, 1):
            path = _as_path(value)
            entries.append(
                (f"step-{i:03d}", f"<text #{i}>", value)
                if path is None
                else (path.stem, str(path), path)
            )
    else:
        raise BatchError(
            f"Batch requirements must be a list, mapping or directory, not {type(requirements).__name__}."
        )
    if not entries:
        raise BatchError("The batch is empty: pass at least one requirements text or file.")
    seen: dict[str, str] = {}
    for name, source, _ in entries:
        if (
            not isinstance(name, str)
            or not name.strip()
            or name.startswith(".")
            or any(c in name for c in "/\\\0")
        ):
            raise BatchError(
                f"Invalid item name {name!r} (from {source}): names become file names."
            )
        if (other := seen.get(name.casefold())) is not None:
            raise BatchError(
                f"Duplicate item name {name!r}: {other} and {source}. Rename one of them."
            )
        seen[name.casefold()] = source
    return entries


def _writable_dir(path: str | Path, what: str) -> Path:
    folder = Path(path).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe.", suffix=".pa-tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BatchError(
            f"The {what} {shown_path(folder)} is not a writable directory: {exc.strerror or exc}."
        ) from None
    return folder


# -- entry points ---------------------------------------------------------------------------------
async def aplan_steps(
    requirements: Requirements,
    *,
    concurrency: int = 8,
    out_dir: str | Path | None = None,
    resume: bool = False,
    cache: str | Path | bool | None = None,
    progress: bool | None = None,
    via: Literal["requests", "batch_api"] = "requests",
    batch_id: str | Sequence[str] | None = None,
    poll_interval: float = 5.0,
    batch_limits: BatchFileLimits = BatchFileLimits(),
    **planner_kwargs: Any,
) -> BatchResult:
    """`plan_steps` for asyncio code; use an ``AsyncOpenAI`` client to stay on this loop.

    On cancellation it stops scheduling, cancels the items in flight, writes summary.json of
    what finished and re-raises.
    """
    require("concurrency", concurrency, is_int(concurrency, 1), "a positive integer")
    require("via", via, via in ("requests", "batch_api"), "'requests' or 'batch_api'")
    require("poll_interval", poll_interval, is_number(poll_interval, 1e-3), "a positive number")
    require(
        "batch_limits",
        batch_limits,
        isinstance(batch_limits, BatchFileLimits),
        "a BatchFileLimits(...)",
    )
    require("out_dir", out_dir, out_dir is None or is_path(out_dir), "a folder path")
    require(
        "cache",
        cache,
        cache is None or isinstance(cache, bool) or is_path(cache),
        "a folder path, True or None",
    )
    require("resume", resume, isinstance(resume, bool), "True or False")
    require(
        "progress", progress, progress is None or isinstance(progress, bool), "True, False or None"
    )
    require(
        "batch_id",
        batch_id,
        batch_id is None
        or isinstance(batch_id, str)
        or (isinstance(batch_id, Sequence) and all(isinstance(b, str) for b in batch_id)),
        "a batch id or a list of them",
    )
    if batch_id is not None and via != "batch_api":
        raise BatchError("batch_id= resumes an OpenAI Batch API batch: it needs via='batch_api'.")
    if resume and out_dir is None:
        raise BatchError("resume=True needs out_dir= (the directory of the run to resume).")
    # A mistyped batch option (concurency=) would otherwise reach Planner as a request option.
    check_options(
        {k: v for k, v in planner_kwargs.items() if k not in PLANNER_OPTIONS},
        known=[*_BATCH_OPTIONS, *PLANNER_OPTIONS],
    )
    started = time.perf_counter()
    entries = _collect(requirements)
    # One planner: knowledge, index and prefix built once. Built before any directory is made,
    # so a configuration error leaves nothing behind.
    planner = Planner(**planner_kwargs)
    out = None
    if out_dir is not None:
        if clash := sorted({name for name, _, _ in entries if name.casefold() in _RESERVED}):
            raise BatchError(
                f"Item name(s) {', '.join(clash)} would overwrite the batch's own files in out_dir; rename them."
            )
        out = _writable_dir(out_dir, "output directory")
    cache_dir = None
    if cache is not None and cache is not False:
        root = (
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
            / "planner_agent"
            / "results"
        )
        cache_dir = _writable_dir(root if cache is True else Path(cache), "cache directory")
    from ._engine import BatchRun  # the engine imports this module's result types

    run = BatchRun(
        planner,
        entries,
        concurrency=concurrency,
        out=out,
        cache=cache_dir,
        resume=resume,
        progress=progress,
        via=via,
        started=started,
    )
    try:
        if via == "batch_api":
            from ._openai_batch import run_batch_api

            await run_batch_api(
                run, batch_id=batch_id, poll_interval=poll_interval, limits=batch_limits
            )
        else:
            await run.pool(run.jobs, run.plan_job)
    except BaseException as exc:
        stopped = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
        with contextlib.suppress(OSError):  # never hide the original exception
            run.close(**({"interrupted": True} if stopped else {"aborted": f"{exc!r}"}))
        raise
    return run.close()


# aplan_steps' own keywords, between ``requirements`` and ``**planner_kwargs``.
_BATCH_OPTIONS = tuple(inspect.signature(aplan_steps).parameters)[1:-1]


def plan_steps(
    requirements: Requirements,
    *,
    concurrency: int = 8,
    out_dir: str | Path | None = None,
    resume: bool = False,
    cache: str | Path | bool | None = None,
    progress: bool | None = None,
    via: Literal["requests", "batch_api"] = "requests",
    batch_id: str | Sequence[str] | None = None,
    poll_interval: float = 5.0,
    batch_limits: BatchFileLimits = BatchFileLimits(),
    **planner_kwargs: Any,
) -> BatchResult:
    """Plan every item of ``requirements`` with one `Planner`; blocking, and fine in notebooks.

    Args:
        requirements: a list of texts/paths (names ``step-001``... for texts, file stems for
            paths), a mapping name -> text/path, or a directory of .md/.txt files (by name).
        concurrency: items in flight at once; they share one rate gate, so a 429 storm backs
            off the whole batch.
        out_dir: write ``<name>.json``/``<name>.md`` (or ``<name>.error.json``) per item and
            ``summary.json``, each atomically.
        resume: skip items whose ``<name>.json`` in ``out_dir`` has the same request key.
        cache: a directory (``True``: ``~/.cache/planner_agent/results``) of checked results
            keyed on the request key; a hit makes no request.
        progress: a tqdm bar; ``None`` shows it on a terminal or in a notebook.
        via: ``"requests"``, or ``"batch_api"`` for the OpenAI Batch API (half price, slow).
        batch_id: collect an already submitted Batch API batch (or several) instead.
        poll_interval: first seconds between Batch API polls (backs off to 10x, at most 60 s).
        batch_limits: requests and bytes per Batch API input file (default: OpenAI's limits).
        **planner_kwargs: `Planner` keywords (``client``, ``model``, ``mode``, ``knowledge``...).

    Ctrl-C stops the batch, writes summary.json of what finished and raises KeyboardInterrupt.
    Bad inputs raise `BatchError` before any request; one item's failure never stops the rest.
    """
    options: dict[str, Any] = {
        "concurrency": concurrency, "out_dir": out_dir, "resume": resume, "cache": cache,
        "progress": progress, "via": via, "batch_id": batch_id, "poll_interval": poll_interval,
        "batch_limits": batch_limits,
    }  # fmt: skip
    return _run_sync(lambda: aplan_steps(requirements, **options, **planner_kwargs))


def _run_sync(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())  # asyncio turns Ctrl-C into cancellation, then re-raises it
    # A running loop (a notebook cell): run in a worker thread, and forward Ctrl-C to it.
    loop = asyncio.new_event_loop()
    box: dict[str, Any] = {}
    started, finished = threading.Event(), threading.Event()

    def target() -> None:
        try:
            box["task"] = loop.create_task(factory())
            started.set()
            box["result"] = loop.run_until_complete(box["task"])
        except BaseException as exc:
            box["error"] = exc
        finally:
            loop.close()
            started.set()
            finished.set()

    threading.Thread(target=target, name="planner-agent-batch", daemon=True).start()
    try:
        # Not Thread.join: interrupted by Ctrl-C it may mark a live thread as finished (3.11).
        while not finished.wait(0.1):
            pass
    except KeyboardInterrupt:
        started.wait()
        if "task" in box:
            with contextlib.suppress(RuntimeError):  # the loop already closed: nothing to stop
                loop.call_soon_threadsafe(box["task"].cancel)
        finished.wait()  # until summary.json of what finished is written
        raise
    if "error" in box:
        raise box["error"]
    result: T = box["result"]
    return result
