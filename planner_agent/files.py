"""Atomic file writes: a reader (or a run restarted after SIGKILL) sees all of a file or nothing."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Final

__all__ = ["TEMP_SUFFIX", "atomic_write", "remove_dead_temps"]

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
            if pid != os.getpid():
                os.kill(pid, 0)
                continue
        except ProcessLookupError:
            pass  # the writer is gone: its temp file can never be renamed
        except (ValueError, IndexError, OSError):
            continue  # not ours, or a writer we may not signal: leave it
        with contextlib.suppress(OSError):
            tmp.unlink()
