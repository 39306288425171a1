"""A batch's output folder: each item's file names and files, and what ``resume=True`` trusts.

An item ``x`` owns ``x.json`` + ``x.md`` (a plan) or ``x.error.json`` (a failure); names are checked
against each other and the file system's name limit before any request. A write that fails keeps
the plan in memory: the caller records the problem, and tells a folder-wide failure (disk full,
folder gone) from one file in the way.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pydantic

from .._files import TEMP_SUFFIX, atomic_write
from ..errors import BatchError
from ..result import PlanResult
from ._inputs import RESERVED_NAMES
from ._types import BatchItem

__all__ = [
    "check_names",
    "describe",
    "folder_failed",
    "load_result",
    "name_limit",
    "payload",
    "prior_result",
    "write_item",
]

#: The files one item may own in out_dir.
SUFFIXES = (".json", ".md", ".error.json")
#: The batch's own files, which no item may overwrite.
RESERVED_FILES = tuple(sorted(f"{name}.json" for name in RESERVED_NAMES))
# What `atomic_write`'s temp file adds to a file name: ".{file}.{pid}." + 8 random + TEMP_SUFFIX
# (pids have at most 7 digits on Linux). The longest file is "<name>.error.json".
_TEMP_EXTRA = 1 + 1 + 7 + 1 + 8 + len(TEMP_SUFFIX)
_LONGEST_SUFFIX = max(len(s) for s in SUFFIXES)
# Failures that no other file in the folder would escape.
_FOLDER_WIDE = frozenset(
    code
    for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EROFS, errno.EIO)
    if code is not None
)


# -- names ----------------------------------------------------------------------------------------
def name_limit(folder: Path) -> int:
    """The longest item name (in bytes) whose files fit the file-name limit of ``folder``.

    The limit is ``os.pathconf(folder, "PC_NAME_MAX")`` of the folder (or of its nearest existing
    parent, before it is made), 255 where the system does not say.
    """
    limit = 255
    for candidate in (folder, *folder.parents):
        try:
            value = os.pathconf(candidate, "PC_NAME_MAX")
        except FileNotFoundError:
            continue
        except (OSError, ValueError, AttributeError):  # unknown here, or no pathconf (Windows)
            break
        limit = value if value > 0 else limit
        break
    return limit - _LONGEST_SUFFIX - _TEMP_EXTRA


def _size(name: str) -> int:
    try:
        return len(os.fsencode(name))
    except UnicodeError:
        return len(name.encode("utf-8", "surrogatepass"))


def check_names(names: Iterable[str], folder: Path) -> None:
    """Raise `BatchError` naming the items whose files would be too long or overwrite others'."""
    names = list(names)
    longest = name_limit(folder)
    if too_long := [n for n in names if _size(n) > longest]:
        shown = ", ".join(
            f"{n[:40]!r}{'...' if len(n) > 40 else ''} ({_size(n)} bytes)" for n in too_long[:5]
        )
        more = f" and {len(too_long) - 5} more" if len(too_long) > 5 else ""
        raise BatchError(
            f"Item name(s) too long for file names in {str(folder)!r}: {shown}{more}. Names there "
            f"may have at most {longest} bytes (the file system allows {longest + _LONGEST_SUFFIX + _TEMP_EXTRA} "
            f"per file name; {_LONGEST_SUFFIX + _TEMP_EXTRA} go to '.error.json' and the temp file "
            "of an atomic write). Shorten them (a mapping name -> text names items freely)."
        )
    owners: dict[str, str] = {file.casefold(): "" for file in RESERVED_FILES}
    clashes: list[str] = []
    for name in names:
        for suffix in SUFFIXES:
            file = f"{name}{suffix}"
            other = owners.setdefault(file.casefold(), name)
            if other == "":
                clashes.append(f"{name!r} would overwrite the batch's own {file}")
            elif other != name:
                clashes.append(f"{name!r} and {other!r} would overwrite each other's {file}")
    if clashes:
        shown = "; ".join(clashes[:5]) + (
            f"; and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        )
        raise BatchError(
            f"Item names clash in out_dir: {shown} (an item x writes x.json, x.md or "
            "x.error.json). Rename them."
        )


# -- writing --------------------------------------------------------------------------------------
def payload(item: BatchItem) -> str | None:
    """The stored form of an item's plan (``<name>.json`` and cache entries); None for no plan."""
    if item.result is None or item.status == "failed":
        return None
    data = {**item.result.to_dict(), "request_key": item.request_key, "name": item.name}
    return json.dumps(data, indent=2)


def write_item(folder: Path, item: BatchItem, stored: str | None) -> list[tuple[str, OSError]]:
    """Write what can be written of the item's files; the ``(file, error)`` of each that failed.

    A plan writes ``.md`` then ``.json`` (resume trusts the pair); a failure its ``.error.json``.
    The other outcome's files are removed only once the new one is complete.
    """
    problems: list[tuple[str, OSError]] = []

    def put(file: str, text: str) -> None:
        try:
            atomic_write(folder / file, text)
        except OSError as exc:
            problems.append((file, exc))

    name = item.name
    if stored is not None and item.result is not None:
        put(f"{name}.md", item.result.to_markdown())
        put(f"{name}.json", stored)
        stale = [f"{name}.error.json"]
    else:
        row = item.row()
        error = {k: row[k] for k in ("name", "source", "request_key", "error_type", "usage")}
        error["message"] = row["error"]
        put(f"{name}.error.json", json.dumps(error, indent=2))
        stale = [f"{name}.json", f"{name}.md"]
    for file in [] if problems else stale:  # exactly one outcome per item on disk
        try:
            (folder / file).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            problems.append((file, exc))
    return problems


def describe(problems: list[tuple[str, OSError]]) -> str:
    """``"x.md: Is a directory; ..."``: what `write_item` could not do."""
    return "; ".join(f"{file}: {exc.strerror or exc}" for file, exc in problems)


def folder_failed(folder: Path, problems: list[tuple[str, OSError]]) -> bool:
    """Whether the failures are the folder's (full, read-only, gone), not one file's.

    A failure of the disk itself says so; otherwise a small probe write decides.
    """
    if any(exc.errno in _FOLDER_WIDE for _, exc in problems):
        return True
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe.", suffix=TEMP_SUFFIX)
    except OSError:
        return True
    try:
        os.write(fd, b"probe\n")
        os.fsync(fd)
    except OSError:
        return True
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)
    return False


# -- reading --------------------------------------------------------------------------------------
def load_result(path: Path, key: str | None) -> PlanResult | None:
    """The stored result at ``path`` if it is complete and carries ``key``; None otherwise."""
    try:
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict) or data.get("request_key") != key:
            return None
        return PlanResult.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError, pydantic.ValidationError):
        return None  # missing, truncated or stale: planned again and rewritten


def prior_result(folder: Path, name: str, key: str | None) -> PlanResult | None:
    """A previous run's plan of ``name`` if its outputs are complete: ``.md`` and keyed ``.json``."""
    if not (folder / f"{name}.md").is_file():
        return None  # e.g. another run removed it, or the write failed: planned again
    return load_result(folder / f"{name}.json", key)
