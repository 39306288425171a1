"""Where the repository keeps each component, as its `CodebaseIndex` detected it, and its registry.

There is one detection: `CodebaseIndex` (``index.layout``, the detected layout unless the caller
gave one: the most common folder of each kind, configs and builders possibly apart, the registry
file with the most ``STEP_NAMES`` entries). `RepoLayout` adds the tests folder. The registry to
edit is the file that assigns ``STEP_NAMES`` a dict literal (``step_names.py``,
``step_names_original.py``, ...): the layout's registry file when it has one, else the best of the
files named like a registry, else any file that assigns ``STEP_NAMES``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .._files import FileProblem, read_text
from .._pycode import assigned
from ..checks import CodebaseIndex
from ..errors import shown_path
from ._imports import python_files
from ._types import ScaffoldError

__all__ = ["Registry", "RepoLayout", "detect_layout", "find_registry", "import_root"]


@dataclass(frozen=True)
class RepoLayout:
    """Repository-relative POSIX folders of each component, and the registry file."""

    contracts: str
    specs: str
    configs: str
    builders: str
    scripts: str
    tests: str


@dataclass(frozen=True)
class Registry:
    """The registry file, its text, and the ``STEP_NAMES`` dict literal in it."""

    path: str
    text: str
    tree: ast.Module
    node: ast.Dict


def detect_layout(index: CodebaseIndex) -> RepoLayout:
    """The folders of the repository ``index`` describes: its layout, and the tests folder."""
    layout = index.layout
    return RepoLayout(
        contracts=layout.contracts_dir,
        specs=layout.specs_dir,
        configs=layout.configs_dir,
        builders=layout.builders_dir,
        scripts=layout.scripts_dir,
        tests=next((d for d in ("tests", "test") if (index.root / d).is_dir()), "tests"),
    )


def find_registry(index: CodebaseIndex, layout: RepoLayout) -> Registry:
    """The file whose module-level ``STEP_NAMES`` is a dict literal; `ScaffoldError` naming the
    file and the construct when the repository's ``STEP_NAMES`` is something else."""
    root = index.root
    not_literal: list[str] = []
    found: list[Registry] = []
    folders = (layout.contracts, layout.specs, layout.configs, layout.builders, layout.scripts)
    for candidates in _registry_candidates(root, index.layout.registry_file, folders):
        for rel in candidates:
            registry, problem = _read_registry(root, rel)
            if registry is not None:
                found.append(registry)
            elif problem:
                not_literal.append(problem)
        if found:
            known = set(index.registry)
            return max(found, key=lambda r: (len(known & _keys(r.node)), -len(r.path)))
    if not_literal:
        raise ScaffoldError(
            f"cannot add the step to the registry: {'; '.join(not_literal)}; scaffolding "
            "inserts into a `STEP_NAMES = {...}` dict literal. Add the entry by hand, or keep the "
            "literal in one file (as step_names_original.py does) and build other forms from it",
            path=not_literal[0].split(":", 1)[0],
        )
    raise ScaffoldError(
        f"no STEP_NAMES registry found under {shown_path(str(root))}; scaffolding adds the step "
        "to a `STEP_NAMES = {...}` dict literal"
    )


def _keys(node: ast.Dict) -> set[str]:
    return {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}


def _registry_candidates(
    root: Path, layout_file: str, folders: tuple[str, ...]
) -> Iterator[list[str]]:
    """Groups of files to try, cheapest first: the layout's; files named like a registry
    outside the component folders; every file."""
    yield [layout_file] if (root / layout_file).is_file() else []
    named = [
        f
        for f in python_files(root, skip=folders)
        if "step_names" in f.rpartition("/")[2] or "registry" in f
    ]
    yield named
    yield [f for f in python_files(root) if f not in set(named)]


def _read_registry(root: Path, rel: str) -> tuple[Registry | None, str]:
    """The registry in ``rel``, or why ``rel`` assigns STEP_NAMES but cannot be edited ("")."""
    try:
        text = read_text(root / rel)
    except FileProblem:
        return None, ""
    if "STEP_NAMES" not in text:
        return None, ""
    try:
        tree = ast.parse(text, filename=rel)
    except (SyntaxError, ValueError):
        return None, ""
    for stmt in tree.body:
        targets, value = assigned(stmt)
        if any(isinstance(t, ast.Name) and t.id == "STEP_NAMES" for t in targets):
            if isinstance(value, ast.Dict):
                return Registry(rel, text, tree, value), ""
            what = ast.get_source_segment(text, value) if value is not None else None
            shown = " ".join((what or "an annotation only").split())
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return None, f"{rel}: line {stmt.lineno}: STEP_NAMES = {shown} is not a dict literal"
    return None, ""


def import_root(root: Path, dirs: Iterable[str], levels: dict[str, int]) -> str:
    """The folder to put on ``sys.path`` so that every module in ``dirs`` imports with its
    relative imports intact: above each folder's top package, and high enough that a module in
    folder D importing ``level`` dots up (``levels[D]``) stays inside the package path."""
    best: list[str] | None = None
    for d in dirs:
        parts = list(PurePosixPath(d).parts)
        natural = len(parts)
        while natural > 0 and (root / Path(*parts[:natural]) / "__init__.py").is_file():
            natural -= 1
        depth = min(natural, len(parts) - levels.get(d, 0))
        candidate = parts[: max(depth, 0)]
        if best is None:
            best = candidate
        else:
            common = 0
            while common < min(len(best), len(candidate)) and best[common] == candidate[common]:
                common += 1
            best = best[:common]
    return PurePosixPath(*best).as_posix() if best else "."
