"""The OpenAI Batch API path of `plan_steps` (``via="batch_api"``): half price, up to 24 h.

Every item's first request becomes one JSONL line (``custom_id`` = item name), split into input
files per model and size limits; each file becomes one batch. The batch ids go to
``out_dir/batch_state.json`` as soon as they exist, so a later run (``resume=True`` or
``batch_id=``) collects the same batches instead of paying twice. Replies are checked through the
planner's normal path; re-asks, errored lines and lines that cannot be read are planned with
ordinary requests (continuing the conversation when there is one).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pydantic
from openai.types.chat import ChatCompletion

from .._conversation import Conversation
from .._files import atomic_write
from ..errors import BatchError, LLMError, TransportError
from ..llm._transport import Reply, reply_from_completion
from ._engine import BatchRun, _Job
from ._types import BatchFileLimits

__all__ = ["run_batch_api", "split"]

_ENDPOINT = "/v1/chat/completions"
_PENDING = ("validating", "in_progress", "finalizing", "cancelling")
_STATE = "batch_state.json"


@dataclass
class _Batch:
    id: str
    keys: dict[str, str]  # custom_id -> request key of the line submitted
    info: Any = None


async def _call(run: BatchRun, resource: str, method: str, *args: Any, **kwargs: Any) -> Any:
    """``client.<resource>.<method>(...)`` on the planner's client, with the planner's retries.

    Errors left after the retries are our typed ones (`TransportError` carries the status).
    """
    transport = run.planner.transport
    fn = getattr(getattr(transport.client, resource), method)
    not_api = BatchError(
        f"The endpoint {transport.base_url} answered {resource}.{method} with a body that is not "
        "JSON. Check that the base URL is the API root (usually ending in /v1) and that the "
        "server offers the Files and Batch APIs."
    )
    try:
        value = await transport.run(fn, *args, **kwargs)
    except json.JSONDecodeError:
        raise not_api from None
    if isinstance(value, str):  # what the client returns for a non-JSON content type
        raise not_api
    return value


def split(lines: Sequence[tuple[str, int]], limits: BatchFileLimits) -> list[list[int]]:
    """Group lines given as ``(model, size)`` into input files (lists of line indices).

    Each file holds one model, at most ``limits.max_requests`` lines and ``limits.max_bytes``.

    >>> split([("a", 5), ("b", 5), ("a", 5), ("a", 5)], BatchFileLimits(max_requests=2))
    [[0, 2], [1], [3]]
    """
    max_requests, max_bytes = limits.max_requests, limits.max_bytes
    parts: list[list[int]] = []
    current: dict[str, tuple[list[int], int]] = {}  # model -> (open part, its bytes)
    for index, (model, size) in enumerate(lines):
        part, used = current.get(model, (None, 0))
        if part is None or len(part) >= max_requests or used + size > max_bytes:
            part, used = [], 0
            parts.append(part)
        part.append(index)
        current[model] = (part, used + size)
    return parts


async def run_batch_api(
    run: BatchRun,
    *,
    batch_id: str | Sequence[str] | None = None,
    poll_interval: float,
    limits: BatchFileLimits,
) -> None:
    """Plan ``run.jobs`` through the Batch API, finishing every job in ``run``."""
    pending = [job for job in run.jobs if run.prepare(job)]
    if not pending:  # all resumed, cached or failed up front: no batch to submit or collect
        return
    batches = await _existing(run, batch_id)
    by_name = {job.name: job for job in pending}
    covered = {
        name
        for b in batches
        for name, key in b.keys.items()
        if name in by_name and by_name[name].key == key
    }
    await _submit(run, [job for job in pending if job.name not in covered], batches, limits)
    for job in pending:
        job.conversation = None  # rebuilt on collection: thousands of prompts need not wait
    replies: dict[str, Reply | None] = {}
    for batch in await _wait(run, batches, poll_interval):
        await _collect(run, batch, by_name, replies)
    for job in pending:
        if (reply := replies.get(job.name)) is not None:
            job.batch_usage = reply.usage  # billed at the Batch API's discount
            run.charge(reply.usage, batch=True)
    # Each reply goes through the planner's normal checks; re-asks, errored and unreadable lines
    # continue (or start) over ordinary requests.
    await run.pool(pending, lambda job: run.plan_job(job, replies.get(job.name), fresh=False))


async def _existing(run: BatchRun, batch_id: str | Sequence[str] | None) -> list[_Batch]:
    """Batches to collect instead of submitting: by id, or as recorded in out_dir on resume."""
    recorded: dict[str, dict[str, str]] = {}
    if run.out is not None and (run.resume or batch_id is not None):
        try:
            state = json.loads((run.out / _STATE).read_text("utf-8"))
            recorded = {b["id"]: dict(b["keys"]) for b in state["batches"]}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError) as exc:
            run.notes.append(f"Ignored an unreadable {_STATE} ({exc}).")
    ids = [batch_id] if isinstance(batch_id, str) else list(batch_id or recorded)
    batches: list[_Batch] = []
    for ident in ids:
        try:
            info = await _call(run, "batches", "retrieve", ident)
        except TransportError as exc:
            if exc.status_code != 404:
                raise
            hint = f", or delete {_STATE} in the output directory" if ident in recorded else ""
            raise BatchError(
                f"Batch {ident!r} does not exist at {run.planner.connection.base_url}. "
                f"Check the id{hint}."
            ) from None
        keys = recorded.get(ident)
        if keys is None:  # not ours on record: learn what each line asked for from its input file
            text = await _download(run, info.input_file_id)
            keys = {}
            for line in text.splitlines():
                try:
                    entry = json.loads(line)
                    keys[str(entry["custom_id"])] = run.key(entry["body"])
                except (ValueError, KeyError, TypeError):
                    continue
        batches.append(_Batch(ident, keys, info))
        run.batch_ids.append(ident)
    return batches


async def _submit(
    run: BatchRun, jobs: list[_Job], batches: list[_Batch], limits: BatchFileLimits
) -> None:
    """Upload and create batches for ``jobs`` (too-large requests are left for ordinary requests)."""
    entries: list[tuple[str, str, str, int, int]] = []  # model, custom_id, key, offset, size
    # Lines go to disk: thousands of prompts need not fit in RAM.
    with tempfile.TemporaryFile() as spool:
        for job in jobs:
            assert job.text is not None and job.key is not None
            body = Conversation(run.planner, job.text).first_request()
            line = json.dumps(
                {"custom_id": job.name, "method": "POST", "url": _ENDPOINT, "body": body}
            )
            data = line.encode() + b"\n"
            if len(data) > limits.max_bytes:
                run.notes.append(
                    f"{job.name}: request larger than a batch input file; sent directly."
                )
                continue
            entries.append((str(body["model"]), job.name, job.key, spool.tell(), len(data)))
            spool.write(data)
        parts = split([(e[0], e[4]) for e in entries], limits)
        for number, part in enumerate(parts, 1):
            chunks = []
            for index in part:
                spool.seek(entries[index][3])
                chunks.append(spool.read(entries[index][4]))
            name, content = f"planner-agent-{number:03d}.jsonl", b"".join(chunks)
            meta = {
                "source": "planner_agent",
                "version": run.version,
                "part": f"{number}/{len(parts)}",
            }
            try:
                file = (name, content, "application/jsonl")
                uploaded = await _call(run, "files", "create", file=file, purpose="batch")
                info = await _call(
                    run,
                    "batches",
                    "create",
                    input_file_id=uploaded.id,
                    endpoint=_ENDPOINT,
                    completion_window="24h",
                    metadata=meta,
                )
            except LLMError as exc:
                raise BatchError(
                    f"Could not submit batch part {number}/{len(parts)}: {exc}"
                ) from None
            batches.append(_Batch(info.id, {entries[i][1]: entries[i][2] for i in part}, info))
            run.batch_ids.append(info.id)
            run.batch_requests += len(part)
            _save_state(run, batches)  # before waiting: a dead process can collect it later


def _save_state(run: BatchRun, batches: list[_Batch]) -> None:
    if run.out is not None:
        state = {
            "model": run.planner.model,
            "batches": [{"id": b.id, "keys": b.keys} for b in batches],
        }
        try:
            atomic_write(run.out / _STATE, json.dumps(state, indent=2))
        except OSError as exc:  # the ids are still in BatchResult.batch_ids and this note
            note = f"{_STATE} could not be written ({exc.strerror or exc}); batch ids: "
            run.notes[:] = [n for n in run.notes if not n.startswith(note)]
            run.notes.append(note + ", ".join(b.id for b in batches))


async def _wait(run: BatchRun, batches: list[_Batch], poll_interval: float) -> list[_Batch]:
    """Poll until every batch is finished (with backoff); the progress bar shows request counts."""
    delay, failures = poll_interval, 0
    while True:
        waiting = [b for b in batches if b.info is None or b.info.status in _PENDING]
        if not waiting:
            return batches
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, max(poll_interval, min(60.0, 10 * poll_interval)))
        for batch in waiting:
            try:
                batch.info = await _call(run, "batches", "retrieve", batch.id)
                failures = 0
            except TransportError as exc:  # what is left after the planner's retries
                failures += 1
                if failures > 10:
                    raise BatchError(
                        f"Lost contact while polling batch {batch.id}: {exc}. Rerun with batch_id= to resume."
                    ) from None
        if run.bar is not None:
            counts = [
                b.info.request_counts
                for b in batches
                if b.info is not None and b.info.request_counts
            ]
            done, total = sum(c.completed + c.failed for c in counts), sum(c.total for c in counts)
            run.bar.set_description(f"batch {done}/{total}", refresh=True)


async def _download(run: BatchRun, file_id: str | None) -> str:
    if not file_id:
        return ""
    content = await _call(run, "files", "content", file_id)
    return str(content.text)


async def _collect(
    run: BatchRun, batch: _Batch, jobs: dict[str, _Job], replies: dict[str, Reply | None]
) -> None:
    """Join a finished batch's output and error lines to the jobs on custom_id (any order)."""
    info = batch.info
    if info.status != "completed":
        reason = "; ".join(e.message or "" for e in (info.errors.data or [])) if info.errors else ""
        run.notes.append(
            f"Batch {batch.id} ended '{info.status}'{': ' + reason if reason else ''}; "
            "its unanswered items were planned with ordinary requests."
        )
    bad = 0
    for file_id in (info.output_file_id, info.error_file_id):
        for line in (await _download(run, file_id)).splitlines():
            if not line.strip():
                continue
            parsed = _parse_line(line)
            if parsed is None:
                bad += 1
                continue
            custom_id, reply = parsed
            job = jobs.get(custom_id)
            if (
                job is not None
                and batch.keys.get(custom_id) == job.key
                and replies.get(custom_id) is None
            ):
                replies[custom_id] = reply
    if bad:
        run.notes.append(
            f"Batch {batch.id}: {bad} output line(s) were not readable JSON; their items were re-planned."
        )


def _parse_line(line: str) -> tuple[str, Reply | None] | None:
    """``(custom_id, reply)``; reply None for an errored line; None when the line is unreadable."""
    try:
        entry = json.loads(line)
        custom_id = entry["custom_id"]
        response = entry.get("response") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(custom_id, str):
        return None
    if entry.get("error") or response.get("status_code") != 200:
        return custom_id, None
    try:
        return custom_id, reply_from_completion(
            ChatCompletion.model_validate(response.get("body")), 0.0, 0
        )
    except pydantic.ValidationError:
        return custom_id, None
