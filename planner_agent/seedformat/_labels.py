"""Labelled bullets: finding the labels a section knows and reading their values.

Private to `planner_agent.seedformat._reader`. A label is a ``- Label: value`` bullet, a heading or a
``**Label:**`` line; its value is the inline text plus what is nested under it (sub-bullets,
continuation lines, table rows). `labelled` walks a section's tree for the labels of a table
and reports the rest as unread; `text_list`, `name_list` and `joined_text` read a value as a
list of items, a list of names or one text; `read_entries` reads a list of structured entries
(paths, dependencies, parameters, links) with a parser for one entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ._blocks import LABEL_LINE, Node
from ._context import Context, Facts
from ._text import (
    EM,
    Labels,
    field_value,
    is_empty,
    match_key,
    plain_text,
    split_label,
    split_names,
)

__all__ = [
    "EntryParser",
    "RowHandler",
    "joined_text",
    "label_of",
    "labelled",
    "name_list",
    "read_entries",
    "read_rows",
    "row_fields",
    "skip_rows",
    "text_list",
]

RowHandler = Callable[[Node, Context, str, str], None]
"""Reads the table rows of a header node that has no known label: (node, ctx, where, path)."""
EntryParser = Callable[[str, dict[str, Any]], Facts | None]
"""Reads one entry from its text, or (text "") from its fields; None when it is not one."""


# Entry sub-bullet labels (dependency/output/config/env/link details).
_ENTRY_LABELS: Labels = (
    ("compatible_sources", r"compatible|sources?$|^from$|producers?"),
    ("semantic_keywords", r"keyword"),
    ("property_path", r"property"),
    ("aliases", r"alias"),
    ("data_type", r"data type"),
    ("type", r"type$"),
    ("required", r"^required$|^optional$"),
    ("container_path", r"path|location"),
    ("description", r"descr|purpose|notes?$"),
    ("default", r"default"),
)
# Table headers -> canonical entry keys.
_COLUMNS: Labels = (
    ("property_path", r"property"),
    ("container_path", r"path|location|mount"),
    # "Producer output" / "Upstream step" in a wiring table: before "source|producer".
    ("output", r"(producer|source|upstream) output"),
    ("step", r"(producer|source|upstream|downstream|consumer) step"),
    ("compatible_sources", r"source|producer"),
    ("semantic_keywords", r"keyword"),
    ("aliases", r"alias"),
    ("data_type", r"data ?type"),
    ("type", r"type"),
    ("required", r"required|optional|mandatory"),
    ("default", r"default|value"),
    ("description", r"descr|purpose|notes?|meaning"),
    ("direction", r"direction|kind|io"),
    ("score", r"score"),
    ("step", r"step"),
    ("output", r"output"),
    ("dependency", r"dependency|input|consum"),
    ("name", r"name|logical|field|param|variable|env|channel|function"),
)


def label_of(node: Node, table: Labels) -> tuple[str, str] | None:
    """(key, value) when ``node`` is a labelled bullet or heading that ``table`` knows."""
    if node.heading:
        key = match_key(node.text, table)
        return (key, node.text) if key else None
    split = split_label(node.text)
    if split is None:
        key = match_key(node.text.rstrip(":"), table) if node.indent == LABEL_LINE else None
        return (key, "") if key else None
    key = match_key(split[0], table)
    return (key, split[1]) if key else None


def skip_rows(node: Node, ctx: Context, where: str, path: str) -> None:
    """Report each table row under ``node`` as unread (the default `RowHandler`)."""
    for row in node.rows:
        ctx.skip(where, node.line, "table row: " + " | ".join(row.values()), path)


def labelled(
    nodes: list[Node],
    table: Labels,
    ctx: Context,
    where: str,
    path: str,
    rows: RowHandler = skip_rows,
    prose: Callable[[Node], bool] | None = None,
) -> Iterator[tuple[str, Node, str]]:
    """Labelled nodes of a section; unlabelled headings are looked through, the rest reported.

    Tables that sit under no known label go to ``rows`` (by default: reported as unread);
    other text goes to ``prose`` first, and is reported when that finds nothing in it.
    """
    for node in nodes:
        found = label_of(node, table)
        if found:
            yield found[0], node, found[1]
        elif node.is_header:
            if node.rows:
                rows(node, ctx, where, path)
            yield from labelled(node.children, table, ctx, where, path, rows, prose)
        elif prose is not None and prose(node):
            continue
        elif node.text.strip() and not is_empty(node.text):
            ctx.skip(where, node.line, node.text, path)


def text_list(node: Node, value: str) -> list[str]:
    """Items of a list-valued label: inline value, sub-bullets (flattened) and table rows."""
    items = [] if is_empty(value) else [value]
    stack = list(node.children)
    while stack:
        child = stack.pop(0)
        if child.text.strip():
            items.append(child.text)
        stack[:0] = child.children
    items += [f" {EM} ".join(v for v in row.values() if v) for row in node.rows]
    return items


def name_list(node: Node, value: str) -> list[str]:
    """Name-list label: inline ``a, b`` plus one name per sub-bullet."""
    names = split_names(value)
    for child in node.children:
        names += [plain_text(child.text)] if not is_empty(child.text) else []
    for row in node.rows:
        names += [plain_text(next(iter(row.values()), ""))]
    return [n for n in names if n]


def joined_text(node: Node, value: str) -> str:
    """String-valued label: inline value, with sub-bullets appended as lines."""
    parts = [value] if value else []
    parts += [child.text for child in node.children]
    return "\n".join(parts)


def row_fields(row: dict[str, str]) -> dict[str, str]:
    """A table row keyed by entry field (the first column that names a field wins)."""
    fields: dict[str, str] = {}
    for header, value in row.items():
        key = match_key(header, _COLUMNS)
        if key and key not in fields:
            fields[key] = field_value(key, value) if key != "description" else value.strip()
    return fields


def _entry_fields(node: Node) -> dict[str, Any]:
    """Sub-bullet details of an entry (``- Compatible sources: A, B`` ...)."""
    fields: dict[str, Any] = {}
    for child in node.children:
        split = split_label(child.text)
        key = match_key(split[0], _ENTRY_LABELS) if split else None
        if split and key:
            value = split[1]
            if key in ("compatible_sources", "semantic_keywords", "aliases"):
                fields[key] = name_list(child, value)
            elif key == "description":
                fields[key] = joined_text(child, value)
            elif key == "required":
                fields[key] = value if value else split[0]
            else:
                fields[key] = field_value(key, value)
    return fields


def read_entries(
    node: Node, value: str, parse: EntryParser, ctx: Context, where: str, path: str
) -> list[Facts]:
    """Entries under a label: the inline value, sub-bullets and table rows, via ``parse``."""
    found: list[Facts] = []
    inline = [] if is_empty(value) else split_names(value) if "," in value else [value]
    sources: list[tuple[str, Node | None, int]] = [(v, None, node.line) for v in inline]
    sources += [(c.text, c, c.line) for c in node.children]
    for text, child, line in sources:
        entry = parse(text, _entry_fields(child) if child else {})
        if entry:
            found.append(entry)
        elif not is_empty(text):
            ctx.skip(where, line, text, path)
    return found + read_rows(node, parse, ctx, where, path)


def read_rows(node: Node, parse: EntryParser, ctx: Context, where: str, path: str) -> list[Facts]:
    """Entries from the table rows under ``node``, via ``parse``; other rows are reported."""
    found: list[Facts] = []
    for row in node.rows:
        entry = parse("", row_fields(row))
        if entry:
            found.append(entry)
        else:
            ctx.skip(where, node.line, " | ".join(row.values()), path)
    return found
