"""The seed prompt's markdown plan format: write it, read it back, load a plan from any file.

`render_markdown` writes an `ImplementationPlan` in the seed's sections and code blocks;
`parse_markdown` reads such markdown back (also hand-written variations, leniently, reporting
``IMPORT`` warnings); `load_plan` reads a plan file or text in markdown or JSON. Both take a
list for a plan split over several documents (``load_plan(["part1.md", "part2.md"])``).

>>> from planner_agent.seedformat import load_plan, render_markdown
>>> loaded = load_plan(render_markdown(plan))  # doctest: +SKIP
>>> loaded.format  # doctest: +SKIP
'markdown'
"""

from __future__ import annotations

from ._loading import LoadedPlan, PlanFormat, load_plan
from ._reader import ParsedMarkdown, looks_like_plan, parse_markdown
from ._writer import render_markdown

__all__ = [
    "LoadedPlan",
    "ParsedMarkdown",
    "PlanFormat",
    "load_plan",
    "looks_like_plan",
    "parse_markdown",
    "render_markdown",
]
