"""`scaffold_step`: write a planned step into the user's repository, in the repository's layout.

The order is what makes it safe: every check runs and every text is rendered before anything is
written (plan names and paths, the plan check, destinations inside the repository, existing files,
the registry entry, the ``__init__`` edits); then all files are written or none (`apply_changes`).
"""

from __future__ import annotations

import os
from pathlib import Path

from .._files import FileProblem, read_text
from ..checks import CodebaseIndex, check_plan
from ..errors import shown_path
from ..plan import ImplementationPlan
from ..result import PlanResult
from ._apply import Change, apply_changes, unified_diff
from ._edits import Export, edit_init, registry_edit
from ._imports import ImportResolver
from ._layout import detect_layout, find_registry
from ._render import Component, plan_components, render_files
from ._safety import check_destination, check_plan_names, check_plan_paths
from ._types import FileKind, ScaffoldedFile, ScaffoldError, ScaffoldResult

__all__ = ["scaffold_step"]


def scaffold_step(
    plan_or_result: ImplementationPlan | PlanResult,
    codebase: str | os.PathLike[str] | CodebaseIndex,
    *,
    dry_run: bool = False,
    force: bool = False,
) -> ScaffoldResult:
    """Write the planned step's files into the repository ``codebase`` and register the step.

    Creates the script contract, the specification (one per job-type variant), the config, the
    builder, the processing script and a unit-test file, in the folders the repository uses (as
    its `CodebaseIndex` shows); inserts the step into the ``STEP_NAMES`` dict literal and its
    exports into the packages' ``__init__`` files. Texts are the plan's code blocks, with their
    imports pointed at where this repository keeps each name.

    ``codebase`` is the repository root (or its `CodebaseIndex`). ``dry_run`` only returns the
    diff. Refused with `ScaffoldError`, before anything is written: names or paths that would
    leave the repository, a plan with error-level issues, an existing file with other content, a
    step registered with another entry, a registry that is not a dict literal (``force``
    overrides the second to fourth). Running it again changes nothing.

    >>> result = scaffold_step(plan, "path/to/repo", dry_run=True)  # doctest: +SKIP
    >>> print(result.diff)  # doctest: +SKIP
    """
    plan = _plan_of(plan_or_result)
    check_plan_names(plan)
    check_plan_paths(plan)
    index = codebase if isinstance(codebase, CodebaseIndex) else CodebaseIndex.from_path(codebase)
    # Files go where the repository's layout puts them (noted when the plan differs), so the
    # plan's own paths (NAME008) and files to update (ALIGN005) do not block scaffolding.
    issues = tuple(
        check_plan(plan, codebase=index.without(plan.step_name), disable=("NAME008", "ALIGN005"))
    )
    errors = tuple(i for i in issues if i.is_error)
    if errors and not force:
        shown = "; ".join(str(e) for e in errors[:3]) + ("; ..." if len(errors) > 3 else "")
        raise ScaffoldError(
            f"the plan for {plan.step_name} has {len(errors)} error-level issue(s); fix them "
            f"or pass force=True: {shown}",
            issues=errors,
        )
    root = index.root
    layout = detect_layout(index)
    registry = find_registry(index, layout)
    components = plan_components(plan, layout)
    _no_clashes(components)
    resolver = ImportResolver(root, {n: c.rel for c in components for n in c.names})
    texts, notes = render_files(plan, components, resolver)
    changes: list[Change] = []
    unchanged: list[str] = []

    def propose(rel: str, kind: FileKind, old: str | None, new: str | None, target: Path) -> None:
        if new is None or old == new:
            unchanged.append(rel)
        else:
            changes.append(Change(rel, target, kind, old, new))

    target = check_destination(root, registry.path)
    propose(registry.path, "registry", registry.text, registry_edit(registry, plan, force), target)
    for c in components:
        target = check_destination(root, c.rel)
        old = _existing(target, c.rel)
        if old is not None and old != texts[c.rel] and not force:
            raise ScaffoldError(
                f"{c.rel} already exists with other content; nothing was written (pass "
                "force=True to overwrite it, or remove it)",
                path=c.rel,
            )
        propose(c.rel, c.kind, old, texts[c.rel], target)
    for folder, exports in _exports(components).items():
        rel = f"{folder}/__init__.py" if folder != "." else "__init__.py"
        target = check_destination(root, rel)
        old = _existing(target, rel)
        if old is None:
            notes.append(f"{folder}/ has no __init__.py; nothing exported there")
            continue
        propose(rel, "init", old, edit_init(old, rel, exports, notes, force), target)
    if not dry_run and changes:
        apply_changes(changes)
    return ScaffoldResult(
        step_name=plan.step_name,
        root=Path(root),
        files=tuple(ScaffoldedFile(c.rel, c.kind, c.action) for c in changes),
        diff=unified_diff(changes),
        dry_run=dry_run,
        unchanged=tuple(unchanged),
        notes=tuple(dict.fromkeys(notes)),
        issues=issues,
    )


def _plan_of(value: object) -> ImplementationPlan:
    if isinstance(value, PlanResult):
        return value.plan
    if isinstance(value, ImplementationPlan):
        return value
    raise ScaffoldError(
        f"scaffold_step needs an ImplementationPlan or a PlanResult, not {type(value).__name__}; "
        "read a plan file with planner_agent.seedformat.load_plan(path).plan"
    )


def _no_clashes(components: list[Component]) -> None:
    seen: dict[str, str] = {}
    for c in components:
        if c.rel in seen:
            raise ScaffoldError(
                f"the plan puts the {seen[c.rel]} and the {c.kind} in the same file {c.rel}",
                path=c.rel,
            )
        seen[c.rel] = c.kind


def _existing(target: Path, rel: str) -> str | None:
    if not target.exists():
        return None
    try:
        return read_text(target)
    except FileProblem as problem:
        raise ScaffoldError(f"{shown_path(rel)} {problem}; nothing was written", path=rel) from None


def _exports(components: list[Component]) -> dict[str, list[Export]]:
    grouped: dict[str, list[Export]] = {}
    for c in components:
        if c.kind in ("contract", "spec", "config", "builder"):
            grouped.setdefault(c.folder, []).append(c.export())
    return grouped
