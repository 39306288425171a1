"""The words of a markdown plan: emphasis, labels, name lists, empty markers, enum and yes/no words.

Private to `planner_agent.seedformat._reader`: the text helpers every reader of the bullets shares.

>>> split_label("**Input paths**: data, model")
('Input paths', 'data, model')
>>> split_names("a, b (c, d); `e`")
['a', 'b (c, d)', 'e']
"""

from __future__ import annotations

import json
import re
from enum import StrEnum

from ._writer import EMPTY

__all__ = [
    "DESC_SEPARATORS",
    "EM",
    "EN",
    "PY_PATH",
    "Labels",
    "as_bool",
    "enum_text",
    "is_empty",
    "leading_name",
    "match_key",
    "normalise",
    "plain_text",
    "split_description",
    "split_label",
    "split_names",
    "unquote",
]

Labels = tuple[tuple[str, str], ...]
"""A label table: (key, regex) pairs, tried in order against `normalise`-d text."""

# Linear time on any line: the label ends on a character that is not a space and the spaces
# after it are matched once, possessively; otherwise a long run of spaces is rescanned for each
# length the label is tried at, and for each way of splitting the run around the emphasis.
_LABEL = re.compile(
    r"^\s*(?:\*\*|__)?([A-Za-z](?:[\w .,/&()'+-]{0,59}?[\w.,/&()'+-])??)"
    r"\s*+(?:(?:\*\*|__)\s*+)?:(?!//)\s*(.*)$",
    re.S,
)
PY_PATH = re.compile(r"`?(?<![\w./-])([\w./-]+\.py)\b`?")
EM, EN = "\u2014", "\u2013"  # em/en dashes: description separators in prose
DESC_SEPARATORS = (f" {EM} ", f" {EN} ", " -- ")
_EMPTY_WORDS = {"", "none", EMPTY, "n/a", "na", "-", EM, "nothing", "not applicable", "(empty)"}


def normalise(text: str) -> str:
    """Heading/label text -> lower-case words without numbering, emphasis or punctuation."""
    text = re.sub(r"[*`_]", " ", text).lower()
    text = re.sub(r"^\s*(\d+(\.\d+)*[.)]?|[a-z][.)]|step \d+[.:])\s+", "", text)
    text = re.sub(r"[^a-z0-9 /&-]+", " ", text).replace("-", " ")
    return " ".join(text.split())


def match_key(text: str, table: Labels) -> str | None:
    """The key of the first pattern in ``table`` that the normalised ``text`` matches."""
    norm = normalise(text)
    return next((key for key, pattern in table if re.search(pattern, norm)), None)


def plain_text(text: str) -> str:
    """Without markdown emphasis and code ticks."""
    return re.sub(r"\*\*|__|`", "", text).strip()


def is_empty(text: str) -> bool:
    """True for the ways plans say "nothing": ``(none)``, ``N/A``, ``-``, ``None.`` ..."""
    return plain_text(text).strip().rstrip(".").lower() in _EMPTY_WORDS


def split_label(text: str) -> tuple[str, str] | None:
    """``**Label**: value`` -> (label, value); None when the text does not start with a label."""
    match = _LABEL.match(text)
    if not match:
        return None
    label, value = match.group(1).strip(), match.group(2)
    value = re.sub(r"^(\*\*|__)\s*", "", value)
    return label, value.strip()


def split_names(text: str) -> list[str]:
    """``a, b; c`` -> names (commas inside brackets or quotes do not split)."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"" and (not current.strip() or current[-1] in " ([{=:"):
            quote = char  # an opening quote, not an apostrophe inside a word
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char in ",;" and depth <= 0:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return [plain_text(p) for p in parts if plain_text(p) and not is_empty(p)]


def split_description(text: str) -> tuple[str, str]:
    """``head — description`` -> (head, description)."""
    for sep in DESC_SEPARATORS:
        if sep in text:
            head, _, desc = text.partition(sep)
            return head.strip(), desc.strip()
    return text.strip(), ""


def leading_name(text: str) -> tuple[str, str] | None:
    """(name, rest) for text that starts with an identifier-like name (ticks/bold allowed)."""
    match = re.match(r"^\s*(?:\*\*|__)?`?([A-Za-z_][\w\-.]*)`?(?:\*\*|__)?(.*)$", text, re.S)
    if not match:
        return None
    return match.group(1).rstrip("."), match.group(2)


def unquote(text: str) -> str:
    """A default as written -> its text: JSON strings decoded, quotes and ticks removed."""
    text = text.strip().strip("`").strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return text[1:-1]
        return value if isinstance(value, str) else text
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    return text


def enum_text(raw: str, enum_cls: type[StrEnum]) -> str:
    """Bullet text -> an enum value when it names one loosely (case, spaces, prefix), else raw.

    Bullets are prose, so ``Processing Output`` is accepted; a value that names no member is
    returned unchanged for validation to report as ``ENUM001``.
    """
    text = plain_text(raw).split(".")[-1].strip()
    key = re.sub(r"[\s\-]+", "_", text).lower()
    for member in enum_cls:
        if key in (member.value.lower(), member.name.lower()):
            return member.value
    return text


def as_bool(text: str) -> bool | None:
    """``required``/``yes``/``true`` -> True, ``optional``/``no``/``false`` -> False, else None."""
    word = plain_text(text).lower().strip(" .")
    if word in ("required", "true", "yes", "y", "mandatory", "essential"):
        return True
    if word in ("optional", "false", "no", "n"):
        return False
    return None
