"""Code rules: the plan's rendered code is valid Python, and its config fields are Python.

The Implementation Details code blocks are rendered from the plan (`planner_agent.seedformat`);
the renderer quotes what is not an expression, but an expression can still be code that does
not compile (``await x`` as a type) or that names what the class never imports (``String``,
a default ``ID``). These rules compile every block and read each config field's type and
default the way the rendered class will. The repair pass fixes the mechanical cases first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .._pytypes import default_problem, type_problem
from ..plan import ImplementationPlan, Severity
from ..seedformat._builder_code import builder_block
from ..seedformat._code_text import spec_constants
from ..seedformat._config_code import config_block
from ..seedformat._script_code import script_block
from ..seedformat._spec_code import contract_block, registry_block, spec_block
from ._core import CONFIG, CheckContext, Finding, family_rule

_rule = family_rule("code")
E = Severity.ERROR


def spec_blocks(plan: ImplementationPlan) -> str:
    """The specification blocks: the base step's, or one per job-type variant, in one text."""
    return "\n\n".join(spec_block(plan, job_type) for job_type, _, _ in spec_constants(plan))


#: Each rendered block: its name, the plan part it comes from, and its renderer.
BLOCKS: tuple[tuple[str, str, Callable[[ImplementationPlan], str]], ...] = (
    ("registry entry", "registry_entry", registry_block),
    ("script contract", "components.script_contract", contract_block),
    ("step specification", "components.step_specification", spec_blocks),
    ("configuration class", CONFIG, config_block),
    ("processing script", "components.processing_script", script_block),
    ("step builder", "components.step_builder", builder_block),
)


@_rule(
    "CODE001",
    E,
    "Every rendered Implementation Details code block compiles as Python. The message names the "
    "block, the line and the code there; fix the plan value that produced it.",
)
def blocks_compile(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for name, path, render in BLOCKS:
        text = render(plan)
        try:
            compile(text, f"<{name}>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None) or 0
            source = (
                text.splitlines()[line - 1].strip() if 0 < line <= len(text.splitlines()) else ""
            )
            where = f" at line {line}: {source!r}" if line else ""
            message = getattr(exc, "msg", str(exc))
            yield path, f"the {name} block does not compile ({message}){where}"


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
