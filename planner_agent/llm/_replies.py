"""Reply shapes: what a JSON reply holds, the model it is read into, and the notes that say so.

``draft`` asks for a whole `PlanDraft` (every fact of the plan, stated once). ``decisions`` asks
for `StepDecisions`, the few choices that need the requirements read, and derives the rest: what
a small model on a CPU can write in seconds. The output mode (how a reply is asked for and read)
is independent: either shape travels as ``json_schema`` or ``json_object``.

>>> REPLY_SHAPES["decisions"].model.__name__
'StepDecisions'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

from ..decisions import StepDecisions
from ..draft import PlanDraft

__all__ = ["DECISIONS", "DRAFT", "REPLY_SHAPES", "ReplyName", "ReplyShape", "reply_shape"]

#: What ``reply=`` takes: ``auto`` is ``decisions`` for the embedded model, else ``draft``.
ReplyName = Literal["auto", "draft", "decisions"]


@dataclass(frozen=True)
class ReplyShape:
    """One kind of JSON reply: its name, its Pydantic model and the prompt's notes on it."""

    name: str
    model: type[PlanDraft] | type[StepDecisions]
    #: Said in the prompt's output section before the schema (what the tool derives, field notes).
    notes: str

    def schema(self) -> dict[str, Any]:
        """The model's JSON Schema, as Pydantic generates it."""
        return self.model.model_json_schema()


_DRAFT_NOTES: Final = """\
Reply with ONE JSON object and nothing else (no prose, no code fence). Describe each input and \
output once; the tool derives the script contract, the specification, class names, file paths, \
property paths, node type, registry entry, alignment section and all Implementation Details code \
from it, so do not write code. Notes:
- `container_path`: null derives the conventional directory from the step type and logical name; \
set it only to override (with `path_reason`). `read_by_script: false`: a specification-only \
dependency. `source_step`/`source_output`: the registered producer and its output name.
- `outputs[].consumers`: registered downstream steps and the dependency name each declares.
- `env_vars` become config fields (lower-case name); `sagemaker_settings` only change \
base-config fields (e.g. use_large_processing_instance).
- Keep lists short and strings to one sentence."""

_DECISIONS_NOTES: Final = """\
Reply with ONE short JSON object and nothing else. State only the decisions: the step's name \
and SageMaker step type, one sentence on what it does, the inputs it reads (snake_case names, \
each with the registered step that produces it), the outputs it writes, the environment \
variables its script reads (with a default, or null when the user must set it) and its job \
types. The tool derives container paths, keywords, classes, files and code."""

DRAFT: Final = ReplyShape("draft", PlanDraft, _DRAFT_NOTES)
DECISIONS: Final = ReplyShape("decisions", StepDecisions, _DECISIONS_NOTES)
#: Every reply shape by name.
REPLY_SHAPES: Final[Mapping[str, ReplyShape]] = MappingProxyType(
    {s.name: s for s in (DRAFT, DECISIONS)}
)


def reply_shape(name: ReplyName, *, local: bool) -> ReplyShape:
    """The shape ``name`` stands for (``auto``: decisions for the embedded ``local`` model)."""
    if name == "auto":
        return DECISIONS if local else DRAFT
    return REPLY_SHAPES[name]
