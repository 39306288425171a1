"""Output modes: how the plan is asked for and read back, one class per mode.

A mode owns everything that differs between ways of getting a plan out of a model: the request
fields (``response_format``), the prompt's "Expected Output Format" section, reading the reply,
the wording of a re-ask and the mode to fall back to when a server rejects its request. Adding a
mode is one subclass and one `register_mode` call.

>>> get_mode("json_object").fallback
'markdown'
>>> sorted(mode_names())
['json_object', 'json_schema', 'markdown']
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

from .._suggest import did_you_mean
from ..conventions import Layout
from ..errors import ConfigurationError
from ._parse import ParsedReply, parse_json_reply, parse_markdown_reply
from ._replies import DRAFT, ReplyShape

__all__ = [
    "JsonObjectMode",
    "JsonSchemaMode",
    "MarkdownMode",
    "OutputMode",
    "get_mode",
    "instructions_for",
    "mode_names",
    "parse_for",
    "register_mode",
    "unregister_mode",
]

_HEADING: Final = "## Expected Output Format\n\n"


class OutputMode:
    """One way of asking for a plan and reading it back; subclass and `register_mode` it.

    ``name`` is what ``mode=`` takes; ``fallback`` the mode ``mode="auto"`` steps down to when
    the server rejects this one's request fields (None: no step down).
    """

    name: ClassVar[str]
    fallback: ClassVar[str | None] = None

    def request_fields(self, schema: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
        """Fields this mode adds to the chat-completion request (e.g. ``response_format``)."""
        return {}

    def instructions(
        self, output_section: str, schema: Mapping[str, Any], *, reply: ReplyShape = DRAFT
    ) -> str:
        """The prompt's output section; ``output_section`` is the template's own."""
        return f"{_HEADING}{reply.notes}\n"

    def parse(self, text: str, layout: Layout, *, reply: ReplyShape = DRAFT) -> ParsedReply:
        """Read a reply: the plan, or the precise errors to list in a re-ask."""
        return parse_json_reply(text, layout, reply)

    def reask(self, errors: Sequence[str]) -> str:
        """The user message that lists ``errors`` and asks for a corrected reply."""
        listed = "\n".join(f"- {e}" for e in errors)
        return (
            f"Your reply has these problems:\n{listed}\n\nFix all of them and reply with "
            f"{self.corrected_reply}."
        )

    #: What a re-ask asks for, in words.
    corrected_reply: ClassVar[str] = (
        "the complete corrected JSON object (every field, not only the changed ones)"
    )

    def __repr__(self) -> str:
        return f"<OutputMode {self.name}>"


class JsonSchemaMode(OutputMode):
    """Structured outputs: the server enforces the plan draft's JSON Schema."""

    name = "json_schema"
    fallback = "json_object"

    def request_fields(self, schema: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
        """A ``json_schema`` response format carrying the (transformed) draft schema."""
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "plan_draft", "strict": strict, "schema": schema},
            }
        }


class JsonObjectMode(OutputMode):
    """JSON mode for servers without schema enforcement: the schema goes in the prompt."""

    name = "json_object"
    fallback = "markdown"

    def request_fields(self, schema: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
        """A plain ``json_object`` response format."""
        return {"response_format": {"type": "json_object"}}

    def instructions(
        self, output_section: str, schema: Mapping[str, Any], *, reply: ReplyShape = DRAFT
    ) -> str:
        """The reply's notes and the schema itself (the server will not enforce it)."""
        text = json.dumps(schema, separators=(",", ":"), sort_keys=True)
        return f"{_HEADING}{reply.notes}\n\nThe JSON Schema of the object:\n{text}\n"


class MarkdownMode(OutputMode):
    """The seed's own markdown format, read back by the lenient seed-format reader."""

    name = "markdown"
    corrected_reply = "the complete corrected plan in the same markdown format"

    def instructions(
        self, output_section: str, schema: Mapping[str, Any], *, reply: ReplyShape = DRAFT
    ) -> str:
        """The template's own "Expected Output Format" section, unchanged."""
        return output_section

    def parse(self, text: str, layout: Layout, *, reply: ReplyShape = DRAFT) -> ParsedReply:
        """Read the reply as a seed-format markdown plan (the reply shape is JSON's)."""
        return parse_markdown_reply(text)


_MODES: dict[str, OutputMode] = {}


def register_mode(mode: OutputMode) -> OutputMode:
    """Make ``mode`` available as ``mode=<mode.name>``; a name may be registered once."""
    if not isinstance(mode, OutputMode):
        raise ConfigurationError(f"register_mode takes an OutputMode instance, not {mode!r}.")
    name = getattr(mode, "name", "")
    if not isinstance(name, str) or not name or name == "auto":
        raise ConfigurationError(f"An output mode needs a name other than 'auto'; got {name!r}.")
    if name in _MODES and _MODES[name] is not mode:
        raise ConfigurationError(f"Output mode {name!r} is already registered.")
    _MODES[name] = mode
    return mode


def unregister_mode(name: str) -> OutputMode:
    """Remove a registered mode (for tests and plug-ins that replace one)."""
    if name not in _MODES:
        raise ConfigurationError(f"No output mode {name!r} is registered.")
    return _MODES.pop(name)


def get_mode(name: str) -> OutputMode:
    """The registered mode called ``name``; `ConfigurationError` (with a suggestion) if none."""
    mode = _MODES.get(name)
    if mode is None:
        hint = did_you_mean(name, ["auto", *_MODES]) if isinstance(name, str) else ""
        raise ConfigurationError(
            f"mode must be one of {', '.join(['auto', *_MODES])}; got {name!r}{hint}."
        )
    return mode


def instructions_for(
    mode: OutputMode, output_section: str, schema: Mapping[str, Any], reply: ReplyShape
) -> str:
    """``mode``'s output section for ``reply`` (a mode written before reply shapes, whose
    ``instructions`` takes no ``reply``, is still called for the default draft)."""
    if reply is DRAFT:
        return mode.instructions(output_section, schema)
    return mode.instructions(output_section, schema, reply=reply)


def parse_for(mode: OutputMode, text: str, layout: Layout, reply: ReplyShape) -> ParsedReply:
    """``mode``'s reading of ``text`` as ``reply`` (see `instructions_for`)."""
    return mode.parse(text, layout) if reply is DRAFT else mode.parse(text, layout, reply=reply)


def mode_names() -> tuple[str, ...]:
    """The registered modes' names, in registration order."""
    return tuple(_MODES)


for _mode in (JsonSchemaMode(), JsonObjectMode(), MarkdownMode()):
    register_mode(_mode)
