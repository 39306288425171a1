"""Plan many steps with one `Planner`: bounded concurrency, resumable output, a result cache.

>>> batch = plan_steps("requirements/", out_dir="plans/", concurrency=16)  # doctest: +SKIP
>>> batch.summary()["ok"], batch.cost_usd  # doctest: +SKIP

Every item gets its own outcome (one failure never stops the others); results keep input order.
Each item is identified by a *request key* (a hash of its first request, the schema, the mode and
the library version): ``resume=True`` and ``cache=`` reuse a result only when the key matches.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.metadata
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import openai
import pydantic

from .errors import BatchError, ConfigurationError, PlanIssuesError, PlannerError, TransportError
from .errors import UnsupportedResponseFormatError as FormatRejected
from .llm import Reply, acomplete, complete
from .plan import ImplementationPlan, PlanIssue
from .planner import Planner, _Run
from .profiles import cost_usd
from .requirements import load_requirements
from .result import Attempt, PlanResult, Usage

__all__ = ["BatchItem", "BatchResult", "aplan_steps", "plan_steps"]

T = TypeVar("T")
Status = Literal["ok", "errors", "failed", "skipped", "cached"]
Requirements = str | Path | Sequence[str | Path] | Mapping[str, str | Path]
_SUFFIXES = (".md", ".txt")
_RESERVED = frozenset(
    {"summary", "batch_state"}
)  # would clash with summary.json / batch_state.json
_TMP = ".pa-tmp"
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: mkstemp creates 0600 files, outputs should get the usual mode


def _version() -> str:
    import planner_agent

    explicit = getattr(planner_agent, "__version__", None)
    if isinstance(explicit, str):
        return explicit
    try:
        return importlib.metadata.version("planner-agent")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass
class BatchItem:
    """One item's outcome. ``usage``/``requests`` count only what this run spent on it."""

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
@dataclass
class _Job:
    index: int
    name: str
    source: str
    requirements: Any
    text: str | None = None
    key: str | None = None
    run: _Run | None = None
    requests: int = 0
    batch_usage: Usage = field(default_factory=Usage)  # tokens billed at the Batch API discount


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


def _load(value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()  # classified as text by _collect: never re-read as a path
    return load_requirements(value)  # paths; empty text or a wrong type raise RequirementsError


def _collect(requirements: Requirements) -> list[_Job]:
    """Name every item; raise BatchError for no items, bad names or duplicate names."""
    entries: list[tuple[str, str, Any]] = []
    if isinstance(requirements, str | Path):
        if not _is(requirements, "dir"):
            raise BatchError(
                f"Batch requirements must be a list, a mapping name -> requirements, or a directory "
                f"of .md/.txt files; {str(requirements)[:80]!r} is not a directory. For one step "
                "use plan_step(), or pass [text]."
            )
        folder = Path(requirements)
        files = sorted(
            (p for p in folder.iterdir() if p.suffix.lower() in _SUFFIXES and p.is_file()),
            key=lambda p: p.name,
        )
        if not files:
            raise BatchError(f"Directory {str(folder)!r} has no .md or .txt requirements files.")
        entries = [(p.stem, str(p), p) for p in files]
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
    return [_Job(i, name, source, value) for i, (name, source, value) in enumerate(entries)]


# -- files ----------------------------------------------------------------------------------------
def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` so readers (and a later run after SIGKILL) see all of it or nothing."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=_TMP)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _clean_temps(folder: Path) -> None:
    """Remove temp files left by dead processes (a SIGKILL mid-write); live writers keep theirs."""
    for tmp in folder.glob(f".*{_TMP}"):
        try:
            pid = int(tmp.name[: -len(_TMP)].rsplit(".", 2)[1])
            if pid != os.getpid():
                os.kill(pid, 0)
                continue
        except ProcessLookupError:
            pass
        except (ValueError, IndexError, OSError):
            continue
        with contextlib.suppress(OSError):
            tmp.unlink()


def _writable_dir(path: str | Path, what: str) -> Path:
    folder = Path(path).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe.", suffix=_TMP)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BatchError(
            f"The {what} {str(folder)!r} is not a writable directory: {exc.strerror or exc}."
        ) from None
    return folder


def result_from_dict(data: Mapping[str, Any]) -> PlanResult:
    """Rebuild a `PlanResult` from `PlanResult.to_dict` output (KeyError/TypeError/ValidationError if bad)."""
    issues = [PlanIssue.model_validate(i) for i in data["issues"]]
    attempts = [
        Attempt(
            int(a["number"]),
            str(a["raw"]),
            a["finish_reason"],
            _usage(a["usage"]),
            float(a["latency_s"]),
            tuple(a["errors"]),
            tuple(PlanIssue.model_validate(i) for i in a["issues"]),
            int(a["transport_retries"]),
        )
        for a in data["attempts"]
    ]
    return PlanResult(
        plan=ImplementationPlan.model_validate(data["plan"]),
        issues=issues,
        attempts=attempts,
        model=str(data["model"]),
        mode=str(data["mode"]),
        cost_usd=data["cost_usd"],
        prompt_tokens=dict(data["prompt_tokens"]),
        token_counts_exact=bool(data["token_counts_exact"]),
        trimmed=list(data["trimmed"]),
        elapsed_s=float(data["elapsed_s"]),
    )


def _usage(data: Mapping[str, Any]) -> Usage:
    return Usage(
        int(data["prompt_tokens"]), int(data["completion_tokens"]), int(data["cached_tokens"])
    )


def _load_result(path: Path, key: str | None) -> PlanResult | None:
    """The stored result at ``path`` if it is complete and carries ``key``; None otherwise."""
    try:
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict) or data.get("request_key") != key:
            return None
        return result_from_dict(data)
    except (OSError, ValueError, KeyError, TypeError, pydantic.ValidationError):
        return None  # missing, truncated or stale: planned again and rewritten


# -- the run --------------------------------------------------------------------------------------
async def run_in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn`` in a daemon thread: unlike executor threads, it never delays exit after Ctrl-C."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(ok: bool, value: Any) -> None:
        if future.done():  # cancelled meanwhile: drop the late answer
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def work() -> None:
        try:
            outcome: tuple[bool, Any] = (True, fn(*args))
        except BaseException as exc:
            outcome = (False, exc)
        with contextlib.suppress(RuntimeError):  # loop closed: nobody is waiting any more
            loop.call_soon_threadsafe(deliver, *outcome)

    threading.Thread(target=work, name="planner-agent-call", daemon=True).start()
    return await future


class BatchRun:
    """Shared state of one batch: the planner, outputs, cache, progress and every item's outcome."""

    def __init__(
        self,
        planner: Planner,
        jobs: list[_Job],
        *,
        concurrency: int,
        out: Path | None,
        cache: Path | None,
        resume: bool,
        progress: bool | None,
        via: str,
    ) -> None:
        self.planner, self.jobs, self.concurrency = planner, jobs, concurrency
        self.out, self.cache, self.resume, self.via = out, cache, resume, via
        self.items: list[BatchItem | None] = [None] * len(jobs)
        self.mode = planner.mode  # keys name the configuration asked for, not a later fallback
        self.schema = planner.schema()
        self.version = _version()
        self.batch_ids: list[str] = []
        self.batch_requests = 0
        self.notes: list[str] = []
        self.started = time.perf_counter()
        self.bar = _progress_bar(progress, len(jobs))
        self._done = self._failed = self._tokens = 0

    def key(self, request: Mapping[str, Any]) -> str:
        """The request key of a first request."""
        payload = {
            "request": request,
            "schema": self.schema,
            "mode": self.mode,
            "version": self.version,
        }
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def prepare(self, job: _Job) -> bool:
        """Load, build the first request and key; finish the job now if it needs no request."""
        try:
            job.text = _load(job.requirements)
            job.run = self.planner._start(job.text)
            first = job.run
            if first.mode != self.mode:
                prompt = self.planner._builder(self.mode).build(job.text)
                first = _Run(prompt, self.mode, [dict(m) for m in prompt.messages])
            job.key = self.key(self.planner._request(first))
        except PlannerError as exc:
            self.finish(job, error=exc)
            return False
        if self.resume and self.out is not None:
            prior = _load_result(self.out / f"{job.name}.json", job.key)
            if prior is not None:
                self.finish(job, prior, status="skipped")
                return False
        if self.cache is not None:
            hit = _load_result(self._cache_path(job.key), job.key)
            if hit is not None:
                self.finish(job, hit, status="cached")
                return False
        return True

    async def send(self, job: _Job, request: dict[str, Any]) -> Reply:
        """One request through the planner's retry policy and shared rate gate."""
        p, client = self.planner, self.planner.connection.client
        try:
            if isinstance(client, openai.AsyncOpenAI):
                reply = await acomplete(client, request, p.retry_policy, p.rate_gate)
            else:
                reply = await run_in_thread(complete, client, request, p.retry_policy, p.rate_gate)
        except TransportError as exc:
            job.requests += 1 + exc.retries
            raise
        except PlannerError:
            job.requests += 1
            raise
        job.requests += 1 + reply.retries
        return reply

    async def drive(self, job: _Job) -> None:
        """Continue ``job.run`` (send, check, re-ask) to an outcome; never raises PlannerError."""
        assert job.run is not None and job.text is not None
        try:
            while True:
                try:
                    while True:
                        reply = await self.send(job, self.planner._request(job.run))
                        result = self.planner._handle(job.run, job.text, reply)
                        if result is not None:
                            self.finish(job, result)
                            return
                except FormatRejected as exc:
                    # Concurrent items may all be rejected: only the first one moves the mode on.
                    if job.run.mode == self.planner.mode:
                        self.planner._fall_back(exc)
                    job.run = self.planner._start(job.text)
        except PlanIssuesError as exc:
            self.finish(job, exc.result, error=exc)
        except PlannerError as exc:
            self.finish(job, error=exc)
        except Exception as exc:  # a bug must not sink the other items
            error = PlannerError(
                f"Unexpected {type(exc).__name__} while planning {job.name}: {exc}"
            )
            error.__cause__ = exc
            self.finish(job, error=error)

    async def plan_job(self, job: _Job) -> None:
        """The ``via="requests"`` path for one item."""
        if self.prepare(job):
            await self.drive(job)

    async def pool(self, jobs: Iterable[_Job], work: Callable[[_Job], Awaitable[None]]) -> None:
        """Run ``work`` over ``jobs`` with at most ``concurrency`` at once (O(concurrency) tasks)."""
        queue = iter(jobs)

        async def worker() -> None:
            for job in queue:  # the shared iterator hands each job to exactly one worker
                await work(job)

        workers = [asyncio.create_task(worker()) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise

    def finish(
        self,
        job: _Job,
        result: PlanResult | None = None,
        *,
        error: PlannerError | None = None,
        status: Status | None = None,
    ) -> None:
        """Record the outcome, write its files and update the progress bar (no await: atomic)."""
        if status is None:
            status = (
                "failed"
                if error is not None
                else "ok"
                if result is not None and result.ok
                else "errors"
            )
        spent = (
            sum((a.usage for a in job.run.attempts), Usage())
            if job.run and status not in ("skipped", "cached")
            else Usage()
        )
        item = BatchItem(job.name, job.source, status, result, error, job.key, spent, job.requests)
        try:
            self._write(item)
        except OSError as exc:
            item.status, item.error = (
                "failed",
                BatchError(f"Could not write the outputs of {job.name}: {exc}"),
            )
        self.items[job.index] = item
        job.text = job.run = None  # free the conversation; the result keeps what matters
        self._done += 1
        self._failed += item.status == "failed"
        self._tokens += spent.total_tokens
        if self.bar is not None:
            self.bar.set_postfix(
                done=self._done, failed=self._failed, tokens=self._tokens, refresh=False
            )
            self.bar.update(1)

    def _cache_path(self, key: str) -> Path:
        assert self.cache is not None
        return self.cache / key[:2] / f"{key}.json"

    def _write(self, item: BatchItem) -> None:
        payload = None
        if item.result is not None and item.status != "failed":
            payload = json.dumps(
                {**item.result.to_dict(), "request_key": item.request_key, "name": item.name},
                indent=2,
            )
        if (
            self.cache is not None
            and payload is not None
            and item.status == "ok"
            and item.request_key
        ):
            path = self._cache_path(item.request_key)
            path.parent.mkdir(exist_ok=True)
            atomic_write(path, payload)
        if self.out is None or item.status == "skipped":
            return
        base = self.out / item.name
        stale = [base.with_name(f"{item.name}.error.json")]
        if payload is not None and item.result is not None:
            # The .json goes last: its presence (with the key) is what resume trusts.
            atomic_write(base.with_name(f"{item.name}.md"), item.result.to_markdown())
            atomic_write(base.with_name(f"{item.name}.json"), payload)
        else:
            error = {
                "name": item.name,
                "source": item.source,
                "request_key": item.request_key,
                "error_type": type(item.error).__name__,
                "message": str(item.error),
                "usage": item.usage.to_dict(),
            }
            atomic_write(base.with_name(f"{item.name}.error.json"), json.dumps(error, indent=2))
            stale = [base.with_name(f"{item.name}.json"), base.with_name(f"{item.name}.md")]
        for path in stale:  # exactly one outcome per item on disk
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def result(self) -> BatchResult:
        """The `BatchResult` of the items finished so far."""
        done = [item for item in self.items if item is not None]
        spent = sum((item.usage for item in done), Usage())
        batch = sum((job.batch_usage for job in self.jobs), Usage())
        full = _cost(self.planner, spent)
        # The Batch API bills its requests at half price.
        discount = _cost(self.planner, batch)
        cost = None if full is None or discount is None else full - discount / 2
        return BatchResult(
            done,
            self.planner.model,
            self.via,
            time.perf_counter() - self.started,
            cost,
            self.batch_requests,
            list(self.batch_ids),
            list(self.notes),
        )

    def close(self, **extra: Any) -> BatchResult:
        """Close the progress bar and write summary.json; return the result so far."""
        if self.bar is not None:
            self.bar.close()
        result = self.result()
        if self.out is not None:
            if extra:
                extra["pending"] = [
                    j.name for j, i in zip(self.jobs, self.items, strict=True) if i is None
                ]
            atomic_write(self.out / "summary.json", json.dumps(result.summary(**extra), indent=2))
        return result


def _cost(planner: Planner, usage: Usage) -> float | None:
    return cost_usd(
        planner.model,
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.cached_tokens,
        prices=planner.prices,
    )


def _progress_bar(progress: bool | None, total: int) -> Any:
    show = progress if progress is not None else (sys.stderr.isatty() or _in_notebook())
    if not show:
        return None
    from tqdm.auto import tqdm  # type: ignore[import-untyped]  # notebook-aware

    return tqdm(total=total, desc="planning", unit="plan", dynamic_ncols=True)


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


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
    **planner_kwargs: Any,
) -> BatchResult:
    """Async `plan_steps`. On cancellation, writes summary.json of what finished and re-raises."""
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ConfigurationError(f"concurrency must be a positive integer; got {concurrency!r}.")
    if via not in ("requests", "batch_api"):
        raise ConfigurationError(f"via must be 'requests' or 'batch_api'; got {via!r}.")
    if batch_id is not None and via != "batch_api":
        raise BatchError("batch_id= resumes an OpenAI Batch API batch: it needs via='batch_api'.")
    if resume and out_dir is None:
        raise BatchError("resume=True needs out_dir= (the directory of the run to resume).")
    started = time.perf_counter()
    jobs = _collect(requirements)
    out = None
    if out_dir is not None:
        if clash := sorted({j.name for j in jobs if j.name.casefold() in _RESERVED}):
            raise BatchError(
                f"Item name(s) {', '.join(clash)} would overwrite the batch's own files in out_dir; rename them."
            )
        out = _writable_dir(out_dir, "output directory")
        _clean_temps(out)
    cache_dir = None
    if cache is not None and cache is not False:
        root = (
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
            / "planner_agent"
            / "results"
        )
        cache_dir = _writable_dir(root if cache is True else Path(cache), "cache directory")
    planner = Planner(**planner_kwargs)  # one planner: knowledge, index and prefix built once
    run = BatchRun(
        planner,
        jobs,
        concurrency=concurrency,
        out=out,
        cache=cache_dir,
        resume=resume,
        progress=progress,
        via=via,
    )
    run.started = started
    try:
        if via == "batch_api":
            from .batch_api import run_batch_api

            await run_batch_api(run, batch_id=batch_id, poll_interval=poll_interval)
        else:
            await run.pool(jobs, run.plan_job)
    except BaseException as exc:
        stopped = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
        with contextlib.suppress(OSError):  # never hide the original exception
            run.close(**({"interrupted": True} if stopped else {"aborted": f"{exc!r}"}))
        raise
    return run.close()


def plan_steps(requirements: Requirements, **kwargs: Any) -> BatchResult:
    """Plan every item of ``requirements`` with one `Planner` (blocking; works in notebooks).

    ``requirements`` is a list of texts/paths, a mapping name -> text/path, or a directory of
    .md/.txt files. Keywords are those of `aplan_steps` (``concurrency``, ``out_dir``,
    ``resume``, ``cache``, ``progress``, ``via``, ``batch_id``, ``poll_interval``) and of
    `Planner` (``client``, ``model``, ``mode``, ``max_attempts``, ``knowledge``, ...).
    Ctrl-C stops the batch, writes summary.json of what finished and raises KeyboardInterrupt.
    """
    return _run_sync(lambda: aplan_steps(requirements, **kwargs))


def _run_sync(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())  # asyncio turns Ctrl-C into cancellation, then re-raises it
    # A running loop (a notebook cell): run in a worker thread, and forward Ctrl-C to it.
    loop = asyncio.new_event_loop()
    box: dict[str, Any] = {}
    ready = threading.Event()

    def target() -> None:
        try:
            box["task"] = loop.create_task(factory())
            ready.set()
            box["result"] = loop.run_until_complete(box["task"])
        except BaseException as exc:
            box["error"] = exc
        finally:
            ready.set()
            loop.close()

    thread = threading.Thread(target=target, name="planner-agent-batch", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        ready.wait()
        if "task" in box:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(box["task"].cancel)
        thread.join()
        raise
    if "error" in box:
        raise box["error"]
    result: T = box["result"]
    return result
