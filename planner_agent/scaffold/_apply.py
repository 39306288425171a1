"""All-or-nothing writing of a set of file changes, and their unified diff.

`apply_changes` writes every new text to a temporary sibling of its file first (same folder, so
the rename cannot cross file systems), fsyncs it, and only then renames each over its file. A
failure while staging leaves the repository untouched; a failure while renaming restores what
was there: files that were created are removed, files that were edited get their old text back,
folders created for the step are removed again. Either way the temporaries are gone.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .._files import TEMP_SUFFIX, atomic_write
from ..errors import shown_path
from ._types import Action, FileKind, ScaffoldError

__all__ = ["Change", "apply_changes", "unified_diff"]

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: new files get the usual mode (0666 minus the umask)


@dataclass(frozen=True)
class Change:
    """One file to write: repository-relative ``rel``, its real path, old text (None: new)."""

    rel: str
    target: Path
    kind: FileKind
    old: str | None
    new: str

    @property
    def action(self) -> Action:
        """``create`` for a new file, ``edit`` for an existing one."""
        return "create" if self.old is None else "edit"


def unified_diff(changes: list[Change]) -> str:
    """The changes as one unified diff (``/dev/null`` as the old side of a new file)."""
    parts: list[str] = []
    for change in changes:
        old = "" if change.old is None else change.old
        parts.extend(
            _file_diff(
                old.splitlines(keepends=True),
                change.new.splitlines(keepends=True),
                "/dev/null" if change.old is None else f"a/{change.rel}",
                f"b/{change.rel}",
            )
        )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in parts
    )


_HUNK = re.compile(r"^@@ -(\d+)((?:,\d+)?) \+(\d+)((?:,\d+)?) @@")


def _file_diff(a: list[str], b: list[str], fromfile: str, tofile: str, n: int = 3) -> list[str]:
    """`difflib.unified_diff` of the region that differs (a long registry or ``__init__`` gets
    one short insertion: matching only that region keeps the diff fast), line numbers kept."""
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(a), len(b)) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    start, cut = max(prefix - n, 0), max(suffix - n, 0)
    lines = list(
        difflib.unified_diff(
            a[start : len(a) - cut], b[start : len(b) - cut], fromfile, tofile, n=n
        )
    )

    def shift(match: re.Match[str]) -> str:
        old, new = int(match[1]) + start, int(match[3]) + start
        return f"@@ -{old}{match[2]} +{new}{match[4]} @@"

    return [_HUNK.sub(shift, line) if line.startswith("@@") else line for line in lines]


def _mkdirs(folder: Path, created: list[Path]) -> None:
    missing = []
    for parent in [folder, *folder.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for path in reversed(missing):
        path.mkdir()
        created.append(path)


def _stage(change: Change) -> str:
    """Write ``change.new`` to a temporary sibling of its target; return the temporary's path."""
    target = change.target
    fd, tmp = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=TEMP_SUFFIX
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(change.new)
            fh.flush()
            os.fsync(fh.fileno())
        mode = stat.S_IMODE(target.stat().st_mode) if change.old is not None else 0o666 & ~_UMASK
        os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def apply_changes(changes: list[Change]) -> None:
    """Write every change or none (module doc); `ScaffoldError` says which file failed."""
    created_dirs: list[Path] = []
    staged: list[tuple[Change, str]] = []
    done: list[Change] = []
    current = changes[0] if changes else None
    try:
        for change in changes:
            current = change
            _mkdirs(change.target.parent, created_dirs)
            staged.append((change, _stage(change)))
        for change, tmp in staged:
            current = change
            os.replace(tmp, change.target)
            done.append(change)
    except (OSError, UnicodeError) as exc:
        problems = _restore(done, staged, created_dirs)
        where = shown_path(current.rel) if current else "a file"
        restored = "restored what was there" if not problems else "; ".join(problems)
        raise ScaffoldError(
            f"writing {where} failed ({exc}); nothing was scaffolded: {restored}",
            path=current.rel if current else None,
        ) from exc
    except BaseException:
        _restore(done, staged, created_dirs)
        raise


def _restore(done: list[Change], staged: list[tuple[Change, str]], dirs: list[Path]) -> list[str]:
    """Undo the renames in ``done``, drop the temporaries and the created folders."""
    problems = []
    for change in reversed(done):
        try:
            if change.old is None:
                change.target.unlink()
            else:
                atomic_write(change.target, change.old)
        except OSError as exc:
            problems.append(f"could not restore {shown_path(change.rel)} ({exc})")
    for _, tmp in staged:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    for folder in reversed(dirs):
        with contextlib.suppress(OSError):
            folder.rmdir()
    return problems
