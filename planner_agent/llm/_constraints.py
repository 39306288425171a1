"""Name constraints for grammar-constrained decoding, and the regex subset every decoder accepts.

A server that enforces the draft's schema (llama.cpp, vLLM, OpenAI strict mode) can also enforce
the *shape* of each name: snake_case logical names, UPPER_SNAKE environment variables, kebab-case
arguments, PascalCase step names and Python type names. A small model then cannot write
``ProcessedData`` or ``String`` at all. Step references (``source_step``, ``compatible_sources``,
``consumers[].step``) are the registry's names when a codebase is known, or any PascalCase name
(optionally with a job-variant suffix): a new upstream step planned in the same batch is not
registered yet, so a plain enum would forbid it; the enum branch comes first so that registry names are what the grammar offers first.

Patterns use only what llama.cpp's GBNF converter turns into grammar (anchored ``^...$``,
literals, ``[...]`` classes, groups, ``|`` and ``? * + {m,n}``); llguidance (the embedded
server's converter) and OpenAI strict mode accept a superset. `grammar_problems` checks a schema
against that subset.

>>> constrain_names({"$defs": {"DraftEnvVar": {"properties": {"name": {"type": "string"}}}}})[
...     "$defs"]["DraftEnvVar"]["properties"]["name"]["pattern"]
'^[A-Z][A-Z0-9]{0,23}(_[A-Z0-9]{1,23}){0,7}$'
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

__all__ = [
    "KEBAB_CASE",
    "PASCAL_CASE",
    "PYTHON_TYPES",
    "SNAKE_CASE",
    "STEP_REFERENCE",
    "UPPER_SNAKE",
    "constrain_names",
    "grammar_problems",
    "pattern_problems",
    "with_step_names",
]

# Bounded forms of `planner_agent.conventions`' name regexes (at most 8 words of 24 characters):
# the grammar can write only names the naming checks accept (a pattern laxer than the check,
# e.g. one allowing ``label_`` or ``a__b``, let the grammar produce a flagged name).
SNAKE_CASE: Final = r"^[a-z][a-z0-9]{0,23}(_[a-z0-9]{1,23}){0,7}$"
UPPER_SNAKE: Final = r"^[A-Z][A-Z0-9]{0,23}(_[A-Z0-9]{1,23}){0,7}$"
KEBAB_CASE: Final = r"^[a-z][a-z0-9]{0,23}(-[a-z0-9]{1,23}){0,7}$"
#: The new step's name (what NAME001 and the scaffold accept).
PASCAL_CASE: Final = r"^[A-Z][A-Za-z0-9]{1,63}$"
#: A step reference: a step name, optionally with a job-variant suffix (``_Training``).
STEP_REFERENCE: Final = r"^[A-Z][A-Za-z0-9]{1,63}(_[A-Z][a-z]{1,15})?$"
KEYWORD: Final = r"^[a-z0-9][a-z0-9 _-]{0,39}$"
#: The config field types a rendered Pydantic config class can declare.
PYTHON_TYPES: Final = ("str", "int", "float", "bool", "list[str]", "dict[str, str]")
#: At most this many registry names go into an enum (OpenAI strict allows 500 enum values in
#: total, and step references occur three times in the draft).
MAX_STEP_ENUM: Final = 150

Leaf = Callable[[dict[str, Any]], dict[str, Any] | list[dict[str, Any]]]


def _pattern(regex: str) -> Leaf:
    def apply(node: dict[str, Any]) -> dict[str, Any]:
        node.pop("maxLength", None)  # the pattern bounds the length (llama.cpp ignores both)
        return {**node, "pattern": regex}

    return apply


def _python_type(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k != "maxLength"} | {"enum": list(PYTHON_TYPES)}


#: (definition, property) -> what its string leaves become.
_NAME_FIELDS: Final[Mapping[tuple[str, str], Leaf]] = {
    ("PlanDraft", "step_name"): _pattern(PASCAL_CASE),
    ("DraftInput", "logical_name"): _pattern(SNAKE_CASE),
    ("DraftInput", "source_output"): _pattern(SNAKE_CASE),
    ("DraftInput", "semantic_keywords"): _pattern(KEYWORD),
    ("DraftOutput", "logical_name"): _pattern(SNAKE_CASE),
    ("DraftOutput", "aliases"): _pattern(SNAKE_CASE),
    ("DraftConsumer", "dependency"): _pattern(SNAKE_CASE),
    ("DraftEnvVar", "name"): _pattern(UPPER_SNAKE),
    ("DraftEnvVar", "type"): _python_type,
    ("DraftArgument", "name"): _pattern(KEBAB_CASE),
    ("DraftParameter", "name"): _pattern(SNAKE_CASE),
    ("DraftParameter", "type"): _python_type,
    ("DraftSetting", "name"): _pattern(SNAKE_CASE),
    # The small reply of `planner_agent.decisions`.
    ("StepDecisions", "step_name"): _pattern(PASCAL_CASE),
    ("DecidedInput", "logical_name"): _pattern(SNAKE_CASE),
    ("DecidedOutput", "logical_name"): _pattern(SNAKE_CASE),
    ("DecidedEnvVar", "name"): _pattern(UPPER_SNAKE),
}
#: Fields that name a step of the pipeline (a registry name, or a new step's PascalCase name).
STEP_REFERENCES: Final = (
    ("DraftInput", "source_step"),
    ("DraftInput", "compatible_sources"),
    ("DraftConsumer", "step"),
    ("DecidedInput", "source_step"),
)
CONSTRAINED_FIELDS: Final = (*_NAME_FIELDS, *STEP_REFERENCES)


def constrain_names(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Add the name patterns and type enums to the plan draft's schema (a copy).

    Applied to another schema (the full plan's), it changes nothing: fields are found by their
    definition and property name.
    """
    result = copy.deepcopy(dict(schema))
    fields: dict[tuple[str, str], Leaf] = dict(_NAME_FIELDS)
    fields.update(dict.fromkeys(STEP_REFERENCES, _pattern(STEP_REFERENCE)))
    _apply(result, fields)
    return result


def with_step_names(schema: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """Step references may be one of ``names`` (the registry's) or a new PascalCase name.

    Names that are not identifiers are left out; with more than `MAX_STEP_ENUM` names only the
    pattern applies.
    """
    known = sorted({n for n in names if isinstance(n, str) and n.isidentifier()})
    result = copy.deepcopy(dict(schema))
    if not known or len(known) > MAX_STEP_ENUM:
        return result

    def choose(node: dict[str, Any]) -> list[dict[str, Any]]:
        new = {k: v for k, v in node.items() if k not in ("enum", "maxLength")}
        new.setdefault("pattern", STEP_REFERENCE)
        return [{"type": "string", "enum": known}, new]

    _apply(result, dict.fromkeys(STEP_REFERENCES, choose))
    return result


def _apply(schema: dict[str, Any], fields: Mapping[tuple[str, str], Leaf]) -> None:
    definitions = schema.get("$defs", {})
    for (definition, prop), leaf in fields.items():
        owner = schema if definition == schema.get("title") else definitions.get(definition)
        if not isinstance(owner, dict):
            continue
        node = owner.get("properties", {}).get(prop)
        if isinstance(node, dict):
            owner["properties"][prop] = _rewrite(node, leaf)


def _rewrite(node: dict[str, Any], leaf: Leaf) -> dict[str, Any]:
    """Apply ``leaf`` to the string schemas of ``node`` (itself, its anyOf branches, its items)."""
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        return {**node, "items": _rewrite(node["items"], leaf)}
    if isinstance(node.get("anyOf"), list):
        branches: list[Any] = []
        for branch in node["anyOf"]:
            if isinstance(branch, dict) and branch.get("type") == "string":
                done = leaf(dict(branch))
                branches.extend(done if isinstance(done, list) else [done])
            else:
                branches.append(branch)
        return {**node, "anyOf": branches}
    if node.get("type") == "string":
        done = leaf(dict(node))
        if isinstance(done, list):
            extra = {k: v for k, v in node.items() if k in ("title", "description")}
            return {**extra, "anyOf": done}
        return done
    return node


# -- the regex subset and the schema keywords every decoder turns into grammar ---------------------
# llama.cpp's GBNF converter (grammars/README.md): patterns must be anchored; no lookarounds,
# backreferences or escapes classes; these keywords are skipped silently or unsupported.
_UNSUPPORTED_KEYWORDS: Final = frozenset(
    {
        "uniqueItems",
        "contains",
        "minContains",
        "maxContains",
        "not",
        "if",
        "then",
        "else",
        "dependentSchemas",
        "patternProperties",
        "prefixItems",
        "$anchor",
    }
)
_PATTERN_TOKEN: Final = re.compile(
    r"\[(?:[^\]\\]|\\.)+\]"  # a character class
    r"|\{\d+(?:,\d*)?\}"  # a counted repeat
    r"|[()|?*+]"  # group, alternation, quantifiers
    r"|[A-Za-z0-9_ ,:\-/.=]"  # a literal (`.` is any character)
)


def pattern_problems(pattern: str) -> list[str]:
    """What in ``pattern`` is outside the regex subset llama.cpp's converter supports.

    >>> pattern_problems(SNAKE_CASE)
    []
    >>> pattern_problems("[a-z]+")
    ['pattern [a-z]+ must start with ^ and end with $']
    >>> [p.split(" uses ")[1] for p in pattern_problems("^(?=a)[a-z]$")]
    ["'(?' (a lookaround or group flag)"]
    """
    problems: list[str] = []
    if not (pattern.startswith("^") and pattern.endswith("$")):
        problems.append(f"pattern {pattern} must start with ^ and end with $")
        return problems
    body = pattern[1:-1]
    if "(?" in body:
        problems.append(f"pattern {pattern} uses '(?' (a lookaround or group flag)")
    position, depth = 0, 0
    while position < len(body):
        match = _PATTERN_TOKEN.match(body, position)
        if match is None:
            char = body[position]
            what = "an escape" if char == "\\" else "an unsupported character or anchor"
            problems.append(f"pattern {pattern} uses {char!r} ({what})")
            break
        token = match.group()
        if token.startswith("[") and "\\" in token:
            problems.append(f"pattern {pattern} uses an escape inside {token}")
        depth += {"(": 1, ")": -1}.get(token, 0)
        if depth < 0:
            problems.append(f"pattern {pattern} has an unbalanced ')'")
            break
        position = match.end()
    if depth > 0:
        problems.append(f"pattern {pattern} has an unclosed '('")
    return problems


def grammar_problems(schema: Any, path: str = "#") -> list[str]:
    """Every keyword or pattern in ``schema`` that a llama.cpp-family converter cannot enforce.

    >>> grammar_problems({"type": "array", "items": {"type": "string"}, "uniqueItems": True})
    ['#: uniqueItems is not enforced by llama.cpp grammars']
    """
    problems: list[str] = []
    if isinstance(schema, dict):
        for key in sorted(_UNSUPPORTED_KEYWORDS & schema.keys()):
            problems.append(f"{path}: {key} is not enforced by llama.cpp grammars")
        if "properties" in schema and ("anyOf" in schema or "oneOf" in schema):
            problems.append(f"{path}: properties mixed with anyOf/oneOf")
        if isinstance(schema.get("pattern"), str):
            problems.extend(f"{path}: {p}" for p in pattern_problems(schema["pattern"]))
        if schema.get("type") == "number" and schema.keys() & {"minimum", "maximum"}:
            problems.append(f"{path}: number bounds are enforced only for integers")
        for key, value in schema.items():
            if key in ("properties", "$defs") and isinstance(value, dict):
                for name, sub in value.items():
                    problems.extend(grammar_problems(sub, f"{path}/{key}/{name}"))
            elif key not in ("enum", "const", "required", "default", "examples"):
                problems.extend(grammar_problems(value, f"{path}/{key}"))
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            problems.extend(grammar_problems(item, f"{path}/{index}"))
    return problems
