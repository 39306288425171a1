"""What an endpoint accepts: its first output mode, schema dialect, context and output limits.

A `ModelProfile` is chosen from the model name (the model table, `planner_agent.llm._models`)
and the endpoint's base URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .._connection import is_openai_host
from ._dialects import BOUNDED, STRICT, SchemaDialect
from ._dialects import bounded_schema as bounded_schema
from ._dialects import strict_schema as strict_schema
from ._models import PRICES, Price, cost_usd, model_info
from ._models import price_for as price_for

__all__ = [
    "DEFAULT_CONTEXT_WINDOW",
    "PRICES",
    "ModelProfile",
    "Price",
    "bounded_schema",
    "cost_usd",
    "profile_for",
    "strict_schema",
]

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
    #: The output mode ``mode="auto"`` starts with (a registered mode's name).
    mode: str = "json_schema"
    dialect: SchemaDialect = STRICT
    context_window: int = DEFAULT_CONTEXT_WINDOW
    max_output_tokens: int = DEFAULT_MAX_OUTPUT
    openai_hosted: bool = False
    reasoning: bool = False

    @property
    def strict(self) -> bool:
        """Whether the endpoint is told to enforce the schema strictly."""
        return self.dialect.strict

    @property
    def bounded(self) -> bool:
        """Whether lists and strings are bounded for a small model (the bounded dialect)."""
        return self.dialect is BOUNDED

    @property
    def default_max_tokens(self) -> int:
        """The reply token limit used when the caller sets none."""
        wanted = BOUNDED_REPLY_TOKENS if self.bounded else DEFAULT_REPLY_TOKENS
        return min(wanted, self.max_output_tokens)

    @property
    def max_tokens_param(self) -> str:
        """OpenAI-hosted models take ``max_completion_tokens``; compatible servers ``max_tokens``."""
        return "max_completion_tokens" if self.openai_hosted else "max_tokens"


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
            dialect=STRICT,
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
        dialect=STRICT if hosted else BOUNDED,
        context_window=context_window or DEFAULT_CONTEXT_WINDOW,
        max_output_tokens=DEFAULT_MAX_OUTPUT,
        openai_hosted=hosted,
        reasoning=False,
    )
