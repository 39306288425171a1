"""Wiring written as prose: which producer's output feeds which dependency, and the other way.

Private to `planner_agent.seedformat._sections`. Plans state their links in sentences as often as
in ``Step: output -> dependency`` bullets: "consumes `model_artifacts` from XGBoostTraining's
`model_output`", "XGBoostTraining's model_output feeds our model_artifacts", "XGBoostModelEval
provides `eval_output`, which feeds `evaluation_data`", "Package reads our
`model_input` as its `model_artifacts`". `prose_links` reads those into upstream and downstream
links (step, output, dependency), so that the wiring checks see them. A step is a CamelCase
name; an output or a dependency is one identifier.

>>> prose_links("It consumes `model_artifacts` from XGBoostTraining's `model_output`.")
[('upstream_steps', {'step': 'XGBoostTraining', 'output': 'model_output', 'dependency': 'model_artifacts'})]
"""

from __future__ import annotations

import re

from ._context import Facts
from ._text import plain_text

__all__ = ["prose_links"]

_STEP = r"(?P<step>[A-Z][A-Za-z0-9]*(?:_[A-Z][A-Za-z0-9]*)?)"
_OUT = r"(?P<output>[A-Za-z_]\w*)"
_DEP = r"(?P<dependency>[A-Za-z_]\w*)"
_POSSESSIVE = r"(?:'s\s+|\.)"
_OURS = r"(?:(?:our|its|the|this step's|the step's)\s+)?"
_KIND = r"(?:\s+(?:output|dependency|input|channel))?"
_CONSUME = r"(?:consumes?|reads?|takes?|receives?|uses?|gets?|needs?|requires?)"
_PROVIDE = r"(?:provides?|produces?|outputs?|writes?|emits?)"
_FEED = r"(?:feeds?(?:\s+into)?|goes\s+(?:in)?to|flows\s+(?:in)?to|is\s+consumed\s+by|is\s+wired\s+to|->|\u2192)"
# Each pattern starts at a word (the lookbehinds) so that no run is retried from inside.
_UPSTREAM = [
    # "consumes model_artifacts from XGBoostTraining's model_output"
    rf"(?<!\w){_CONSUME}\s+{_OURS}{_DEP}{_KIND}\s+from\s+{_STEP}{_POSSESSIVE}{_OUT}",
    # "model_artifacts comes from XGBoostTraining's model_output"
    rf"(?<!\w){_DEP}{_KIND}\s+(?:comes|is\s+read|is\s+taken|is\s+provided)\s+from\s+"
    rf"{_STEP}{_POSSESSIVE}{_OUT}",
    # "XGBoostTraining's model_output feeds our model_artifacts"
    rf"(?<![\w.]){_STEP}{_POSSESSIVE}{_OUT}{_KIND}\s+{_FEED}\s+(?:our|this step's)\s+{_DEP}",
    # "from XGBoostTraining's model_output into model_artifacts"
    rf"(?<!\w)from\s+{_STEP}{_POSSESSIVE}{_OUT}{_KIND}\s+(?:in)?to\s+{_OURS}{_DEP}",
    # "XGBoostModelEval provides eval_output, which feeds evaluation_data"
    rf"(?<![\w.]){_STEP}\s+{_PROVIDE}\s+{_OURS}{_OUT}{_KIND},?\s+(?:which|that)\s+{_FEED}\s+"
    rf"{_OURS}{_DEP}",
]
_DOWNSTREAM = [
    # "Package consumes our model_input as its model_artifacts"
    rf"(?<![\w.]){_STEP}\s+{_CONSUME}\s+(?:our|this step's)\s+{_OUT}{_KIND}\s+as\s+"
    rf"(?:its\s+)?{_DEP}",
    # "our model_input feeds Package's model_artifacts"
    rf"(?<!\w)(?:our|this step's)\s+{_OUT}{_KIND}\s+{_FEED}\s+{_STEP}{_POSSESSIVE}{_DEP}",
]
_PATTERNS = [
    *((("upstream_steps"), re.compile(p)) for p in _UPSTREAM),
    *((("downstream_steps"), re.compile(p)) for p in _DOWNSTREAM),
]
_HINT = re.compile(r"\b(?:from|feeds?|goes|flows|consumed|wired|our|its|which|that)\b|'s\b")
_MAX_CHARS = 2_000
"""Longest text searched: a sentence stating a link is short; a long paragraph is read in part."""


def prose_links(text: str) -> list[tuple[str, Facts]]:
    """(``upstream_steps`` or ``downstream_steps``, link) for each link a sentence states."""
    plain = " ".join(plain_text(text).replace("\u2019", "'").split())[:_MAX_CHARS]
    found: list[tuple[str, Facts]] = []
    if not _HINT.search(plain):  # most bullets state no link in words: one quick look
        return found
    for key, pattern in _PATTERNS:
        for match in pattern.finditer(plain):
            link = {k: match.group(k) for k in ("step", "output", "dependency")}
            if (key, link) not in found:
                found.append((key, link))
    return found
