"""Scaffold a planned step into the user's repository (issue #12).

`scaffold_step` writes the step's script contract, specification(s), config, builder,
processing script and a unit-test file into the repository's own folders, registers the step in
its ``STEP_NAMES`` dict literal and exports it from the packages' ``__init__`` files; all files
or none, never outside the repository, never over a file with other content unless forced.
``dry_run=True`` returns the unified diff and writes nothing; a second run changes nothing.

>>> from planner_agent.scaffold import scaffold_step
>>> result = scaffold_step(plan, "path/to/repo", dry_run=True)  # doctest: +SKIP
>>> [f.path for f in result.files]  # doctest: +SKIP
"""

from __future__ import annotations

from ._scaffold import scaffold_step
from ._types import Action, FileKind, ScaffoldedFile, ScaffoldError, ScaffoldResult

__all__ = [
    "Action",
    "FileKind",
    "ScaffoldError",
    "ScaffoldResult",
    "ScaffoldedFile",
    "scaffold_step",
]
