"""The "did you mean" hint that error messages and plan issues append to an unknown name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` for a case-insensitive or close match, else an empty string.

    >>> did_you_mean("stric", ["strict", "lenient"])
    " (did you mean 'strict'?)"
    >>> did_you_mean("xyz", ["strict"])
    ''
    """
    options = list(choices)
    exact = [c for c in options if c.lower() == value.lower()]
    close = exact or difflib.get_close_matches(value, options, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""
