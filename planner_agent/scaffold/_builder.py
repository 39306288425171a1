"""The builder's constructor, fitted to the repository's ``StepBuilderBase``.

The plan's builder block passes the keyword arguments of one version of the framework to
``super().__init__`` (``notebook_root`` among them). When the repository's base class (read with
`ast`, never imported) takes neither such a keyword nor ``**kwargs``, the keyword and the
builder's own parameter of that name are dropped, so the builder constructs. Only lines that
hold one parameter or one keyword each are removed; anything else is left, with a note.
"""

from __future__ import annotations

import ast

from .._files import FileProblem, read_text
from ._imports import ImportResolver

__all__ = ["fit_builder"]

BASE = "StepBuilderBase"


def _base_parameters(resolver: ImportResolver, from_dir: str) -> set[str] | None:
    """The keyword parameters of the base ``__init__`` (None: unknown or takes ``**kwargs``)."""
    rel = resolver.definition_file(BASE, from_dir)
    if rel is None:
        return None
    try:
        tree = ast.parse(read_text(resolver.root / rel))
    except (FileProblem, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == BASE:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    args = item.args
                    if args.kwarg is not None:
                        return None
                    return {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
            return None
    return None


def _super_init(cls: ast.ClassDef) -> tuple[ast.FunctionDef, ast.Call] | None:
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            for node in ast.walk(item):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "__init__"
                    and isinstance(node.func.value, ast.Call)
                    and isinstance(node.func.value.func, ast.Name)
                    and node.func.value.func.id == "super"
                ):
                    return item, node
    return None


def fit_builder(text: str, resolver: ImportResolver, from_dir: str, notes: list[str]) -> str:
    """``text`` without the ``super().__init__`` keywords the repository's base does not take."""
    accepted = _base_parameters(resolver, from_dir)
    if accepted is None:
        return text
    tree = ast.parse(text)
    builders = [
        n
        for n in tree.body
        if isinstance(n, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id == BASE for b in n.bases)
    ]
    found = _super_init(builders[0]) if builders else None
    if found is None:
        return text
    init, call = found
    extra = [k for k in call.keywords if k.arg is not None and k.arg not in accepted]
    lines = text.split("\n")
    drop: set[int] = set()
    for keyword in extra:
        segment = ast.get_source_segment(text, keyword)
        line = keyword.lineno - 1
        if segment is None or lines[line].strip() != f"{segment},":
            notes.append(f"{BASE} takes no {keyword.arg}; remove it from the builder's call")
            continue
        drop.add(line)
        used = [
            n
            for n in ast.walk(init)
            if isinstance(n, ast.Name) and n.id == keyword.arg and n is not keyword.value
        ]
        params = [a for a in init.args.args if a.arg == keyword.arg]
        with_default = init.args.args[len(init.args.args) - len(init.args.defaults) :]
        defaults = dict(zip(with_default, init.args.defaults, strict=True))
        if params and not used and params[0] in defaults:
            default = ast.get_source_segment(text, defaults[params[0]])
            line = params[0].lineno - 1
            if lines[line].strip() == f"{keyword.arg}={default},":
                drop.add(line)
        notes.append(f"{BASE} in this repository takes no {keyword.arg}: left out of the builder")
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)
