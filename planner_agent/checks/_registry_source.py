"""Reading ``STEP_NAMES`` statically, also when it is merged from dicts (private to ``_scan``).

A registry may be one dict literal, or built from parts: ``{**BASE, **EXTRA, "X": {...}}``,
``BASE | EXTRA``, ``dict(BASE, **EXTRA)``, ``deepcopy(BASE)``/``BASE.copy()``, extended by
``STEP_NAMES.update({...})``, ``STEP_NAMES |= {...}`` or ``STEP_NAMES["X"] = {...}``; a part may
be a module-level name of the same module or one imported from another module of the repository
(``from .base_steps import BASE``). Each part is followed through assignments and imports, never
executed. What cannot be followed (a function call, a comprehension) is reported by the caller.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .._pycode import assigned, call_name

__all__ = ["COPIES", "Entry", "RegistryParts", "Unreadable", "registry_statements"]

TARGET = "STEP_NAMES"
MAX_DEPTH = 8  # Names followed through assignments and imports before giving up (cycles too).
COPIES = frozenset({"deepcopy", "copy", "dict", "OrderedDict", "MappingProxyType"})


@dataclass(frozen=True)
class Entry:
    """One registry item: its key and value expressions and the module they are written in."""

    key: ast.expr
    value: ast.expr
    rel: str
    tree: ast.Module


class Unreadable(Exception):
    """A part of the registry that is not a dict the index can follow (message: what and where)."""


def registry_statements(tree: ast.Module) -> list[tuple[str, ast.expr, ast.expr | None]]:
    """Module-level statements that set or extend ``STEP_NAMES``, in order:
    ``("set", value, None)``, ``("merge", value, None)`` or ``("item", key, value)``."""
    found: list[tuple[str, ast.expr, ast.expr | None]] = []
    for stmt in tree.body:
        targets, value = assigned(stmt)
        if value is not None and any(_is_target(t) for t in targets):
            found.append(("set", value, None))
        elif value is not None and targets and isinstance(targets[0], ast.Subscript):
            sub = targets[0]
            if _is_target(sub.value) and isinstance(sub.slice, ast.expr):
                found.append(("item", sub.slice, value))
        elif isinstance(stmt, ast.AugAssign) and _is_target(stmt.target):
            if isinstance(stmt.op, ast.BitOr):
                found.append(("merge", stmt.value, None))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = stmt.value
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr == "update" and _is_target(func.value):
                found.extend(("merge", arg, None) for arg in call.args)
                found.extend(("merge", _kw_dict(k), None) for k in call.keywords)
    return found


def _is_target(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == TARGET


def _kw_dict(keyword: ast.keyword) -> ast.expr:
    """``**X`` as ``X``; ``name=value`` as ``{"name": value}``."""
    if keyword.arg is None:
        return keyword.value
    return ast.Dict(keys=[ast.Constant(keyword.arg)], values=[keyword.value])


@dataclass
class RegistryParts:
    """Follows the parts of a registry through the modules of one repository.

    ``load`` gives the parsed module at a repository-relative path (None: no such file, or one
    that cannot be read).
    """

    load: Callable[[str], ast.Module | None]
    #: Parts left out of a registry read leniently (`entries` with ``strict=False``).
    problems: list[str] = field(default_factory=list)
    _trees: dict[str, ast.Module] = field(default_factory=dict)

    def entries(
        self, node: ast.expr, rel: str, tree: ast.Module, *, strict: bool = True
    ) -> list[Entry]:
        """The items the dict expression ``node`` (in module ``rel``) holds, in order.

        `Unreadable` when ``node`` itself cannot be followed; a part of it that cannot is an
        `Unreadable` too when ``strict``, else noted in `problems` and left out."""
        return self._entries(node, rel, tree, 0, strict)

    def _part(
        self, node: ast.expr, rel: str, tree: ast.Module, depth: int, strict: bool
    ) -> list[Entry]:
        try:
            return self._entries(node, rel, tree, depth, strict)
        except Unreadable as exc:
            if strict:
                raise
            self.problems.append(str(exc))
            return []

    def _entries(
        self, node: ast.expr, rel: str, tree: ast.Module, depth: int, strict: bool
    ) -> list[Entry]:
        if depth > MAX_DEPTH:
            raise Unreadable(f"{rel}: line {node.lineno}: names nested too deeply to follow")
        if isinstance(node, ast.Dict):
            items: list[Entry] = []
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:  # **spread
                    items += self._part(value, rel, tree, depth + 1, strict)
                else:
                    items.append(Entry(key, value, rel, tree))
            return items
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left = self._part(node.left, rel, tree, depth + 1, strict)
            return left + self._part(node.right, rel, tree, depth + 1, strict)
        if isinstance(node, ast.Call) and call_name(node) in COPIES:
            parts = [*node.args, *(_kw_dict(k) for k in node.keywords)]
            if isinstance(node.func, ast.Attribute) and node.func.attr == "copy" and not parts:
                parts = [node.func.value]  # X.copy()
            return [e for part in parts for e in self._part(part, rel, tree, depth + 1, strict)]
        if isinstance(node, ast.Name):
            found = self.resolve(node.id, rel, tree, depth + 1)
            if found is not None:
                value, where, where_tree = found
                return self._entries(value, where, where_tree, depth + 1, strict)
            raise Unreadable(
                f"{rel}: line {node.lineno}: {node.id} is not defined or imported here"
            )
        shown = " ".join(ast.unparse(node).split())
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise Unreadable(f"{rel}: line {node.lineno}: {shown} is not a dict the index can read")

    def resolve(
        self, name: str, rel: str, tree: ast.Module, depth: int = 0
    ) -> tuple[ast.expr, str, ast.Module] | None:
        """The expression module ``rel`` binds ``name`` to (its last module-level assignment),
        following ``from M import name`` into the repository; None when it is neither."""
        if depth > MAX_DEPTH:
            return None
        value: ast.expr | None = None
        imported: tuple[str, str] | None = None
        for stmt in tree.body:
            targets, assigned_value = assigned(stmt)
            if assigned_value is not None and any(
                isinstance(t, ast.Name) and t.id == name for t in targets
            ):
                value, imported = assigned_value, None
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if (alias.asname or alias.name) == name:
                        module = self._module(rel, stmt)
                        value, imported = None, (module, alias.name) if module else None
        if value is not None:
            return value, rel, tree
        if imported is not None:
            module, original = imported
            other = self._tree(module)
            if other is not None:
                return self.resolve(original, module, other, depth + 1)
        return None

    def _tree(self, rel: str) -> ast.Module | None:
        if rel not in self._trees:
            tree = self.load(rel)
            if tree is None:
                return None
            self._trees[rel] = tree
        return self._trees[rel]

    def _module(self, rel: str, stmt: ast.ImportFrom) -> str | None:
        """The repository file ``from ... import`` in ``rel`` reads, if it is in the repository."""
        parts = (stmt.module or "").split(".") if stmt.module else []
        here = PurePosixPath(rel).parent
        if stmt.level:
            if stmt.level - 1 > len(here.parts):
                return None  # above the repository
            bases = [here.parents[stmt.level - 2] if stmt.level > 1 else here]
        else:  # absolute: under the folder of this file or any folder above it
            bases = [here, *here.parents]
        for base in bases:
            stem = base.joinpath(*parts) if parts else base
            for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
                path = candidate.removeprefix("./")
                if self._tree(path) is not None:
                    return path
        return None
