"""The :class:`ScriptedServer`: lifecycle, request recording, the script, routing and chat."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import socketserver
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from ._wire import _error_body, _json, _Response
from .batches import _FilesAndBatches
from .replies import BATCH_LINE_PATH, RecordedRequest, Reply, Responder, Usage

if TYPE_CHECKING:
    import openai

_SECRET_HEADERS = {"authorization": "Bearer ***", "api-key": "***", "x-api-key": "***"}


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
    a :data:`Responder` callable (if it raises or returns something else than a `Reply`: HTTP
    500, kept in :attr:`responder_errors`). These 500s of the server's own making carry
    ``x-should-retry: false``, so a test with a script mistake fails at once instead of retrying.
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
        for number, reply in enumerate(self._replies):
            if not isinstance(reply, Reply):
                raise TypeError(
                    f"script item {number} is a {type(reply).__name__}, not a Reply: use "
                    "Reply(...), Reply.json(...) or Reply.error(...), or pass a responder callable"
                )
        self.model_name = model_name
        self.batch_polls_before_complete = batch_polls_before_complete
        self.batch_garbage_lines = batch_garbage_lines
        self.responder_errors: list[BaseException] = []
        """Exceptions raised by the responder (each answered with HTTP 500)."""
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._next_reply = 0
        self._exhausted = 0
        self._ids = itertools.count(1)
        self._emulation = _FilesAndBatches(self)
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
            return self._emulation.files[file_id].data

    # -- script ------------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-scripted-{next(self._ids)}"

    def _next(self, request: RecordedRequest) -> Reply:
        if self._responder is not None:
            try:
                reply = self._responder(request)
                if not isinstance(reply, Reply):
                    raise TypeError(f"the responder returned {reply!r}, not a Reply")
                return reply
            except Exception as exc:
                with self._lock:
                    self.responder_errors.append(exc)
                return _own_failure(f"responder raised {exc!r}")
        with self._lock:
            if self._next_reply < len(self._replies):
                self._next_reply += 1
                return self._replies[self._next_reply - 1]
            self._exhausted += 1
        n = len(self._replies)
        return _own_failure(f"script exhausted after {n} requests; add replies to the script")

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
                return self._emulation.upload(headers.get("content-type", ""), raw)
            case "GET", ["files", file_id]:
                return self._emulation.file(file_id, "info")
            case "GET", ["files", file_id, "content"]:
                return self._emulation.file(file_id, "content")
            case "DELETE", ["files", file_id]:
                return self._emulation.file(file_id, "delete")
            case "POST", ["batches"]:
                return self._emulation.create_batch(request.body)
            case "GET", ["batches", batch_id]:
                return self._emulation.batch(batch_id, cancel=False)
            case "POST", ["batches", batch_id, "cancel"]:
                return self._emulation.batch(batch_id, cancel=True)
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
            body = _error_body(500, f"ScriptedServer: internal error {exc!r}")
            response = _json(500, body, _NOT_RETRYABLE)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("x-request-id", owner._new_id("req"))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)


_NOT_RETRYABLE = MappingProxyType({"x-should-retry": "false"})


def _own_failure(message: str) -> Reply:
    """A 500 for a mistake in the test's script: marked not retryable, so it surfaces at once."""
    return Reply.error(500, f"ScriptedServer: {message}", headers=_NOT_RETRYABLE)
