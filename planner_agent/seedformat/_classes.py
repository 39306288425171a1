"""The classes of the code blocks: which is the step's config (and its fields), which its builder.

Private to `planner_agent.seedformat._code` (and `field_statements` to the codebase index). A block often defines more than one class: helper
models (``SystemPromptConfig(BaseModel)``) before the config, test classes next to the builder.
Each class gets a rank for each role, and the reader keeps the best (`Code.configs`,
`Code.builders`); test classes rank nowhere.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from .._pycode import keywords
from ._context import Facts

__all__ = ["builder_rank", "class_fields", "config_rank", "field_statements"]


def field_statements(cls: ast.ClassDef) -> Iterator[tuple[str, str, ast.AnnAssign]]:
    """(name, annotation, statement) of each public field a class body declares: annotated
    attributes, without ``model_config``, private names and ``ClassVar`` annotations."""
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name, annotation = stmt.target.id, ast.unparse(stmt.annotation)
            if not (name.startswith("_") or name == "model_config" or "ClassVar" in annotation):
                yield name, annotation, stmt


def class_fields(cls: ast.ClassDef) -> list[Facts]:
    """Config fields: annotated class attributes, else the parameters of ``__init__``."""
    fields: list[Facts] = []
    for name, annotation, stmt in field_statements(cls):
        entry: Facts = {"name": name, "type": annotation, "default": None}
        value = stmt.value
        if isinstance(value, ast.Call) and ast.unparse(value.func).endswith("Field"):
            kw = keywords(value)
            first = value.args[0] if value.args else kw.get("default")
            if first is not None and not (
                isinstance(first, ast.Constant) and first.value is Ellipsis
            ):
                entry["default"] = ast.unparse(first)
            elif "default_factory" in kw:
                made = kw["default_factory"]
                factory = ast.unparse(made)
                if isinstance(made, ast.Lambda) and not made.args.args:
                    entry["default"] = ast.unparse(made.body)  # lambda: [...] makes [...]
                else:
                    entry["default"] = {"list": "[]", "dict": "{}"}.get(factory, f"{factory}()")
            if isinstance(kw.get("description"), ast.Constant):
                entry["description"] = str(kw["description"].value)  # type: ignore[attr-defined]
        elif value is not None:
            entry["default"] = ast.unparse(value)
        fields.append(entry)
    if fields:
        return fields
    init = next(
        (s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
    )
    if init is None:
        return []
    # Arguments handed straight to super().__init__ are base-class fields, not this step's.
    passed = {
        n.id
        for call in ast.walk(init)
        if isinstance(call, ast.Call) and ast.unparse(call.func).endswith("super().__init__")
        for n in [*call.args, *(k.value for k in call.keywords)]
        if isinstance(n, ast.Name)
    }
    args = [*init.args.args, *init.args.kwonlyargs]
    defaults = [None] * (len(init.args.args) - len(init.args.defaults)) + list(init.args.defaults)
    defaults += list(init.args.kw_defaults)
    for arg, default in zip(args, defaults, strict=True):
        if arg.arg == "self" or arg.arg in passed:
            continue
        fields.append(
            {
                "name": arg.arg,
                "type": ast.unparse(arg.annotation) if arg.annotation else "str",
                "default": ast.unparse(default) if default is not None else None,
            }
        )
    return fields


def _is_test(cls: ast.ClassDef) -> bool:
    bases = [ast.unparse(b) for b in cls.bases]
    return cls.name.startswith("Test") or any(re.search(r"TestCase|\bTest", b) for b in bases)


def builder_rank(cls: ast.ClassDef) -> int:
    """3: subclasses a step builder base (``StepBuilderBase``); 2: named like a builder; 1:
    subclasses another step's builder (``OptimizedXStepBuilder(XStepBuilder)``: an extension
    of a builder the plan defines elsewhere); 0: not a builder."""
    if _is_test(cls):
        return 0
    bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in cls.bases]
    if any("StepBuilder" in b and not b.endswith("StepBuilder") for b in bases):
        return 3
    if any(b.endswith("StepBuilder") for b in bases):
        return 1
    return 2 if cls.name.endswith(("StepBuilder", "Builder")) else 0


def config_rank(cls: ast.ClassDef) -> int:
    """3: subclasses a framework config base (``...ConfigBase``, ``BasePipelineConfig``, another
    ``...Config``); 2: named ``...Config`` on another base; 1: a plain Pydantic model; 0: none."""
    bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in cls.bases]
    if _is_test(cls):
        return 0
    if any(re.search(r"Config(Base)?$|^BasePipelineConfig", b) for b in bases):
        return 3
    if cls.name.endswith("Config"):
        return 2
    return 1 if any(b.endswith("BaseModel") for b in bases) else 0
