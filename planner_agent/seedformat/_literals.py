"""Python code as data, without running it: the static evaluation `code` reads with.

Private to `planner_agent.seedformat._reader`. `parse_python` parses a block, or as much of a truncated
one as parses; `value_of` turns an expression into data: literals as themselves, names
assigned earlier in the module as their values, calls as `Call`, anything else as `Ref` (its
source text). The accessors (`as_str`, `str_list`, `str_dict`, `call_kwargs`, `code_enum`)
take such data apart, answering None for what the code computes rather than states.

>>> value_of(ast.parse("f(1, x=DependencyType.A)").body[0].value, {})
Call(name='f', args=[1], kwargs={'x': Ref(text='DependencyType.A')})
"""

from __future__ import annotations

import ast
import tokenize
from dataclasses import dataclass
from enum import StrEnum
from io import StringIO
from typing import Any

__all__ = [
    "Call",
    "Ref",
    "as_str",
    "call_kwargs",
    "code_enum",
    "parse_python",
    "str_dict",
    "str_list",
    "value_of",
]

_MAX_TRIM = 120  # lines dropped at most from the end of a block that does not parse


@dataclass
class Ref:
    """A name or expression in a code block that is not a literal (``DependencyType.X``)."""

    text: str


@dataclass
class Call:
    """A call in a code block: the called name (last dotted part) and its evaluated arguments."""

    name: str
    args: list[Any]
    kwargs: dict[str, Any]


def value_of(node: ast.AST, env: dict[str, Any]) -> Any:
    """AST -> Python data without executing anything (names resolved from module assignments)."""
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
            ast.unparse(node.func).rsplit(".", 1)[-1],
            [value_of(a, env) for a in node.args],
            {k.arg: value_of(k.value, env) for k in node.keywords if k.arg},
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = value_of(node.operand, env)
        return -inner if isinstance(inner, int | float) else Ref(ast.unparse(node))
    return Ref(ast.unparse(node))


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


def code_enum(value: Any, enum_cls: type[StrEnum]) -> str | None:
    """``DependencyType.X`` -> X's value when X is a member; the written text otherwise (left
    for validation to report); None when the code computes it (a call, a variable)."""
    if isinstance(value, Ref):
        attr = value.text.rsplit(".", 1)[-1]
        member = enum_cls.__members__.get(attr)
        return member.value if member else attr
    return value if isinstance(value, str) else None


def as_str(value: Any) -> str | None:
    """A string as written (also inside ``get_spec_step_type("X")``), else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, Call) and value.name == "get_spec_step_type" and value.args:
        return as_str(value.args[0])
    return None


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
