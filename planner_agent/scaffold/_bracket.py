"""Text insertion into a bracketed literal (dict, list, tuple) located by `ast`.

`insert_item` adds one element at a position: on its own line at the neighbours' indentation
when the literal has one element per line, inline (``, item``) when it is written on one line;
a missing trailing comma after the previous element is added, comments stay where they were.
Offsets: `ast` columns count UTF-8 bytes, `Source` turns them into string indices.
"""

from __future__ import annotations

import ast

from ._types import ScaffoldError

__all__ = ["Source", "insert_item", "replace_span"]

Container = ast.Dict | ast.List | ast.Tuple


class Source:
    """Line/column (as `ast` reports them) to string offsets, for one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def offset(self, lineno: int, col: int) -> int:
        """String index of (1-based line, UTF-8 byte column)."""
        line = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8", "ignore"))

    def start(self, node: ast.AST) -> int:
        """Where ``node`` starts."""
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        """Where ``node`` ends (exclusive)."""
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def column(self, node: ast.AST) -> int:
        """``node``'s column in characters."""
        return self.start(node) - self.starts[node.lineno - 1]  # type: ignore[attr-defined]

    def segment(self, node: ast.AST) -> str | None:
        """The source text of ``node``."""
        return self.text[self.start(node) : self.end(node)]

    def line_start(self, index: int) -> int:
        """Index of the first character of the line holding ``index``."""
        return self.text.rfind("\n", 0, index) + 1

    def indent_at(self, index: int) -> str:
        """The leading whitespace of the line holding ``index``."""
        line = self.text[self.line_start(index) :].split("\n", 1)[0]
        return line[: len(line) - len(line.lstrip())]


def _span(src: Source, node: Container, index: int) -> tuple[int, int]:
    """Where element ``index`` of ``node`` starts and ends (a dict entry: key to value)."""
    if isinstance(node, ast.Dict):
        key, value = node.keys[index], node.values[index]
        start = src.start(key) if key is not None else src.text.rfind("**", 0, src.start(value))
        return start, src.end(value)
    element = node.elts[index]
    return src.start(element), src.end(element)


def _comma_after(text: str, index: int, close: int) -> tuple[int | None, int]:
    """(index just after the comma that follows an element ending at ``index``, or None; where
    the scan stopped) — only whitespace and comments may stand between."""
    i = index
    while i < close:
        char = text[i]
        if char == "#":
            newline = text.find("\n", i)
            i = close if newline == -1 else newline
        elif char == ",":
            return i + 1, i
        elif char.isspace():
            i += 1
        else:
            return None, i
    return None, i


def insert_item(text: str, node: Container, index: int, item: str, rel: str, construct: str) -> str:
    """``text`` with ``item`` (continuation lines indented relative to its first line) inserted
    as element ``index`` of the bracketed literal ``node``."""
    src = Source(text)
    open_at, close = src.start(node), src.end(node) - 1
    if text[open_at : open_at + 1] not in "{[(" or text[close : close + 1] not in "}])":
        raise ScaffoldError(f"{rel}: {construct} is not written with brackets; edit it by hand")
    count = len(node.keys) if isinstance(node, ast.Dict) else len(node.elts)
    first = _span(src, node, 0) if count else None
    one_per_line = node.end_lineno != node.lineno and (
        first is None or src.line_start(first[0]) > open_at
    )
    if first is not None and one_per_line:
        indent = text[src.line_start(first[0]) : first[0]]
        indent = indent if indent.isspace() else src.indent_at(open_at) + "    "
    else:
        indent = src.indent_at(open_at) + "    "
    body = item.replace("\n", "\n" + indent)
    if first is None:  # empty: the item on its own line
        new = "\n" + indent + body + ",\n" + src.indent_at(open_at)
        return text[: open_at + 1] + new + text[close:]
    if index < count:
        start = _span(src, node, index)[0]
        if one_per_line and not text[src.line_start(start) : start].strip():
            at = src.line_start(start)
            return text[:at] + indent + body + ",\n" + text[at:]
        return text[:start] + body + ", " + text[start:]
    end = _span(src, node, count - 1)[1]
    after_comma, stopped = _comma_after(text, end, close)
    if after_comma is None:
        if stopped != close:
            raise ScaffoldError(f"{rel}: cannot tell where {construct}'s last element ends")
        if not one_per_line:
            return text[:end] + ", " + body + text[end:]
        text, after_comma, close = text[:end] + "," + text[end:], end + 1, close + 1
    elif not one_per_line:
        return text[:after_comma] + " " + body + "," + text[after_comma:]
    eol = text.find("\n", after_comma)
    eol = len(text) if eol == -1 else eol
    rest = text[after_comma:eol]
    if not rest.strip() or rest.lstrip().startswith("#"):
        return text[:eol] + "\n" + indent + body + "," + text[eol:]
    # Something follows on the same line (the closing bracket): break the line before it.
    tail = text[after_comma:].lstrip(" \t")
    closing_indent = src.indent_at(open_at)
    return text[:after_comma] + "\n" + indent + body + ",\n" + closing_indent + tail


def replace_span(text: str, first: ast.AST, last: ast.AST, item: str) -> str:
    """``text`` with the source from ``first``'s start to ``last``'s end replaced by ``item``
    (continuation lines indented like ``first``)."""
    src = Source(text)
    start, end = src.start(first), src.end(last)
    indent = text[src.line_start(start) : start]
    indent = indent if not indent.strip() else src.indent_at(start)
    return text[:start] + item.replace("\n", "\n" + indent) + text[end:]
