"""Files on disk: atomic writes (a reader, or a run restarted after SIGKILL, sees all of a file
or nothing), dead writers' temp files, and why a path cannot be read as asked."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Final, Literal

__all__ = [
    "TEMP_SUFFIX",
    "FileProblem",
    "atomic_write",
    "path_problem",
    "read_text",
    "remove_dead_temps",
]

TEMP_SUFFIX: Final = ".pa-tmp"
_UMASK: Final = os.umask(0o022)
os.umask(_UMASK)  # read once: mkstemp creates 0600 files, outputs should get the usual mode


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder, fsync and rename.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "plan.md"
    >>> atomic_write(target, "# Plan\\n"); target.read_text()
    '# Plan\\n'
    """
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX
    )
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remove_dead_temps(folder: Path, under: str = "") -> None:
    """Remove `atomic_write` temp files whose writer process died mid-write (e.g. a SIGKILL).

    ``under`` reaches into subfolders (``"*/"``); temp files of live writers are kept.
    """
    for tmp in folder.glob(f"{under}.*{TEMP_SUFFIX}"):
        try:
            # The name is ``.{target}.{pid}.{random}{TEMP_SUFFIX}`` (see atomic_write).
            pid = int(tmp.name[: -len(TEMP_SUFFIX)].rsplit(".", 2)[1])
            # Our own pid is stale too: a container restarts with the pid its killed run had.
            if pid != os.getpid():
                os.kill(pid, 0)
                continue
        except ProcessLookupError:
            pass  # the writer is gone: its temp file can never be renamed
        except (ValueError, IndexError, OSError):
            continue  # not ours, or a writer we may not signal: leave it
        with contextlib.suppress(OSError):
            tmp.unlink()


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
