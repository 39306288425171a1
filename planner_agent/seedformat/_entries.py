"""One component entry from a bullet or a table row: contract paths, dependencies and outputs,
environment variables and config parameters.

Private to `planner_agent.seedformat._reader`. Each reader takes the entry's text (or ``""`` and the
fields of a table row or of its sub-bullets) and returns the entry's facts, or None when the
text is not such an entry (the caller reports it as unread). They accept the forms people
write as well as the one `render` writes: ``name: /path``, ``name -> /path``,
``name (/path)``; ``name (type, data type, required) — description``; ``NAME (optional,
default: "x")``; ``name: type = default — description``.

>>> path_entry("data -> /opt/ml/processing/input/data (the rows)", {})["container_path"]
'/opt/ml/processing/input/data'
"""

from __future__ import annotations

import re
from typing import Any

from .._pytypes import is_literal
from ..plan import DataType, DependencyType
from ._blocks import Node
from ._context import Facts
from ._labels import row_fields
from ._text import (
    DESC_SEPARATORS,
    EM,
    EN,
    as_bool,
    enum_word,
    field_value,
    is_empty,
    leading_name,
    plain_text,
    split_description,
    split_label,
    split_names,
    unquote,
)

__all__ = ["env_entries", "param_entry", "path_entry", "spec_entry"]

# What a type annotation in a bullet looks like ("str", "list[str]", "int | None", "JobType").
# "type - description" (a dash between spaces, any dash).
_DASHED = re.compile(r"\s+[-\u2013\u2014]\s+")
# "value (remark)": what a literal default followed by a remark looks like.
_NOTED = re.compile(r"^(.*?\S)\s*\(([^()]*)\)$")
_TYPE_LIKE = re.compile(
    r"^(str|int|float|bool|dict|list|tuple|set|Optional|Union|Any|Literal|Path|Dict|List|None)\b"
    r"|^[A-Z][A-Za-z0-9]*$"
)


_DATA_TYPES = {d.value.lower() for d in DataType}
_DEPENDENCY_TYPES = {d.value for d in DependencyType}


def _named(text: str) -> tuple[str, str, str] | None:
    """``name rest — description`` -> (name, rest, description); None unless a name leads."""
    head, desc = split_description(text)
    lead = leading_name(head)
    if lead is None:
        return None
    return lead[0], lead[1].strip(), desc


def path_entry(text: str, fields: dict[str, Any]) -> Facts | None:
    """``name: /path — description`` (also ``->``, ``=``, ``(/path)``, tables)."""
    name = fields.get("name", "")
    path = fields.get("container_path", "")
    desc = fields.get("description", "")
    if text:
        lead = leading_name(text)
        if lead is None:
            return None
        name, rest = lead
        match = re.search(r"(?<![\w/])(/(?!/)[^\s`]*)", rest)  # not the // of s3://
        if not match:
            return None
        path = match.group(1).rstrip(").,;'\"")
        tail = rest[match.end() :].lstrip("`'\"").strip()  # the closing tick or quote
        sep = next(
            (s.strip() for s in (*DESC_SEPARATORS, " - ", ": ") if tail.startswith(s.strip())), ""
        )
        if sep:
            desc = tail[len(sep) :].strip()
        elif tail.startswith("(") and tail.endswith(")"):
            desc = tail[1:-1].strip()
        else:
            desc = tail.lstrip(")").strip()
        desc = fields.get("description", desc)
    if not name or not path:
        return None
    return {"logical_name": name, "container_path": path, "description": desc}


def _qualifiers(text: str, fields: Facts) -> str:
    """Read ``(type, S3Uri, required)``-style qualifiers into ``fields``; return the rest."""
    rest: list[str] = []
    previous = ""
    # A qualified enum member (``DependencyType.MODEL_ARTIFACTS``) states the value wherever it
    # stands, prose around it or not ("the packaged model (DependencyType.PROCESSING_INPUT)").
    for key, enum in (("type", "DependencyType"), ("data_type", "DataType")):
        stated = re.search(rf"\(?\b{enum}\.(\w+)\)?", text)
        if stated is not None:
            fields.setdefault(key, stated.group(0).strip("()"))
            text = (text[: stated.start()] + text[stated.end() :]).strip()
    # "(?<!\s)": a run of spaces is tried where it starts only (else: quadratic in its length).
    text = re.sub(r"(?<!\s)\s+(?:at|via|with property path)\s+(?=[Pp]roperties\.)", ", ", text)
    text = re.sub(r"(?<!\s)\s+from\s+(?=[A-Z])", ", from ", text)
    for part in split_names(text):
        word = part.strip()
        lower = word.lower()
        # "type: x", "type = x" and "type x" (a label word kept in the value).
        typed = re.match(r"^(?:dependency|output)?[ _]?type\b\s*[:=]?\s*(.+)$", word, re.I)
        pathed = re.match(r"^property[ _]?path\b\s*[:=]?\s*(.+)$", word, re.I)
        source = re.match(
            r"^(?:from|sources?|compatible(?:[ _]sources)?)\s*[:=]?\s*(.+)$", word, re.I
        )
        if pathed:
            fields.setdefault("property_path", field_value("property_path", pathed.group(1)))
        elif typed:
            fields.setdefault("type", field_value("type", typed.group(1)))
        elif lower.startswith(("properties.", "at properties.")) or ".S3Output" in word:
            fields.setdefault("property_path", unquote(re.sub(r"^at\s+", "", word)))
        elif as_bool(word) is not None and lower in ("required", "optional"):
            fields.setdefault("required", word)
        elif lower.replace(" ", "") in _DATA_TYPES:
            fields.setdefault("data_type", word)
        elif (
            word.startswith("DependencyType.")
            or re.fullmatch(
                r"[a-z]+(_[a-z]+)*_(input|output|data|artifacts?|samples|property|hyperparameters)",
                word,
            )
            or lower in _DEPENDENCY_TYPES
            or word in DependencyType.__members__
        ):
            fields.setdefault("type", word)
        elif source:
            fields.setdefault("compatible_sources", []).append(source.group(1))
            previous = "compatible_sources"
            continue
        elif previous == "compatible_sources" and re.fullmatch(r"[A-Z][A-Za-z0-9]*", word):
            fields["compatible_sources"].append(word)
            continue
        elif lower.startswith("aliases"):
            fields.setdefault("aliases", split_names(word.split(":", 1)[-1]))
        else:
            rest.append(word)
        previous = ""
    return ", ".join(rest)


def spec_entry(text: str, fields: dict[str, Any], kind: str) -> Facts | None:
    """A dependency or output: ``name (type, data type, required) — description``."""
    fields = dict(fields)
    if kind == "dependency" and "step" in fields:  # a "Source step" column
        fields.setdefault("compatible_sources", fields["step"])
    if text and not _spec_text(text, fields):
        return None
    if not fields.get("name"):
        return None
    entry: Facts = {"logical_name": fields["name"]}
    type_key = "dependency_type" if kind == "dependency" else "output_type"
    # A type written as prose is left unstated (and derived, reported), never made a value.
    kind_value = enum_word(fields["type"], DependencyType) if fields.get("type") else None
    if kind_value is not None:
        entry[type_key] = kind_value
    data_type = enum_word(fields["data_type"], DataType) if fields.get("data_type") else None
    if data_type is not None:
        entry["data_type"] = data_type
    if "description" in fields:
        entry["description"] = fields["description"]
    for key in ("compatible_sources", "semantic_keywords", "aliases"):
        if key in fields:
            value = fields[key]
            entry[key] = value if isinstance(value, list) else split_names(value)
    if kind == "dependency" and "required" in fields:
        required = as_bool(str(fields["required"]))
        entry["required"] = True if required is None else required
    if kind == "output" and fields.get("property_path"):
        entry["property_path"] = fields["property_path"]
    return entry


def _spec_text(text: str, fields: Facts) -> bool:
    """Read ``name (qualifiers): qualifiers — description`` into ``fields``; False if it is not."""
    named = _named(text)
    if named is None:
        return False
    name, rest, desc = named
    if rest.startswith("("):
        close = rest.find(")")
        inner, after = (rest[1:close], rest[close + 1 :]) if close > 0 else (rest[1:], "")
        leftover = _qualifiers(inner, fields)
        after = _qualifiers(after.strip().lstrip(":-").strip(), fields)
        desc = desc or after or leftover
    elif rest.startswith((":", "-", "=")):
        leftover = _qualifiers(rest.lstrip(":-=").strip(), fields)
        desc = desc or leftover
    elif rest:
        return False
    fields.setdefault("name", name)
    if desc:
        fields.setdefault("description", desc)
    return True


# Anchored on the word, so a long run of spaces is never rescanned (linear time).
_ENV_SOURCE = re.compile(r"\bsource\b[ \t]*[:=]?[ \t]*(config(?:\.\w+)+|builder)\b", re.I)


def env_entries(
    node: Node, value: str, group: bool | None, sources: dict[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """Environment variables: ``NAME (required)``, ``NAME (optional, default: "x")``, groups;
    a ``source: config.<field>`` / ``source: builder`` is put into ``sources``."""
    required: list[str] = []
    optional: dict[str, str] = {}

    def add(text: str, req: bool | None) -> None:
        text = plain_text(text) if "default" not in text.lower() else text.replace("`", "")
        match = re.match(r"^\s*(?:\*\*)?([A-Za-z_][A-Za-z0-9_]*)(?:\*\*)?\s*(.*)$", text, re.S)
        if not match:
            return
        name, rest = match.groups()
        source = _ENV_SOURCE.search(rest)
        if source and sources is not None:
            sources[name] = source.group(1)
            rest = rest[: source.start()] + rest[source.end() :]
        default: str | None = None
        assigned = re.match(r"^\s*=\s*(.+)$", rest)
        found = re.search(r"default(?:s| value)?\s*(?:[:=]|is|of)?\s*(.*)$", rest, re.I | re.S)
        if assigned:
            default = assigned.group(1)
        elif found:
            default = found.group(1).strip()
            if default.endswith(")") and default.count(")") > default.count("("):
                default = default[:-1].strip()
        words = rest.lower()
        is_required = req
        if is_required is None:
            is_required = not ("optional" in words or default is not None)
        if is_required:
            required.append(name)
        else:
            optional[name] = unquote(default) if default is not None else ""

    for item in split_names(value) if value and not is_empty(value) else []:
        add(item, group)
    for child in node.children:
        split = split_label(child.text)
        sub = as_bool(split[0].split()[0]) if split and split[0].split() else None
        if split and sub is not None and re.match(r"^(required|optional)\b", split[0], re.I):
            r, o = env_entries(child, split[1], sub, sources)
            required += r
            optional.update(o)
        else:
            add(child.text, group)
    for row in node.rows:
        f = row_fields(row)
        if f.get("name"):
            req = as_bool(f.get("required", "")) if "required" in f else group
            if req is None and f.get("type"):
                req = as_bool(f["type"])
            text = f["name"] + (f" default: {f['default']}" if f.get("default") else "")
            add(text, req if req is not None else (False if f.get("default") else None))
    return required, optional


def _default_clause(text: str) -> tuple[str, str | None]:
    """A trailing ``, default 1`` / ``(Default: "")`` split off: (the rest, the default or None).

    >>> _default_clause('int, Default 1'), _default_clause('the path (default: "")')
    (('int', '1'), ('the path', '""'))
    >>> _default_clause(': default "ml.m5.large"')
    (':', '"ml.m5.large"')
    """
    at = text.lower().rfind("default")
    if at < 0:
        return text, None
    before = text[:at].rstrip()
    opened = before.endswith("(")
    if not before.endswith((",", "(", ";")) and before != ":":  # ": default 1" is the value
        return text, None
    after = text[at + len("default") :]
    if opened:
        close = after.find(")")
        if close < 0 or after[close + 1 :].strip(" .;,"):
            return text, None
        after = after[:close]
    after = after[1:] if after[:1].lower() == "s" else after
    if not after[:1].isspace() and after[:1] not in (":", "="):
        return text, None
    value = field_value("default", "default " + after.strip())
    if not value or value.lower().startswith("default"):
        return text, None
    return before.rstrip(",(;").rstrip(), value


# Words of a sentence (not a value such as `ml.m5.xlarge`, `'a b'` or `[1, 2]`).
_PROSE = re.compile(r"^[A-Za-z][\w-]*(?: [\w./-]+){2,}\.?$")
_REQUIRED_NOTE = re.compile(r"\s*[(,]\s*(?:required|mandatory)\s*\)?\s*$", re.I)
_NO_DEFAULT = re.compile(r"^\(?\s*(?:required|mandatory|essential)\s*\)?$", re.I)


def literal_and_note(value: str) -> tuple[str, str]:
    """A default with a trailing remark split off when only the part before it is a literal.

    >>> literal_and_note("1200 (20 minutes)"), literal_and_note("'a (b)'"), literal_and_note("f(x)")
    (('1200', '20 minutes'), ("'a (b)'", ''), ('f(x)', ''))
    """
    found = _NOTED.match(value.strip())
    if found is None or is_literal(value.strip()) or not is_literal(found.group(1)):
        return value, ""
    return found.group(1), found.group(2).strip()


def param_entry(text: str, fields: dict[str, Any]) -> Facts | None:
    """Config parameter: ``name: type = default — description`` (and looser forms)."""
    entry: Facts = {}
    if text:
        named = _named(text)
        if named is None:
            return None
        name, rest, desc = named
        if rest.startswith("("):
            close = rest.rfind(")")
            inner, after = rest[1:close], rest[close + 1 :].strip().lstrip(":").strip()
            for part in split_names(inner):
                found = re.match(r"^default\s*[:=]?\s*(.+)$", part, re.I)
                if found:
                    entry["default"] = found.group(1).strip()
                elif as_bool(part) is True:
                    entry["default"] = None
                elif "type" not in entry:
                    entry["type"] = part
            desc = desc or after
        elif rest.startswith(":"):
            rest, stated = _default_clause(rest)
            if stated is not None:
                entry["default"] = stated
            kind, eq, default = rest[1:].partition(" = ")
            if not eq and "=" in rest[1:]:
                kind, eq, default = rest[1:].partition("=")
            kind = _REQUIRED_NOTE.sub("", kind)  # "str (required)": the type, with no default
            parts = _DASHED.split(kind, maxsplit=1)
            if len(parts) == 2 and _TYPE_LIKE.match(plain_text(parts[0])):
                kind, desc = parts[0], desc or parts[1].strip()  # "str - Method to use for ..."
            if kind.strip() and not eq and _PROSE.match(plain_text(kind)):
                desc = desc or kind.strip()  # "uri: S3 or local location of the model"
            elif kind.strip() and not eq and not _TYPE_LIKE.match(plain_text(kind)):
                entry["default"] = kind.strip()  # "instance_type: ml.m5.xlarge" states a value
            elif kind.strip():
                entry["type"] = plain_text(kind)
            if eq:
                entry["default"] = default.strip()
        elif rest.startswith("="):
            entry["default"] = rest[1:].strip()
        elif rest:
            desc = desc or rest.lstrip(f"-{EN}{EM} ").strip()
        if "default" not in entry and desc:
            desc, stated = _default_clause(desc)
            if stated is not None:
                entry["default"] = stated
        entry["name"] = name
        if desc:
            entry["description"] = desc
        if entry.get("default"):
            entry["default"], note = literal_and_note(entry["default"])
            if note and not desc:
                entry["description"] = note
    else:
        if not fields.get("name"):
            return None
        entry["name"] = fields["name"]
        if fields.get("type"):
            entry["type"] = fields["type"]
        stated = str(fields.get("default") or "")
        # "(required)" in a Default column says the field has none.
        if stated and not is_empty(stated) and not _NO_DEFAULT.match(plain_text(stated)):
            entry["default"] = stated
        if fields.get("description"):
            entry["description"] = fields["description"]
    return entry if re.fullmatch(r"[A-Za-z_]\w*", entry["name"]) else None
