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
    "enum_word",
    "field_value",
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
# The ways plans say "nothing" in a phrase: "None required", "N/A (no config)", "Not needed",
# "No variants needed because ...". Anchored, one ".*": linear on any line.
_EMPTY_PHRASE = re.compile(
    r"^(?:(?:none|nothing|n/a)\b(?!\s*of\b)"
    r"|not (?:needed|required|applicable|used|necessary)\b"
    r"|no\b.*\b(?:needed|required|necessary|applicable|planned)\b)",
    re.I | re.S,
)
# Label words written into a value ("type processing_output", "property path properties.X",
# "Default 1"), by the field they name: stripped so that the value is what is left.
# "(?:\s*[:=]\s*|\s+)" once, after a whole word: no run of spaces is tried twice.
_FIELD_WORDS = {
    key: re.compile(rf"^(?:{words})\b(?:\s*[:=]\s*|\s+)(?=\S)", re.I)
    for key, words in (
        ("property_path", r"property[ _-]?path|path"),
        ("type", r"(?:dependency|output)?[ _-]?type"),
        ("data_type", r"data[ _-]?type|type"),
        ("default", r"defaults?(?:[ _-]?value)?(?:\s+(?:to|is|of))?"),
        ("container_path", r"(?:container[ _-]?)?path"),
        ("required", r"required\s*[:=]"),
    )
}


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
    """True for the ways plans say "nothing": ``(none)``, ``N/A``, ``-``, ``None.``,
    ``None required``, ``Not needed``, ``No variants needed because ...``.

    >>> [is_empty(t) for t in ("None required", "No job types needed.", "NONE_SET", "none of x")]
    [True, True, False, False]
    """
    plain = plain_text(text).strip()
    return plain.rstrip(".").lower() in _EMPTY_WORDS or bool(_EMPTY_PHRASE.match(plain))


def field_value(key: str, text: str) -> str:
    """A field's value as written, without markdown, the label words of ``key`` and quotes
    (a default keeps its quotes: it is a Python expression).

    >>> field_value("property_path", '`property path "properties.X.S3Uri"`')
    'properties.X.S3Uri'
    >>> field_value("type", "type processing_output"), field_value("default", "Default '1'")
    ('processing_output', "'1'")
    """
    value = plain_text(text)
    words = _FIELD_WORDS.get(key)
    if words:
        value = words.sub("", value, count=1)
    return value if key == "default" else unquote(value)


def split_label(text: str) -> tuple[str, str] | None:
    """``**Label**: value`` -> (label, value); None when the text does not start with a label."""
    match = _LABEL.match(text)
    if not match:
        return None
    label, value = match.group(1).strip(), match.group(2)
    value = re.sub(r"^(\*\*|__)\s*", "", value)
    return label, value.strip()


def split_names(text: str) -> list[str]:
    """``a, b; c`` -> names (commas inside brackets or quotes do not split); an inline list
    ``["a", 'b']`` (JSON or Python) gives its items, unquoted.

    >>> split_names('["ModelOutputPath", "model_data"]'), split_names("['X', 'Y']")
    (['ModelOutputPath', 'model_data'], ['X', 'Y'])
    """
    bare = plain_text(text)
    if bare.startswith("[") and bare.endswith("]") and bare.count("[") == 1:
        text = bare[1:-1]
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
    return [unquote(plain_text(p)) for p in parts if plain_text(p) and not is_empty(p)]


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
    for left, right in ("\u201c\u201d", "\u2018\u2019"):  # typographic quotes
        if len(text) >= 2 and text[0] == left and text[-1] == right:
            return text[1:-1]
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
    text = unquote(plain_text(raw)).split(".")[-1].strip()
    key = re.sub(r"[\s\-]+", "_", text).lower()
    for member in enum_cls:
        if key in (member.value.lower(), member.name.lower()):
            return member.value
    return text


def enum_word(raw: str, enum_cls: type[StrEnum]) -> str | None:
    """Like `enum_text`, but prose is not a value: None unless the text is a member (loosely,
    or as its first word: ``processing_output (from training)``) or one identifier (an invalid
    value, left for validation to report).

    >>> from planner_agent.plan import JobType
    >>> enum_word("Training", JobType), enum_word("trainig", JobType)
    ('training', 'trainig')
    >>> enum_word("No variants needed because it runs once", JobType) is None
    True
    """
    text = unquote(plain_text(raw)).strip().rstrip(".")
    found = enum_text(text, enum_cls)
    values = {m.value for m in enum_cls}
    if found in values:
        return found
    first = re.match(r"[\w.]+", text)
    if first and first.group(0) != text:
        head = enum_text(first.group(0), enum_cls)
        if head in values:
            return head
    return found if re.fullmatch(r"[A-Za-z_][\w.]*", text) else None


def as_bool(text: str) -> bool | None:
    """``required``/``yes``/``true`` -> True, ``optional``/``no``/``false`` -> False, else None."""
    word = plain_text(text).lower().strip(" .")
    if word in ("required", "true", "yes", "y", "mandatory", "essential"):
        return True
    if word in ("optional", "false", "no", "n"):
        return False
    return None
