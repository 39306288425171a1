"""Detecting where a repository keeps each component (private to `planner_agent.checks._codebase`).

Each folder is the most common folder of what the scan read of that kind: the contracts, the
specifications, the ``config_*`` modules defining a config class, the ``builder_*`` modules
defining a builder class (configs and builders may live apart). The registry is the file whose
``STEP_NAMES`` gave the most entries (``step_names.py``, ``step_names_original.py``, ...). Scripts
are in the folder, next to the contracts' folder, that holds most of the contracts' entry points.
A kind the repository has none of keeps the fallback layout's folder. Ties go to the fallback's
folder, then to the first in sort order, so detection is deterministic.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from ..conventions import Layout
from ._scan import Scan

__all__ = ["detect_layout"]

MAX_ENTRY_POINTS = 50  # A sample of entry points is enough to tell which folder holds the scripts.


def detect_layout(root: Path, found: Scan, fallback: Layout) -> Layout:
    """The layout of the repository at ``root`` as the files ``found`` in it show."""
    contracts = _most_common(
        (c.file_path for c in found.contracts.values()), fallback.contracts_dir
    )
    specs = _most_common((s.file_path for s, _ in found.specs), fallback.specs_dir)
    configs = _most_common(_named(found.configs.values(), "config_"), None)
    builders = _most_common(_named(found.builders.values(), "builder_"), None)
    # Configs and builders usually share a folder: a kind with no file follows the other.
    configs, builders = configs or builders, builders or configs
    entry_points = sorted({c.entry_point for c in found.contracts.values() if c.entry_point})
    registry = _best(found.registry_files, fallback.registry_file)
    layout = Layout(
        contracts_dir=contracts or fallback.contracts_dir,
        specs_dir=specs or fallback.specs_dir,
        configs_dir=configs or fallback.configs_dir,
        builders_dir=builders or fallback.builders_dir,
        scripts_dir=_scripts_dir(root, contracts, fallback.scripts_dir, entry_points),
        registry_file=registry or fallback.registry_file,
    )
    # A component folder without __init__.py is no package to export from (the codebase finds
    # its steps otherwise); one that does not exist yet is made with its __init__.py.
    inits = [
        f"{folder}/__init__.py"
        for folder in layout.packages()
        if not (root / folder).is_dir() or (root / folder / "__init__.py").is_file()
    ]
    return dataclasses.replace(layout, init_files=tuple(inits))


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _named(paths: Iterable[str], prefix: str) -> list[str]:
    """The paths whose file name starts with ``prefix``; all of them when none does."""
    paths = list(paths)
    named = [p for p in paths if p.rpartition("/")[2].startswith(prefix)]
    return named or paths


def _best(counts: Counter[str], preferred: str | None) -> str | None:
    """The key with the highest count (ties: ``preferred``, then the first in sort order)."""
    if not counts:
        return None
    top = max(counts.values())
    tied = sorted(k for k, n in counts.items() if n == top)
    return preferred if preferred in tied else tied[0]


def _most_common(paths: Iterable[str], preferred: str | None) -> str | None:
    """The folder holding the most of ``paths`` (files at the root do not count)."""
    return _best(Counter(p for p in map(_parent, paths) if p), preferred)


def _scripts_dir(root: Path, contracts: str | None, default: str, entry_points: list[str]) -> str:
    """The folder holding most of the entry points: the default or a sibling of the contracts."""
    candidates = [default]
    base = PurePosixPath(contracts).parent if contracts else None
    if base is not None and (root / base).is_dir():
        siblings = sorted(p.name for p in (root / base).iterdir() if p.is_dir())
        candidates += [(base / name).as_posix() for name in siblings]
    sample = entry_points[:MAX_ENTRY_POINTS]
    counts = Counter(
        {c: sum((root / c / e).is_file() for e in sample) for c in dict.fromkeys(candidates)}
    )
    best = _best(+counts, default)  # +: only folders that hold an entry point
    if best is not None:
        return best
    if base is None or (root / default).is_dir():
        return default
    return (base / "scripts").as_posix()
