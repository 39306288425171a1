"""Read a plan from a file or text, whatever its format: seed markdown, plan JSON or draft JSON.

`load_plan` is the one entry point for plans that were not produced by this package's planner
(hand-written, other tools, earlier runs). Enum values that do not exist (``processing_input``
and friends, the most common mistake in LLM-written plans) are not load failures: they become
``ENUM001`` error issues, the closest valid value is substituted so the plan can still be built
and checked (`planner_agent._enums`), and the caller decides what to do. Anything else that makes the input unusable
raises `PlanImportError` with a one-line message naming the file and what was expected.

>>> loaded = load_plan("plans/model_calibration.md")  # doctest: +SKIP
>>> loaded.format, loaded.plan.step_name  # doctest: +SKIP
('markdown', 'ModelCalibration')
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .._files import FileProblem, read_text
from .._plan_data import loads_json, plan_from_data
from ..errors import PlanImportError, shown_path
from ..plan import ImplementationPlan, PlanIssue
from ._blocks import read_document
from ._reader import looks_like_plan, parse_markdown

__all__ = ["LoadedPlan", "PlanFormat", "load_plan"]

PlanFormat = Literal["auto", "markdown", "json"]
"""What `load_plan` reads its source as; ``"auto"`` decides by the text and the file suffix."""

_MARKDOWN = (
    "a markdown implementation plan ('# Implementation Plan for <Step>' and the seed sections)"
)
_EXPECTED = f"{_MARKDOWN} or plan JSON"


@dataclass(frozen=True)
class LoadedPlan:
    """A plan read by `load_plan`: the plan, import issues, the format found, what was not read."""

    plan: ImplementationPlan
    issues: list[PlanIssue] = field(default_factory=list)
    format: Literal["markdown", "json"] = "json"
    unread: list[str] = field(default_factory=list)
    #: The plan changes an existing step (`ParsedMarkdown.revision`): pass it to `check_plan`.
    revision: bool = False


def _read_file(path: Path) -> str:
    name = str(path)
    try:
        text = read_text(path)
    except FileProblem as problem:
        if str(problem) == "does not exist" or str(problem).startswith("cannot be used"):
            raise PlanImportError(
                f"plan file not found: {shown_path(name, 120)} (one-line text is read as a "
                f"path; plan text has several lines); expected {_EXPECTED}"
            ) from None
        raise PlanImportError(f"{name} {problem}; expected a plan file: {_EXPECTED}") from None
    if not text.strip():
        raise PlanImportError(f"{name} is empty; expected {_EXPECTED}")
    return text


def _source_text(source: str | Path) -> tuple[str, str, str]:
    """(text, display name, file suffix) for a path or literal text."""
    if isinstance(source, str) and ("\n" in source or source.lstrip().startswith(("{", "["))):
        if not source.strip():
            raise PlanImportError(f"the plan text is empty; expected {_EXPECTED}")
        return source, "the plan text", ""
    if isinstance(source, str) and not source.strip():
        raise PlanImportError(f"the plan text is empty; expected {_EXPECTED}")
    if not isinstance(source, str | os.PathLike):
        raise PlanImportError(
            f"a plan is read from a path or from text, not {type(source).__name__}; "
            "pass load_plan(path) or load_plan(text)"
        )
    path = Path(source)
    return _read_file(path), str(path), path.suffix.lower()


def _loads(text: str, name: str) -> Any:
    try:
        return loads_json(text)
    except json.JSONDecodeError as exc:
        raise PlanImportError(
            f"{name} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


def _embedded_json(text: str) -> Any | None:
    """The JSON object in the first fenced block that holds one (``json`` or no language), or None."""
    # The block structure, not a regex: "```.*\}\s*\n```" retried from each fence is quadratic.
    for block in read_document(text).blocks:
        body = block.code.strip()
        if block.lang in ("", "json") and body.startswith("{") and body.endswith("}"):
            try:
                return loads_json(body)
            except json.JSONDecodeError:
                continue
    return None


def _load_parts(sources: list[str | Path], format: PlanFormat) -> LoadedPlan:
    """A markdown plan split over several files or texts, read as one."""
    if format == "json":
        raise PlanImportError("a plan in several parts is read as markdown; use format='auto'")
    texts, names = [], []
    for source in sources:
        text, name, suffix = _source_text(source)
        if suffix == ".json" or text.lstrip().startswith(("{", "[")):
            raise PlanImportError(
                f"{name} is JSON; a plan in several parts is read as markdown only"
                " (a JSON plan is one file)"
            )
        texts.append(text)
        names.append(name)
    return _markdown(texts, " + ".join(names))


def load_plan(
    source: str | Path | Sequence[str | Path], *, format: PlanFormat = "auto"
) -> LoadedPlan:
    """Read a plan from a file path or from text (a ``str`` containing a newline is text).

    A list or tuple of paths or texts is one markdown plan split over several documents,
    read as one (see `parse_markdown`).

    ``format="auto"`` picks JSON for text starting with ``{``/``[`` or a ``.json`` file, else
    seed-format markdown. JSON may be a full `ImplementationPlan`, a `PlanDraft` (expanded with
    ``to_plan``) or a saved result (``{"plan": {...}}``).

    >>> load_plan("plan.json").plan.step_name  # doctest: +SKIP
    'ModelCalibration'
    >>> load_plan("missing.md")  # doctest: +SKIP
    Traceback (most recent call last):
    planner_agent.errors.PlanImportError: plan file not found: 'missing.md' ...
    """
    if format not in ("auto", "markdown", "json"):
        raise PlanImportError(f"unknown plan format {format!r}; use 'auto', 'markdown' or 'json'")
    one: str | Path
    if isinstance(source, list | tuple):
        if len(source) != 1:
            return _load_parts(list(source), format)
        one = source[0]
    else:
        one = source  # type: ignore[assignment]  # a str is a Sequence, but one text
    text, name, suffix = _source_text(one)
    as_json = format == "json" or (
        format == "auto" and (text.lstrip().startswith(("{", "[")) or suffix == ".json")
    )
    if as_json:
        plan, issues = plan_from_data(_loads(text, name), name)
        return LoadedPlan(plan=plan, issues=issues, format="json")
    if not looks_like_plan(text):
        embedded = _embedded_json(text) if format == "auto" else None
        if embedded is not None:
            plan, issues = plan_from_data(embedded, name)
            return LoadedPlan(plan=plan, issues=issues, format="json")
        raise PlanImportError(f"{name} is neither {_MARKDOWN} nor plan JSON")
    return _markdown(text, name)


def _markdown(text: str | list[str], name: str) -> LoadedPlan:
    """The markdown plan ``text`` (or its parts); an error names where it comes from."""
    try:
        parsed = parse_markdown(text)
    except PlanImportError as exc:
        raise PlanImportError(f"{name}: {exc.message}") from None
    return LoadedPlan(
        plan=parsed.plan,
        issues=list(parsed.issues),
        format="markdown",
        unread=list(parsed.unread),
        revision=parsed.revision,
    )
