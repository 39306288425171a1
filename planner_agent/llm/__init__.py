"""Talking to a model: the model table, the providers that reach an endpoint, the connection,
the output modes and schema dialects (how to ask), and the transport with its retries.

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
from ._dialects import BOUNDED, DIALECTS, PYDANTIC, STRICT, SchemaDialect
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
from ._modes import (
    JsonObjectMode,
    JsonSchemaMode,
    MarkdownMode,
    OutputMode,
    get_mode,
    instructions_for,
    mode_names,
    parse_for,
    register_mode,
    unregister_mode,
)
from ._parse import ParsedReply, parse_json_reply, parse_markdown_reply
from ._profiles import ModelProfile, profile_for
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
from ._replies import DECISIONS, DRAFT, REPLY_SHAPES, ReplyName, ReplyShape, reply_shape
from ._transport import RateGate, Reply, RetryPolicy, Transport

__all__ = [
    "BOUNDED",
    "DECISIONS",
    "DEFAULT_OPENAI_MODEL",
    "DIALECTS",
    "DRAFT",
    "LOCAL_BASE_URL",
    "MODELS",
    "PYDANTIC",
    "REPLY_SHAPES",
    "STRICT",
    "AzureProvider",
    "ClientProvider",
    "CompatibleProvider",
    "Connection",
    "JsonObjectMode",
    "JsonSchemaMode",
    "LocalProvider",
    "MarkdownMode",
    "ModelInfo",
    "ModelMatch",
    "ModelProfile",
    "OpenAIProvider",
    "OutputMode",
    "ParsedReply",
    "Price",
    "Provider",
    "RateGate",
    "Reply",
    "ReplyName",
    "ReplyShape",
    "RetryPolicy",
    "SchemaDialect",
    "Transport",
    "Usage",
    "connect",
    "cost_usd",
    "get_mode",
    "instructions_for",
    "match_model",
    "mode_names",
    "model_info",
    "parse_for",
    "parse_json_reply",
    "parse_markdown_reply",
    "planned_endpoint",
    "price_for",
    "profile_for",
    "register_mode",
    "reply_shape",
    "resolve_provider",
    "unregister_mode",
]
