"""Code rules: the plan's rendered code is valid Python, and its config fields are Python.

The Implementation Details code blocks are rendered from the plan (`planner_agent.seedformat`);
the renderer quotes what is not an expression, but an expression can still be code that does
not compile (``await x`` as a type) or that names what the class never imports (``String``,
a default ``ID``). These rules compile every block and read each config field's type and
default the way the rendered class will. The repair pass fixes the mechanical cases first.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from .._pytypes import default_problem, type_problem
from ..plan import ImplementationPlan, Severity
from ..seedformat._spec_code import registry_block
from ..seedformat._step_files import StepFileKind, step_files
from ._core import (
    BUILDER,
    CONFIG,
    CONTRACT,
    REGISTRY,
    SCRIPT,
    SPEC,
    CheckContext,
    Finding,
    family_rule,
)

_rule = family_rule("code")
E = Severity.ERROR

#: Each rendered file kind: the block's name in messages and the plan part it comes from.
BLOCKS: dict[StepFileKind, tuple[str, str]] = {
    "contract": ("script contract", CONTRACT),
    "spec": ("step specification", SPEC),
    "config": ("configuration class", CONFIG),
    "script": ("processing script", SCRIPT),
    "builder": ("step builder", BUILDER),
}


@lru_cache(maxsize=64)
def compile_problem(name: str, text: str) -> str | None:
    """Why block ``text`` does not compile (naming the line and its code), else None.

    Cached: a plan checked again (after a repair, in another phrasing) compiles nothing twice.
    """
    try:
        compile(text, f"<{name}>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        line, lines = getattr(exc, "lineno", None) or 0, text.splitlines()
        where = f" at line {line}: {lines[line - 1].strip()!r}" if 0 < line <= len(lines) else ""
        return f"the {name} block does not compile ({getattr(exc, 'msg', str(exc))}){where}"
    return None


@_rule(
    "CODE001",
    E,
    "Every rendered Implementation Details code block compiles as Python. The message names the "
    "block, the line and the code there; fix the plan value that produced it.",
)
def blocks_compile(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    # The texts the markdown shows (rendered once per plan and shared with the writer).
    blocks = [("registry entry", REGISTRY, registry_block(plan))]
    blocks += [(*BLOCKS[f.kind], f.text) for f in step_files(plan)]
    for name, path, text in blocks:
        problem = compile_problem(name, text)
        if problem:
            yield path, problem


def _fields(plan: ImplementationPlan) -> Iterator[tuple[str, str, str | None, str]]:
    config = plan.components.configuration
    for key in ("step_parameters", "sagemaker_parameters"):
        for i, param in enumerate(getattr(config, key)):
            yield f"{CONFIG}.{key}[{i}]", param.type, param.default, param.name


@_rule(
    "CODE002",
    E,
    "Config field types are Python types the rendered class can use: `str`, `int`, `float`, "
    "`bool`, `list[str]`, `dict[str, str]`, `X | None` (or the typing names), not `String`, "
    "`Integer` or prose. Write the Python type.",
)
def config_types_are_python(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for path, kind, _, name in _fields(plan):
        problem = type_problem(kind)
        if problem:
            yield f"{path}.type", f"config field {name!r}: {problem}; use e.g. 'str' or 'list[str]'"


@_rule(
    "CODE003",
    E,
    "Config field defaults are Python literals of the field's type: `'ID'` (quoted) for a `str`, "
    "`5` for an `int`, `True` for a `bool`; a bare word is a name the class cannot resolve. Quote "
    "or correct the default.",
)
def config_defaults_are_literals(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for path, kind, default, name in _fields(plan):
        if type_problem(kind):
            continue  # CODE002 reports the type; a default cannot be judged against it
        problem = default_problem(kind, default)
        if problem:
            yield f"{path}.default", f"config field {name!r}: {problem}"
