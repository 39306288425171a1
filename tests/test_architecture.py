"""The package's structure: no import cycles, no imports hidden in functions, small modules.

The import graph is read with `ast` from the source files (nothing is imported), so a cycle that
Python's import order happens to tolerate is still found.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import planner_agent

PACKAGE = Path(planner_agent.__file__).parent
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[tuple[str, ast.stmt, bool]]:
    """(imported planner_agent module, the statement, whether it sits inside a def or class)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    nested: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            nested.update(id(child) for child in ast.walk(node) if child is not node)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            candidates = [target, *(f"{target}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for candidate in candidates:
            if candidate in MODULES:
                yield candidate, node, id(node) in nested


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _graph() -> dict[str, set[str]]:
    """Module -> the modules importing it runs, the parent packages' ``__init__`` included."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        own = {name, *_ancestors(name)}  # being imported already: no new edge
        edges = set()
        for target, _, _ in _imports(name, path):
            edges.update(t for t in (target, *_ancestors(target)) if t not in own)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "planner_agent.planner" in graph["planner_agent"]
    assert "planner_agent._conversation" in graph["planner_agent.planner"]
    # importing llm._modes runs the llm package's __init__ first: that is an edge too
    assert {"planner_agent.llm._modes", "planner_agent.llm"} <= graph["planner_agent.planner"]


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_package_import_inside_a_function() -> None:
    hidden = [
        f"{name}:{node.lineno} imports {target}"
        for name, path in MODULES.items()
        for target, node, nested in _imports(name, path)
        if nested
    ]
    assert hidden == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name: str) -> None:
    lines = len(MODULES[name].read_text("utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by what its parts do"


def test_one_driver_of_the_conversation() -> None:
    """Only the conversation core builds requests and reads replies; drivers move them."""
    for name, path in MODULES.items():
        if name == "planner_agent._conversation":
            continue
        text = path.read_text("utf-8")
        for needle in ("._receive(", ".request_for(", "def flow("):
            assert needle not in text, f"{name} walks the conversation loop itself ({needle})"
