"""Offline token counting with ``tiktoken``: which encoding a model uses, and the counter.

The encodings are built from verified local data (`planner_agent.prompt._encodings`), never
downloaded. If the data is missing or fails verification, counting degrades to an approximation
(``ceil(len(text) / 4)``) that is always labelled as such.

>>> counter = TokenCounter.for_model("gpt-4o-mini")
>>> counter.label
'exact (o200k_base)'
>>> counter.count("hello world")
2
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

import tiktoken

from ..llm._models import MODELS, model_info
from ..llm._models import normalize_model_name as normalize_model_name
from ._encodings import ENCODING_SHA256 as ENCODING_SHA256
from ._encodings import O200K_BASE, EncodingDataError, load_encoding
from ._encodings import EncodingHashMismatchError as EncodingHashMismatchError

__all__ = [
    "ENCODING_SHA256",
    "MODEL_PREFIX_ENCODINGS",
    "ApproximateTokenCountWarning",
    "EncodingDataError",
    "EncodingHashMismatchError",
    "TokenCounter",
    "load_encoding",
    "normalize_model_name",
    "resolve_encoding",
]

logger = logging.getLogger(__name__)

#: Encoding used (approximately) for models we do not recognise.
DEFAULT_ENCODING: Final = O200K_BASE

#: Model name -> encoding, for models whose tokenizer is known exactly: a view of the model table
#: (`planner_agent.llm.MODELS`), which also holds the rule a name is matched by.
MODEL_PREFIX_ENCODINGS: Final[Mapping[str, str]] = MappingProxyType(
    {name: info.encoding for name, info in MODELS.items() if info.encoding is not None}
)


class ApproximateTokenCountWarning(UserWarning):
    """Token counts for this model are approximate (tokenizer unknown or data unavailable)."""


_lock = threading.Lock()
_warned_unavailable: set[tuple[str, Path | None]] = set()
_warned_models: set[str] = set()


def resolve_encoding(model: str) -> tuple[str, bool]:
    """Return ``(encoding_name, exact)`` for ``model`` from the model table.

    Unknown models (local models, custom deployment names, ``""``) map to ``o200k_base`` with
    ``exact=False``.

    >>> resolve_encoding("gpt-4-turbo")
    ('cl100k_base', True)
    >>> resolve_encoding("qwen2.5-coder:7b")
    ('o200k_base', False)
    """
    info = model_info(model)
    if info is None or info.encoding is None:
        return DEFAULT_ENCODING, False
    return info.encoding, True


#: OpenAI chat-format overhead (the cookbook convention for gpt-3.5/4/4o-era models).
TOKENS_PER_MESSAGE: Final = 3
TOKENS_PER_NAME: Final = 1
REPLY_PRIMING_TOKENS: Final = 3
CHARS_PER_TOKEN: Final = 4


@dataclass(frozen=True, slots=True)
class TokenCounter:
    """Counts tokens for one model; immutable and safe to share between threads.

    ``exact`` is True only when the model's tokenizer is known and its data verified.

    >>> c = TokenCounter.for_model("openai/gpt-4.1")
    >>> (c.encoding_name, c.exact, c.count("hello world"))
    ('o200k_base', True, 2)
    """

    model: str
    encoding_name: str
    exact: bool
    _encoding: tiktoken.Encoding | None = field(default=None, repr=False, compare=False)

    @classmethod
    def for_model(cls, model: str, *, data_dir: Path | None = None) -> TokenCounter:
        """Counter for ``model``; warns once per unknown model name, never raises for bad data.

        ``data_dir`` is passed to :func:`load_encoding` (tests use it to supply bad files).

        >>> TokenCounter.for_model("gpt-3.5-turbo").label
        'exact (cl100k_base)'
        """
        encoding_name, known = resolve_encoding(model)
        if not known:
            _warn_unknown_model(model, encoding_name)
        try:
            encoding: tiktoken.Encoding | None = load_encoding(encoding_name, data_dir=data_dir)
        except EncodingDataError as exc:
            _log_unavailable_once(encoding_name, data_dir, exc)
            encoding = None
        return cls(
            model=model,
            encoding_name=encoding_name,
            exact=known and encoding is not None,
            _encoding=encoding,
        )

    @property
    def encoding_available(self) -> bool:
        """False when counts come from the ~4 chars/token heuristic.

        >>> TokenCounter.for_model("gpt-4o").encoding_available
        True
        """
        return self._encoding is not None

    @property
    def label(self) -> str:
        """Human-readable description of how counts are produced.

        >>> TokenCounter.for_model("o3-mini").label
        'exact (o200k_base)'
        """
        if self._encoding is None:
            return f"approximate (~{CHARS_PER_TOKEN} chars/token, encoding data unavailable)"
        if self.exact:
            return f"exact ({self.encoding_name})"
        return f"approximate ({self.encoding_name}, model {self.model!r} unknown)"

    def count(self, text: str) -> int:
        """Number of tokens in ``text``; special-token strings are counted as plain text.

        >>> TokenCounter.for_model("gpt-4").count("<|endoftext|>")
        7
        """
        if self._encoding is None:
            return math.ceil(len(text) / CHARS_PER_TOKEN)
        return len(self._encoding.encode(text, disallowed_special=()))

    def count_messages(self, messages: Sequence[Mapping[str, object]]) -> int:
        """Prompt tokens of a chat request: per message 3 + role + content (+ name + 1), plus 3.

        ``content`` may be a string, ``None`` or a list of parts (``{"type": "text", "text":
        ...}``; only text parts are counted).  Other keys (e.g. ``tool_calls``) are ignored.

        >>> TokenCounter.for_model("gpt-4o").count_messages([{"role": "user", "content": "hi"}])
        8
        """
        total = REPLY_PRIMING_TOKENS
        for message in messages:
            total += TOKENS_PER_MESSAGE
            total += self._count_value(message.get("role"))
            total += self._count_value(message.get("content"))
            name = message.get("name")
            if name is not None:
                total += self._count_value(name) + TOKENS_PER_NAME
        return total

    def _count_value(self, value: object) -> int:
        if value is None:
            return 0
        if isinstance(value, str):
            return self.count(value)
        if isinstance(value, Sequence):  # list of content parts
            total = 0
            for part in value:
                if isinstance(part, Mapping):
                    text = part.get("text")
                    if isinstance(text, str):
                        total += self.count(text)
                elif isinstance(part, str):
                    total += self.count(part)
            return total
        return self.count(str(value))


def _warn_unknown_model(model: str, encoding_name: str) -> None:
    with _lock:
        if model in _warned_models:
            return
        _warned_models.add(model)
    warnings.warn(
        f"tokenizer for model {model!r} is unknown; token counts use {encoding_name} and are "
        "approximate",
        ApproximateTokenCountWarning,
        stacklevel=3,
    )


def _log_unavailable_once(name: str, data_dir: Path | None, exc: EncodingDataError) -> None:
    key = (name, data_dir.resolve() if data_dir is not None else None)
    with _lock:
        if key in _warned_unavailable:
            return
        _warned_unavailable.add(key)
    logger.warning(
        "%s; token counts fall back to an approximation (~%d chars/token)", exc, CHARS_PER_TOKEN
    )
