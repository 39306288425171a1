"""How a specification states its ``step_type`` (private to ``planner_agent.checks._scan``).

Real specifications write it as a string, as a registry helper call (``get_spec_step_type("X")``,
``get_spec_step_type_with_job_type("X", "training")``), or build it from those:
``get_spec_step_type("X") + "_Training"``, an f-string, a module-level constant. Each form is
read without running anything; any other form gives None (the scan warns, naming the file).
"""

from __future__ import annotations

import ast

from .._pycode import assigned, step_type_of, value_of

__all__ = ["module_constants", "step_type_text"]


def module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = value`` assignments (a step_type may be stated once and reused)."""
    found: dict[str, ast.expr] = {}
    for stmt in tree.body:
        targets, value = assigned(stmt)
        if value is not None and len(targets) == 1 and isinstance(targets[0], ast.Name):
            found[targets[0].id] = value
    return found


def step_type_text(node: ast.expr | None, names: dict[str, ast.expr], depth: int = 0) -> str | None:
    """A spec's step_type as text: a string, a registry helper call, a module constant, or a
    concatenation (``+``, f-string) of these, as in ``get_spec_step_type("X") + "_Training"``."""
    if node is None or depth > 8:
        return None
    if isinstance(node, ast.Constant | ast.Call):
        return step_type_of(value_of(node, {}))
    if isinstance(node, ast.Name) and node.id in names:
        return step_type_text(names[node.id], names, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = step_type_text(node.left, names, depth + 1)
        right = step_type_text(node.right, names, depth + 1)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        texts = [
            # {x} and {x!s} only: a format spec or !r changes the text.
            step_type_text(part.value, names, depth + 1)
            if isinstance(part, ast.FormattedValue)
            and part.format_spec is None
            and part.conversion in (-1, ord("s"))
            else step_type_text(part, names, depth + 1)
            if isinstance(part, ast.Constant)
            else None
            for part in node.values
        ]
        return None if None in texts else "".join(t for t in texts if t is not None)
    return None
