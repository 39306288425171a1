"""A scripted OpenAI-compatible HTTP server for offline tests.

:class:`ScriptedServer` listens on ``127.0.0.1`` (ephemeral port) in a daemon thread and
answers chat-completion requests from a *script*: either a sequence of :class:`Reply`
objects consumed in order, or a responder callable ``(RecordedRequest) -> Reply``.
Every request is recorded (API keys redacted). It also serves ``GET /v1/models`` and a
minimal Files + Batch API whose batches complete immediately (or after a few polls)::

    from planner_agent.testing import Reply, ScriptedServer

    with ScriptedServer([Reply("hello"), Reply.error(429, "slow down")]) as server:
        client = server.client()
        out = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert out.choices[0].message.content == "hello"
        assert server.requests[0].messages[0]["content"] == "hi"

Batch lines are answered by the same script and recorded with path :data:`BATCH_LINE_PATH`
(``"/v1/batches:line"``) and their ``custom_id``; :attr:`ScriptedServer.chat_requests`
counts only HTTP chat-completion requests.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, cast
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import openai

__all__ = [
    "BATCH_LINE_PATH",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptedServer",
    "Usage",
    "plan_responder",
    "sample_draft",
]

BATCH_LINE_PATH = "/v1/batches:line"
"""The ``path`` recorded for each chat request that arrives as a line of a batch input file."""

_ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}
_ERROR_CODES = {401: "invalid_api_key", 404: "not_found", 429: "rate_limit_exceeded"}
_SECRET_HEADERS = {"authorization": "Bearer ***", "api-key": "***", "x-api-key": "***"}


@dataclass(frozen=True)
class Usage:
    """Token counts of one reply, rendered in the OpenAI ``usage`` shape."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    def to_openai(self) -> dict[str, Any]:
        """Return the OpenAI ``usage`` object (with ``prompt_tokens_details.cached_tokens``)."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": 0},
        }


@dataclass(frozen=True)
class Reply:
    """One scripted answer to a chat-completion request.

    ``status`` outside 2xx yields an OpenAI-style error body built from ``error_message``;
    ``raw_body`` (if set) is sent verbatim with ``status`` instead of any generated JSON;
    ``refusal`` sets ``message.refusal`` and a null content; ``delay`` seconds are slept in
    the handler thread first; ``usage=None`` approximates tokens as characters // 4.
    In a batch, ``delay`` and ``headers`` are ignored, non-2xx replies go to the error file
    and ``raw_body`` is written verbatim as one output line.
    """

    content: str | None = ""
    finish_reason: str = "stop"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    delay: float = 0.0
    usage: Usage | None = None
    refusal: str | None = None
    error_message: str | None = None
    raw_body: bytes | None = None

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 599:
            raise ValueError(f"Reply.status must be an HTTP status code, got {self.status}")
        if self.delay < 0:
            raise ValueError(f"Reply.delay must be >= 0, got {self.delay}")

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Reply:
        """A reply whose content is ``json.dumps(obj)``; other fields from ``kw``."""
        return cls(content=json.dumps(obj), **kw)

    @classmethod
    def error(cls, status: int, message: str, *, headers: Mapping[str, str] | None = None) -> Reply:
        """An error reply: HTTP ``status`` with an OpenAI-style error body carrying ``message``."""
        return cls(content=None, status=status, error_message=message, headers=dict(headers or {}))


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server saw it.

    ``headers`` have lower-cased names and secrets redacted (``authorization`` becomes
    ``"Bearer ***"``); ``body`` is the parsed JSON object, or None (multipart, empty, invalid);
    ``time`` is ``time.monotonic()`` at arrival; ``custom_id`` is set for batch lines only.
    """

    method: str
    path: str
    headers: dict[str, str] = field(hash=False)
    body: dict[str, Any] | None = field(hash=False)
    time: float
    custom_id: str | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The request's ``messages`` list (empty if absent)."""
        messages = (self.body or {}).get("messages")
        return list(messages) if isinstance(messages, list) else []

    @property
    def response_format(self) -> dict[str, Any] | None:
        """The request's ``response_format`` object, if any."""
        value = (self.body or {}).get("response_format")
        return value if isinstance(value, dict) else None

    @property
    def model(self) -> str | None:
        """The requested ``model``, if any."""
        value = (self.body or {}).get("model")
        return value if isinstance(value, str) else None


Responder = Callable[[RecordedRequest], Reply]
"""A callable script: builds the reply for each chat request (HTTP or batch line)."""

_HEADING = re.compile(r"^#\s+([A-Z][A-Za-z0-9]*)\s*$", re.MULTILINE)


def sample_draft(step_name: str = "ModelCalibration") -> dict[str, Any]:
    """A schema-valid, check-clean plan draft (what a good model replies), named ``step_name``.

    >>> sample_draft("ScoreCalibration")["step_name"]
    'ScoreCalibration'
    """
    return {
        "step_name": step_name,
        "sagemaker_step_type": "Processing",
        "description": f"{step_name} processing step",
        "purpose": "Transform the evaluation predictions of the trained model",
        "position_in_pipeline": "After XGBoostModelEval, before Package",
        "architectural_considerations": ["Stateless processing step with one specification"],
        "design_principles_alignment": ["Contract and specification derive from one list"],
        "inputs": [
            {
                "logical_name": "evaluation_data",
                "container_path": "/opt/ml/processing/input/eval_data",
                "dependency_type": "processing_output",
                "data_type": "S3Uri",
                "required": True,
                "compatible_sources": ["XGBoostModelEval"],
                "semantic_keywords": ["evaluation", "predictions", "scores", "eval"],
                "source_step": "XGBoostModelEval",
                "source_output": "eval_output",
                "description": "Predictions with raw scores and labels",
            }
        ],
        "outputs": [
            {
                "logical_name": "processed_data",
                "container_path": "/opt/ml/processing/output/data",
                "output_type": "processing_output",
                "data_type": "S3Uri",
                "aliases": [],
                "consumers": [],
                "description": "Transformed predictions",
            }
        ],
        "env_vars": [
            {
                "name": "LABEL_FIELD",
                "required": True,
                "type": "str",
                "default": "'label'",
                "description": "Label column",
            }
        ],
        "script_arguments": [],
        "framework_requirements": [{"package": "pandas", "version": ">=2.0"}],
        "config_parameters": [],
        "sagemaker_settings": [],
        "job_type_variants": [],
        "builder_special_handling": [],
        "algorithm": "Read the predictions, transform them, write the result",
        "main_functions": ["load_data", "transform", "main"],
        "dag_updates": [f"Add edge XGBoostModelEval -> {step_name}"],
        "error_handling": {
            "input_validation": "Fail fast on missing columns",
            "script_robustness": "Handle empty inputs",
            "logging_strategy": "INFO per phase",
            "error_reporting": "Exit code 1 with the error logged",
        },
        "testing": {
            "unit_tests": ["Transformation on a small frame"],
            "integration_tests": ["Runs after XGBoostModelEval"],
            "validation_criteria": ["Output row count equals input row count"],
        },
        "extra_files_to_update": [],
    }


def plan_responder(*, delay: float = 0.0, usage: Usage | None = None) -> Responder:
    """A responder that answers every planning request with a valid plan.

    The step name is the requirements' first ``# PascalCaseName`` heading (else
    ``ExampleStep``); markdown-mode requests (no ``response_format``) get the seed-format markdown.
    """

    def respond(request: RecordedRequest) -> Reply:
        text = " ".join(str(m.get("content") or "") for m in request.messages[-1:])
        found = _HEADING.search(text)
        draft = sample_draft(found.group(1) if found else "ExampleStep")
        if request.response_format is None:
            from .draft import PlanDraft
            from .render import render_markdown

            content = render_markdown(PlanDraft.model_validate(draft).to_plan())
            return Reply(content, delay=delay, usage=usage)
        return Reply.json(draft, delay=delay, usage=usage)

    return respond


class _Response(NamedTuple):
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: Mapping[str, str] = {}


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


def _error_body(status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {
        "error": {"message": message, "type": kind, "param": None, "code": _ERROR_CODES.get(status)}
    }


def _json(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> _Response:
    return _Response(status, json.dumps(obj).encode(), "application/json", headers or {})


def _not_found(kind: str, ident: str) -> _Response:
    return _json(404, _error_body(404, f"No such {kind} object: {ident}"))


def _line_error(line: int | None, message: str) -> dict[str, Any]:
    return {"code": "invalid_request", "line": line, "message": f"ScriptedServer: {message}"}


def _message_chars(messages: list[dict[str, Any]]) -> int:
    total = 0
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            texts = (p.get("text") for p in content if isinstance(p, dict))
            total += sum(len(t) for t in texts if isinstance(t, str))
    return total


class ScriptedServer:
    """An OpenAI-compatible HTTP server on 127.0.0.1 that answers from a script.

    ``script`` is a sequence of :class:`Reply` consumed in order by chat requests across all
    clients and threads (when exhausted: HTTP 500, counted in :attr:`exhausted_requests`), or
    a :data:`Responder` callable (if it raises: HTTP 500, kept in :attr:`responder_errors`).
    Batches report ``in_progress`` for ``batch_polls_before_complete`` GETs before completing;
    ``batch_garbage_lines`` non-JSON lines are appended to every batch output file.
    """

    def __init__(
        self,
        script: Sequence[Reply] | Responder,
        *,
        model_name: str = "scripted-model",
        batch_polls_before_complete: int = 0,
        batch_garbage_lines: int = 0,
    ) -> None:
        self._responder: Responder | None = script if callable(script) else None
        self._replies: tuple[Reply, ...] = () if callable(script) else tuple(script)
        self.model_name = model_name
        self.batch_polls_before_complete = batch_polls_before_complete
        self.batch_garbage_lines = batch_garbage_lines
        self.responder_errors: list[BaseException] = []
        """Exceptions raised by the responder (each answered with HTTP 500)."""
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._next_reply = 0
        self._exhausted = 0
        self._files: dict[str, _File] = {}
        self._batches: dict[str, _Batch] = {}
        self._ids = itertools.count(1)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._clients: list[openai.OpenAI] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> ScriptedServer:
        """Bind an ephemeral port and serve in a daemon thread; returns ``self``."""
        if self._httpd is not None:
            raise RuntimeError("ScriptedServer is already running")
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="ScriptedServer", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, drop connections, close :meth:`client` clients (idempotent); keep records."""
        httpd, self._httpd = self._httpd, None
        clients, self._clients = self._clients, []
        for client in clients:
            client.close()
        if httpd is None:
            return
        httpd.shutdown()
        httpd.drop_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        """Start the server (if not running) for a ``with`` block."""
        return self if self._httpd is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Close the server."""
        self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` of the running server."""
        if self._httpd is None:
            raise RuntimeError("ScriptedServer is not running; call start() or use `with`")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def client(self, **kw: Any) -> openai.OpenAI:
        """An ``openai.OpenAI`` for this server (api_key "test-key", max_retries 0; ``kw`` wins).

        The client is closed by :meth:`close`.
        """
        import openai

        client = openai.OpenAI(
            **{"base_url": self.base_url, "api_key": "test-key", "max_retries": 0, **kw}
        )
        self._clients.append(client)  # closed by close(), so no sockets leak
        return client

    def async_client(self, **kw: Any) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` configured like :meth:`client`; ``await client.close()`` it."""
        import openai

        return openai.AsyncOpenAI(
            **{"base_url": self.base_url, "api_key": "test-key", "max_retries": 0, **kw}
        )

    # -- inspection --------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every recorded request, in arrival order (batch lines included)."""
        with self._lock:
            return list(self._requests)

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
        with self._lock:
            return self._exhausted

    def file_bytes(self, file_id: str) -> bytes:
        """The stored content of an uploaded or generated file (KeyError if unknown)."""
        with self._lock:
            return self._files[file_id].data

    # -- script ------------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-scripted-{next(self._ids)}"

    def _next(self, request: RecordedRequest) -> Reply:
        if self._responder is not None:
            try:
                return self._responder(request)
            except Exception as exc:
                with self._lock:
                    self.responder_errors.append(exc)
                return Reply.error(500, f"ScriptedServer: responder raised {exc!r}")
        with self._lock:
            if self._next_reply < len(self._replies):
                self._next_reply += 1
                return self._replies[self._next_reply - 1]
            self._exhausted += 1
        n = len(self._replies)
        return Reply.error(500, f"ScriptedServer: script exhausted after {n} requests")

    def _render(self, request: RecordedRequest, reply: Reply) -> tuple[int, dict[str, Any]]:
        if not 200 <= reply.status < 300:
            text = reply.error_message or f"ScriptedServer: scripted HTTP {reply.status}"
            return reply.status, _error_body(reply.status, text)
        content = None if reply.refusal is not None else reply.content
        usage = reply.usage or Usage(_message_chars(request.messages) // 4, len(content or "") // 4)
        message = {"role": "assistant", "content": content, "refusal": reply.refusal}
        choice = {"index": 0, "message": message, "finish_reason": reply.finish_reason}
        return reply.status, {
            "id": self._new_id("chatcmpl"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model or self.model_name,
            "choices": [choice],
            "usage": usage.to_openai(),
        }

    # -- routing -----------------------------------------------------------------------------

    def _route(self, method: str, raw_path: str, headers: dict[str, str], raw: bytes) -> _Response:
        path = urlsplit(raw_path).path
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
        self._record(request)
        parts = path.removeprefix("/v1").strip("/").split("/")
        match method, parts:
            case "POST", ["chat", "completions"]:
                return self._chat(request)
            case "GET", ["models"]:
                model = dict(id=self.model_name, object="model", created=0, owned_by="scripted")
                return _json(200, {"object": "list", "data": [model]})
            case "POST", ["files"]:
                return self._upload(headers.get("content-type", ""), raw)
            case "GET", ["files", file_id]:
                return self._file(file_id, "info")
            case "GET", ["files", file_id, "content"]:
                return self._file(file_id, "content")
            case "DELETE", ["files", file_id]:
                return self._file(file_id, "delete")
            case "POST", ["batches"]:
                return self._create_batch(request.body)
            case "GET", ["batches", batch_id]:
                return self._batch(batch_id, cancel=False)
            case "POST", ["batches", batch_id, "cancel"]:
                return self._batch(batch_id, cancel=True)
        return _json(404, _error_body(404, f"ScriptedServer: no route for {method} {path}"))

    def _chat(self, request: RecordedRequest) -> _Response:
        if request.body is None:
            return _json(400, _error_body(400, "ScriptedServer: body must be a JSON object"))
        reply = self._next(request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.raw_body is not None:
            return _Response(reply.status, reply.raw_body, "application/json", reply.headers)
        status, obj = self._render(request, reply)
        return _json(status, obj, reply.headers)

    def _upload(self, content_type: str, raw: bytes) -> _Response:
        parser = email.parser.BytesParser(policy=email.policy.HTTP)
        message = parser.parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts() if message.is_multipart() else ():
            name = str(part.get_param("name", header="content-disposition"))
            fields[name] = (part.get_filename(), cast(bytes, part.get_payload(decode=True)))
        if "file" not in fields or "purpose" not in fields:
            message_text = "ScriptedServer: multipart fields 'file' and 'purpose' are required"
            return _json(400, _error_body(400, message_text))
        filename, data = fields["file"]
        purpose = fields["purpose"][1].decode()
        return _json(200, self._store(filename or "upload", purpose, data).to_openai())

    def _store(self, filename: str, purpose: str, data: bytes) -> _File:
        stored = _File(self._new_id("file"), filename, purpose, data, int(time.time()))
        with self._lock:
            self._files[stored.id] = stored
        return stored

    def _file(self, file_id: str, action: Literal["info", "content", "delete"]) -> _Response:
        with self._lock:
            stored = (
                self._files.pop(file_id, None) if action == "delete" else self._files.get(file_id)
            )
        if stored is None:
            return _not_found("File", file_id)
        if action == "delete":
            return _json(200, {"id": file_id, "object": "file", "deleted": True})
        if action == "content":
            return _Response(200, stored.data, "application/octet-stream")
        return _json(200, stored.to_openai())

    # -- batches -----------------------------------------------------------------------------

    def _create_batch(self, body: dict[str, Any] | None) -> _Response:
        body = body or {}
        if body.get("endpoint") != "/v1/chat/completions":
            message = "ScriptedServer: only endpoint '/v1/chat/completions' is supported"
            return _json(400, _error_body(400, message))
        input_id = str(body.get("input_file_id"))
        with self._lock:
            source = self._files.get(input_id)
        if source is None:
            return _not_found("File", input_id)
        now = int(time.time())
        batch_id = self._new_id("batch")
        info: dict[str, Any] = {"id": batch_id, "object": "batch", "status": "validating"}
        info.update(endpoint=body["endpoint"], input_file_id=input_id, created_at=now)
        info.update(completion_window=body.get("completion_window", "24h"))
        info.update(expires_at=now + 86400, metadata=body.get("metadata"))
        info.update(request_counts={"total": 0, "completed": 0, "failed": 0})
        final = self._run_batch(batch_id, source.data)
        batch = _Batch(info, final, self.batch_polls_before_complete)
        if batch.polls_left <= 0:
            info.update(batch.final)
        with self._lock:
            self._batches[batch_id] = batch
            return _json(200, dict(info))

    def _batch(self, batch_id: str, *, cancel: bool) -> _Response:
        with self._lock:
            batch = self._batches.get(batch_id)
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
                errors.append(_line_error(number, "the line is not a JSON object with a body"))
            elif item.get("url") != "/v1/chat/completions":
                errors.append(_line_error(number, "url must be '/v1/chat/completions'"))
            elif not isinstance(item.get("custom_id"), str) or item["custom_id"] in seen:
                errors.append(_line_error(number, "custom_id is missing or duplicated"))
            else:
                seen.add(item["custom_id"])
                items.append(item)
        counts = {"total": len(items), "completed": 0, "failed": 0}
        if errors or not items:
            errors = errors or [_line_error(None, "the input file has no requests")]
            failure = {"failed_at": now, "errors": {"object": "list", "data": errors}}
            return {"status": "failed", "request_counts": counts, **failure}
        output: list[bytes] = []
        failed: list[bytes] = []
        for item in items:
            custom_id = item["custom_id"]
            request = RecordedRequest(
                "POST", BATCH_LINE_PATH, {}, item["body"], time.monotonic(), custom_id
            )
            self._record(request)
            reply = self._next(request)
            if reply.raw_body is not None:  # sent verbatim as one output line
                output.append(reply.raw_body.replace(b"\n", b" "))
                continue
            status, obj = self._render(request, reply)
            response = {"status_code": status, "request_id": self._new_id("req"), "body": obj}
            entry = {"id": self._new_id("batch_req"), "custom_id": custom_id}
            entry.update(response=response, error=None)
            (output if 200 <= status < 300 else failed).append(json.dumps(entry).encode())
        output.reverse()  # the real API does not keep input order
        failed.reverse()
        output += [b"ScriptedServer garbage {not json" for _ in range(self.batch_garbage_lines)]
        counts.update(completed=len(items) - len(failed), failed=len(failed))
        result: dict[str, Any] = {"status": "completed", "request_counts": counts}
        result.update(in_progress_at=now, finalizing_at=now, completed_at=now)
        for key, lines in (("output_file_id", output), ("error_file_id", failed)):
            if lines:
                name = f"{batch_id}_{key.removesuffix('_file_id')}.jsonl"
                result[key] = self._store(name, "batch_output", b"\n".join(lines) + b"\n").id
        return result


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer bound to 127.0.0.1:0 that tracks connections so close() can drop them."""

    daemon_threads = True
    # Bursts of simultaneous connects (batch benchmarks, async clients) overflow the default 5.
    request_queue_size = 128

    def __init__(self, owner: ScriptedServer) -> None:
        self.owner = owner
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # skip HTTPServer's slow reverse DNS lookup
        self.server_name, self.server_port = "127.0.0.1", int(self.server_address[1])

    def get_request(self) -> tuple[Any, Any]:
        connection, address = super().get_request()
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that disconnects mid-reply (killed batch, cancelled task) is not a server bug.
        pass

    def drop_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes
    server_version = "ScriptedServer/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's per-request logging."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)

    def _handle(self) -> None:
        owner = cast(_HTTPServer, self.server).owner
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            response = owner._route(self.command, self.path, headers, self._read_body())
        except Exception as exc:  # a bug here must surface as a 500, not a hung client
            response = _json(500, _error_body(500, f"ScriptedServer: internal error {exc!r}"))
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("x-request-id", owner._new_id("req"))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)
