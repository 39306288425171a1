"""The :class:`ScriptedServer`: the shared request handler behind a real HTTP socket."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import openai

from ._routes import _CLIENT_DEFAULTS, _ScriptedDouble
from .replies import Reply, Responder


class ScriptedServer(_ScriptedDouble):
    """An OpenAI-compatible HTTP server on 127.0.0.1 that answers from a script.

    ``script`` is a sequence of :class:`Reply` consumed in order by chat requests across all
    clients and threads (when exhausted: HTTP 500, counted in :attr:`exhausted_requests`), or
    a :data:`Responder` callable (if it raises or returns something else than a `Reply`: HTTP
    500, kept in :attr:`responder_errors`). These 500s of the server's own making carry
    ``x-should-retry: false``, so a test with a script mistake fails at once instead of retrying.
    Batches report ``in_progress`` for ``batch_polls_before_complete`` GETs before completing;
    ``batch_garbage_lines`` non-JSON lines are appended to every batch output file.
    :class:`ScriptedTransport` answers the same way without a socket.
    """

    def __init__(
        self,
        script: Sequence[Reply] | Responder,
        *,
        model_name: str = "scripted-model",
        batch_polls_before_complete: int = 0,
        batch_garbage_lines: int = 0,
    ) -> None:
        super().__init__(
            script,
            model_name=model_name,
            batch_polls_before_complete=batch_polls_before_complete,
            batch_garbage_lines=batch_garbage_lines,
        )
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
        client = openai.OpenAI(**{"base_url": self.base_url, **_CLIENT_DEFAULTS, **kw})
        self._clients.append(client)  # closed by close(), so no sockets leak
        return client

    def async_client(self, **kw: Any) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` configured like :meth:`client`; ``await client.close()`` it."""
        return openai.AsyncOpenAI(**{"base_url": self.base_url, **_CLIENT_DEFAULTS, **kw})


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
        response = owner._handle(self.command, self.path, headers, self._read_body())
        if response.delay:
            time.sleep(response.delay)  # in this handler thread: other requests go on meanwhile
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)
