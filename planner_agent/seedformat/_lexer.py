"""The lexer of markdown plans: CommonMark block tokens, as lines and fenced code blocks.

Private to `planner_agent.seedformat._blocks`. `markdown-it-py` (a CommonMark parser; block rules
only, no inline parsing) finds the fenced code blocks (inside lists and quotes too, with their
indentation removed) and the headings, underlined (setext) ones included, each with its line
numbers. What it returns is what the section and bullet readers take: the text's lines, with
code blocks blanked out and every heading written ``#`` style, and the code blocks. Bullets are
left to `planner_agent.seedformat._blocks.tree`, which nests them by indentation as plans
written by models mean it (CommonMark would not nest ``  - a`` under ``1. b``).

>>> lines, blocks = scan("Overview\\n========\\n```python\\nx = 1\\n```")
>>> lines[0], blocks
((1, '# Overview'), [(3, 'python', 'x = 1', True)])
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

__all__ = ["scan"]

_MARKDOWN = MarkdownIt("commonmark", {"maxNesting": 50})
_MARKDOWN.core.ruler.disable(["inline", "text_join"])  # the block structure is all we read
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+.-]*)")
_LANG = re.compile(r"[\w+.-]*")
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

Lines = list[tuple[int, str]]
Blocks = list[tuple[int, str, str, bool]]


def _closes(line: str, markup: str) -> bool:
    """True when ``line`` is a closing fence for an opening ``markup`` (same character, at
    least as long, nothing after it)."""
    text = line.strip()
    return text.startswith(markup) and not text.strip(markup[0])


def _indented_fences(lines: list[str], first: int) -> tuple[Lines, Blocks]:
    """Fences in indented text (CommonMark's indented code: a plan's code block indented under
    a bullet it does not belong to), read as the plan means them."""
    kept: Lines = []
    blocks: Blocks = []
    fence: tuple[int, str, str, int, list[str]] | None = None
    for number, line in enumerate(lines, first):
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence = (number, match.group(2), match.group(3).lower(), len(match.group(1)), [])
                kept.append((number, ""))
            else:
                kept.append((number, line))
            continue
        start, marker, lang, indent, body = fence
        kept.append((number, ""))
        if match and match.group(2).startswith(marker[0] * len(marker)) and not match.group(3):
            blocks.append((start, lang, "\n".join(body), True))
            fence = None
        else:
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
    if fence is not None:
        blocks.append((fence[0], fence[2], "\n".join(fence[4]), False))
    return kept, blocks


def scan(text: str) -> tuple[Lines, Blocks]:
    """(line number, text) of every line, code blocks blanked and headings in ``#`` style, and
    the code blocks as (line of the opening fence, language, code, closed)."""
    raw = text.splitlines()
    lines = list(raw)
    blocks: Blocks = []
    # The line numbers are those of `str.splitlines`, whichever of the line breaks it knows the
    # text uses: a text with others is joined on "\n" (a copy only then: texts may be large).
    source = "\n".join(raw) if _OTHER_BREAKS.search(text) else text
    for token in _MARKDOWN.parse(source):
        if token.map is None:
            continue
        start, end = token.map
        if token.type == "fence":
            closed = end - start >= 2 and _closes(raw[end - 1], token.markup)
            info = token.info.strip()
            lang = _LANG.match(info.split()[0] if info else "")
            code = token.content[:-1] if token.content.endswith("\n") else token.content
            blocks.append((start + 1, lang.group(0).lower() if lang else "", code, closed))
            lines[start:end] = [""] * (end - start)
        elif token.type == "heading_open" and token.markup in ("=", "-"):
            title = " ".join(line.strip() for line in raw[start : end - 1])
            lines[start : end - 1] = ["#" * (1 if token.markup == "=" else 2) + " " + title] + [
                ""
            ] * (end - start - 2)
            lines[end - 1] = ""
        elif token.type == "code_block" and any(_FENCE.match(line) for line in raw[start:end]):
            kept, found = _indented_fences(raw[start:end], start + 1)
            lines[start:end] = [line for _, line in kept]
            blocks += found
    blocks.sort(key=lambda b: b[0])
    return list(enumerate(lines, 1)), blocks
