"""Talking to a model: the model table, the providers that reach an endpoint, the connection.

- The model table (`MODELS`, `model_info`, `price_for`, `cost_usd`): context window, output limit,
  reasoning, tokenizer and price per model family, all found by one name rule (`match_model`).
- Providers (`resolve_provider`): OpenAI, Azure OpenAI, any compatible server, the embedded local
  model, or a client of your own; each knows its endpoint before connecting and builds a
  `Connection` on `Provider.connect`.
- What an output mode or a sans-IO driver handles: a `Reply` (text, finish reason, `Usage`) and
  the `ParsedReply` read from it.

>>> model_info("gpt-4.1-mini-2025-04-14").context_window
1047576
>>> resolve_provider(env={"OPENAI_API_KEY": "sk-test"}).openai_hosted
True
"""

from __future__ import annotations

from .._connection import Connection
from .._usage import Usage
from ._models import (
    MODELS,
    ModelInfo,
    ModelMatch,
    Price,
    cost_usd,
    match_model,
    model_info,
    price_for,
)
from ._parse import ParsedReply
from ._providers import (
    DEFAULT_OPENAI_MODEL,
    LOCAL_BASE_URL,
    AzureProvider,
    ClientProvider,
    CompatibleProvider,
    LocalProvider,
    OpenAIProvider,
    Provider,
    connect,
    planned_endpoint,
    resolve_provider,
)
from ._transport import Reply

__all__ = [
    "DEFAULT_OPENAI_MODEL",
    "LOCAL_BASE_URL",
    "MODELS",
    "AzureProvider",
    "ClientProvider",
    "CompatibleProvider",
    "Connection",
    "LocalProvider",
    "ModelInfo",
    "ModelMatch",
    "OpenAIProvider",
    "ParsedReply",
    "Price",
    "Provider",
    "Reply",
    "Usage",
    "connect",
    "cost_usd",
    "match_model",
    "model_info",
    "planned_endpoint",
    "price_for",
    "resolve_provider",
]
