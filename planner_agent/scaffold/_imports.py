"""The rendered files' relative imports, pointed at where this repository keeps each name.

The plan's code blocks import as the default ``src/pipeline_*`` layout would
(``from ..pipeline_deps.base_specifications import StepSpecification``). In the repository a name
is imported from, in this order: the file scaffolding creates for it (the step's own contract,
specifications, config); what the files already in the same folder import it from (the
repository's own practice, re-exports included); the module that defines it (found with a text
search, then imported relative to the folder); else the import is kept and a note says so.
Statements are rewritten in place, ``ast``-located, so the rest of the text is untouched.
"""

from __future__ import annotations

import ast
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .._files import FileProblem, read_text

__all__ = ["ImportResolver", "python_files", "relative_module"]

MAX_SIBLINGS = 40  # files of a folder read to learn its imports (the first ones, sorted)
LINE_LIMIT = 88  # longer import statements are wrapped, one name per line
_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "venv", "build", "dist"})


def relative_module(from_dir: str, target: str) -> str:
    """How a module in folder ``from_dir`` imports the file ``target`` (both repository-relative).

    >>> relative_module("src/pkg/steps/builders", "src/pkg/steps/specs/a_spec.py")
    '..specs.a_spec'
    >>> relative_module("src/pkg/steps/contracts", "src/pkg/core/base/__init__.py")
    '...core.base'
    """
    src = PurePosixPath(from_dir).parts if from_dir not in ("", ".") else ()
    path = PurePosixPath(target)
    dst = path.parent.parts if path.parent.as_posix() != "." else ()
    stem = [] if path.stem == "__init__" else [path.stem]
    common = 0
    while common < min(len(src), len(dst)) and src[common] == dst[common]:
        common += 1
    if common == 0 and src:  # no shared folder: only an absolute import can reach it
        return ".".join([*dst, *stem])
    return "." * (len(src) - common + 1) + ".".join([*dst[common:], *stem])


@dataclass
class _Folder:
    """What the files of one folder import, learnt lazily (name -> module -> how often)."""

    files: Iterator[Path]
    seen: dict[str, Counter[str]] = field(default_factory=dict)


class ImportResolver:
    """Resolves imported names for files of a repository; ``own`` maps the names scaffolding
    creates to the repository-relative files it creates them in."""

    def __init__(self, root: Path, own: Mapping[str, str]) -> None:
        self.root = root
        self.own = dict(own)
        self._folders: dict[str, _Folder] = {}
        self._defined: dict[str, list[str]] = {}

    def rewrite(self, text: str, from_dir: str, notes: list[str]) -> str:
        """``text`` with each relative import resolved for a module in ``from_dir``."""
        tree = ast.parse(text)
        nodes = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0]
        names = {a.name for n in nodes for a in n.names} - self.own.keys()
        self._learn(from_dir, names)
        self._find_definitions({n for n in names if not self._practice(from_dir, n)})
        lines = text.split("\n")
        for node in sorted(nodes, key=lambda n: n.lineno, reverse=True):
            written = "." * node.level + (node.module or "")
            groups: dict[str, list[str]] = {}
            for alias in node.names:
                module = self.module_for(alias.name, from_dir)
                if module is None:
                    module = written
                    notes.append(
                        f"{alias.name} was not found in the repository; "
                        f"kept `from {written} import {alias.name}`"
                    )
                shown = alias.name if alias.asname is None else f"{alias.name} as {alias.asname}"
                groups.setdefault(module, []).append(shown)
            if list(groups) == [written]:
                continue  # already right: the statement stays as it is written
            wrapped = node.end_lineno is not None and node.end_lineno > node.lineno
            new = [
                line
                for module, shown_names in groups.items()
                for line in _statement(node.col_offset, module, shown_names, wrapped)
            ]
            lines[node.lineno - 1 : node.end_lineno] = new
        return "\n".join(lines)

    def finds(self, name: str, from_dir: str) -> bool:
        """Whether a module in ``from_dir`` can import ``name`` from somewhere in the repository."""
        self._learn(from_dir, {name})
        if name not in self.own and not self._practice(from_dir, name):
            self._find_definitions({name})
        return self.module_for(name, from_dir) is not None

    def module_for(self, name: str, from_dir: str) -> str | None:
        """Where a module in ``from_dir`` imports ``name`` from, or None when it is unknown."""
        if name in self.own:
            return relative_module(from_dir, self.own[name])
        practice = self._practice(from_dir, name)
        if practice:
            return practice
        places = self._defined.get(name, [])
        return relative_module(from_dir, places[0]) if places else None

    def definition_file(self, name: str, from_dir: str) -> str | None:
        """The file that defines ``name`` as a module in ``from_dir`` imports it (re-exports
        followed a few hops), or None."""
        module = self.module_for(name, from_dir)
        for _ in range(4):
            rel = self._module_file(module, from_dir) if module is not None else None
            if rel is None:
                return None
            try:
                tree = ast.parse(read_text(self.root / rel))
            except (FileProblem, SyntaxError, ValueError):
                return None
            if any(
                isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == name for n in tree.body
            ):
                return rel
            step = next(
                (
                    n
                    for n in tree.body
                    if isinstance(n, ast.ImportFrom) and any(a.name == name for a in n.names)
                ),
                None,
            )
            if step is None:
                return None
            module, from_dir = (
                "." * step.level + (step.module or ""),
                str(PurePosixPath(rel).parent),
            )
        return None

    def _module_file(self, module: str, from_dir: str) -> str | None:
        """The repository file of ``module`` imported from ``from_dir`` (absolute: from the
        root or ``src``)."""
        dotted = module.lstrip(".")
        level = len(module) - len(dotted)
        parts = dotted.split(".") if dotted else []
        if level:
            here = PurePosixPath(from_dir).parts if from_dir not in ("", ".") else ()
            if level - 1 > len(here):
                return None
            bases: list[tuple[str, ...]] = [here[: len(here) - (level - 1)]]
        else:
            bases = [(), ("src",)]
        for base in bases:
            path = PurePosixPath(*base, *parts)
            candidates = [path.with_suffix(".py")] if parts else []
            for candidate in [*candidates, path / "__init__.py"]:
                if (self.root / candidate).is_file():
                    return candidate.as_posix()
        return None

    def _practice(self, from_dir: str, name: str) -> str | None:
        folder = self._folders.get(from_dir)
        counts = folder.seen.get(name) if folder else None
        return counts.most_common(1)[0][0] if counts else None

    def _learn(self, from_dir: str, names: set[str]) -> None:
        folder = self._folders.get(from_dir)
        if folder is None:
            base = self.root / from_dir
            # Modules, not the package __init__ (a long list of re-exports, slow to read).
            listing = sorted(os.listdir(base)) if base.is_dir() else []
            modules = [n for n in listing if n.endswith(".py") and n != "__init__.py"]
            files = [base / n for n in modules[:MAX_SIBLINGS]]
            folder = self._folders[from_dir] = _Folder(iter(files))
        missing = names - folder.seen.keys()
        while missing:
            file = next(folder.files, None)
            if file is None:
                return
            for name, module in _imports_of(file):
                folder.seen.setdefault(name, Counter())[module] += 1
            missing -= folder.seen.keys()

    def _find_definitions(self, names: set[str]) -> None:
        """Files defining each of ``names`` at module level (class, def or assignment)."""
        names -= self._defined.keys()
        if not names:
            return
        for name in names:
            self._defined[name] = []
        alternatives = "|".join(sorted(re.escape(n) for n in names))
        pattern = re.compile(rf"^(?:class\s+|def\s+)?({alternatives})\b\s*[(:=]", re.MULTILINE)
        for rel in python_files(self.root):
            try:
                text = read_text(self.root / rel)
            except FileProblem:
                continue
            for match in pattern.finditer(text):
                self._defined[match.group(1)].append(rel)
        for places in self._defined.values():
            places.sort(key=lambda p: ("test" in p, len(PurePosixPath(p).parts), p))


def _imports_of(file: Path) -> Iterator[tuple[str, str]]:
    """(name, module as written) of every ``from ... import`` in ``file``."""
    try:
        tree = ast.parse(read_text(file))
    except (FileProblem, SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            written = "." * node.level + (node.module or "")
            for alias in node.names:
                yield alias.name, written


def python_files(root: Path, skip: Iterable[str] = ()) -> Iterator[str]:
    """Repository-relative paths of the ``.py`` files under ``root`` in a stable order; hidden
    and tool folders are skipped, and so are the repository-relative folders in ``skip``."""
    pruned = {s.strip("/") for s in skip}
    base = os.fspath(root)
    for top, dirs, names in os.walk(base):
        rel = os.path.relpath(top, base).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and d not in _SKIP_DIRS and prefix + d not in pruned
        )
        for name in sorted(n for n in names if n.endswith(".py")):
            yield prefix + name


def _statement(indent: int, module: str, names: list[str], wrapped: bool) -> list[str]:
    pad = " " * indent
    line = f"{pad}from {module} import {', '.join(names)}"
    if (wrapped and len(names) > 1) or len(line) > LINE_LIMIT:
        return [f"{pad}from {module} import (", *(f"{pad}    {n}," for n in names), f"{pad})"]
    return [line]
