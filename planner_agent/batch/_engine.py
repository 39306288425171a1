"""The engine behind `plan_steps`: one item's path from requirements to files on disk.

Items flow through a pool of ``concurrency`` workers sharing one `Planner` (and so one rate
gate). Every file is written atomically (`planner_agent.batch._outputs`); ``resume=True`` trusts
an item whose ``<name>.md`` and ``<name>.json`` (with the right request key) are both there.
A write that fails never loses a plan: it stays in memory and the failure is reported. New items
stop starting once a batch limit is reached or out_dir stops taking files; items in flight finish.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._conversation import Conversation, adrive
from .._files import atomic_write, remove_dead_temps
from .._version import VERSION
from ..errors import APIKeyError, BatchError, PlanIssuesError, PlannerError
from ..llm._transport import Reply
from ..planner import Planner
from ..prompt._requirements import load_requirements
from ..result import PlanResult, Usage
from ._display import money, progress_bar
from ._outputs import describe, folder_failed, load_result, payload, prior_result, write_item
from ._types import BatchItem, BatchResult, Status

__all__ = ["BatchRun"]

Outcome = tuple[PlanResult | None, PlannerError | None, Status | None]  # result, error, status


@dataclass
class _Job:
    """One item on its way: what it asks, its key, its live conversation, what it spent."""

    index: int
    name: str
    source: str
    requirements: Any
    text: str | None = None
    key: str | None = None
    conversation: Conversation | None = None
    requests: int = 0
    batch_usage: Usage = field(default_factory=Usage)  # tokens billed at the Batch API discount


# -- the run --------------------------------------------------------------------------------------
class BatchRun:
    """Shared state of one batch: the planner, outputs, cache, progress and every item's outcome."""

    def __init__(
        self,
        planner: Planner,
        entries: list[tuple[str, str, Any]],
        *,
        concurrency: int,
        out: Path | None,
        cache: Path | None,
        resume: bool,
        progress: bool | None,
        via: str,
        started: float,
        max_total_tokens: int | None = None,
        max_cost_usd: float | None = None,
    ) -> None:
        self.planner, self.concurrency = planner, concurrency
        self.jobs = [
            _Job(i, name, source, value) for i, (name, source, value) in enumerate(entries)
        ]
        self.out, self.cache, self.resume, self.via = out, cache, resume, via
        if out is not None:
            remove_dead_temps(out)
        if cache is not None:
            remove_dead_temps(cache, "*/")
        self.items: list[BatchItem | None] = [None] * len(self.jobs)
        # Keys name the configuration asked for, not a later fallback.
        self.mode = planner.output_mode
        self.schema = schema = planner.schema()
        self.version = VERSION
        static = {"schema": schema, "mode": self.mode.name, "version": self.version}
        self._key_base = hashlib.sha256(json.dumps(static, sort_keys=True).encode() + b"\0")
        self.batch_ids: list[str] = []
        self.batch_requests = 0
        self.notes: list[str] = []
        self.started = started
        self.bar = progress_bar(progress, len(self.jobs))
        self._rejected: APIKeyError | None = None
        self._done = self._failed = self._tokens = 0
        # Spending so far (full price; Batch API replies apart: half price) and its limits.
        self.max_total_tokens, self.max_cost_usd = max_total_tokens, max_cost_usd
        self._spent, self._spent_batch = Usage(), Usage()
        self.stopped: str | None = None  # why no new item starts
        self._uncached: list[tuple[str, OSError]] = []  # cache writes that failed
        self._unwritten: list[str] = []  # items whose outputs could not all be written
        self._check_limits()

    def key(self, request: Mapping[str, Any]) -> str:
        """The request key of a first request."""
        digest = self._key_base.copy()
        digest.update(json.dumps(request, sort_keys=True, separators=(",", ":")).encode())
        return digest.hexdigest()

    def examine(self, job: _Job) -> Outcome | None:
        """Load, build the first request and its key; the outcome if no request is needed."""
        try:
            job.text = load_requirements(job.requirements)
            job.conversation = Conversation(self.planner, job.text)
            # The key is of the request in the mode asked for, so an auto fallback keeps keys.
            job.key = self.key(job.conversation.first_request(self.mode))
        except PlannerError as exc:
            return None, exc, "failed"
        except Exception as exc:  # e.g. an unreadable file: this item fails, the others go on
            return None, _unexpected(exc, job.name), "failed"
        if self.resume and self.out is not None:
            prior = prior_result(self.out, job.name, job.key)
            if prior is not None:
                return prior, None, "skipped"
        if self.cache is not None:
            hit = load_result(self._cache_path(job.key), job.key)
            if hit is not None:
                return hit, None, "cached"
        return None

    async def plan_job(self, job: _Job, reply: Reply | None = None, *, fresh: bool = True) -> None:
        """Plan one item to its outcome: ``fresh`` examines it first (resume, cache, key).

        ``reply`` (a Batch API answer to the first request) is taken before anything is sent.
        """
        outcome = self.examine(job) if fresh else None
        if outcome is None and self._rejected is not None:
            outcome = None, self._rejected, None  # the key was refused: asking again cannot help
        if outcome is None and reply is None and self.stopped is not None:
            outcome = None, BatchError(f"Not started: {self.stopped}."), "not_run"
        if outcome is None:
            assert job.text is not None
            job.conversation = job.conversation or Conversation(self.planner, job.text)

            async def send(request: dict[str, Any]) -> Reply:
                try:
                    answer = await self.planner.transport.asend(request)
                except Exception as exc:  # counted, then the conversation decides
                    job.requests += 1 + getattr(exc, "retries", 0)
                    if isinstance(exc, APIKeyError):
                        self._rejected = exc
                    raise
                job.requests += 1 + answer.retries
                self.charge(answer.usage)
                return answer

            try:
                outcome = await adrive(job.conversation.flow(reply), send), None, None
            except PlanIssuesError as exc:
                outcome = exc.result, exc, None
            except PlannerError as exc:
                outcome = None, exc, None
            except Exception as exc:  # a bug must not sink the other items
                outcome = None, _unexpected(exc, job.name), None
        self.finish(job, outcome[0], error=outcome[1], status=outcome[2])

    def prepare(self, job: _Job) -> bool:
        """`examine` on the loop thread, recording any outcome; True if the job needs requests."""
        outcome = self.examine(job)
        if outcome is None and self.stopped is not None:  # a zero limit: nothing is submitted
            outcome = None, BatchError(f"Not started: {self.stopped}."), "not_run"
        if outcome is not None:
            self.finish(job, outcome[0], error=outcome[1], status=outcome[2])
        return outcome is None

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
            status = "failed" if error else "ok" if result and result.ok else "errors"
        fresh = (
            job.conversation.attempts
            if job.conversation and status not in ("skipped", "cached")
            else []
        )
        spent = sum((a.usage for a in fresh), Usage())
        item = BatchItem(job.name, job.source, status, result, error, job.key, spent, job.requests)
        self._write(item)
        self.items[job.index] = item
        job.text, job.conversation = None, None  # free the conversation; the result keeps all
        self._done += 1
        self._failed += item.status == "failed"
        self._tokens += spent.total_tokens
        if self.bar is not None:
            self.bar.set_postfix(
                done=self._done, failed=self._failed, tokens=self._tokens, refresh=False
            )
            self.bar.update(1)

    # -- limits -----------------------------------------------------------------------------------
    def charge(self, usage: Usage, *, batch: bool = False) -> None:
        """Count tokens just spent (``batch``: billed at the Batch API discount)."""
        if batch:
            self._spent_batch += usage
        else:
            self._spent += usage
        self._check_limits()

    def _check_limits(self) -> None:
        total = self._spent + self._spent_batch
        tokens = total.total_tokens
        if self.max_total_tokens is not None and tokens >= self.max_total_tokens:
            self.stop(f"max_total_tokens={self.max_total_tokens:,} was reached ({tokens:,} spent)")
        cost = self._cost(total, self._spent_batch)
        if self.max_cost_usd is not None and cost is not None and cost >= self.max_cost_usd:
            self.stop(f"max_cost_usd={self.max_cost_usd:g} was reached ({money(cost)} spent)")

    def stop(self, reason: str) -> None:
        """Start no new item from now on (items in flight finish)."""
        if self.stopped is None:
            self.stopped = reason

    def _cost(self, spent: Usage, batch: Usage) -> float | None:
        """The dollar cost of ``spent``, of which ``batch`` went through the Batch API."""
        full, discount = self.planner.cost(spent), self.planner.cost(batch)
        # The Batch API bills its requests at half price.
        return None if full is None or discount is None else full - discount / 2

    # -- files ------------------------------------------------------------------------------------
    def _cache_path(self, key: str) -> Path:
        assert self.cache is not None
        return self.cache / key[:2] / f"{key}.json"

    def _write(self, item: BatchItem) -> None:
        """Store the item in the cache and out_dir; a failure is reported, never raised."""
        to_cache = self.cache is not None and item.status == "ok" and item.request_key
        if item.status in ("skipped", "not_run") or (self.out is None and not to_cache):
            return  # nothing to write (serializing a result costs a millisecond)
        stored = payload(item)
        if to_cache and stored is not None and item.request_key is not None:
            path = self._cache_path(item.request_key)
            try:
                path.parent.mkdir(exist_ok=True)
                atomic_write(path, stored)
            except OSError as exc:  # the cache is a convenience: the item keeps its outcome
                self._uncached.append((item.name, exc))
        if self.out is None:
            return
        problems = write_item(self.out, item, stored)
        if problems:
            item.write_error = describe(problems)
            self._unwritten.append(item.name)
            if folder_failed(self.out, problems):
                self.stop(f"out_dir {str(self.out)!r} stopped taking files ({item.write_error})")

    def result(self) -> BatchResult:
        """The `BatchResult` of the items finished so far."""
        done = [item for item in self.items if item is not None]
        spent = sum((item.usage for item in done), Usage())
        batch = sum((job.batch_usage for job in self.jobs), Usage())
        notes = list(self.notes)
        if not_run := sum(item.status == "not_run" for item in done):
            notes.append(
                f"{not_run} item(s) were not started because {self.stopped} (status 'not_run'; "
                "a later run with resume=True plans only those and what was not written)."
            )
        if self._unwritten:
            names = ", ".join(self._unwritten[:5]) + (
                f" and {len(self._unwritten) - 5} more" if len(self._unwritten) > 5 else ""
            )
            notes.append(
                f"The outputs of {len(self._unwritten)} item(s) could not all be written to "
                f"{str(self.out)!r}: {names}. Their plans are kept in memory (item.result; "
                "item.write_error says what failed)."
            )
        if self._uncached:
            name, exc = self._uncached[0]
            notes.append(
                f"{len(self._uncached)} result(s) could not be stored in the cache "
                f"{str(self.cache)!r} (first: {name}: {exc.strerror or exc}); the items keep "
                "their outcomes."
            )
        return BatchResult(
            done,
            self.planner.model,
            self.via,
            time.perf_counter() - self.started,
            self._cost(spent, batch),
            self.batch_requests,
            list(self.batch_ids),
            notes,
        )

    def close(self, **extra: Any) -> BatchResult:
        """Close the progress bar and write summary.json; return the result so far."""
        if self.bar is not None:
            self.bar.close()
        result = self.result()
        if self.out is not None:
            extra.setdefault("interrupted", False)
            pending = zip(self.jobs, self.items, strict=True)
            extra["pending"] = [job.name for job, item in pending if item is None]
            try:
                text = json.dumps(result.summary(**extra), indent=2)
                atomic_write(self.out / "summary.json", text)
            except OSError as exc:  # the summary is still returned, with this note
                result.notes.append(f"summary.json could not be written: {exc.strerror or exc}.")
        return result


def _unexpected(exc: Exception, name: str) -> PlannerError:
    error = PlannerError(f"Unexpected {type(exc).__name__} while planning {name}: {exc}")
    error.__cause__ = exc
    return error
