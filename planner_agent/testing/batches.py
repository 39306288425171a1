"""The Files + Batch API emulation: uploads, downloads and batches that complete at once.

A batch's lines are answered from the double's script when the batch is created; polls
then only reveal the stored result.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import time
from dataclasses import dataclass
from typing import Any, Literal, cast

from ._script import _Script
from ._wire import _error_body, _json, _not_found, _Response
from .replies import BATCH_LINE_PATH, RecordedRequest


@dataclass
class _File:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


@dataclass
class _Batch:
    info: dict[str, Any]
    final: dict[str, Any]
    polls_left: int


class _FilesAndBatches:
    """The stored files and batches of one double, and its file and batch routes.

    Shares the script's lock and id counter; a batch line is recorded and answered exactly
    like an HTTP chat request, with path :data:`BATCH_LINE_PATH`. A batch reports
    ``in_progress`` for ``polls_before_complete`` GETs; ``garbage_lines`` non-JSON lines are
    appended to every output file.
    """

    def __init__(self, script: _Script, *, polls_before_complete: int, garbage_lines: int) -> None:
        self._script = script
        self._lock = script.lock
        self.polls_before_complete = polls_before_complete
        self.garbage_lines = garbage_lines
        self.files: dict[str, _File] = {}
        self.batches: dict[str, _Batch] = {}

    def _error(self, status: int, message: str) -> _Response:
        return _json(status, _error_body(status, f"{self._script.name}: {message}"))

    def _line_error(self, line: int | None, message: str) -> dict[str, Any]:
        return {
            "code": "invalid_request",
            "line": line,
            "message": f"{self._script.name}: {message}",
        }

    # -- files -------------------------------------------------------------------------------

    def upload(self, content_type: str, raw: bytes) -> _Response:
        parser = email.parser.BytesParser(policy=email.policy.HTTP)
        message = parser.parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts() if message.is_multipart() else ():
            name = str(part.get_param("name", header="content-disposition"))
            fields[name] = (part.get_filename(), cast(bytes, part.get_payload(decode=True)))
        if "file" not in fields or "purpose" not in fields:
            return self._error(400, "multipart fields 'file' and 'purpose' are required")
        filename, data = fields["file"]
        purpose = fields["purpose"][1].decode()
        return _json(200, self.store(filename or "upload", purpose, data).to_openai())

    def store(self, filename: str, purpose: str, data: bytes) -> _File:
        stored = _File(self._script.new_id("file"), filename, purpose, data, int(time.time()))
        with self._lock:
            self.files[stored.id] = stored
        return stored

    def file(self, file_id: str, action: Literal["info", "content", "delete"]) -> _Response:
        with self._lock:
            stored = (
                self.files.pop(file_id, None) if action == "delete" else self.files.get(file_id)
            )
        if stored is None:
            return _not_found("File", file_id)
        if action == "delete":
            return _json(200, {"id": file_id, "object": "file", "deleted": True})
        if action == "content":
            return _Response(200, stored.data, "application/octet-stream")
        return _json(200, stored.to_openai())

    # -- batches -----------------------------------------------------------------------------

    def create_batch(self, body: dict[str, Any] | None) -> _Response:
        body = body or {}
        if body.get("endpoint") != "/v1/chat/completions":
            return self._error(400, "only endpoint '/v1/chat/completions' is supported")
        input_id = str(body.get("input_file_id"))
        with self._lock:
            source = self.files.get(input_id)
        if source is None:
            return _not_found("File", input_id)
        now = int(time.time())
        batch_id = self._script.new_id("batch")
        info: dict[str, Any] = {"id": batch_id, "object": "batch", "status": "validating"}
        info.update(endpoint=body["endpoint"], input_file_id=input_id, created_at=now)
        info.update(completion_window=body.get("completion_window", "24h"))
        info.update(expires_at=now + 86400, metadata=body.get("metadata"))
        info.update(request_counts={"total": 0, "completed": 0, "failed": 0})
        final = self._run_batch(batch_id, source.data)
        batch = _Batch(info, final, self.polls_before_complete)
        if batch.polls_left <= 0:
            info.update(batch.final)
        with self._lock:
            self.batches[batch_id] = batch
            return _json(200, dict(info))

    def batch(self, batch_id: str, *, cancel: bool) -> _Response:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return _not_found("Batch", batch_id)
            info, pending = batch.info, batch.info["status"] in ("validating", "in_progress")
            if cancel:
                if not pending:
                    message = f"Cannot cancel a batch with status '{info['status']}'"
                    return _json(409, _error_body(409, message))
                info.update(batch.final, status="cancelled", cancelled_at=int(time.time()))
            elif pending and batch.polls_left > 0:
                batch.polls_left -= 1
                counts = {**batch.final["request_counts"], "completed": 0, "failed": 0}
                info.update(
                    status="in_progress",
                    request_counts=counts,
                    in_progress_at=batch.final.get("in_progress_at"),
                )
            elif pending:
                info.update(batch.final)
            return _json(200, dict(info))

    def _run_batch(self, batch_id: str, data: bytes) -> dict[str, Any]:
        """Answer every input line now; return the fields of the finished batch."""
        script = self._script
        now = int(time.time())
        items: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            if not isinstance(item, dict) or not isinstance(item.get("body"), dict):
                errors.append(self._line_error(number, "the line is not a JSON object with a body"))
            elif item.get("url") != "/v1/chat/completions":
                errors.append(self._line_error(number, "url must be '/v1/chat/completions'"))
            elif not isinstance(item.get("custom_id"), str) or item["custom_id"] in seen:
                errors.append(self._line_error(number, "custom_id is missing or duplicated"))
            else:
                seen.add(item["custom_id"])
                items.append(item)
        counts = {"total": len(items), "completed": 0, "failed": 0}
        if errors or not items:
            errors = errors or [self._line_error(None, "the input file has no requests")]
            failure = {"failed_at": now, "errors": {"object": "list", "data": errors}}
            return {"status": "failed", "request_counts": counts, **failure}
        output: list[bytes] = []
        failed: list[bytes] = []
        for item in items:
            custom_id = item["custom_id"]
            request = RecordedRequest(
                "POST", BATCH_LINE_PATH, {}, item["body"], time.monotonic(), custom_id
            )
            script.record(request)
            reply = script.next_reply(request)
            if reply.raw_body is not None:  # sent verbatim as one output line
                output.append(reply.raw_body.replace(b"\n", b" "))
                continue
            status, obj = script.render(request, reply)
            response = {"status_code": status, "request_id": script.new_id("req"), "body": obj}
            entry = {"id": script.new_id("batch_req"), "custom_id": custom_id}
            entry.update(response=response, error=None)
            (output if 200 <= status < 300 else failed).append(json.dumps(entry).encode())
        output.reverse()  # the real API does not keep input order
        failed.reverse()
        output += [b"garbage {not json" for _ in range(self.garbage_lines)]
        counts.update(completed=len(items) - len(failed), failed=len(failed))
        result: dict[str, Any] = {"status": "completed", "request_counts": counts}
        result.update(in_progress_at=now, finalizing_at=now, completed_at=now)
        for key, lines in (("output_file_id", output), ("error_file_id", failed)):
            if lines:
                name = f"{batch_id}_{key.removesuffix('_file_id')}.jsonl"
                result[key] = self.store(name, "batch_output", b"\n".join(lines) + b"\n").id
        return result
