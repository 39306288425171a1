"""Read seed-format markdown back into an `ImplementationPlan` (lenient import).

Reads exactly what `render_markdown` writes, and the variations found in plans written
by people and other tools: ``*``/``-``/numbered bullets at any indentation, bold labels, labels
under ``###`` headings, ``name: /path``, ``name -> /path`` and ``name (/path)``, markdown
tables, headings with other wording or numbering, a ``` ```markdown ``` wrapper, and sections
that are missing. The "Implementation Details" code blocks are a second source, read with
``ast`` (never executed): ``ScriptContract(...)``, ``StepSpecification(...)`` with
``DependencySpec``/``OutputSpec``, ``STEP_NAMES``, the config class (Pydantic fields or an
``__init__``), the builder class, the script's functions, and plain dicts or JSON with the same
keys; a registry entry may also be a ``Field | Value`` table there. Bullets win where both state a field; code blocks fill what the bullets leave out. A final
code block that is never closed is read as far as it parses (``IMPORT002``).

The contract and the specification are kept as written even when they disagree: that is an
alignment finding for the checks, not a parse error. Invalid enum values become ``ENUM001``
errors with the closest valid value substituted. What could not be read is listed in
``unread`` and reported as ``IMPORT`` warnings:

========= =============================================================================
IMPORT001 a seed section is missing
IMPORT002 the plan output appears truncated (a code block is not closed)
IMPORT003 a line, bullet, table or section was not understood (see ``unread``)
IMPORT004 a code block is not valid Python/JSON, is nested too deeply or is over 500,000
          characters; only the part that parses was read
IMPORT005 bullets and code blocks disagree; the bullet value was kept
IMPORT006 a value was not stated and was derived (registry entry, types, paths, scores, class
          names), or filled in from another part of the plan (see `._identity`)
IMPORT007 the plan names the step in different ways; the name most sources use was read
========= =============================================================================

The reading is done by private modules: ``_blocks`` splits the text into sections, bullet
trees and code blocks; ``_sections`` (with ``_components``, ``_entries``, ``_labels`` and
``_text``) reads the bullets; ``_code`` (with `planner_agent._pycode`) reads the code blocks;
``_facts`` combines both into the plan's data, which is validated here.

>>> parsed = parse_markdown(open("plan.md").read())  # doctest: +SKIP
>>> parsed.plan.components.script_contract.input_paths[0].logical_name  # doctest: +SKIP
'evaluation_data'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from .._enums import json_path, validate_with_enum_repair
from ..errors import PlanImportError
from ..plan import ImplementationPlan, PlanIssue
from ._blocks import (
    SECTION_NAMES,
    combine,
    has_plan_structure,
    read_document,
    revision_word,
    unwrap,
)
from ._code import read_blocks
from ._context import Context
from ._facts import assemble
from ._identity import choose_classes, find_step_name
from ._sections import read_sections

__all__ = ["ParsedMarkdown", "looks_like_plan", "parse_markdown"]


@dataclass(frozen=True)
class ParsedMarkdown:
    """What `parse_markdown` read: the plan, import issues, and descriptions of unread content."""

    plan: ImplementationPlan
    issues: list[PlanIssue] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    #: The title says the plan changes an existing step (``... Expansion``; ``IMPORT008``):
    #: pass it to `check_plan` as ``revision``.
    revision: bool = False


def looks_like_plan(text: str) -> bool:
    """True when ``text`` has a plan title or at least two of the seed's sections.

    >>> looks_like_plan("# Implementation Plan for X\\n## 1. Step Overview\\n- Purpose: y")
    True
    >>> looks_like_plan("just some notes")
    False
    """
    return has_plan_structure(unwrap(text))


def parse_markdown(text: str | Sequence[str]) -> ParsedMarkdown:
    """Read a seed-format markdown plan; what cannot be read is reported, not fatal.

    ``text`` may be a list of texts: the parts of one plan split over several documents (part 1
    the contract, part 2 the specification, ...). They are read as one plan: sections of the
    same kind from different parts are merged (the first part's value wins where both state
    one), and line numbers count on from part to part.

    Raises `PlanImportError` only when ``text`` has no plan structure at all (no plan title
    and fewer than two seed sections), or no step name can be found anywhere.

    >>> from planner_agent.seedformat import render_markdown
    >>> parse_markdown(render_markdown(plan)).plan == plan  # doctest: +SKIP
    True
    """
    try:
        return _parse(text)
    except (RecursionError, MemoryError) as exc:
        # A last resort: the readers bound nesting and sizes (`MAX_BLOCK_CHARS`,
        # `planner_agent._pycode.MAX_NESTING`), so getting here means a gap in those limits,
        # and the caller still gets the one error type a plan that cannot be read gives.
        raise PlanImportError(
            f"markdown plan is too large or nested too deeply to read ({type(exc).__name__})"
        ) from None


def _parse(text: str | Sequence[str]) -> ParsedMarkdown:
    texts = [text] if isinstance(text, str) else list(text)
    if not texts:
        raise PlanImportError("no plan text given: pass the plan's markdown, or its parts")
    bodies = [unwrap(t) for t in texts]
    document = combine([read_document(b) for b in bodies])
    # Parts may each lack what their text joined has (a title in one, a section in another).
    joined = len(bodies) > 1 and not document.structured and has_plan_structure("\n".join(bodies))
    if not document.structured and not joined:
        raise PlanImportError(
            "text is not a seed-format implementation plan: no '# Implementation Plan for <Step>'"
            " heading and fewer than two of the seed's sections"
        )
    ctx = Context()
    unclosed = next((b for b in document.blocks if not b.closed), None)
    if unclosed is not None:
        ctx.warn(
            "IMPORT002",
            "<root>",
            f"plan output appears truncated: the code block at line {unclosed.line}"
            f"{' (' + unclosed.heading + ')' if unclosed.heading else ''} is never closed;"
            " read what was there",
        )
    code = read_blocks(document.blocks, ctx)
    bullets = read_sections(document.sections, ctx)
    known = {name for name, _ in code.registry}
    code.registry += [e for e in bullets.pop("registry", []) if e[0] not in known]
    missing = [SECTION_NAMES[k] for k in SECTION_NAMES if k not in bullets]
    if missing:
        ctx.warn("IMPORT001", "<root>", "sections not found: " + "; ".join(missing))

    step_name = find_step_name(document.title, code, ctx)
    if not step_name:
        raise PlanImportError(
            "no step name found: no plan title, STEP_NAMES entry or spec step_type"
        )
    revises = revision_word(document.title, step_name) if document.title else None
    if revises is not None:
        ctx.warn(
            "IMPORT008",
            "step_name",
            f"the title says the plan changes the existing step {step_name!r} ({revises!r}); "
            "it is checked as a revision: a codebase having the step is no name collision, "
            "and its registry entry stands for what the plan leaves out",
        )
    choose_classes(code, step_name)
    data = assemble(step_name, bullets, code, ctx)
    try:
        plan, enum_issues = validate_with_enum_repair(ImplementationPlan, data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise PlanImportError(
            f"markdown plan could not be assembled: {json_path(tuple(first['loc']))}: {first['msg']}"
        ) from None
    return ParsedMarkdown(
        plan=plan,
        issues=[*enum_issues, *ctx.issues],
        unread=ctx.unread,
        revision=revises is not None,
    )
