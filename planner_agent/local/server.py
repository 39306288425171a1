"""llama.cpp's server for a local model: one per model file per process, and its `Connection`."""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.util
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Protocol, TextIO, cast

import openai

from .._connection import Connection
from ..errors import LocalModelError
from .assembly import _assemble, _cache_dir, _is_verified, _isatty, _writer, assemble_model
from .models import DEFAULT_N_CTX, INSTALL_HINT, LocalModelSpec, _resolve_spec_arg, resolve_spec

__all__ = [
    "LOCAL_ENV",
    "LocalServer",
    "decode_threads",
    "get_server",
    "local_connection",
    "local_enabled",
    "stop_servers",
]

#: Set to ``0`` to keep the embedded model from starting (e.g. on CI machines with the extra).
LOCAL_ENV: Final = "PLANNER_LOCAL"

_LOG_TAIL_LINES: Final = 15


# -- the server -------------------------------------------------------------------------------------
class _CpuParams(Protocol):
    n_threads: int
    poll: int


class _ModelParams(Protocol):
    path: str


class _CommonParams(Protocol):
    model: _ModelParams
    model_alias: set[str]
    n_ctx: int
    n_parallel: int
    verbosity: int
    cpuparams: _CpuParams
    cpuparams_batch: _CpuParams


class _Server(Protocol):
    @property
    def listening_address(self) -> str: ...


class _Xllamacpp(Protocol):
    def CommonParams(self) -> _CommonParams: ...

    def Server(self, params: _CommonParams) -> _Server: ...


def local_enabled(env: Mapping[str, str] | None = None) -> bool:
    """True when the embedded model can serve: ``xllamacpp`` is installed and not switched off.

    Looks for the package without importing it (importing loads llama.cpp).

    >>> local_enabled({LOCAL_ENV: "0"})
    False
    """
    environ = os.environ if env is None else env
    return environ.get(LOCAL_ENV, "1") != "0" and importlib.util.find_spec("xllamacpp") is not None


def _import_xllamacpp() -> _Xllamacpp:
    try:
        return cast("_Xllamacpp", importlib.import_module("xllamacpp"))
    except ImportError as exc:
        raise LocalModelError(
            f"The embedded local model needs the package xllamacpp, which cannot be imported "
            f"({exc}): {INSTALL_HINT}"
        ) from exc


def _cpu_count() -> int:
    counter = getattr(os, "process_cpu_count", None)
    if counter is not None:
        n = counter()
    elif hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - platforms without affinity
        n = os.cpu_count()
    return max(int(n or 1), 1)


def decode_threads(cores: int, load: float | None = None) -> int:
    """Threads for generating tokens: all ``cores``, or 1 when the machine is already busy.

    Each generated token synchronises the threads a few hundred times; when other processes keep
    the cores busy, every synchronisation waits for a descheduled thread. Measured on 2 shared
    cores (load 5.5, both niced): 2.1 tokens/s with 1 thread, 0.57 with 2. Prompt processing works
    in large batches and keeps every core. `LocalServer.start` asks once per start (``load``:
    the 1-minute load average then); a server keeps its count until it restarts.

    >>> decode_threads(2, load=0.3), decode_threads(2, load=5.5), decode_threads(1, load=0.0)
    (2, 1, 1)
    """
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:  # pragma: no cover - platforms without a load average
            load = 0.0
    return 1 if load >= cores else cores


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Point file descriptor 2 at ``path`` (llama.cpp logs there from C++) for the duration.

    Process-wide while it lasts (about a second per start); serialised so that two servers
    starting at once cannot leave descriptor 2 pointing at a log file.
    """
    with _FD2_LOCK:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        saved = os.dup(2)
        try:
            with path.open("ab") as log:
                os.dup2(log.fileno(), 2)
                try:
                    yield
                finally:
                    _settle(path)
                    os.dup2(saved, 2)
        finally:
            os.close(saved)


_FD2_LOCK = threading.Lock()


def _settle(path: Path, quiet: float = 0.05, limit: float = 1.0) -> None:
    """Let llama.cpp's asynchronous logger finish writing: wait until ``path`` stops growing."""
    deadline = time.monotonic() + limit
    last = -1
    while time.monotonic() < deadline:
        try:
            size = path.stat().st_size
        except OSError:
            return
        if size == last:
            return
        last = size
        time.sleep(quiet)


@dataclass(eq=False)
class LocalServer:
    """llama.cpp's OpenAI-compatible server for one GGUF file, in this process, on 127.0.0.1.

    Starts on `start` (or the first `base_url`), on an ephemeral port so servers never collide;
    `stop` (or leaving a ``with`` block) shuts it down. Its startup log goes to ``log_path``.
    """

    model_path: Path
    model_name: str
    n_ctx: int = DEFAULT_N_CTX
    n_threads: int = field(default_factory=_cpu_count)
    #: Threads for generating tokens; None: `decode_threads` decides from the load average when
    #: the server starts (once per start, not per request: llama.cpp fixes it at start-up).
    decode_threads: int | None = None
    #: How hard idle worker threads spin (0-100; llama.cpp's default 50). 0 on machines whose
    #: cores are shared: spinning threads take CPU time from the threads doing the work.
    poll: int = 0
    verbose: bool = False
    log_path: Path | None = None
    startup_seconds: float | None = field(default=None, init=False)
    _server: _Server | None = field(default=None, init=False, repr=False)
    _pid: int | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def running(self) -> bool:
        """True while this process's server is up."""
        return self._server is not None and self._pid == os.getpid()

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``http://127.0.0.1:PORT/v1``); starts the server."""
        return f"{self.start().listening_address}/v1"

    def start(self) -> _Server:
        """Start the server unless it is running; `LocalModelError` with its log tail on failure."""
        with self._lock:
            if self._server is not None and self._pid == os.getpid():
                return self._server
            if self._server is not None:
                # Forked child: the parent's server threads do not exist here; destroying the
                # object would wait for them. Keep it referenced and start a fresh one.
                _FORKED_LEFTOVERS.append(self._server)
                self._server = None
            xl = _import_xllamacpp()
            params = xl.CommonParams()
            params.model.path = str(self.model_path)
            params.model_alias = {self.model_name}
            params.n_ctx = self.n_ctx
            params.n_parallel = 1
            params.cpuparams.n_threads = (
                decode_threads(self.n_threads)
                if self.decode_threads is None
                else self.decode_threads
            )
            params.cpuparams_batch.n_threads = self.n_threads
            params.cpuparams.poll = params.cpuparams_batch.poll = self.poll
            # 1 = errors only: info lines would otherwise reach the user's stderr per request.
            params.verbosity = 3 if self.verbose else 1
            own_log = self.log_path is None
            if self.log_path is None:
                fd, name = tempfile.mkstemp(prefix="planner_agent-llama-", suffix=".log")
                os.close(fd)
                self.log_path = Path(name)
            started = time.perf_counter()
            try:
                with _stderr_to(self.log_path):
                    server = xl.Server(params)
                    address = server.listening_address
            except Exception as exc:
                raise LocalModelError(
                    f"The local model server for {self.model_name} ({self.model_path}) failed "
                    f"to start: {exc}. Log {self.log_path}, last lines: {self.log_tail()}"
                ) from exc
            if not address.startswith("http"):
                raise LocalModelError(
                    f"The local model server for {self.model_name} reported no address "
                    f"({address!r}). Log {self.log_path}, last lines: {self.log_tail()}"
                )
            self.startup_seconds = time.perf_counter() - started
            self._server, self._pid = server, os.getpid()
            if self.verbose:
                with contextlib.suppress(OSError):
                    sys.stderr.write(self.log_path.read_text(encoding="utf-8", errors="replace"))
            if own_log:  # kept only when the start failed (the error names it)
                with contextlib.suppress(OSError):
                    self.log_path.unlink()
                self.log_path = None
            return server

    def stop(self) -> None:
        """Shut the server down (llama.cpp stops when its object is released); idempotent."""
        with self._lock:
            server, self._server = self._server, None
            if server is not None and self._pid != os.getpid():
                _FORKED_LEFTOVERS.append(server)
            del server  # the last reference: ~Server waits for its loop to exit

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last lines of the server's startup log, joined with `` | `` (one line)."""
        if self.log_path is None:
            return "(no log)"
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(log unreadable)"
        tail = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
        return " | ".join(tail) or "(empty log)"

    def client(self, timeout: float | None = None) -> openai.OpenAI:
        """An ``openai.OpenAI`` client for this server, its own retries off."""
        client = openai.OpenAI(base_url=self.base_url, api_key="local", max_retries=0)
        return client if timeout is None else client.with_options(timeout=timeout)

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


_FORKED_LEFTOVERS: list[_Server] = []
_SERVERS: dict[Path, LocalServer] = {}
_SERVERS_LOCK = threading.Lock()
_ATEXIT_REGISTERED = False


def get_server(
    model: LocalModelSpec | str | Path | None = None,
    *,
    n_ctx: int | None = None,
    cache_dir: str | Path | None = None,
    verbose: bool = False,
) -> LocalServer:
    """The process-wide running server for ``model`` (a table name, spec, or .gguf path).

    One server per model file, shared by every caller; started on first use and stopped at
    interpreter exit. Asking for a larger ``n_ctx`` than the running server has restarts it.
    """
    global _ATEXIT_REGISTERED
    if isinstance(model, Path) or (isinstance(model, str) and model.lower().endswith(".gguf")):
        path = Path(model).expanduser().resolve()
        if not path.is_file():
            raise LocalModelError(f"The local model file {path} does not exist.")
        name, default_ctx = path.stem.lower(), DEFAULT_N_CTX
    else:
        spec = _resolve_spec_arg(model)
        path = assemble_model(spec, cache_dir, verbose=verbose)
        name, default_ctx = spec.display_name, spec.n_ctx
    wanted = n_ctx or default_ctx
    with _SERVERS_LOCK:
        server = _SERVERS.get(path)
        if server is not None and server.n_ctx < wanted:
            server.stop()
            server = None
        if server is None:
            server = LocalServer(path, name, n_ctx=wanted, verbose=verbose)
            _SERVERS[path] = server
        if not _ATEXIT_REGISTERED:
            atexit.register(stop_servers)
            _ATEXIT_REGISTERED = True
    server.start()
    return server


def stop_servers() -> None:
    """Stop every server `get_server` started (registered with `atexit`)."""
    with _SERVERS_LOCK:
        servers = list(_SERVERS.values())
        _SERVERS.clear()
    for server in servers:
        server.stop()


# -- the connection ---------------------------------------------------------------------------------
_ANNOUNCED: set[Path] = set()


def local_connection(
    model: str | None = None,
    timeout: float | None = None,
    *,
    n_ctx: int | None = None,
    cache_dir: str | Path | None = None,
    verbose: bool | None = None,
    stream: TextIO | None = None,
) -> Connection:
    """A `Connection` to the embedded local model (assembled and started on first use).

    ``model`` is a name from `LOCAL_MODELS` (or an alias, or a path to a .gguf file); None picks
    the default. The first use in a process prints one line to stderr saying what happens
    (with assembly percentages when stderr is a TTY or ``verbose``).
    """
    out = stream if stream is not None else sys.stderr
    say = _writer(out)
    gguf: Path | None = None
    spec: LocalModelSpec | None = None
    if model is not None and model.lower().endswith(".gguf"):
        gguf = Path(model).expanduser().resolve()
        key, label = gguf, gguf.stem.lower()
    else:
        spec = resolve_spec(model)
        key, label = _cache_dir(cache_dir) / spec.filename, spec.display_name
    first = key not in _ANNOUNCED
    try:
        if first:
            say(f"planner-agent: no API configured; embedded local model {label}:")
            if spec is not None and not _is_verified(key, spec):
                show = _isatty(out) if verbose is None else verbose
                say(f" assembling ({spec.size / 1e6:.0f} MB) …")
                _assemble(spec, key.parent, say if show else None, "", "")
            running = _SERVERS.get(key)
            if running is None or not running.running:
                say(" starting …")
        server = get_server(
            gguf if gguf is not None else spec,
            n_ctx=n_ctx,
            cache_dir=cache_dir,
            verbose=bool(verbose),
        )
    except BaseException:
        if first:
            say(" failed\n")
        raise
    if first:
        _ANNOUNCED.add(key)
        say(" planning (about half a minute per plan on 2 CPU cores)\n")
    client = server.client(timeout)
    return Connection(client, server.model_name, str(client.base_url), "local", server.n_ctx)
