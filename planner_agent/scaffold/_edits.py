"""AST-aware edits of existing files: an entry into ``STEP_NAMES``, exports into an ``__init__``.

Each edit finds its construct with `ast` (the registry dict literal, the ``__all__`` list, the
package's own ``from .x import Y`` lines) and inserts text at that construct's offsets: the rest of
the file (formatting, comments, the order of the other entries) is kept byte for byte. An entry
goes on its own line(s) at the indentation of its neighbours, in sorted position when the
neighbours of its kind are sorted, else after the last of them. A construct that is not a literal
scaffolding can edit is refused with a `ScaffoldError` naming the file and the construct.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .._pycode import assigned
from ..plan import ImplementationPlan
from ..seedformat._spec_code import registry_block
from ._bracket import Source, insert_item, replace_span
from ._layout import Registry
from ._types import FileKind, ScaffoldError

__all__ = ["Export", "edit_init", "registry_edit"]

_MODULE_KIND: dict[str, Callable[[str], bool]] = {
    "contract": lambda m: m.endswith("_contract"),
    "spec": lambda m: m.endswith("_spec"),
    "config": lambda m: m.startswith("config_"),
    "builder": lambda m: m.startswith("builder_"),
}
_NAME_KIND = {
    "contract": re.compile(r"_CONTRACT$"),
    "spec": re.compile(r"_SPEC$"),
    "config": re.compile(r"Config$"),
    "builder": re.compile(r"Builder$"),
}
WRAP_AT = 88


def _planned_entry(plan: ImplementationPlan) -> tuple[str, object]:
    """The entry's source (``"Name": {...}``, continuation lines relative) and its value."""
    block = registry_block(plan)
    tree = ast.parse(block)
    node = next(
        value
        for stmt in tree.body
        for targets, value in [assigned(stmt)]
        if isinstance(value, ast.Dict) and value.keys
    )
    key, value = node.keys[0], node.values[0]
    assert key is not None  # registry_block writes one "Name": {...} entry
    src = Source(block)
    text = block[src.start(key) : src.end(value)]
    lines = text.split("\n")
    col = src.column(key)
    relative = [lines[0], *(line[col:] if line[:col].isspace() else line for line in lines[1:])]
    return "\n".join(relative), ast.literal_eval(value)


def registry_edit(registry: Registry, plan: ImplementationPlan, force: bool) -> str | None:
    """The registry text with the plan's entry added (None: the same entry is already there).

    A different entry under the step's name is refused unless ``force``, which replaces it.
    """
    item, planned = _planned_entry(plan)
    node, text = registry.node, registry.text
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == plan.step_name:
            try:
                same = ast.literal_eval(value) == planned
            except ValueError:
                same = False
            if same:
                return None
            if not force:
                raise ScaffoldError(
                    f"step {plan.step_name!r} is already in the registry {registry.path} "
                    f"(line {key.lineno}) with a different entry; choose another name, or pass "
                    "force=True to replace the entry",
                    path=registry.path,
                )
            return _checked(replace_span(text, key, value, item), registry.path, "STEP_NAMES")
    new = insert_item(text, node, len(node.keys), item, registry.path, "STEP_NAMES")
    return _checked(new, registry.path, "STEP_NAMES")


@dataclass(frozen=True)
class Export:
    """What a package ``__init__`` exports for one new module: ``from .module import names``."""

    module: str
    names: tuple[str, ...]
    kind: FileKind


def edit_init(text: str, rel: str, exports: list[Export], notes: list[str], force: bool) -> str:
    """``text`` of the package ``__init__`` at ``rel`` with each export's import line and
    ``__all__`` names added, where the package already exports modules of that kind."""
    original = text
    for export in exports:
        tree = ast.parse(text, filename=rel)
        same_kind = [
            n
            for n in tree.body
            if isinstance(n, ast.ImportFrom)
            and n.level == 1
            and n.module
            and _MODULE_KIND[export.kind](n.module)
        ]
        if not same_kind:
            notes.append(
                f"{rel} exports no {export.kind} modules; {', '.join(export.names)} not exported"
            )
            continue
        listed = _all_literal(tree, rel, export, notes, force)
        needs_import = not _imports(tree, export)
        last_import = max(n.end_lineno or n.lineno for n in same_kind)
        if listed is not None and listed.lineno > last_import:
            # __all__ below the imports: edit it first, the import lines stay where `tree` says.
            text = _add_names(text, listed, rel, export)
            if needs_import:
                text = _add_import(text, same_kind, export)
        else:
            if needs_import:
                text = _add_import(text, same_kind, export)
            if listed is not None:
                text = _add_names(text, None, rel, export)
    return text if text == original else _checked(text, rel, "__all__")


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements at module level and inside ``try``/``if`` blocks (not in functions)."""
    for node in body:
        yield node
        if isinstance(node, ast.Try | ast.If):
            blocks = [node.body, node.orelse]
            if isinstance(node, ast.Try):
                blocks += [node.finalbody, *(h.body for h in node.handlers)]
            for block in blocks:
                yield from _statements(block)


def _imports(tree: ast.Module, export: Export) -> bool:
    found = {
        alias.name
        for node in _statements(tree.body)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module == export.module
        for alias in node.names
    }
    return set(export.names) <= found


def _add_import(text: str, same_kind: list[ast.ImportFrom], export: Export) -> str:
    line = f"from .{export.module} import {', '.join(export.names)}"
    if len(line) > WRAP_AT:
        inner = "".join(f"    {n},\n" for n in export.names)
        line = f"from .{export.module} import (\n{inner})"
    modules = [n.module or "" for n in same_kind]
    lines = text.split("\n")
    after = [n for n in same_kind if (n.module or "") > export.module]
    if modules == sorted(modules) and after:
        at = after[0].lineno - 1
    else:
        at = same_kind[-1].end_lineno or same_kind[-1].lineno
    lines[at:at] = line.split("\n")
    return "\n".join(lines)


def _all_assignments(tree: ast.Module) -> list[tuple[ast.stmt, ast.expr | None]]:
    return [
        (stmt, value)
        for stmt in tree.body
        for targets, value in [assigned(stmt)]
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
    ]


def _all_literal(
    tree: ast.Module, rel: str, export: Export, notes: list[str], force: bool
) -> ast.List | ast.Tuple | None:
    """The ``__all__`` list or tuple literal (None: no ``__all__``, or skipped when forced)."""
    found = _all_assignments(tree)
    if not found:
        return None
    literal = next((v for _, v in found if isinstance(v, ast.List | ast.Tuple)), None)
    if literal is not None:
        return literal
    problem = f"{rel}: line {found[0][0].lineno}: __all__ is not a list or tuple literal"
    if not force:
        raise ScaffoldError(
            f"cannot export {', '.join(export.names)}: {problem}; make __all__ a literal "
            "or add the names by hand (force=True skips this edit)",
            path=rel,
        )
    notes.append(f"{problem}; {', '.join(export.names)} not added to it")
    return None


def _add_names(text: str, node: ast.List | ast.Tuple | None, rel: str, export: Export) -> str:
    """``text`` with the export's names in the ``__all__`` literal ``node`` (None: find it)."""
    for name in export.names:
        if node is None:
            found = _all_assignments(ast.parse(text, filename=rel))
            node = next(v for _, v in found if isinstance(v, ast.List | ast.Tuple))
        text = _add_name(text, node, rel, name, export.kind)
        node = None  # offsets moved: find it again for the next name
    return text


def _add_name(text: str, node: ast.List | ast.Tuple, rel: str, name: str, kind: FileKind) -> str:
    values = [e.value if isinstance(e, ast.Constant) else None for e in node.elts]
    if name in values:
        return text
    pattern = _NAME_KIND[kind]
    same = [i for i, v in enumerate(values) if isinstance(v, str) and pattern.search(v)]
    index = len(values)
    if same:
        names = [str(values[i]) for i in same]
        later = [i for i in same if str(values[i]) > name]
        index = later[0] if names == sorted(names) and later else same[-1] + 1
    quote = "'" if node.elts and (Source(text).segment(node.elts[0]) or "").startswith("'") else '"'
    item = f"{quote}{name}{quote}"
    return insert_item(text, node, index, item, rel, "__all__")


def _checked(text: str, rel: str, construct: str) -> str:
    try:
        ast.parse(text)
    except SyntaxError as exc:  # a layout the insertion did not foresee: refuse, never corrupt
        raise ScaffoldError(
            f"editing {construct} in {rel} would not leave valid Python ({exc.msg}, line "
            f"{exc.lineno}); add the entry by hand",
            path=rel,
        ) from None
    return text
