"""The one request handler behind both doubles: (method, target, headers, body) -> response.

:class:`_ScriptedDouble` holds the script, the record and the Files + Batch API emulation,
routes a request and renders the complete response (status, every header, body, delay).
:class:`~planner_agent.testing.ScriptedServer` feeds it from a socket,
:class:`~planner_agent.testing.ScriptedTransport` from an httpx mock transport; so both answer
a script identically and record the same requests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from ._script import _NOT_RETRYABLE, _Script
from ._wire import _error_body, _json, _Response
from .batches import _FilesAndBatches
from .replies import BATCH_LINE_PATH, RecordedRequest, Reply, Responder

_SECRET_HEADERS: Final = {"authorization": "Bearer ***", "api-key": "***", "x-api-key": "***"}

# What client() and async_client() pass to the openai constructor unless the caller overrides it.
_CLIENT_DEFAULTS: Final[Mapping[str, Any]] = {"api_key": "test-key", "max_retries": 0}


class _ScriptedDouble:
    """The script, the record, the settings and the routes both doubles share.

    Script semantics are documented on :class:`~planner_agent.testing.ScriptedServer`.
    """

    def __init__(
        self,
        script: Sequence[Reply] | Responder,
        *,
        model_name: str = "scripted-model",
        batch_polls_before_complete: int = 0,
        batch_garbage_lines: int = 0,
    ) -> None:
        self._script = _Script(script, name=type(self).__name__, model_name=model_name)
        self._emulation = _FilesAndBatches(
            self._script,
            polls_before_complete=batch_polls_before_complete,
            garbage_lines=batch_garbage_lines,
        )

    # -- settings ----------------------------------------------------------------------------

    @property
    def model_name(self) -> str:
        """The model listed by ``GET /v1/models`` and echoed when a request names none."""
        return self._script.model_name

    @model_name.setter
    def model_name(self, value: str) -> None:
        self._script.model_name = value

    @property
    def batch_polls_before_complete(self) -> int:
        """How many GETs a new batch reports ``in_progress`` before it completes."""
        return self._emulation.polls_before_complete

    @batch_polls_before_complete.setter
    def batch_polls_before_complete(self, value: int) -> None:
        self._emulation.polls_before_complete = value

    @property
    def batch_garbage_lines(self) -> int:
        """How many non-JSON lines are appended to every batch output file."""
        return self._emulation.garbage_lines

    @batch_garbage_lines.setter
    def batch_garbage_lines(self, value: int) -> None:
        self._emulation.garbage_lines = value

    # -- inspection --------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every recorded request, in arrival order (batch lines included)."""
        return self._script.requests()

    @property
    def chat_requests(self) -> int:
        """How many chat-completion requests arrived over HTTP (batch lines excluded)."""
        return sum(r.path.endswith("/chat/completions") for r in self.requests)

    @property
    def batch_line_requests(self) -> int:
        """How many batch input lines were answered from the script."""
        return sum(r.path == BATCH_LINE_PATH for r in self.requests)

    @property
    def exhausted_requests(self) -> int:
        """How many chat requests (HTTP or batch line) arrived after the script ran out."""
        return self._script.exhausted()

    @property
    def responder_errors(self) -> list[BaseException]:
        """Exceptions raised by the responder (each answered with HTTP 500)."""
        return self._script.responder_errors

    def file_bytes(self, file_id: str) -> bytes:
        """The stored content of an uploaded or generated file (KeyError if unknown)."""
        with self._script.lock:
            return self._emulation.files[file_id].data

    # -- handling ----------------------------------------------------------------------------

    def _handle(
        self, method: str, target: str, headers: Mapping[str, str], raw: bytes
    ) -> _Response:
        """Record and answer one request; ``headers`` have lower-case names.

        The result's ``headers`` are complete (content type and length, ``x-request-id``,
        the reply's own), so a wire only has to send them.
        """
        try:
            response = self._route(method, target, headers, raw)
        except Exception as exc:  # a bug here must surface as a 500, not a hung client
            message = f"{self._script.name}: internal error {exc!r}"
            response = _json(500, _error_body(500, message), _NOT_RETRYABLE)
        complete = {
            "content-type": response.content_type,
            "x-request-id": self._script.new_id("req"),
        }
        complete.update((name.lower(), value) for name, value in response.headers.items())
        complete["content-length"] = str(len(response.body))
        return response._replace(headers=complete)

    def _route(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> _Response:
        path = urlsplit(target).path
        body: Any = None
        if raw and not headers.get("content-type", "").startswith("multipart/"):
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        safe = {k: _SECRET_HEADERS.get(k, v) for k, v in headers.items()}
        request = RecordedRequest(
            method, path, safe, body if isinstance(body, dict) else None, time.monotonic()
        )
        self._script.record(request)
        files = self._emulation
        parts = path.removeprefix("/v1").strip("/").split("/")
        match method, parts:
            case "POST", ["chat", "completions"]:
                return self._chat(request)
            case "GET", ["models"]:
                model = dict(id=self.model_name, object="model", created=0, owned_by="scripted")
                return _json(200, {"object": "list", "data": [model]})
            case "POST", ["files"]:
                return files.upload(headers.get("content-type", ""), raw)
            case "GET", ["files", file_id]:
                return files.file(file_id, "info")
            case "GET", ["files", file_id, "content"]:
                return files.file(file_id, "content")
            case "DELETE", ["files", file_id]:
                return files.file(file_id, "delete")
            case "POST", ["batches"]:
                return files.create_batch(request.body)
            case "GET", ["batches", batch_id]:
                return files.batch(batch_id, cancel=False)
            case "POST", ["batches", batch_id, "cancel"]:
                return files.batch(batch_id, cancel=True)
        message = f"{self._script.name}: no route for {method} {path}"
        return _json(404, _error_body(404, message))

    def _chat(self, request: RecordedRequest) -> _Response:
        if request.body is None:
            message = f"{self._script.name}: body must be a JSON object"
            return _json(400, _error_body(400, message))
        reply = self._script.next_reply(request)
        if reply.raw_body is not None:
            response = _Response(reply.status, reply.raw_body, "application/json", reply.headers)
        else:
            status, obj = self._script.render(request, reply)
            response = _json(status, obj, reply.headers)
        return response._replace(delay=reply.delay)
