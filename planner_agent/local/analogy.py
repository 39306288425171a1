"""Analogy over invention: the closest existing step shown to a small model as a filled draft.

A 0.5B model copies and adapts well and invents badly. So the local profile's prompt shows the
closest step as the JSON the model must produce (a `PlanDraft`), chosen from the codebase when one
is given and from the shipped drafts (``prompts/drafts/*.json``, one per common kind of step)
otherwise, and it uses a short knowledge digest (``prompts/local/``).

>>> sorted(shipped_drafts())[:2]
['BatchScoring', 'ModelVersionRegistration']
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..checks._codebase import CodebaseIndex, StepInfo, rank_examples
from ..decisions import decisions_from_draft
from ..draft import PlanDraft
from ..errors import KnowledgeError
from ..plan import JobType
from ..prompt._knowledge import Example, Knowledge, prompts_dir

__all__ = [
    "analogy_examples",
    "analogy_query",
    "draft_example",
    "draft_from_step",
    "local_knowledge",
    "rank_analogies",
    "shipped_drafts",
]

_LEAD = "Its draft (copy this shape; change names, paths and texts for the new step):"


@functools.cache
def local_knowledge() -> Knowledge:
    """The default knowledge with the short template and documents of ``prompts/local``."""
    loaded = Knowledge.from_dir(prompts_dir() / "local")
    return dataclasses.replace(loaded, source="default (local digest)")


@functools.cache
def shipped_drafts() -> Mapping[str, dict[str, Any]]:
    """Step name -> the shipped draft of that step (each validated as a `PlanDraft`)."""
    drafts: dict[str, dict[str, Any]] = {}
    for path in sorted((prompts_dir() / "drafts").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            draft = PlanDraft.model_validate(data)
        except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            raise KnowledgeError(f"{path} is not a valid plan draft ({exc}); reinstall") from exc
        drafts[draft.step_name] = draft.model_dump(mode="json")
    return drafts


def draft_example(
    example: Example, draft: Mapping[str, Any], *, decisions: bool = False
) -> Example:
    """``example`` (its name, type and keywords rank it) with the compact draft as its body;
    ``decisions``: only the decisions it states (`StepDecisions`), the shape a small reply has."""
    shown: Mapping[str, Any] = draft
    if decisions:
        try:
            shown = decisions_from_draft(draft).model_dump(mode="json")
        except ValueError:  # a codebase step no draft can hold: show what it has
            shown = draft
    text = json.dumps(shown, separators=(",", ":"), ensure_ascii=False)
    return dataclasses.replace(example, body=f"{_LEAD}\n{text}")


def analogy_examples(
    examples: Sequence[Example],
    codebase: CodebaseIndex | None = None,
    *,
    decisions: bool = False,
) -> list[Example]:
    """The examples a small model sees: each step that has a draft, shown as that draft (or as
    its decisions, when that is what the reply holds).

    With a codebase, its steps' drafts are derived from their contracts and specifications;
    otherwise the shipped drafts are matched to the shipped examples by name.
    """
    if codebase is not None:
        found = [(e, codebase.find_step(e.name)) for e in examples]
        return [
            draft_example(e, draft_from_step(s), decisions=decisions)
            for e, s in found
            if s is not None
        ]
    drafts = shipped_drafts()
    return [
        draft_example(e, drafts[e.name], decisions=decisions) for e in examples if e.name in drafts
    ]


def analogy_query(requirements: str, min_words: int = 12) -> str:
    """What the step *does*: the requirements' opening paragraphs (at least ``min_words`` words).

    Later paragraphs name the upstream and downstream steps, which would pull in their drafts.

    >>> analogy_query("# Calib\\n\\nCalibrate the scores.\\n\\nInput: XGBoostModelEval output.", 3)
    '# Calib\\n\\nCalibrate the scores.'
    """
    paragraphs = [p.strip() for p in requirements.strip().split("\n\n") if p.strip()]
    taken: list[str] = []
    for paragraph in paragraphs:
        taken.append(paragraph)
        if len(" ".join(taken).split()) >= min_words:
            break
    return "\n\n".join(taken)


def rank_analogies(requirements: str, examples: Sequence[Example], k: int) -> list[Example]:
    """The ``k`` examples closest to what the new step does (`analogy_query`)."""
    return rank_examples(analogy_query(requirements), examples, k)


def draft_from_step(step: StepInfo) -> dict[str, Any]:
    """An existing step as the draft that would have planned it (mechanical fields only)."""
    contract = step.contract
    inputs_at = {p.logical_name: p.container_path for p in contract.input_paths} if contract else {}
    outputs_at = (
        {p.logical_name: p.container_path for p in contract.output_paths} if contract else {}
    )
    env: list[dict[str, Any]] = []
    if contract is not None:
        env += [_env(n, True, None) for n in contract.required_env_vars]
        env += [_env(n, False, repr(v)) for n, v in contract.optional_env_vars.items()]
    inputs = [
        {
            "logical_name": d.logical_name,
            "container_path": inputs_at.get(d.logical_name),
            "dependency_type": d.dependency_type.value,
            "data_type": d.data_type.value,
            "required": d.required,
            "compatible_sources": list(d.compatible_sources),
            "semantic_keywords": list(d.semantic_keywords),
            "source_step": d.compatible_sources[0] if d.compatible_sources else None,
            "source_output": None,
            "description": d.description,
        }
        for d in step.dependencies()
    ]
    outputs = [
        {
            "logical_name": o.logical_name,
            "container_path": outputs_at.get(o.logical_name, ""),
            "output_type": o.output_type.value,
            "data_type": o.data_type.value,
            "aliases": list(o.aliases),
            "consumers": [],
            "description": o.description,
        }
        for o in step.outputs()
    ]
    kind = step.sagemaker_step_type
    jobs = [j for j in step.job_types if j in {t.value for t in JobType}]
    draft = {
        "step_name": step.name,
        "sagemaker_step_type": kind.value if kind else "Processing",
        "description": step.description,
        "purpose": step.description,
        "position_in_pipeline": "",
        "inputs": inputs,
        "outputs": outputs,
        "env_vars": env,
        "script_arguments": [
            {"name": k, "value": v}
            for k, v in (contract.expected_arguments.items() if contract else ())
        ],
        "framework_requirements": [
            {"package": k, "version": v}
            for k, v in (contract.framework_requirements.items() if contract else ())
        ],
        "job_type_variants": jobs,
    }
    try:  # every key, in the order the grammar asks for them
        return PlanDraft.model_validate(draft).model_dump(mode="json")
    except ValueError:  # an unusual step (e.g. a legacy name): show what it has
        return draft


def _env(name: str, required: bool, default: str | None) -> dict[str, Any]:
    return {"name": name, "required": required, "type": "str", "default": default}
