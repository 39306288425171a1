"""Python source text from plan values, for the "Implementation Details" code blocks.

Every block is valid Python (``ast.parse`` accepts it) whatever the plan contains: names that are
not identifiers are sanitised (`ident`), defaults and types that are not expressions are quoted
(`expr`), and free text only ever appears inside string literals (`lit`) or comments (`comment`).
The markdown bullets keep the values exactly as written; `parse_markdown` reads the blocks back
when bullets are missing.

>>> ident("2nd-field"), lit(["a", None]), expr("not a type", "Any")
('_2nd_field', '["a", None]', 'Any')
"""

from __future__ import annotations

import json
import keyword
import re

from .._pycode import parse_expression
from ..conventions import contract_constant, snake_case, spec_constant
from ..plan import ImplementationPlan, JobType

__all__ = [
    "comment",
    "expr",
    "header",
    "ident",
    "lit",
    "module_name",
    "set_lit",
    "spec_constants",
    "step_idents",
]


def ident(text: str, fallback: str = "name") -> str:
    """A valid Python identifier close to ``text``."""
    name = re.sub(r"\W+", "_", text.strip()).strip("_") or fallback
    if name[0].isdigit():
        name = f"_{name}"
    return f"{name}_" if keyword.iskeyword(name) else name


def lit(value: object, indent: int = 0) -> str:
    """A Python literal for str/bool/None/int and lists/dicts of them; long containers one per line."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return repr(value)
    pad = " " * (indent + 4)
    if isinstance(value, list):
        parts = [lit(v, indent + 4) for v in value]
        inline = "[" + ", ".join(parts) + "]"
        if len(inline) + indent <= 72 and "\n" not in inline:
            return inline
        return "[\n" + "".join(f"{pad}{p},\n" for p in parts) + " " * indent + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        rows = "".join(f"{pad}{lit(k)}: {lit(v, indent + 4)},\n" for k, v in value.items())
        return "{\n" + rows + " " * indent + "}"
    return repr(value)


def set_lit(items: list[str]) -> str:
    """A set literal in a fixed order (``set()`` when empty)."""
    return "{" + ", ".join(lit(i) for i in sorted(items)) + "}" if items else "set()"


def expr(text: str | None, fallback: str) -> str:
    """``text`` when it is a Python expression, else ``fallback``."""
    if text is None or not text.strip():
        return fallback
    try:
        parse_expression(text.strip())  # what the reader can read back, too
    except (SyntaxError, ValueError):
        return fallback
    return text.strip()


def comment(text: str, indent: int = 0) -> list[str]:
    """Free text as comment lines (always valid, whatever it contains)."""
    pad = " " * indent
    return [f"{pad}# {line}".rstrip() for line in text.splitlines() if line.strip()]


def header(path: str, fallback: str) -> list[str]:
    """A block's first line: the file it belongs in (the reader takes the component's path from it)."""
    return [f"# {path or fallback}"]


def step_idents(plan: ImplementationPlan) -> tuple[str, str, str, str]:
    """(snake name, contract constant, config class, builder class) as identifiers."""
    comps = plan.components
    name = snake_case(plan.step_name) or "step"
    contract = ident(contract_constant(comps.script_contract.entry_point or f"{name}.py"))
    config = ident(comps.configuration.class_name, "StepConfig")
    builder = ident(comps.step_builder.class_name, "StepBuilder")
    return ident(name), contract, config, builder


def module_name(path: str, fallback: str) -> str:
    """The module name of a ``.py`` file path (for relative imports)."""
    stem = path.rsplit("/", 1)[-1].removesuffix(".py") if path.endswith(".py") else ""
    return ident(stem or fallback)


def spec_constants(plan: ImplementationPlan) -> list[tuple[JobType | None, str, str]]:
    """(job type, constant, module) for the base spec or for each job-type variant."""
    spec = plan.components.step_specification
    base = module_name(spec.file_path, f"{snake_case(plan.step_name)}_spec")
    if not spec.job_type_variants:
        return [(None, ident(spec_constant(plan.step_name)), base)]
    stem = base.removesuffix("_spec")
    snake = snake_case(plan.step_name)
    if any(stem == f"{snake}_{jt.value}" for jt in spec.job_type_variants):
        stem = snake  # a plan read back from code blocks names a variant's file
    return [
        (jt, ident(spec_constant(plan.step_name, jt)), f"{stem}_{jt.value}_spec")
        for jt in spec.job_type_variants
    ]
