"""Turn a model reply into a plan, or into the precise list of what was wrong with it.

JSON replies are read as their reply shape's model (`planner_agent.llm._replies`; a code fence
or stray prose around the object is tolerated) and expanded with ``to_plan``; markdown replies go
through the seed-format reader.
The output modes (`planner_agent.llm._modes`) choose which reader a reply goes to.
Errors are ``"<json path>: <message>"`` strings, ready to be listed in a re-ask.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from .._plan_data import loads_json
from ..conventions import DEFAULT_LAYOUT, Layout
from ..errors import PlanImportError
from ..plan import ImplementationPlan, PlanIssue
from ..seedformat._reader import parse_markdown
from ._replies import DRAFT, REPLY_SHAPES, ReplyShape

__all__ = [
    "ParsedReply",
    "format_validation_error",
    "parse_json_reply",
    "parse_markdown_reply",
]

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)\n?```", re.DOTALL)


@dataclass(frozen=True)
class ParsedReply:
    """A parsed reply: the plan (None when unusable), parse errors, and parser findings."""

    plan: ImplementationPlan | None
    errors: tuple[str, ...] = ()
    issues: tuple[PlanIssue, ...] = field(default=())


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def format_validation_error(exc: ValidationError) -> list[str]:
    """One ``path: message (got value)`` line per Pydantic error.

    >>> from pydantic import BaseModel
    >>> class M(BaseModel):
    ...     n: int
    >>> try:
    ...     M.model_validate({"n": "x"})
    ... except ValidationError as e:
    ...     format_validation_error(e)[0].split(":")[0]
    'n'
    """
    lines = []
    for err in exc.errors(include_url=False):
        got = err.get("input")
        shown = "" if err["type"] == "missing" else f" (got {json.dumps(got, default=str)[:80]})"
        lines.append(f"{_path(tuple(err['loc']))}: {err['msg']}{shown}")
    return lines


def _json_text(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("{"):
        return stripped
    fenced = _FENCE.search(stripped)
    if fenced:
        return fenced.group(1).strip()
    start, end = stripped.find("{"), stripped.rfind("}")
    return stripped[start : end + 1] if 0 <= start < end else stripped


def parse_json_reply(
    text: str, layout: Layout = DEFAULT_LAYOUT, reply: ReplyShape = DRAFT
) -> ParsedReply:
    """Read a JSON reply as ``reply``'s model (a `PlanDraft` by default) and expand it.

    A reply in the other shape is read too (a server may ignore the schema); the errors listed
    are those of the shape asked for.

    >>> parse_json_reply("not json").errors[0].startswith("<root>: reply is not valid JSON")
    True
    """
    if not text.strip():
        return ParsedReply(None, ("<root>: the reply was empty; return the JSON object",))
    raw = _json_text(text)
    try:
        data = loads_json(raw)
    except json.JSONDecodeError as exc:
        return ParsedReply(
            None,
            (
                f"<root>: reply is not valid JSON ({exc.msg} at line {exc.lineno} column "
                f"{exc.colno}); return one JSON object only",
            ),
        )
    if not isinstance(data, dict):
        return ParsedReply(None, (f"<root>: expected a JSON object, got {type(data).__name__}",))
    # The shape asked for first; a reply in another shape is read too (its errors are not
    # listed: the model was asked for this one).
    shapes = [reply, *(s for s in REPLY_SHAPES.values() if s is not reply)]
    failed: list[ValidationError] = []
    for shape in shapes:
        try:
            model = shape.model.model_validate(data)
        except ValidationError as exc:
            failed.append(exc)
            continue
        try:
            return ParsedReply(model.to_plan(layout))
        except ValidationError as exc:  # a derived view rejected a value the reply allowed
            return ParsedReply(None, tuple(format_validation_error(exc)))
    return ParsedReply(None, tuple(format_validation_error(failed[0])))


def parse_markdown_reply(text: str) -> ParsedReply:
    """Read a reply written in the seed's markdown format."""
    try:
        parsed = parse_markdown(text)
    except PlanImportError as exc:
        return ParsedReply(None, (f"<root>: {exc.message}",))
    return ParsedReply(parsed.plan, (), tuple(parsed.issues))
