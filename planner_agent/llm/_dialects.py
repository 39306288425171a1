"""Schema dialects: how the plan draft's JSON Schema is written for one kind of endpoint.

An endpoint profile carries one dialect. OpenAI strict structured outputs accept only a subset of
JSON Schema (``strict``, with the name patterns and type enums of
`planner_agent.llm._constraints`, which strict mode supports); small models on compatible servers also need every list and string
bounded so that a grammar-constrained decoder terminates (``bounded``); ``pydantic`` is the schema
as generated. A new dialect is one more `SchemaDialect` value.

>>> DIALECTS["bounded"].apply({"type": "array", "items": {"type": "string"}})["maxItems"]
6
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from ._constraints import constrain_names

__all__ = [
    "BOUNDED",
    "DIALECTS",
    "PYDANTIC",
    "STRICT",
    "SchemaDialect",
    "bounded_schema",
    "strict_schema",
]

Transform = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class SchemaDialect:
    """A named chain of schema transforms; ``strict`` is what ``json_schema.strict`` says."""

    name: str
    strict: bool
    transforms: tuple[Transform, ...] = ()

    def apply(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """``schema`` written in this dialect (the input is never modified)."""
        result = dict(schema)
        for transform in self.transforms:
            result = transform(result)
        return result


_STRICT_DROP: Final = frozenset(
    {"default", "minLength", "maxLength", "minItems", "maxItems", "format", "examples"}
)


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Transform a Pydantic JSON Schema into the subset OpenAI strict structured outputs accept.

    Every object lists all its properties as required and forbids extra keys; defaults and
    length keywords are removed; a ``$ref`` stands alone (siblings are dropped).
    """
    result = copy.deepcopy(dict(schema))
    _strictify(result)
    return result


def _strictify(node: Any) -> None:
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            node.clear()
            node["$ref"] = ref
            return
        for key in _STRICT_DROP & node.keys():
            del node[key]
        if node.get("type") == "object" or "properties" in node:
            props = node.setdefault("properties", {})
            node["required"] = list(props)
            node["additionalProperties"] = False
        for key, value in node.items():
            if key in ("properties", "$defs") and isinstance(value, dict):
                # Name -> schema maps: their keys are field names, not keywords to drop.
                for sub in value.values():
                    _strictify(sub)
            else:
                _strictify(value)
    elif isinstance(node, list):
        for item in node:
            _strictify(item)


# Field-name -> maximum list length for small models; everything else gets the default.
_LIST_BOUNDS: Final = MappingProxyType(
    {"semantic_keywords": 12, "compatible_sources": 6, "aliases": 4}
)
_DEFAULT_LIST_BOUND: Final = 6
_DEFAULT_STRING_BOUND: Final = 240


def bounded_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Add ``maxItems``/``maxLength`` to every list/string so a small local model terminates.

    llama.cpp turns these keywords into its grammar; without them 0.5B models loop until
    ``max_tokens``. A pattern bounds its string itself.
    """
    result = copy.deepcopy(dict(schema))
    _bound(result, None)
    return result


def _bound(node: Any, field: str | None) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "array":
            node["maxItems"] = _LIST_BOUNDS.get(field or "", _DEFAULT_LIST_BOUND)
        elif kind == "string" and "enum" not in node and "pattern" not in node:
            node["maxLength"] = _DEFAULT_STRING_BOUND
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    _bound(sub, name)
            else:
                _bound(value, field if key in ("items", "anyOf") else None)
    elif isinstance(node, list):
        for item in node:
            _bound(item, field)


PYDANTIC: Final = SchemaDialect("pydantic", strict=False)
STRICT: Final = SchemaDialect("strict", strict=True, transforms=(strict_schema, constrain_names))
BOUNDED: Final = SchemaDialect(
    "bounded", strict=True, transforms=(strict_schema, constrain_names, bounded_schema)
)
#: Every dialect by name (what ``planner-agent schema --profile`` offers).
DIALECTS: Final[Mapping[str, SchemaDialect]] = MappingProxyType(
    {d.name: d for d in (PYDANTIC, STRICT, BOUNDED)}
)
