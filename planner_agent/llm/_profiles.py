"""What an endpoint accepts: output mode, schema dialect, bounds for small models, context, prices.

A `ModelProfile` is chosen from the model name and the endpoint's base URL. It decides which
``response_format`` to ask for, how to transform the JSON Schema (OpenAI strict structured outputs
accept only a subset), how large the context is and what a token costs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final, Literal

from .._connection import is_openai_host
from ._models import PRICES, Price, cost_usd, model_info
from ._models import price_for as price_for

__all__ = [
    "DEFAULT_CONTEXT_WINDOW",
    "MODES",
    "PRICES",
    "Mode",
    "ModelProfile",
    "Price",
    "bounded_schema",
    "cost_usd",
    "profile_for",
    "strict_schema",
]

Mode = Literal["json_schema", "json_object", "markdown"]
MODES: Final = ("auto", "json_schema", "json_object", "markdown")
# Fallback order when a server rejects a response_format.
FALLBACK: Final[Mapping[str, Mode]] = MappingProxyType(
    {"json_schema": "json_object", "json_object": "markdown"}
)

DEFAULT_CONTEXT_WINDOW: Final = 32_768
DEFAULT_MAX_OUTPUT: Final = 8_192
# Reply budget asked for by default: a plan draft needs ~1-3k tokens; small bounded models get
# less room to loop in (their grammar allows endless whitespace).
DEFAULT_REPLY_TOKENS: Final = 8_192
BOUNDED_REPLY_TOKENS: Final = 3_072


@dataclass(frozen=True)
class ModelProfile:
    """How to speak to one model on one endpoint.

    >>> profile_for("gpt-4o-mini").mode
    'json_schema'
    >>> profile_for("qwen2.5-coder", base_url="http://127.0.0.1:8080/v1").bounded
    True
    """

    model: str
    mode: Mode = "json_schema"
    strict: bool = True
    bounded: bool = False
    context_window: int = DEFAULT_CONTEXT_WINDOW
    max_output_tokens: int = DEFAULT_MAX_OUTPUT
    openai_hosted: bool = False
    reasoning: bool = False

    @property
    def default_max_tokens(self) -> int:
        """The reply token limit used when the caller sets none."""
        wanted = BOUNDED_REPLY_TOKENS if self.bounded else DEFAULT_REPLY_TOKENS
        return min(wanted, self.max_output_tokens)

    @property
    def max_tokens_param(self) -> str:
        """OpenAI-hosted models take ``max_completion_tokens``; compatible servers ``max_tokens``."""
        return "max_completion_tokens" if self.openai_hosted else "max_tokens"

    def with_mode(self, mode: Mode) -> ModelProfile:
        """The same profile speaking another output mode."""
        return replace(self, mode=mode)


def profile_for(
    model: str,
    *,
    base_url: str | None = None,
    context_window: int | None = None,
) -> ModelProfile:
    """Choose the profile for ``model`` served at ``base_url`` (None: api.openai.com).

    Known models get their limits from the model table (`planner_agent.llm.MODELS`).
    """
    info = model_info(model)
    hosted = is_openai_host(base_url)
    if info is not None:
        return ModelProfile(
            model=model,
            mode="json_schema",
            strict=True,
            bounded=False,
            context_window=context_window or info.context_window or DEFAULT_CONTEXT_WINDOW,
            max_output_tokens=info.max_output_tokens or DEFAULT_MAX_OUTPUT,
            openai_hosted=hosted,
            reasoning=info.reasoning,
        )
    # Unknown model on a compatible server (vLLM, llama.cpp, Ollama): usually a small local model
    # that needs list/string bounds to terminate; json_schema first, falling back when rejected.
    return ModelProfile(
        model=model,
        mode="json_schema",
        strict=True,
        bounded=not hosted,
        context_window=context_window or DEFAULT_CONTEXT_WINDOW,
        max_output_tokens=DEFAULT_MAX_OUTPUT,
        openai_hosted=hosted,
        reasoning=False,
    )


_STRICT_DROP: Final = frozenset(
    {"default", "minLength", "maxLength", "minItems", "maxItems", "pattern", "format", "examples"}
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
    ``max_tokens``.
    """
    result = copy.deepcopy(dict(schema))
    _bound(result, None)
    return result


def _bound(node: Any, field: str | None) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "array":
            node["maxItems"] = _LIST_BOUNDS.get(field or "", _DEFAULT_LIST_BOUND)
        elif kind == "string" and "enum" not in node:
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
