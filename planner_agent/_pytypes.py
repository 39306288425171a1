"""Config field types and defaults as Python: what is valid, and the mechanical fix when not.

A config field's ``type`` is rendered as the annotation of a Pydantic class attribute and its
``default`` as the value, so both must be Python: ``str`` (not ``String``), ``list[str]`` (not
``List[String]``), ``'ID'`` (not ``ID``, which is a name the class would fail to import with).
The repair pass (`planner_agent.repair`) applies `python_type` and `python_default`; the code
rules (`planner_agent.checks`) report what is left with `type_problem` and `default_problem`.

>>> python_type("List[String]"), python_type("Optional[Integer]"), python_default("str", "ID")
('list[str]', 'int | None', "'ID'")
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from typing import Any, Final

from ._pycode import CodeTooComplex, parse_expression

# The functions below parse their text each time; every plan's checks and repairs ask about the
# same few types ("str", "int | None"), so their answers (pure functions of text) are cached.

__all__ = [
    "TYPING_NAMES",
    "default_problem",
    "is_literal",
    "literal_type",
    "python_default",
    "python_type",
    "type_problem",
]

#: Names a config field's type may use: builtins, and the typing names the rendered class imports.
BUILTIN_TYPES: Final = frozenset(
    {"str", "int", "float", "bool", "bytes", "list", "dict", "tuple", "set", "frozenset", "None"}
)
TYPING_NAMES: Final = frozenset(
    {"Any", "List", "Dict", "Tuple", "Set", "Optional", "Union", "Literal", "Sequence", "Mapping"}
)
# Type names from other languages, JSON Schema and the specification's data types (lower-cased).
_TYPE_NAMES: Final = {
    "string": "str",
    "text": "str",
    "s3uri": "str",
    "uri": "str",
    "integer": "int",
    "long": "int",
    "number": "float",
    "double": "float",
    "decimal": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
    "map": "dict",
    "json": "dict",
    "any": "Any",
    "null": "None",
    "none": "None",
    **{name.lower(): name.lower() for name in ("Str", "Int", "Float", "Bool", "Bytes", "Dict")},
    **{name.lower(): name.lower() for name in ("List", "Tuple", "Set", "FrozenSet")},
}
# What a default of each builtin type may be (an int is a float's default, a bool no int's).
_KINDS: Final[dict[str, tuple[type, ...]]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "bytes": (bytes,),
    "list": (list,),
    "List": (list,),
    "Sequence": (list, tuple),
    "dict": (dict,),
    "Dict": (dict,),
    "Mapping": (dict,),
    "tuple": (tuple,),
    "Tuple": (tuple,),
    "set": (set,),
    "Set": (set,),
    "frozenset": (frozenset,),
    "None": (type(None),),
}
# A dotted path to a class: `pathlib.Path`, `pkg.configs.module.LabelConfig`.
_CLASS_PATH: Final = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\.[A-Z]\w*$")
_CALLS_OK: Final = frozenset({"list", "dict", "set", "tuple", "frozenset", "str", "int", "float"})


def _expression(text: str) -> ast.expr | None:
    try:
        return parse_expression(text.strip())
    except (SyntaxError, ValueError, CodeTooComplex):
        return None


@lru_cache(maxsize=1024)
def python_type(text: str) -> str | None:
    """``text`` written with builtin Python types, or None when it needs no change or cannot be
    mapped (``String`` -> ``str``, ``List[String]`` -> ``list[str]``, ``Optional[X]`` -> ``X | None``).

    >>> python_type("Dict[String, Float]"), python_type("str"), python_type("list of words")
    ('dict[str, float]', None, None)
    """
    node = _expression(text)
    if node is None:
        return None
    fixed = ast.unparse(_NormalizeType().visit(node))
    return fixed if fixed != text.strip() and type_problem(fixed) is None else None


class _NormalizeType(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in BUILTIN_TYPES or node.id in ("Any", "Literal", "Optional", "Union"):
            return node
        mapped = _TYPE_NAMES.get(node.id.lower())
        return ast.Name(id=mapped, ctx=ast.Load()) if mapped else node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        name = node.value.id if isinstance(node.value, ast.Name) else ""
        if name == "Literal":
            return node  # its values are data, not types
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        args = [self.visit(a) for a in args]
        if name == "Optional" and len(args) == 1:
            return ast.BinOp(left=args[0], op=ast.BitOr(), right=ast.Constant(value=None))
        if name == "Union" and args:
            union = args[0]
            for arg in args[1:]:
                union = ast.BinOp(left=union, op=ast.BitOr(), right=arg)
            return union
        inner = ast.Tuple(elts=args, ctx=ast.Load()) if len(args) > 1 else args[0]
        return ast.Subscript(value=self.visit(node.value), slice=inner, ctx=ast.Load())


@lru_cache(maxsize=512)  # Pure; every check reads each field's type twice (CODE002, CODE003).
def type_problem(text: str) -> str | None:
    """Why ``text`` is not a Python type a rendered config class can use (None: it is one).

    A class name (``LabelConfig``, ``pathlib.Path``) is a type the config module imports.

    >>> type_problem("list[str] | None"), type_problem("String"), type_problem("LabelConfig")
    (None, "'String' is not a Python type", None)
    """
    node = _expression(text)
    if node is None:
        return f"{text!r} is not a Python type expression"
    # A class the codebase defines (`LabelConfig`, `pathlib.Path`): real configs nest Pydantic
    # models, so a class name is a type; only another language's names (`String`) are not.
    classes = {
        id(n)
        for part in ast.walk(node)
        if isinstance(part, ast.Attribute) and _CLASS_PATH.match(ast.unparse(part))
        for n in ast.walk(part)
    }
    for part in ast.walk(node):
        if id(part) in classes:
            continue
        if isinstance(part, ast.Subscript) and ast.unparse(part.value) == "Literal":
            continue
        if isinstance(part, ast.Name) and part.id not in BUILTIN_TYPES | TYPING_NAMES:
            if part.id[0].isupper() and part.id.lower() not in _TYPE_NAMES:
                continue
            return f"{part.id!r} is not a Python type"
        if isinstance(part, ast.Attribute | ast.Call | ast.Lambda | ast.Compare):
            return f"{ast.unparse(part)!r} is not a type the rendered class can use"
    return None


@lru_cache(maxsize=1024)
def _kinds(type_text: str) -> tuple[type, ...] | None:
    """The Python classes a default of ``type_text`` may be (None: any value, or unknown)."""
    node = _expression(type_text)
    if node is None:
        return None
    members: list[ast.expr] = []
    stack = [node]
    while stack:  # a union's members, Optional[X] as X | None
        part = stack.pop()
        if isinstance(part, ast.BinOp) and isinstance(part.op, ast.BitOr):
            stack += [part.left, part.right]
        elif isinstance(part, ast.Subscript) and ast.unparse(part.value) == "Optional":
            stack += [part.slice, ast.Constant(value=None)]
        elif isinstance(part, ast.Subscript) and ast.unparse(part.value) == "Union":
            stack += part.slice.elts if isinstance(part.slice, ast.Tuple) else [part.slice]
        else:
            members.append(part)
    kinds: list[type] = []
    for member in members:
        if isinstance(member, ast.Constant) and member.value is None:
            kinds.append(type(None))
            continue
        base = member.value if isinstance(member, ast.Subscript) else member
        found = _KINDS.get(base.id) if isinstance(base, ast.Name) else None
        if found is None:
            return None  # Any, Literal, a class: every literal may fit
        kinds += found
    return tuple(kinds)


def _value(node: ast.expr) -> tuple[bool, Any]:
    """(is a literal, its value)."""
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def is_literal(text: str) -> bool:
    """Whether ``text`` is one Python literal (parsed with the bounded parser, never run).

    >>> is_literal("1200"), is_literal("'a (b)'"), is_literal("1200 (20 minutes)")
    (True, True, False)
    """
    node = _expression(text)
    return node is not None and _value(node)[0]


def literal_type(default: str | None) -> str:
    """The type of a default written as a Python literal (``str`` when it is none, or unknown).

    >>> [literal_type(v) for v in ("True", "500", "0.5", "'ml.m5.xlarge'", "ml.m5.xlarge", None)]
    ['bool', 'int', 'float', 'str', 'str', 'str']
    >>> literal_type("[1]"), literal_type("{[]: 1}")  # the second is no literal (unhashable key)
    ('list', 'str')
    """
    node = _expression(default) if default else None
    literal, value = _value(node) if node is not None else (False, None)
    names = {bool: "bool", int: "int", float: "float", list: "list", dict: "dict"}
    return names.get(type(value), "str") if literal else "str"


def _fits(value: Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in kinds:
        return False  # True is an int to Python, never to a reader of the config
    return isinstance(value, kinds)


@lru_cache(maxsize=512)  # Pure; each plan's fields are checked again after every repair.
def default_problem(type_text: str, default: str | None) -> str | None:
    """Why ``default`` is not a literal of ``type_text`` (None: it is, or it cannot be judged).

    >>> default_problem("str", "ID"), default_problem("int", "'5'"), default_problem("str", "None")
    ("default ID is a name, not a literal of type str (quote it: 'ID')", "default '5' is not of type int", None)
    """
    if default is None:
        return None
    kinds, node, typed = _kinds(type_text), _expression(default), type_text.strip()
    if node is None:
        return f"default {default} is not a Python literal"
    if isinstance(node, ast.Call) and ast.unparse(node.func) not in _CALLS_OK:
        return None  # a factory the user's code defines: not ours to judge
    literal, value = _value(node)
    if not literal:
        if isinstance(node, ast.Call):
            return None
        hint = f" (quote it: {default.strip()!r})" if kinds and str in kinds else ""
        return f"default {default} is a name, not a literal of type {typed}{hint}"
    if kinds is None or value is None or _fits(value, kinds):
        return None
    return f"default {default} is not of type {typed}"


@lru_cache(maxsize=1024)
def python_default(type_text: str, default: str | None) -> str | None:
    """``default`` as a literal of ``type_text`` when the fix is mechanical, else None:
    text for a ``str`` is quoted, ``true``/``'False'`` for a ``bool`` become ``True``/``False``,
    ``'5'`` for an ``int`` becomes ``5``, ``null`` becomes ``None``.

    >>> python_default("bool", "true"), python_default("float", "'0.5'"), python_default("str", "7")
    ('True', '0.5', "'7'")
    """
    if default is None or default_problem(type_text, default) is None:
        return None
    kinds, text = _kinds(type_text) or (), default.strip()
    if text.lower() in ("null", "none"):
        return "None"
    node = _expression(text)
    literal, value = _value(node) if node is not None else (False, None)
    raw = value if isinstance(value, str) else text
    if bool in kinds and raw.lower() in ("true", "false"):
        return "True" if raw.lower() == "true" else "False"
    for kind in (int, float):
        if kind in kinds and not (kind is int and bool in kinds):
            try:
                return repr(kind(raw))
            except ValueError:
                pass
    if str in kinds and (not literal or not isinstance(value, list | dict | tuple | set)):
        return repr(raw)
    return None
