"""The planner prompt template: its six slots, marker validation, splitting and filling."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, TypeAlias

from ..errors import TemplateError

__all__ = [
    "SLOTS",
    "fill_template",
    "output_format_section",
    "split_template",
    "validate_template",
]

SLOTS: Mapping[str, str] = MappingProxyType(
    {
        "requirements": "[INJECT STEP REQUIREMENTS HERE]",
        "creation_process": "[INJECT CREATION_PROCESS DOCUMENT HERE]",
        "prerequisites": "[INJECT PREREQUISITES DOCUMENT HERE]",
        "alignment_rules": "[INJECT ALIGNMENT_RULES DOCUMENT HERE]",
        "standardization_rules": "[INJECT STANDARDIZATION_RULES DOCUMENT HERE]",
        "examples": "[INJECT RELEVANT EXAMPLES HERE]",
    }
)
"""Slot name -> the exact marker a template carries, in template order."""

Segment: TypeAlias = tuple[Literal["text", "slot"], str]

_MARKER_RE = re.compile(r"\[\s*INJECT\b[^\[\]\n]*?\bHERE\s*\]", re.IGNORECASE)
_SLOT_BY_MARKER = {marker: slot for slot, marker in SLOTS.items()}
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")


# --------------------------------------------------------------------------- markers


def _nearest_marker(found: str) -> str:
    normal = " ".join(found.upper().split())
    return difflib.get_close_matches(normal, list(SLOTS.values()), n=1, cutoff=0.0)[0]


def _unknown_marker_message(found: str) -> str:
    return f"unknown slot marker {found!r} (did you mean {_nearest_marker(found)!r}?)"


def validate_template(text: str) -> None:
    """Check that ``text`` carries every marker of ``SLOTS`` and no unknown ``[INJECT ... HERE]``.

    Raises :class:`TemplateError` naming each unknown marker (with the nearest valid one) and each
    missing marker. A marker may appear more than once.

    >>> validate_template(" ".join(SLOTS.values()))
    >>> validate_template("[INJECT STEP REQUIREMENT HERE]")
    Traceback (most recent call last):
    ...
    planner_agent.errors.TemplateError: template has unknown slot marker ...
    """
    problems: list[str] = []
    seen: set[str] = set()
    for match in _MARKER_RE.finditer(text):
        found = match.group(0)
        if found in _SLOT_BY_MARKER:
            seen.add(found)
        else:
            problems.append(_unknown_marker_message(found))
    missing = [marker for marker in SLOTS.values() if marker not in seen]
    if missing:
        problems.append("missing slot markers " + ", ".join(repr(m) for m in missing))
    if problems:
        raise TemplateError("template has " + "; ".join(problems))


def split_template(template: str) -> list[Segment]:
    """Cut ``template`` into ordered ``("text", literal)`` and ``("slot", slot_name)`` segments.

    Empty literals are left out, so joining the literals and ``SLOTS[name]`` gives the template back.
    Raises :class:`TemplateError` for an unknown marker; missing markers are not checked here.

    >>> split_template("Needs:\\n[INJECT STEP REQUIREMENTS HERE]\\nEnd")
    [('text', 'Needs:\\n'), ('slot', 'requirements'), ('text', '\\nEnd')]
    """
    segments: list[Segment] = []
    position = 0
    for match in _MARKER_RE.finditer(template):
        slot = _SLOT_BY_MARKER.get(match.group(0))
        if slot is None:
            raise TemplateError("template has " + _unknown_marker_message(match.group(0)))
        if match.start() > position:
            segments.append(("text", template[position : match.start()]))
        segments.append(("slot", slot))
        position = match.end()
    if position < len(template):
        segments.append(("text", template[position:]))
    return segments


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """Replace each marker in ``template`` with ``values[slot]``, in a single pass.

    Values are inserted verbatim: a marker inside a value is never substituted again. Raises
    :class:`TemplateError` for an unknown marker, an unknown key in ``values``, or a marker whose slot
    has no value. Slots absent from the template are ignored.

    >>> fill_template("Do: [INJECT STEP REQUIREMENTS HERE]", {"requirements": "a step"})
    'Do: a step'
    """
    unknown = sorted(set(values) - set(SLOTS))
    if unknown:
        raise TemplateError(
            f"unknown slot names {', '.join(unknown)}; valid slots: {', '.join(SLOTS)}"
        )
    segments = split_template(template)
    unfilled = [SLOTS[name] for kind, name in segments if kind == "slot" and name not in values]
    if unfilled:
        names = ", ".join(repr(m) for m in dict.fromkeys(unfilled))
        raise TemplateError(f"no value for slot markers {names}")
    # split_template rejected every unknown marker, so no marker survives in the literal text.
    return "".join(text if kind == "text" else values[text] for kind, text in segments)


def output_format_section(template: str) -> tuple[str, str, str]:
    """Split ``template`` into (before, the ``## Expected Output Format`` section, after).

    The section runs from its heading to the next heading of level 1 or 2 outside code fences (or the
    end). Without that heading the result is ``(template, "", "")``. The three parts join back to
    ``template``.

    >>> output_format_section("A\\n## Expected Output Format\\nB\\n## Next\\nC")
    ('A\\n', '## Expected Output Format\\nB\\n', '## Next\\nC')
    """
    lines = template.splitlines(keepends=True)
    offset = 0
    start: int | None = None
    fence: tuple[str, int] | None = None
    for line in lines:
        text = line.rstrip("\r\n")
        fence_match = _FENCE_RE.match(text)
        if fence is not None:
            if (
                fence_match
                and fence_match.group(1)[0] == fence[0]
                and len(fence_match.group(1)) >= fence[1]
                and not fence_match.group(2).strip()
            ):
                fence = None
        elif fence_match:
            fence = (fence_match.group(1)[0], len(fence_match.group(1)))
        else:
            heading = _HEADING_RE.match(text)
            if heading and len(heading.group(1)) <= 2:
                title = (heading.group(2) or "").strip()
                if start is not None:
                    return template[:start], template[start:offset], template[offset:]
                if len(heading.group(1)) == 2 and title.lower() == "expected output format":
                    start = offset
        offset += len(line)
    if start is None:
        return template, "", ""
    return template[:start], template[start:], ""
