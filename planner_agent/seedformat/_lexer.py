"""The lexer of markdown plans: the text's lines and its fenced code blocks.

Private to `planner_agent.seedformat._blocks`. `scan` returns what the section and bullet
readers take: the lines outside code blocks, every heading in ``#`` style (an
underlined, setext, heading ``Overview`` over ``====`` becomes ``# Overview``), and the code
blocks. Fences are found at any indentation (inside list items too, their indentation
removed); bullets are left to `planner_agent.seedformat._blocks.tree`, which nests them by
indentation (tabs to stops of four, as CommonMark does) the way plans written by models mean it.

A CommonMark parser (markdown-it-py) was measured in this place and not kept: it reads the
same structure for plans, but takes 30 to 50 times as long on bullet lists and grows faster
than the text (40,000 bullets: 12 s against 0.2 s here), which the importer's bounded-work
guarantee on hostile input does not allow. This lexer is one pass, linear in the text.

>>> lines, blocks = scan("Overview\\n========\\n```python\\nx = 1\\n```")
>>> lines[0], blocks
((1, '# Overview'), [(3, 'python', 'x = 1', True)])
"""

from __future__ import annotations

import re

__all__ = ["scan"]

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+.-]*)")
# A setext underline: up to three spaces, then "=" or "-" (two or more), nothing else.
_UNDERLINE = re.compile(r"^ {0,3}(={2,}|-{2,})[ \t]*$")
_RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
# What cannot be the text of a setext heading: blank lines, bullets, headings, table rows and
# quotes (CommonMark reads "- a" over "---" as a list and a rule, not a heading).
_NOT_HEADING = re.compile(r"^\s*$|^\s*(?:[-*+]|\d+[.)])(?:\s|$)|^\s*#|^\s*\||^\s*>| {4}|\t")

Lines = list[tuple[int, str]]
Blocks = list[tuple[int, str, str, bool]]


def _setext(lines: Lines) -> Lines:
    """Underlined headings in ``#`` style (the underline blanked: line numbers stay)."""
    out = list(lines)
    for i in range(len(out)):
        number, line = out[i]
        previous = out[i - 1][1] if i else ""
        match = _UNDERLINE.match(line)
        if match and not _NOT_HEADING.match(previous):
            level = "#" if match.group(1)[0] == "=" else "##"
            out[i - 1] = (out[i - 1][0], f"{level} {previous.strip()}")
            out[i] = (number, "")
        elif _RULE.match(line):  # a thematic break ends what is above it, like a blank line
            out[i] = (number, "")
    return out


def scan(text: str) -> tuple[Lines, Blocks]:
    """(line number, text) of the lines outside code blocks (an opening fence as a blank line),
    headings in ``#`` style, and the code blocks as (line of the opening fence, language,
    code, closed)."""
    lines: Lines = []
    blocks: Blocks = []
    fence: tuple[int, str, str, int, list[str]] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence = (number, match.group(2), match.group(3).lower(), len(match.group(1)), [])
                lines.append((number, ""))  # a block ends a paragraph
            else:
                lines.append((number, line))
            continue
        start, marker, lang, indent, body = fence
        if match and match.group(2).startswith(marker[0] * len(marker)) and not match.group(3):
            blocks.append((start, lang, "\n".join(body), True))
            fence = None
        else:
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
    if fence is not None:
        start, _, lang, _, body = fence
        blocks.append((start, lang, "\n".join(body), False))
    return _setext(lines), blocks
