"""One batch run per output folder: a lock file made with ``O_CREAT | O_EXCL``.

Two runs into one folder would pay twice for every item and leave files and a summary that
disagree. The lock file holds the pid, host and start time of its run. A lock whose process is
gone (same host, dead pid) is taken over; any other makes the second run a `BatchError` that
names the lock and how to remove it if its run is gone. On POSIX the holder also keeps an
``flock`` on the file, so two runs that find the same stale lock cannot both take it over.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import BatchError

if sys.platform != "win32":
    import fcntl

__all__ = ["LOCK_NAME", "FolderLock"]

#: The lock's file name in out_dir (hidden: no item name starts with a dot).
LOCK_NAME = ".planner_agent.lock"

_HELD: set[str] = set()  # locks held by this process (the pid check cannot tell them)
_HELD_GUARD = threading.Lock()


class FolderLock:
    """The lock of one output folder for one run; `acquire` then `release` (idempotent)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._fd: int | None = None
        self.took_over: dict[str, Any] | None = None  # the stale lock this run replaced

    def acquire(self) -> None:
        """Take the lock, or take over a stale one; `BatchError` if a live run holds it."""
        for _ in range(20):  # each turn loses a race to a run that came and went
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
            except FileExistsError:
                if self._take_over():
                    return
                continue
            except OSError as exc:
                raise BatchError(
                    f"Could not create the batch lock {str(self.path)!r}: {exc.strerror or exc}."
                ) from None
            try:
                _flock(fd, wait=True)  # a run probing this new lock lets go at once
                self._own(fd)
            except BaseException:
                os.close(fd)
                raise
            return
        raise BatchError(f"Could not take the batch lock {str(self.path)!r}; try again.")

    def _take_over(self) -> bool:
        """Replace the existing lock if it is stale: True when it is now ours."""
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return False  # released meanwhile: create it again
        except OSError as exc:
            raise BatchError(
                f"Could not read the batch lock {str(self.path)!r}: {exc.strerror or exc}."
            ) from None
        try:
            held = not _flock(fd, wait=False)
            if not held and not _same_file(self.path, fd):
                os.close(fd)
                return False  # released (unlinked) while we opened it
            info = _read(fd)
            if held or not _stale(info, str(self.path)):
                raise _locked(self.path, info)
            self._own(fd)
            self.took_over = info
            return True
        except BaseException:
            if self._fd != fd:
                with contextlib.suppress(OSError):
                    os.close(fd)
            raise

    def _own(self, fd: int) -> None:
        """Write this run's pid, host and start time into the locked file."""
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, (json.dumps(info) + "\n").encode())
            os.fsync(fd)
        except OSError as exc:  # the caller closes fd
            with contextlib.suppress(OSError):
                if _same_file(self.path, fd):
                    os.unlink(self.path)  # half written: no later run could read it
            raise BatchError(
                f"Could not write the batch lock {str(self.path)!r}: {exc.strerror or exc}."
            ) from None
        self._fd = fd
        with _HELD_GUARD:
            _HELD.add(str(self.path))

    def release(self) -> None:
        """Remove the lock if it is still ours (never raises; a vanished folder is fine)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            if _same_file(self.path, fd):
                os.unlink(self.path)  # before closing: a waiting run then sees it gone
        with contextlib.suppress(OSError):
            os.close(fd)
        with _HELD_GUARD:
            _HELD.discard(str(self.path))


def _flock(fd: int, *, wait: bool) -> bool:
    """An exclusive ``flock`` on ``fd`` (True when taken); always True where there is none."""
    if sys.platform == "win32":
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError:
        return True  # no flock on this file system: the pid check decides alone
    return True


def _same_file(path: Path, fd: int) -> bool:
    try:
        here, ours = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (ours.st_dev, ours.st_ino)


def _read(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stale(info: dict[str, Any], path: str) -> bool:
    """The lock's run is gone: it ran on this host and its process no longer exists."""
    pid = info.get("pid")
    if not isinstance(pid, int) or info.get("host") != socket.gethostname():
        return False  # unreadable, or another machine's: only a person can tell
    if pid == os.getpid():
        # Our pid, but not a lock we hold: a restarted container reuses its killed run's pid.
        with _HELD_GUARD:
            return path not in _HELD
    if sys.platform == "win32":
        return False  # os.kill(pid, 0) is not a probe there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # alive, another user's
    return False


def _locked(path: Path, info: dict[str, Any]) -> BatchError:
    if info:
        who = (
            f"process {info.get('pid')} on host {info.get('host')!r}, started {info.get('started')}"
        )
    else:
        who = "a run whose lock cannot be read"
    return BatchError(
        f"Another batch run is writing to {str(path.parent)!r} ({who}): two runs into one "
        f"folder would pay twice and mix their files. Wait for it to end or use another out_dir. "
        f"If that run is gone (e.g. its machine restarted), delete the lock file {str(path)!r} "
        "and run again."
    )
