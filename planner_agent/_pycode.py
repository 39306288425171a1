"""Pipeline code as data, without running it: the one static reader of Python source.

Both readers of pipeline code use it: the codebase index (`planner_agent.checks`) reads a user's
repository, the markdown reader (`planner_agent.seedformat`) reads a plan's code blocks.
`value_of` turns an expression into data: literals as themselves, names assigned earlier in the
module as their values, calls as `Call`, anything else as `Ref` (its source text). `literal`
is the strict reading for code that must state its values. The accessors (`as_str`,
`step_type_of`, `str_list`, `str_dict`, `call_kwargs`, `items_of`, the enum readers)
take such data apart, answering None for what the code computes rather than states.
Source is parsed by `parse_module`, `parse_python` (a plan's block, read as far as it parses) or
`parse_expression`: whoever wrote it, the work is bounded and the only errors are `SyntaxError`
and `CodeTooComplex` (nesting deeper than `MAX_NESTING`).

>>> value_of(ast.parse("f(1, x=DependencyType.A)").body[0].value, {})
Call(name='f', args=[1], kwargs={'x': Ref(text='DependencyType.A')})
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, TypeVar

from .conventions import variant_step_type
from .plan import JobType

__all__ = [
    "MAX_NESTING",
    "MAX_RECOVERY_PARSES",
    "Call",
    "CodeTooComplex",
    "ParsedCode",
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
    "parse_expression",
    "parse_module",
    "parse_python",
    "step_type_of",
    "str_dict",
    "str_list",
    "value_of",
]

E = TypeVar("E", bound=Enum)

MAX_NESTING = 100
"""Deepest AST nesting read (a module is level 1). Real code stays far below it; the readers
(`value_of`, ``ast.unparse``, ``ast.literal_eval``) recurse once or more per level, and
Python's parser accepts a few thousand levels, enough to exhaust the interpreter's stack."""

MAX_RECOVERY_PARSES = 6
"""Prefixes `parse_python` tries at most when a block does not parse; each re-parses its prefix."""


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


class CodeTooComplex(ValueError):
    """Source nested too deeply to read: Python's parser gives up on it (``MemoryError`` or
    ``RecursionError``), or the readers here, which recurse over the tree, would."""


@dataclass(frozen=True)
class ParsedCode:
    """What `parse_python` read: the module (None if nothing parsed), the lines it covers from
    the start of the block, and why the rest was not read ("" when all was)."""

    module: ast.Module | None
    lines: int
    problem: str = ""
    parses: int = 1  # the parser runs it took: public, so that their bound can be observed


def _parse(source: str, mode: str = "exec", filename: str = "<unknown>") -> Any:
    """`ast.parse`; resource errors as `CodeTooComplex`, null bytes as a `SyntaxError`."""
    try:
        return ast.parse(source, filename=filename, mode=mode)
    except (RecursionError, MemoryError):  # the parser's own limit (``- - - ... 1``)
        raise CodeTooComplex("nested too deeply for Python's parser") from None
    except ValueError as exc:
        raise SyntaxError(str(exc)) from None


def _too_deep(tree: ast.AST, level: int = 2) -> bool:
    """True when a node of ``tree`` (at ``level``; a statement is at 2) is nested deeper than
    `MAX_NESTING`. Walked without recursion, for the reason the limit exists; by hand, as
    `ast.iter_child_nodes` takes three times as long."""
    stack = [(tree, level)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > MAX_NESTING:
            return True
        depth += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                push((value, depth))
            elif isinstance(value, list):
                stack.extend([(item, depth) for item in value if isinstance(item, ast.AST)])
    return False


def _nesting_problem(line: int = 0) -> str:
    return f"nested more than {MAX_NESTING} levels deep" + (f" at line {line}" if line else "")


def parse_module(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source)`` for code read, never run, whoever wrote it: `SyntaxError`, or
    `CodeTooComplex` beyond `MAX_NESTING` (still too deep for ``ast.unparse`` and the readers)."""
    tree: ast.Module = _parse(source, filename=filename)
    deep = next((s for s in tree.body if _too_deep(s)), None)
    if deep is not None:
        raise CodeTooComplex(_nesting_problem(deep.lineno))
    return tree


def parse_expression(text: str) -> ast.expr:
    """One expression, as `parse_module` reads a module (same errors)."""
    body: ast.expr = _parse(text, "eval").body
    if _too_deep(body):
        raise CodeTooComplex(_nesting_problem())
    return body


def parse_python(code: str) -> ParsedCode:
    """The whole block, or its longest prefix that parses once the brackets it left open are
    closed (a truncated block usually stops inside a call).

    The work is bounded whatever the block holds: one parse when it is valid, at most
    `MAX_RECOVERY_PARSES` more otherwise, each cut guided by where the last try failed; top-level
    statements from the first one nested deeper than `MAX_NESTING` on are dropped.

    >>> parsed = parse_python("X = f(\\n    a=1,\\n    b=[2, 3")
    >>> ast.unparse(parsed.module), parsed.lines
    ('X = f(a=1)', 2)
    """
    lines = code.splitlines()
    try:
        return _shallow(_parse(code), len(lines), "")
    except CodeTooComplex as exc:
        return ParsedCode(None, 0, str(exc))
    except SyntaxError as exc:
        problem = f"{exc.msg} at line {exc.lineno}" if exc.lineno else exc.msg
        return _recover(lines, exc, problem)


def _recover(lines: list[str], error: SyntaxError, problem: str) -> ParsedCode:
    """The longest prefix found in a bounded number of tries (``parses`` counts them)."""
    end = len(lines)
    # A block cut off inside brackets: the parser points at the opening bracket, which is no
    # place to cut (the call it opens is what a truncated block is read for); step back from
    # the end instead. Elsewhere the error's line is where the block stops making sense.
    cut_off = "never closed" in error.msg or "unexpected EOF" in error.msg
    stop = end if cut_off else error.lineno or end
    back = 1
    for runs in range(2, MAX_RECOVERY_PARSES + 2):  # the block's own parse was the first
        end = min(end - back, stop - 1)
        if end <= 0:
            return ParsedCode(None, 0, problem, runs - 1)
        prefix = "\n".join(lines[:end]).rstrip().rstrip(",")
        try:
            return replace(_shallow(_parse(prefix + _closers(prefix)), end, problem), parses=runs)
        except CodeTooComplex:
            return ParsedCode(None, 0, problem, runs)
        except SyntaxError as exc:
            if exc.lineno and exc.lineno < end:
                stop, back = exc.lineno, 1  # a real error earlier on: cut before it
            else:
                back *= 2  # the cut itself is the problem: step back further, faster
    return ParsedCode(None, 0, problem, 1 + MAX_RECOVERY_PARSES)


def _shallow(module: ast.Module, read: int, problem: str) -> ParsedCode:
    """``module`` without its statements from the first one nested too deeply on."""
    for index, stmt in enumerate(module.body):
        if _too_deep(stmt):
            module.body = module.body[:index]
            return ParsedCode(module, min(read, stmt.lineno - 1), _nesting_problem(stmt.lineno))
    return ParsedCode(module, read, problem)


# A comment, a string (its brackets do not count; one left open runs to the end of its line, or
# of the text for a triple-quoted one) or one bracket. Every character has one way to be matched
# and every alternative always ends in a match, so the scan never backtracks: linear time.
_BRACKET_SCAN = re.compile(
    r"""#[^\n]*"""
    r"""|[rRbBuUfF]{0,2}(?:'{3}(?:[^'\\]|\\.?|'(?!''))*(?:'{3}|\Z)"""
    r"""|"{3}(?:[^"\\]|\\.?|"(?!""))*(?:"{3}|\Z)"""
    r"""|'(?:[^'\\\n]|\\.)*'?|"(?:[^"\\\n]|\\.)*"?)"""
    r"""|[()\[\]{}]""",
    re.DOTALL,
)
_PAIRS = {"(": ")", "[": "]", "{": "}"}


def _closers(source: str) -> str:
    """Brackets that close what ``source`` left open (for truncated blocks); linear time."""
    stack: list[str] = []
    for match in _BRACKET_SCAN.finditer(source):
        token = match.group()
        if token in _PAIRS:
            stack.append(_PAIRS[token])
        elif token in ")]}" and stack:
            stack.pop()
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
