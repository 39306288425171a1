"""The script's vocabulary: :class:`Reply`, :class:`Usage`, :class:`RecordedRequest`, :data:`Responder`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

BATCH_LINE_PATH = "/v1/batches:line"
"""The ``path`` recorded for each chat request that arrives as a line of a batch input file."""


@dataclass(frozen=True)
class Usage:
    """Token counts of one reply, rendered in the OpenAI ``usage`` shape."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    def to_openai(self) -> dict[str, Any]:
        """Return the OpenAI ``usage`` object (with ``prompt_tokens_details.cached_tokens``)."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": 0},
        }


@dataclass(frozen=True)
class Reply:
    """One scripted answer to a chat-completion request.

    ``status`` outside 2xx yields an OpenAI-style error body built from ``error_message``;
    ``raw_body`` (if set) is sent verbatim with ``status`` instead of any generated JSON;
    ``refusal`` sets ``message.refusal`` and a null content; ``delay`` seconds are slept in
    the handler thread first; ``usage=None`` approximates tokens as characters // 4.
    In a batch, ``delay`` and ``headers`` are ignored, non-2xx replies go to the error file
    and ``raw_body`` is written verbatim as one output line.
    """

    content: str | None = ""
    finish_reason: str = "stop"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    delay: float = 0.0
    usage: Usage | None = None
    refusal: str | None = None
    error_message: str | None = None
    raw_body: bytes | None = None

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 599:
            raise ValueError(f"Reply.status must be an HTTP status code, got {self.status}")
        if self.delay < 0:
            raise ValueError(f"Reply.delay must be >= 0, got {self.delay}")

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Reply:
        """A reply whose content is ``json.dumps(obj)``; other fields from ``kw``."""
        return cls(content=json.dumps(obj), **kw)

    @classmethod
    def error(cls, status: int, message: str, *, headers: Mapping[str, str] | None = None) -> Reply:
        """An error reply: HTTP ``status`` with an OpenAI-style error body carrying ``message``."""
        return cls(content=None, status=status, error_message=message, headers=dict(headers or {}))


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server saw it.

    ``headers`` have lower-cased names and secrets redacted (``authorization`` becomes
    ``"Bearer ***"``); ``body`` is the parsed JSON object, or None (multipart, empty, invalid);
    ``time`` is ``time.monotonic()`` at arrival; ``custom_id`` is set for batch lines only.
    """

    method: str
    path: str
    headers: dict[str, str] = field(hash=False)
    body: dict[str, Any] | None = field(hash=False)
    time: float
    custom_id: str | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The request's ``messages`` list (empty if absent)."""
        messages = (self.body or {}).get("messages")
        return list(messages) if isinstance(messages, list) else []

    @property
    def response_format(self) -> dict[str, Any] | None:
        """The request's ``response_format`` object, if any."""
        value = (self.body or {}).get("response_format")
        return value if isinstance(value, dict) else None

    @property
    def model(self) -> str | None:
        """The requested ``model``, if any."""
        value = (self.body or {}).get("model")
        return value if isinstance(value, str) else None


Responder = Callable[[RecordedRequest], Reply]
"""A callable script: builds the reply for each chat request (HTTP or batch line)."""
