"""Plan many steps with one `Planner`: bounded concurrency, resumable output, a result cache.

>>> batch = plan_steps("requirements/", out_dir="plans/", concurrency=16)  # doctest: +SKIP
>>> batch.summary()["ok"], batch.cost_usd  # doctest: +SKIP

Every item gets its own outcome (one failure never stops the others); results keep input order.
Each item is identified by a *request key* (a hash of its first request, the schema, the mode and
the library version): ``resume=True`` and ``cache=`` reuse a result only when the key matches.
A run locks its out_dir (`planner_agent.batch._lock`); files are written by
`planner_agent.batch._outputs`. The engine lives in `planner_agent.batch._engine`; the Batch API path in `planner_agent.batch._openai_batch`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Unpack

from .._cache import results_cache_dir
from .._options import check_options, is_int, is_number, is_path, require
from .._sync import run_sync
from .._usage import Usage
from ..errors import BatchError, ConfigurationError
from ..planner import Planner
from ..settings import PLANNER_KEYWORDS, PlannerKeywords, Settings
from ._engine import BatchRun
from ._inputs import Requirements, collect, writable_dir
from ._lock import FolderLock
from ._openai_batch import run_batch_api
from ._outputs import check_names
from ._types import BatchFileLimits, BatchResult

__all__ = ["aplan_steps", "plan_steps"]


#: OpenAI's Batch API file limits (the default of ``batch_limits``).
DEFAULT_LIMITS = BatchFileLimits()


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
    batch_limits: BatchFileLimits = DEFAULT_LIMITS,
    max_total_tokens: int | None = None,
    max_cost_usd: float | None = None,
    settings: Settings | None = None,
    **planner_kwargs: Unpack[PlannerKeywords],
) -> BatchResult:
    """`plan_steps` for asyncio code; use an ``AsyncOpenAI`` client to stay on this loop.

    On cancellation it stops scheduling, cancels the items in flight, writes summary.json of
    what finished, releases the out_dir lock and re-raises.
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
        "max_total_tokens",
        max_total_tokens,
        max_total_tokens is None or is_int(max_total_tokens, 0),
        "an integer >= 0 or None",
    )
    require(
        "max_cost_usd",
        max_cost_usd,
        max_cost_usd is None or is_number(max_cost_usd, 0),
        "a number >= 0 or None",
    )
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
        {k: v for k, v in planner_kwargs.items() if k not in PLANNER_KEYWORDS},
        known=[*_BATCH_OPTIONS, *PLANNER_KEYWORDS],
    )
    started = time.perf_counter()
    entries = collect(requirements)
    # One planner: knowledge, index and prefix built once. Built before any directory is made,
    # so a configuration error leaves nothing behind.
    client = planner_kwargs.pop("client", None)
    base = Settings() if settings is None else settings
    planner = Planner.from_settings(base.with_keywords(**planner_kwargs), client=client)
    if max_cost_usd is not None and planner.cost(Usage(1_000, 1_000)) is None:
        raise ConfigurationError(
            f"max_cost_usd needs the price of {planner.model!r}, which is not known: pass "
            "prices={model: Price(...)}, or limit tokens with max_total_tokens."
        )
    out = None
    if out_dir is not None:
        # Names that cannot become files fail here, before anything is paid for.
        check_names([name for name, _, _ in entries], Path(out_dir).expanduser())
        out = writable_dir(out_dir, "output directory")
    cache_dir = None
    if cache is not None and cache is not False:
        root = results_cache_dir() if cache is True else Path(cache)
        cache_dir = writable_dir(root, "cache directory")
    lock = None if out is None else FolderLock(out)
    if lock is not None:
        lock.acquire()  # one run per folder, held to the end (errors and Ctrl-C included)
    try:
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
            max_total_tokens=max_total_tokens,
            max_cost_usd=max_cost_usd,
        )
        if lock is not None and lock.took_over is not None:
            run.notes.append(f"Took over the stale lock of a run that is gone: {lock.took_over}.")
        try:
            if via == "batch_api":
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
    finally:
        if lock is not None:
            lock.release()


# aplan_steps' own keywords, between ``requirements`` and ``settings``.
_BATCH_OPTIONS = tuple(inspect.signature(aplan_steps).parameters)[1:-2]


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
    batch_limits: BatchFileLimits = DEFAULT_LIMITS,
    max_total_tokens: int | None = None,
    max_cost_usd: float | None = None,
    settings: Settings | None = None,
    **planner_kwargs: Unpack[PlannerKeywords],
) -> BatchResult:
    """Plan every item of ``requirements`` with one `Planner`; blocking, and fine in notebooks.

    Args:
        requirements: a list of texts/paths (names ``step-001``... for texts, file stems for
            paths), a mapping name -> text/path, or a directory of .md/.txt files (by name).
        concurrency: items in flight at once; they share one rate gate, so a 429 storm backs
            off the whole batch.
        out_dir: write ``<name>.json``/``<name>.md`` (or ``<name>.error.json``) per item and
            ``summary.json``, each atomically. The run locks the folder (``.planner_agent.lock``)
            so a second run into it is a `BatchError`. A file that cannot be written keeps the
            plan in memory (``item.write_error``, a note); if the folder itself stops taking
            files (disk full, folder gone) no new item starts.
        resume: skip items whose ``<name>.md`` and ``<name>.json`` (with the same request key)
            are both in ``out_dir``.
        cache: a directory of checked results keyed on the request key (``True``: ``results``
            in the platform's user cache, ``~/.cache/planner_agent/results`` on Linux); a hit
            makes no request.
        progress: a tqdm bar; ``None`` shows it on a terminal or in a notebook.
        via: ``"requests"``, or ``"batch_api"`` for the OpenAI Batch API (half price, slow).
        batch_id: collect an already submitted Batch API batch (or several) instead.
        poll_interval: first seconds between Batch API polls (backs off to 10x, at most 60 s).
        batch_limits: requests and bytes per Batch API input file (default: OpenAI's limits).
        max_total_tokens: once this run has spent this many tokens (prompt + completion), no
            new item starts; items in flight finish, so the total may go past it by their
            share. Items not started get status ``not_run``; ``resume=True`` plans them later.
        max_cost_usd: the same for dollars (needs a known price for the model; Batch API
            replies count at half price). With ``via="batch_api"`` the batch itself is sent
            whole: these limits stop the ordinary requests that follow it.
        settings: `Settings` to plan with (the keywords below are applied on top).
        **planner_kwargs: `Planner` keywords (``client``, ``model``, ``mode``, ``knowledge``...).

    Ctrl-C stops the batch, writes summary.json of what finished and raises KeyboardInterrupt.
    Bad inputs (including item names that clash as file names or are too long for them) raise
    `BatchError` before any request; one item's failure never stops the rest.
    """
    options: dict[str, Any] = {
        "concurrency": concurrency, "out_dir": out_dir, "resume": resume, "cache": cache,
        "progress": progress, "via": via, "batch_id": batch_id, "poll_interval": poll_interval,
        "batch_limits": batch_limits, "max_total_tokens": max_total_tokens,
        "max_cost_usd": max_cost_usd, "settings": settings,
    }  # fmt: skip
    return run_sync(lambda: aplan_steps(requirements, **options, **planner_kwargs))
