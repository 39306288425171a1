"""The structure of a markdown plan: its title, sections, bullet trees, tables and code blocks.

Private to `planner_agent.seedformat._reader`, and its lexer: `read_document` splits the text into the
plan title, the sections (recognised by their heading wording, numbered or not, at whatever
level the document uses) and the fenced code blocks; `tree` turns a section's lines into
`Node` trees of headings, label lines, bullets (any marker, any indentation), paragraphs and
the table rows under them. Nothing here knows what a label means.

>>> step_from_title("Implementation Plan for [Model Calibration] Step")
'ModelCalibration'
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace

from ..conventions import snake_case
from ._lexer import scan
from ._text import Labels, match_key, plain_text
from ._writer import SECTION_TITLES

__all__ = [
    "LABEL_LINE",
    "SECTION_NAMES",
    "Block",
    "Document",
    "Node",
    "Section",
    "combine",
    "has_plan_structure",
    "read_document",
    "revision_word",
    "section_key",
    "step_from_title",
    "tree",
    "unwrap",
]

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")  # the closing #s are stripped by `_heading`
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])(?:\s+(.*))?$")
_TABLE = re.compile(r"^\s*\|")
# Each run of spaces has one place in the pattern ("\s*(?:\|\s*)?", not "\s*\|?\s*"): linear time.
_TABLE_RULE = re.compile(r"^\s*(?:\|\s*)?:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*(?:\|\s*)?$")
# A line such as "**Input paths:**" that introduces the block under it.
_LABEL_LINE = re.compile(r"^\s*(\*\*|__)?[A-Za-z][\w .,/&()'-]{0,60}(\*\*|__)?:?(\*\*|__)?\s*$")

# Section keys, tried in order against the normalised heading text.
_SECTIONS: Labels = (
    ("details", r"implementation details|^implementation$|^code\b|code (blocks|snippets)"),
    ("overview", r"overview|^summary"),
    ("components", r"component"),
    ("files", r"^files?\b|files? to (update|modify|change)|existing files"),
    (
        "integration",
        r"integration strategy|^integration$|pipeline integration|^dependency analysis"
        r"|wiring|^data flow|^dependency resolution|^upstream and downstream",
    ),
    ("alignment", r"alignment"),
    ("errors", r"error"),
    ("testing", r"test|validation plan"),
)
SECTION_NAMES: dict[str, str] = dict(
    zip(
        ("overview", "components", "files", "integration", "alignment", "errors", "testing"),
        SECTION_TITLES,
        strict=True,
    )
)
"""The seed sections by key, with the titles `render` gives them (used in messages)."""

LABEL_LINE = -50
"""`Node.indent` of a label line: deeper than any heading, shallower than any bullet."""


@dataclass
class Node:
    """A heading, label line, bullet or paragraph, with what is nested under it.

    ``indent`` orders the nesting: ``-100 + level`` for headings, `LABEL_LINE` for label lines,
    the indentation for bullets and paragraphs. ``rows`` are the table rows under the node.
    """

    indent: int
    text: str
    line: int
    heading: bool = False
    children: list[Node] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)

    @property
    def is_header(self) -> bool:
        """True for headings and label lines: nodes that head what follows them."""
        return self.heading or self.indent == LABEL_LINE


@dataclass
class Block:
    """A fenced code block, with the heading and the section it stands under."""

    lang: str
    code: str
    heading: str
    section: str | None
    line: int
    closed: bool


@dataclass
class Section:
    """The lines under one section heading (``key`` None: not a seed section)."""

    key: str | None
    title: str
    line: int
    lines: list[tuple[int, str]] = field(default_factory=list)
    part: int = 0
    """Which document of a plan split over several (`combine`) the section comes from."""


@dataclass
class Document:
    """A plan split into its title (None when it has none), sections and code blocks."""

    title: str | None
    sections: list[Section]
    blocks: list[Block]
    structured: bool = False
    """True when the text has a plan's structure (`has_plan_structure`)."""


def unwrap(text: str) -> str:
    """Blank out a ```markdown wrapper around the whole plan (LLM replies often have one);
    blanking rather than removing keeps reported line numbers right."""
    lines = text.splitlines()
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if filled and re.match(r"^\s*(`{3,}|~{3,})\s*(markdown|md)\s*$", lines[filled[0]], re.I):
        lines[filled[0]] = ""
        if len(filled) > 1 and re.match(r"^\s*(`{3,}|~{3,})\s*$", lines[filled[-1]]):
            lines[filled[-1]] = ""
    return "\n".join(lines)


def _heading(line: str) -> tuple[int, str] | None:
    """(level, text) of a heading line, its optional closing ``#`` sequence left out."""
    match = _HEADING.match(line)
    if match is None:
        return None
    # String methods rather than a regex: "(.*?)\s*#*\s*$" backtracks quadratically on a
    # long run of "#"s or spaces.
    return len(match.group(1)), match.group(2).rstrip().rstrip("#").strip()


def _headings(lines: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
    """(line, level, text) of each heading."""
    found = []
    for number, line in lines:
        heading = _heading(line)
        if heading:
            found.append((number, *heading))
    return found


def section_key(title: str) -> str | None:
    """The seed section a heading names (``details`` for Implementation Details), or None."""
    return match_key(title, _SECTIONS)


def _title(headings: list[tuple[int, int, str]]) -> tuple[int, str] | None:
    """(line, text) of the plan title: a heading naming an implementation plan, or the first h1."""
    for number, _, text in headings:
        if re.search(r"implementation plan|plan for|step plan", text, re.I):
            return number, text
    first = next(((n, t) for n, level, t in headings if level == 1), None)
    return first if first and section_key(first[1]) is None else None


# A version, part or revision note at the end of a title; it starts after a separator or a word
# ("(?<=\w)\s" and "[\s\-:(\u2013\u2014]+" each match a run once: linear on any title).
_DOCUMENT_SUFFIX = re.compile(
    r"(?<![\s\-:(,\u2013\u2014])[\s\-:(,\u2013\u2014]+(?:version|ver\.?|v|part|rev(?:ision)?|draft|revised|updated"
    r"|final|iteration)(?:\s*\d+(?:\.\d+)*)?\b(?:\s*(?:of\s*\d+)?\)?)(?:\s*[:\-\u2013\u2014].*)?$",
    re.I,
)


def step_from_title(title: str) -> str:
    """``Implementation Plan for [Model Calibration] Step`` -> ``ModelCalibration``; a version or
    part note is not part of the name.

    >>> step_from_title("Implementation Plan for DummyTraining Step - Version 2")
    'DummyTraining'
    >>> step_from_title("Implementation Plan: Calibration Step (Part 2 of 2): Specification")
    'Calibration'
    """
    text = _DOCUMENT_SUFFIX.sub("", plain_text(title))
    after = re.search(r"\bplan\b\s*(?:for\b|:|\u2014|\u2013|-)?\s*(.*)$", text, re.I)
    if after and after.group(1).strip():
        text = after.group(1)
    else:  # "ModelCalibration Step - Implementation Plan"
        text = re.sub(
            r"(?<![\s:\u2014\u2013-])[\s:\u2014\u2013-]*(implementation\s+)?plan\b.*$",
            "",
            text,
            flags=re.I,
        )
    # "... - Version 2" once more: "X Step - Version 2 - Implementation Plan"
    text = _DOCUMENT_SUFFIX.sub("", text)
    text = re.sub(r"[\[\]()\"'`:]", " ", text)
    text = re.sub(r"^\s*(the|a|an|new)\s+", "", text, flags=re.I)
    text = re.sub(r"(?<![\s-])[\s-]+(pipeline\s+)?step\s*$", "", text.strip(), flags=re.I)
    words = re.findall(r"[A-Za-z0-9]+", text)
    return "".join(w[:1].upper() + w[1:] for w in words)


# Words a title uses for changes to a step that exists ("Payload Step Multi-Modal Expansion").
_REVISION = re.compile(
    r"\b(expansion|enhancements?|extension|updates?|upgrade|refactor(?:ing)?|migration"
    r"|improvements?|changes|modifications?|redesign|rework|fixes)\b",
    re.I,
)


def revision_word(title: str, step_name: str) -> str | None:
    """The word by which ``title`` says the plan changes an existing step, else None; a word
    of the step's own name does not count (``ModelUpdate``).

    >>> revision_word("Payload Step Multi-Modal Expansion Implementation Plan", "Payload")
    'Expansion'
    >>> revision_word("Implementation Plan for ModelUpdate", "ModelUpdate") is None
    True
    """
    own = set(snake_case(step_name).split("_"))
    for found in _REVISION.finditer(plain_text(title)):
        if found.group(1).lower() not in own:
            return found.group(1)
    return None


def _sections(
    lines: list[tuple[int, str]], headings: list[tuple[int, int, str]], title_line: int | None
) -> list[Section]:
    """Group lines into sections; headings deeper than the section level stay inside."""
    levels = [lvl for n, lvl, t in headings if n != title_line and section_key(t)]
    level = min(levels) if levels else 2
    sections = [Section(key="preamble", title="text before the first section", line=1)]
    for number, line in lines:
        heading = _heading(line)
        if heading and number == title_line:
            continue
        if heading and heading[0] <= level:
            title = heading[1]
            sections.append(Section(key=section_key(title), title=title, line=number))
            continue
        sections[-1].lines.append((number, line))
    return sections


def _parse_table(rows: list[str]) -> list[dict[str, str]]:
    """Table lines -> one {header: cell} dict per body row."""

    def cells(row: str) -> list[str]:
        row = row.strip()
        row = row[1:] if row.startswith("|") else row
        row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
        return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)]

    if len(rows) < 2:
        return []
    header = [plain_text(h) for h in cells(rows[0])]
    body = rows[2:] if _TABLE_RULE.match(rows[1]) else rows[1:]
    return [dict(zip(header, cells(row), strict=False)) for row in body]


def _is_label_line(line: str) -> bool:
    # A label line has at most 68 characters between its spaces: checked first, as the pattern
    # retries a long line once per length of its label, each time to the end of the line.
    text = line.strip()
    return len(text) <= 68 and text.endswith((":", ":**", ":__")) and bool(_LABEL_LINE.match(text))


def tree(lines: list[tuple[int, str]]) -> Node:
    """Bullets (any marker, any indentation), headings, label lines, paragraphs and tables."""
    root = Node(indent=-1000, text="", line=0, heading=True)
    stack = [root]
    last: Node | None = None
    table: list[str] = []

    def attach(node: Node) -> None:
        while stack[-1].indent >= node.indent:
            stack.pop()
        stack[-1].children.append(node)
        stack.append(node)

    def flush() -> None:
        # A table belongs to the nearest open label (heading, label line, or "- Label:").
        owner = next((n for n in reversed(stack) if n.is_header or n.text.endswith(":")), stack[-1])
        owner.rows.extend(_parse_table(table))
        table.clear()

    for number, line in lines:
        if table and not _TABLE.match(line):
            flush()
        if not line.strip():
            last = None
            continue
        heading = _heading(line)
        bullet = _BULLET.match(line)
        if heading:
            attach(Node(-100 + heading[0], heading[1], number, True))
            last = None
        elif _TABLE.match(line):
            table.append(line)
        elif bullet:
            indent = len(bullet.group(1).expandtabs(4))
            last = Node(indent, (bullet.group(2) or "").strip(), number)
            attach(last)
        elif last is not None:
            last.text += "\n" + line.strip()  # continuation line of the previous item
        elif _is_label_line(line):
            attach(Node(LABEL_LINE, line.strip(), number))
        else:
            last = Node(0, line.strip(), number)
            attach(last)
    if table:
        flush()
    return root


def has_plan_structure(body: str) -> bool:
    """True when ``body`` has a plan title and a seed section, or two seed sections."""
    return _structured(_headings(scan(body)[0]))


def _structured(headings: list[tuple[int, int, str]]) -> bool:
    sections = {section_key(t) for _, _, t in headings} - {None}
    return (_title(headings) is not None and bool(sections)) or len(sections) >= 2


def read_document(body: str) -> Document:
    """``body`` (already `unwrap`-ped) split into title, sections and code blocks."""
    lines, raw_blocks = scan(body)
    headings = _headings(lines)
    title = _title(headings)
    sections = _sections(lines, headings, title[0] if title else None)
    blocks: list[Block] = []
    # Binary searches (both lists are in line order): a scan per block is quadratic in a
    # document of many headings and blocks.
    section_lines = [s.line for s in sections]
    heading_lines = [n for n, _, _ in headings]
    for start, lang, code, closed in raw_blocks:
        owner = sections[max(bisect_right(section_lines, start) - 1, 0)]
        before = bisect_left(heading_lines, start) - 1
        heading = headings[before][2] if before >= 0 else ""
        blocks.append(Block(lang, code, heading, owner.key, start, closed))
    return Document(title[1] if title else None, sections, blocks, _structured(headings))


def combine(documents: list[Document]) -> Document:
    """Documents that are parts of one plan as one: the first title, every section (marked with
    its part) and every code block; line numbers count on from part to part, as if the parts
    were one file."""
    sections: list[Section] = []
    blocks: list[Block] = []
    offset = 0
    for part, document in enumerate(documents):
        last = offset
        for section in document.sections:
            lines = [(n + offset, text) for n, text in section.lines]
            sections.append(replace(section, line=section.line + offset, lines=lines, part=part))
            last = max([last, section.line + offset, *(n for n, _ in lines)])
        for block in document.blocks:
            blocks.append(replace(block, line=block.line + offset))
            last = max(last, block.line + offset + block.code.count("\n") + 2)
        offset = last
    title = next((d.title for d in documents if d.title), None)
    return Document(title, sections, blocks, any(d.structured for d in documents))
