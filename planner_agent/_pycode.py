"""Pipeline code as data, without running it: the one static reader of Python source.

Both readers of pipeline code use it: the codebase index (`planner_agent.checks`) reads a user's
repository, the markdown reader (`planner_agent.seedformat`) reads a plan's code blocks.
`value_of` turns an expression into data: literals as themselves, names assigned earlier in the
module as their values, calls as `Call`, anything else as `Ref` (its source text). `literal`
is the strict reading for code that must state its values. The accessors (`as_str`,
`step_type_of`, `str_list`, `str_dict`, `call_kwargs`, `items_of`, the enum readers)
take such data apart, answering None for what the code computes rather than states.

>>> value_of(ast.parse("f(1, x=DependencyType.A)").body[0].value, {})
Call(name='f', args=[1], kwargs={'x': Ref(text='DependencyType.A')})
"""

from __future__ import annotations

import ast
import tokenize
from dataclasses import dataclass
from enum import Enum
from io import StringIO
from typing import Any, TypeVar

from .conventions import variant_step_type
from .plan import JobType

__all__ = [
    "Call",
    "Ref",
    "as_str",
    "assigned",
    "call_kwargs",
    "call_name",
    "code_enum",
    "enum_member",
    "enum_text",
    "items_of",
    "keywords",
    "literal",
    "parse_python",
    "step_type_of",
    "str_dict",
    "str_list",
    "value_of",
]

E = TypeVar("E", bound=Enum)

_MAX_TRIM = 120  # lines dropped at most from the end of a block that does not parse


@dataclass
class Ref:
    """A name or expression that is not a literal (``DependencyType.X``), as its source text."""

    text: str


@dataclass
class Call:
    """A call: the called name (last dotted part) and its evaluated arguments."""

    name: str
    args: list[Any]
    kwargs: dict[str, Any]


# --------------------------------------------------------------------------- syntax


def parse_python(code: str) -> tuple[ast.Module | None, int]:
    """(module, lines read): the whole block, or its longest prefix that parses once the brackets
    it left open are closed (a truncated block usually stops inside a call)."""
    lines = code.splitlines()
    try:
        return ast.parse(code), len(lines)
    except SyntaxError:
        pass
    # Only the tail is worth trying: a cut-off block fails near its end, and each try re-parses.
    for end in range(len(lines) - 1, max(0, len(lines) - _MAX_TRIM), -1):
        prefix = "\n".join(lines[:end]).rstrip().rstrip(",")
        for candidate in (prefix, prefix + _closers(prefix)):
            try:
                return ast.parse(candidate), end
            except SyntaxError:
                continue
    return None, 0


def _closers(source: str) -> str:
    """Brackets that close what ``source`` left open (for truncated blocks)."""
    stack: list[str] = []
    pairs = {"(": ")", "[": "]", "{": "}"}
    try:
        for tok in tokenize.generate_tokens(StringIO(source).readline):
            if tok.type == tokenize.OP and tok.string in pairs:
                stack.append(pairs[tok.string])
            elif tok.type == tokenize.OP and tok.string in ")]}" and stack:
                stack.pop()
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return "".join(reversed(stack))


def assigned(stmt: ast.stmt) -> tuple[list[ast.expr], ast.expr | None]:
    """(targets, value) of an assignment statement (``x: T`` has no value); ``([], None)`` else."""
    if isinstance(stmt, ast.Assign):
        return list(stmt.targets), stmt.value
    if isinstance(stmt, ast.AnnAssign):
        return [stmt.target], stmt.value
    return [], None


def call_name(call: ast.Call) -> str:
    """The called name: ``f`` for ``f(...)`` and ``m.f(...)``; empty for a computed callee."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def keywords(call: ast.Call) -> dict[str, ast.expr]:
    """The keyword arguments of a call by name (``**kwargs`` left out)."""
    return {k.arg: k.value for k in call.keywords if k.arg}


# --------------------------------------------------------------------------- evaluation


def value_of(node: ast.AST, env: dict[str, Any]) -> Any:
    """AST -> Python data without executing anything (names resolved from ``env``).

    Tuples and sets become lists (in source order); dict entries without a literal key are
    left out.
    """
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Dict):
        return {
            value_of(k, env): value_of(v, env)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None and isinstance(k, ast.Constant)
        }
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [value_of(e, env) for e in node.elts if not isinstance(e, ast.Starred)]
    if isinstance(node, ast.Name):
        return env.get(node.id, Ref(node.id))
    if isinstance(node, ast.Attribute):
        return Ref(ast.unparse(node))
    if isinstance(node, ast.Call):
        return Call(
            call_name(node),
            [value_of(a, env) for a in node.args],
            {k: value_of(v, env) for k, v in keywords(node).items()},
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = value_of(node.operand, env)
        return -inner if isinstance(inner, int | float) else Ref(ast.unparse(node))
    return Ref(ast.unparse(node))


def literal(node: ast.expr | None, default: Any = None) -> Any:
    """The value of an expression made of literals only (as `value_of` reads it), else ``default``.

    Code whose values must be stated, not computed, is read this way: a name, a call or a
    ``**spread`` anywhere in it gives ``default``.

    >>> [literal(ast.parse(code, mode="eval").body) for code in ("{'a': (1, -2)}", "[X]")]
    [{'a': [1, -2]}, None]
    """
    if node is None or not all(_is_literal_part(n) for n in ast.walk(node)):
        return default
    return value_of(node, {})


def _is_literal_part(node: ast.AST) -> bool:
    if isinstance(node, ast.Dict):
        return None not in node.keys  # a None key is a ``**spread``
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
    return isinstance(
        node, ast.Constant | ast.List | ast.Tuple | ast.Set | ast.expr_context | ast.USub
    )


# --------------------------------------------------------------------------- accessors


def as_str(value: Any) -> str | None:
    """A string as written (also inside ``get_spec_step_type("X")``), else None."""
    if isinstance(value, str):
        return value
    arguments = [*value.args, *value.kwargs.values()] if isinstance(value, Call) else []
    if isinstance(value, Call) and value.name == "get_spec_step_type" and arguments:
        return as_str(arguments[0])
    return None


def step_type_of(value: Any) -> str | None:
    """A specification's ``step_type``: a string, ``get_spec_step_type("X")``, or
    ``get_spec_step_type_with_job_type("X", "training")`` for the variant ``X_Training``.

    >>> step_type_of(Call("get_spec_step_type_with_job_type", ["X", "training"], {}))
    'X_Training'
    """
    if not (isinstance(value, Call) and value.name == "get_spec_step_type_with_job_type"):
        return as_str(value)
    step, job = [*value.args, *value.kwargs.values(), None, None][:2]
    if not isinstance(step, str):
        return None
    if not isinstance(job, str):
        return step
    member = enum_member(job.lower(), JobType)
    return variant_step_type(step, member) if member else f"{step}_{job.capitalize()}"


def str_list(value: Any) -> list[str] | None:
    """The strings of a list (others dropped), or None when ``value`` is not a list."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return None


def str_dict(value: Any) -> dict[str, str] | None:
    """A dict with its keys and values as text (None as ""), or None when it is not a dict."""
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    return None


def call_kwargs(value: Any, call_suffix: str, keys: set[str]) -> dict[str, Any] | None:
    """Keyword arguments of ``...<call_suffix>(...)`` or a dict carrying ``keys``."""
    if isinstance(value, Call) and value.name.endswith(call_suffix):
        return value.kwargs
    if isinstance(value, dict) and keys & set(value):
        return value
    return None


def items_of(value: Any) -> list[Any]:
    """The entries of a list, or the values of a dict (``{logical_name: DependencySpec(...)}``)."""
    if isinstance(value, dict):
        return list(value.values())
    return value if isinstance(value, list) else []


def enum_member(value: Any, enum_cls: type[E]) -> E | None:
    """The member code names by name (``DependencyType.PROCESSING_OUTPUT``, ``"PROCESSING_OUTPUT"``)
    or by value (``"processing_output"``); None if neither."""
    text = enum_text(value)
    if text is None:
        return None
    if text in enum_cls.__members__:
        return enum_cls.__members__[text]
    return next((m for m in enum_cls if m.value == text), None)


def code_enum(value: Any, enum_cls: type[Enum]) -> str | None:
    """``DependencyType.X`` -> X's value when X is a member; the written text otherwise (left
    for validation to report); None when the code computes it (a call, a variable)."""
    member = enum_member(value, enum_cls) if isinstance(value, Ref) else None
    return str(member.value) if member is not None else enum_text(value)


def enum_text(value: Any) -> str | None:
    """``DependencyType.X`` -> ``"X"``; a string as written; None for anything else."""
    if isinstance(value, Ref):
        return value.text.rsplit(".", 1)[-1]
    return value if isinstance(value, str) else None
