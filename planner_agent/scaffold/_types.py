"""What scaffolding returns (`ScaffoldResult`, `ScaffoldedFile`) and the error it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import ScaffoldError
from ..plan import PlanIssue

__all__ = ["Action", "FileKind", "ScaffoldError", "ScaffoldResult", "ScaffoldedFile"]

FileKind = Literal["contract", "spec", "config", "builder", "script", "test", "registry", "init"]
"""What a scaffolded file is: one of the step's components, its test, or an edited shared file."""
Action = Literal["create", "edit"]
"""``create``: a new file; ``edit``: an existing file changed (the registry, an ``__init__``)."""


@dataclass(frozen=True)
class ScaffoldedFile:
    """One file scaffolding created or edited; ``path`` is relative to the repository root."""

    path: str
    kind: FileKind
    action: Action

    def to_dict(self) -> dict[str, str]:
        """``{"path", "kind", "action"}``."""
        return {"path": self.path, "kind": self.kind, "action": self.action}


@dataclass(frozen=True)
class ScaffoldResult:
    """What `scaffold_step` did (or, with ``dry_run``, would do).

    ``files`` lists every file created or edited, ``diff`` is their unified diff (``a/`` and
    ``b/`` paths relative to ``root``; a new file's diff starts at ``/dev/null``). ``unchanged``
    names the files that already had exactly the planned content (a second run lists them all),
    ``notes`` says where the repository's layout or practice differed from the plan, and
    ``issues`` holds the plan check's findings (warnings; errors too when forced).
    """

    step_name: str
    root: Path
    files: tuple[ScaffoldedFile, ...]
    diff: str
    dry_run: bool
    unchanged: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    issues: tuple[PlanIssue, ...] = field(default=())

    @property
    def changed(self) -> bool:
        """True when there is something to write (or, after a real run, something was written)."""
        return bool(self.files)

    def paths(self, kind: FileKind | None = None) -> list[str]:
        """Paths of the created/edited files, optionally only those of one ``kind``."""
        return [f.path for f in self.files if kind is None or f.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data (what ``--format json`` prints)."""
        return {
            "step_name": self.step_name,
            "root": str(self.root),
            "dry_run": self.dry_run,
            "files": [f.to_dict() for f in self.files],
            "unchanged": list(self.unchanged),
            "notes": list(self.notes),
            "issues": [i.model_dump(mode="json") for i in self.issues],
            "diff": self.diff,
        }

    def summary(self) -> str:
        """One line per file (``create``/``edit``, kind, path), then the notes."""
        lines = [f"{self.step_name}: {_count(self.files, self.dry_run)} in {self.root}"]
        lines += [f"  {f.action:<6} {f.kind:<8} {f.path}" for f in self.files]
        if self.unchanged:
            lines.append(f"  {len(self.unchanged)} file(s) already as planned")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _count(files: tuple[ScaffoldedFile, ...], dry_run: bool) -> str:
    if not files:
        return "nothing to change"
    created = sum(f.action == "create" for f in files)
    edited = len(files) - created
    if dry_run:
        return f"would create {created} and edit {edited} file(s)"
    return f"created {created} and edited {edited} file(s)"
