"""What callers may pass: the planner's keywords and the request options, checked up front.

Every check raises `ConfigurationError` naming the option, what it got and what it takes, before
any request is sent (nothing is paid for a typo).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from openai.types.chat.completion_create_params import CompletionCreateParamsBase

from ._suggest import did_you_mean
from .errors import ConfigurationError

__all__ = ["CHAT_PARAMETERS", "check_options", "is_int", "is_number", "is_path", "require"]

#: The chat-completion parameters the installed openai client knows by name.
CHAT_PARAMETERS: frozenset[str] = frozenset(
    CompletionCreateParamsBase.__required_keys__ | CompletionCreateParamsBase.__optional_keys__
)
# Set by the planner: a caller's value would break parsing, token budgets or the conversation.
_MANAGED = frozenset(
    {"model", "messages", "response_format", "max_tokens", "max_completion_tokens", "temperature"}
    | {"stream", "stream_options", "n", "tools", "tool_choice", "functions", "function_call"}
    | {"parallel_tool_calls"}
)


def require(name: str, value: object, ok: bool, expected: str) -> None:
    """Raise `ConfigurationError` unless ``ok``: ``name must be <expected>; got <value>``.

    >>> require("examples_k", -1, False, "an integer >= 0")
    Traceback (most recent call last):
    ...
    planner_agent.errors.ConfigurationError: examples_k must be an integer >= 0; got -1.
    """
    if not ok:
        shown = repr(value) if len(repr(value)) <= 80 else f"a {type(value).__name__}"
        raise ConfigurationError(f"{name} must be {expected}; got {shown}.")


def is_int(value: object, minimum: int) -> bool:
    """``value`` is an int (not a bool) of at least ``minimum``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def is_number(value: object, low: float, high: float = float("inf")) -> bool:
    """``value`` is an int or float (not a bool) from ``low`` to ``high``."""
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def is_path(value: object) -> bool:
    """``value`` names a file or folder (a str or an os.PathLike)."""
    return isinstance(value, str | os.PathLike)


def check_options(options: Mapping[str, Any], known: Iterable[str] = ()) -> dict[str, Any]:
    """Validate request options; return them as the body fields they add.

    Named chat-completion parameters (``top_p``, ``seed``...) pass as they are; ``extra_body``
    holds parameters the openai client does not know (a server's ``top_k``, ``min_p``...),
    which are merged into the body. ``known`` are the caller's own option names, used only to
    suggest a fix for a typo.

    >>> check_options({"seed": 7, "extra_body": {"top_k": 20}})
    {'seed': 7, 'top_k': 20}
    >>> check_options({"temprature": 0.2}, known=["temperature"])
    Traceback (most recent call last):
    ...
    planner_agent.errors.ConfigurationError: Unknown option 'temprature' (did you mean 'temperature'?). ...
    """
    body: dict[str, Any] = {}
    for name, value in options.items():
        if name == "extra_body":
            if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
                raise ConfigurationError(
                    f"extra_body must be a mapping of parameter names to values; got {value!r}."
                )
            clash = sorted(set(value) & _MANAGED)
            if clash:
                raise ConfigurationError(
                    f"extra_body may not set {', '.join(clash)}: the planner sets them."
                )
            body.update(value)
        elif name in _MANAGED:
            raise ConfigurationError(
                f"{name!r} is set by the planner itself and cannot be passed as an option."
            )
        elif name in CHAT_PARAMETERS:
            body[name] = value
        else:
            hint = did_you_mean(name, [*known, *sorted(CHAT_PARAMETERS - _MANAGED), "extra_body"])
            raise ConfigurationError(
                f"Unknown option {name!r}{hint}. Options are the planner's own, chat-completion "
                f"parameters (top_p, seed, ...), and extra_body={{...}} for parameters only your "
                "server knows (e.g. top_k on vLLM or llama.cpp)."
            )
    return body
