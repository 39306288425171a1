"""Files on disk: atomic writes (a reader, or a run restarted after SIGKILL, sees all of a file
or nothing), dead writers' temp files, and why a path cannot be read as asked.

What `atomic_write` does depends on what the path names (issue #13):

- a regular file, or nothing yet: a temp file in the same folder, fsync, rename over it; an
  existing file keeps its permissions (and, where we may, its owner);
- a symlink: its target is written that way, the link stays a link;
- a FIFO, a character device (``/dev/null``, a terminal) or an open file descriptor
  (``/dev/stdout``, ``/dev/fd/N``, ``/proc/self/fd/N``): written through, in place, never
  replaced (appending, so ``>>`` keeps what it had);
- a folder: `IsADirectoryError`; a block device or a socket: `OutputError`.

Portable: no ``os.fchmod`` (absent on Windows before 3.13), and a writer's liveness is asked
with ``os.kill(pid, 0)`` only on POSIX (on Windows that call is not a probe: it interrupts or
terminates the process); elsewhere a temp file older than `DEAD_TEMP_AGE_S` is dead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Final, Literal

from .errors import OutputError, shown_path

__all__ = [
    "DEAD_TEMP_AGE_S",
    "TEMP_SUFFIX",
    "FileProblem",
    "atomic_write",
    "check_writable",
    "path_problem",
    "read_text",
    "remove_dead_temps",
]

TEMP_SUFFIX: Final = ".pa-tmp"
_UMASK: Final = os.umask(0o022)
os.umask(_UMASK)  # read once: mkstemp creates 0600 files, outputs should get the usual mode
#: Without a liveness probe (not POSIX), a temp file this old (seconds) has a dead writer: an
#: atomic write takes milliseconds.
DEAD_TEMP_AGE_S: Final = 3600.0
_POSIX: Final = os.name == "posix"
# Paths that name an already open file: writing them must reach that open file, not a new one.
_OPEN_FILE: Final = re.compile(r"^/(?:dev/(?:stdout|stderr|fd/\d+)|proc/(?:self|\d+)/fd/\d+)$")

_How = Literal["replace", "through"]


def _destination(path: Path) -> tuple[_How, Path, os.stat_result | None]:
    """How ``path`` is written, the path to write, and its current status (None: new file)."""
    try:
        status: os.stat_result | None = os.stat(path)  # follows symlinks: the node written
    except FileNotFoundError:
        status = None
    if status is not None:
        mode = status.st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        special = stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)
        if special or (stat.S_ISREG(mode) and _names_open_file(path)):
            return "through", path, status
        if not stat.S_ISREG(mode):
            kind = "a block device" if stat.S_ISBLK(mode) else "a socket or other special file"
            raise OutputError(
                f"{shown_path(str(path))} is {kind}: a plan is written to a regular file, a "
                "FIFO or a character device. Choose another output."
            )
    # A regular file or a new one; behind a symlink, the target is replaced and the link kept.
    return "replace", Path(os.path.realpath(path)), status


def _names_open_file(path: Path) -> bool:
    """Whether ``path`` (or a symlink on its way) is an open descriptor such as /dev/stdout."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on symlinks followed
        if _OPEN_FILE.match(current):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return False


def _temp_file(target: Path) -> tuple[int, str]:
    # The name is ``.{target}.{pid}.{random}{TEMP_SUFFIX}``: remove_dead_temps reads the pid.
    return tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=TEMP_SUFFIX
    )


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path``: a regular file atomically (temp file, fsync, rename), a
    symlink's target the same way, a FIFO, device or open descriptor in place (module doc).

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "plan.md"
    >>> atomic_write(target, "# Plan\\n"); target.read_text()
    '# Plan\\n'
    """
    how, target, status = _destination(path)
    if how == "through":
        # Never O_CREAT or O_TRUNC: the node exists and stays what it is.
        fd = os.open(target, os.O_WRONLY | os.O_APPEND)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return
    fd, tmp = _temp_file(target)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _keep_owner_and_mode(tmp, status)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _keep_owner_and_mode(tmp: str, replaced: os.stat_result | None) -> None:
    """Give the temp file the replaced file's mode (new files: 0666 minus the umask)."""
    if replaced is None:
        os.chmod(tmp, 0o666 & ~_UMASK)
        return
    if hasattr(os, "chown"):  # root replacing someone's file must not make it root's
        with contextlib.suppress(OSError):  # not allowed (not root): the writer owns it
            os.chown(tmp, replaced.st_uid, replaced.st_gid)
    os.chmod(tmp, stat.S_IMODE(replaced.st_mode))  # after chown, which may clear set-id bits


def check_writable(path: Path) -> None:
    """Raise what `atomic_write` would raise for ``path``, before any work is paid for.

    A file is probed by creating (and removing) a temp file in its folder, the way the write
    will; permission bits are not trusted (root passes ``os.access`` even on ``/proc``). The
    folder must exist. Raises `OSError` or `OutputError`.
    """
    how, target, _ = _destination(path)
    if how == "through":
        if not os.access(target, os.W_OK):  # opening a FIFO to probe it would block
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return
    fd, tmp = _temp_file(target)
    os.close(fd)
    os.unlink(tmp)


def remove_dead_temps(folder: Path, under: str = "", *, pid_probe: bool = _POSIX) -> None:
    """Remove `atomic_write` temp files whose writer process died mid-write (e.g. a SIGKILL).

    ``under`` reaches into subfolders (``"*/"``); temp files of live writers are kept. With
    ``pid_probe`` (the default on POSIX) a writer is alive while its pid answers
    ``os.kill(pid, 0)``; without it, while its temp file is younger than `DEAD_TEMP_AGE_S`.
    """
    for tmp in folder.glob(f"{under}.*{TEMP_SUFFIX}"):
        try:
            pid = int(tmp.name[: -len(TEMP_SUFFIX)].rsplit(".", 2)[1])
        except (ValueError, IndexError):
            continue  # not ours: leave it
        if _writer_alive(tmp, pid, pid_probe):
            continue
        with contextlib.suppress(OSError):
            tmp.unlink()


def _writer_alive(tmp: Path, pid: int, pid_probe: bool) -> bool:
    if pid_probe:
        # Our own pid is stale too: a container restarts with the pid its killed run had.
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False  # the writer is gone: its temp file can never be renamed
        except OSError:
            return True  # a writer we may not signal: alive
        return True
    try:
        return time.time() - tmp.stat().st_mtime < DEAD_TEMP_AGE_S
    except OSError:
        return True


class FileProblem(Exception):
    """Why a path cannot be used as asked ("does not exist", "is a binary file"...).

    Internal: each caller turns it into its own typed error, naming what the file was for.
    """


def path_problem(path: Path, kind: Literal["file", "directory"]) -> str | None:
    """Why ``path`` is not an existing ``kind``, or None when it is.

    >>> path_problem(Path("/"), "directory") is None, path_problem(Path("/"), "file")
    (True, 'is a directory')
    """
    try:
        if not path.exists():
            return "does not exist"
        is_dir = path.is_dir()
    except OSError as exc:  # e.g. a name too long for the file system
        return f"cannot be used ({exc.strerror or exc})"
    if kind == "directory":
        return None if is_dir else "is not a directory"
    if is_dir:
        return "is a directory"
    return None if path.is_file() else "is not a regular file"


def read_text(path: Path) -> str:
    """The UTF-8 text of the file at ``path`` (a BOM is dropped); `FileProblem` says why not."""
    problem = path_problem(path, "file")
    if problem is not None:
        raise FileProblem(problem)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileProblem(f"cannot be read ({exc.strerror or exc})") from None
    if b"\x00" in raw:
        raise FileProblem("is a binary file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
