"""An existing file's byte-level style, kept through an edit: its UTF-8 BOM and its line endings.

Edits work on the text without the BOM (`ast` refuses one) and insert ``\\n``-terminated lines;
`styled` puts the BOM back and gives every line the edit added or changed the file's line ending
(``\\r\\n`` when most of its lines end so), leaving the lines it kept exactly as they were.
"""

from __future__ import annotations

import codecs
import difflib
from pathlib import Path

__all__ = ["keep_newlines", "styled"]

BOM = "\ufeff"


def _has_bom(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    except OSError:
        return False


def keep_newlines(old: str, new: str) -> str:
    """``new`` with the lines that differ from ``old`` ended as most of ``old``'s lines are.

    >>> keep_newlines("a\\r\\nc\\r\\n", "a\\r\\nb\\nc\\r\\n")
    'a\\r\\nb\\r\\nc\\r\\n'
    """
    a, b = old.split("\n"), new.split("\n")
    ended = a[:-1]  # the last piece has no line ending of its own
    if not ended or sum(line.endswith("\r") for line in ended) * 2 < len(ended):
        return new
    start = 0
    while start < min(len(a), len(b)) - 1 and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start - 1 and a[-2 - end] == b[-2 - end]:
        end += 1
    middle_a, middle_b = a[start : len(a) - 1 - end], b[start : len(b) - 1 - end]
    matcher = difflib.SequenceMatcher(a=middle_a, b=middle_b, autojunk=False)
    middle: list[str] = []
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        lines = middle_b[j1:j2]
        middle += (
            lines if tag == "equal" else [ln if ln.endswith("\r") else ln + "\r" for ln in lines]
        )
    return "\n".join([*b[:start], *middle, *b[len(b) - 1 - end :]])


def styled(path: Path, old: str, new: str | None) -> tuple[str, str | None]:
    """(old, new) as bytes-faithful texts of the file at ``path``: with its BOM, if it has one,
    and ``new``'s changed lines in ``old``'s line endings. ``old`` and ``new`` are without BOM."""
    if new is not None and "\r\n" in old:
        new = keep_newlines(old, new)
    if not _has_bom(path):
        return old, new
    return BOM + old, None if new is None else BOM + new
