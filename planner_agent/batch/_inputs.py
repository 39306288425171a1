"""A batch's inputs: items named from texts, files, mappings or a folder; writable folders."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from ..errors import BatchError, shown_path

__all__ = ["RESERVED_NAMES", "Requirements", "collect", "requirement_files", "writable_dir"]

Requirements = str | Path | Sequence[str | Path] | Mapping[str, str | Path]
_SUFFIXES = (".md", ".txt")
#: Names that would clash with summary.json / batch_state.json in out_dir.
RESERVED_NAMES = frozenset({"summary", "batch_state"})


def _is(value: str | Path, kind: Literal["dir", "file"]) -> bool:
    try:  # a long one-line text is not a path: stat() raises "File name too long"
        return Path(value).is_dir() if kind == "dir" else Path(value).is_file()
    except (OSError, ValueError):
        return False


def _as_path(value: Any) -> Path | None:
    """The file an item names (a ``Path``), or None for requirements text (a ``str``).

    The library's one rule (`planner_agent.prompt.load_requirements`): the type decides.
    """
    return Path(value) if isinstance(value, os.PathLike) else None


def requirement_files(folder: str | Path) -> list[Path]:
    """The .md/.txt files of ``folder`` by name (hidden files skipped); BatchError if none."""
    files = sorted(
        (
            p
            for p in Path(folder).iterdir()
            if p.suffix.lower() in _SUFFIXES and p.is_file() and not p.name.startswith(".")
        ),
        key=lambda p: p.name,
    )
    if not files:
        raise BatchError(f"Directory {str(folder)!r} has no .md or .txt requirements files.")
    return files


def collect(requirements: Requirements) -> list[tuple[str, str, Any]]:
    """Name every item; raise BatchError for no items, bad names or duplicate names."""
    entries: list[tuple[str, str, Any]] = []
    if isinstance(requirements, str | Path):
        if not _is(requirements, "dir"):
            raise BatchError(
                f"Batch requirements must be a list, a mapping name -> requirements, or a directory "
                f"of .md/.txt files; {str(requirements)[:80]!r} is not a directory. For one step "
                "use plan_step(), or pass [text]."
            )
        entries = [(p.stem, str(p), p) for p in requirement_files(requirements)]
    elif isinstance(requirements, Mapping):
        for name, value in requirements.items():
            path = _as_path(value)
            entries.append((name, f"<{name}>", value) if path is None else (name, str(path), path))
    elif isinstance(requirements, Sequence):
        for i, value in enumerate(requirements, 1):
            path = _as_path(value)
            entries.append(
                (f"step-{i:03d}", f"<text #{i}>", value)
                if path is None
                else (path.stem, str(path), path)
            )
    else:
        raise BatchError(
            f"Batch requirements must be a list, mapping or directory, not {type(requirements).__name__}."
        )
    if not entries:
        raise BatchError("The batch is empty: pass at least one requirements text or file.")
    seen: dict[str, str] = {}
    for name, source, _ in entries:
        if (
            not isinstance(name, str)
            or not name.strip()
            or name.startswith(".")
            or any(c in name for c in "/\\\0")
        ):
            raise BatchError(
                f"Invalid item name {name!r} (from {source}): names become file names."
            )
        if (other := seen.get(name.casefold())) is not None:
            raise BatchError(
                f"Duplicate item name {name!r}: {other} and {source}. Rename one of them."
            )
        seen[name.casefold()] = source
    return entries


def writable_dir(path: str | Path, what: str) -> Path:
    folder = Path(path).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe.", suffix=".pa-tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BatchError(
            f"The {what} {shown_path(folder)} is not a writable directory: {exc.strerror or exc}."
        ) from None
    return folder
