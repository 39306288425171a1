"""What a small model decides: `StepDecisions`, a few short choices, and their expansion to a draft.

A 0.5B model on two CPU cores writes about ten tokens a second, so a full `PlanDraft` (~900
tokens of keywords, prose sections and settings) takes minutes and invites copied filler. The
decisions are only what needs the requirements read: the step's name and SageMaker type, a
one-line description, its inputs with their upstream producers, its outputs, its environment
variables and job types. `StepDecisions.to_draft` derives the rest the same way every time:
container paths, semantic keywords, compatible sources, typed and quoted env-var defaults, and the
overview, error-handling and testing sections, which state what the derived code does.

>>> d = StepDecisions.model_validate({"step_name": "ScoreBinning",
...     "sagemaker_step_type": "Processing", "description": "Bins model scores",
...     "inputs": [{"logical_name": "evaluation_data", "dependency_type": "processing_output",
...                 "source_step": "XGBoostModelEval"}],
...     "outputs": [{"logical_name": "binned_scores", "output_type": "processing_output"}],
...     "env_vars": [{"name": "NUM_BINS", "default": "10"}, {"name": "SCORE_FIELD",
...                   "default": "prob"}]})
>>> draft = d.to_draft()
>>> draft.inputs[0].container_path, draft.inputs[0].source_step
('/opt/ml/processing/input/eval_data', 'XGBoostModelEval')
>>> [(e.type, e.default, e.required) for e in draft.env_vars]
[('int', '10', False), ('str', "'prob'", False)]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

import planner_agent.conventions as cv  # `from . import conventions` depends on the package root

from ._derive import unquote
from ._pytypes import literal_type, python_default
from .draft import DraftEnvVar, DraftInput, DraftOutput, PlanDraft
from .plan import (
    DependencyType,
    ErrorHandling,
    ImplementationPlan,
    JobType,
    SageMakerStepType,
    TestingPlan,
)

__all__ = [
    "DecidedEnvVar",
    "DecidedInput",
    "DecidedOutput",
    "StepDecisions",
    "decisions_from_draft",
]


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecidedInput(_Decision):
    """An input the step reads, and the registered step that produces it."""

    logical_name: str = Field(description="snake_case name of the data, e.g. model_input")
    dependency_type: DependencyType
    source_step: str | None = Field(
        default=None, description="Registry name of the upstream step that produces it; null: none"
    )


class DecidedOutput(_Decision):
    """An output the step writes."""

    logical_name: str = Field(description="snake_case name of the data, e.g. calibrated_data")
    output_type: DependencyType


class DecidedEnvVar(_Decision):
    """An environment variable the script reads (a config field of the same lower-case name)."""

    name: str = Field(description="UPPER_SNAKE_CASE")
    default: str | None = Field(
        default=None, description="default value as text; null when the user must set it"
    )


class StepDecisions(_Decision):
    """The choices a small model makes; `to_draft` derives a full `PlanDraft` from them."""

    step_name: str = Field(description="PascalCase canonical step name, e.g. ModelCalibration")
    sagemaker_step_type: SageMakerStepType
    description: str = Field(description="One sentence: what the step does")
    inputs: list[DecidedInput] = Field(default_factory=list)
    outputs: list[DecidedOutput] = Field(default_factory=list)
    env_vars: list[DecidedEnvVar] = Field(default_factory=list)
    job_type_variants: list[JobType] = Field(default_factory=list)

    def to_draft(self) -> PlanDraft:
        """The full draft: decided facts kept, everything mechanical derived."""
        kind = self.sagemaker_step_type.value
        sources = list(dict.fromkeys(i.source_step for i in self.inputs if i.source_step))
        return PlanDraft(
            step_name=self.step_name,
            sagemaker_step_type=self.sagemaker_step_type,
            description=self.description,
            purpose=self.description,
            position_in_pipeline=(
                f"After {', '.join(sources)}"
                if sources
                else "After the steps that produce its inputs"
                if self.inputs
                else "At the start of the pipeline: it reads no pipeline input"
            ),
            architectural_considerations=[
                f"{kind} step; its contract and specification come from one list of inputs and"
                " outputs, so they align by construction"
            ],
            design_principles_alignment=[
                "Container paths live in the contract; upstream outputs are found by the"
                " dependency resolver from the specification"
            ],
            inputs=[
                DraftInput(
                    logical_name=i.logical_name,
                    dependency_type=i.dependency_type,
                    source_step=i.source_step or None,
                    semantic_keywords=_keywords(i.logical_name, i.dependency_type, self.step_name),
                    description=_words(i.logical_name).capitalize(),
                )
                for i in self.inputs
            ],
            outputs=[
                DraftOutput(
                    logical_name=o.logical_name,
                    output_type=o.output_type,
                    description=_words(o.logical_name).capitalize(),
                )
                for o in self.outputs
            ],
            env_vars=[_env_var(e) for e in self.env_vars],
            job_type_variants=list(dict.fromkeys(self.job_type_variants)),
            algorithm=self.description,
            main_functions=["main"],
            error_handling=ErrorHandling(
                input_validation="Fail fast when a required input directory is empty or missing",
                script_robustness="Validate required environment variables before reading data",
                logging_strategy="INFO per phase with the files read and written",
                error_reporting="Log the error and exit with a non-zero code",
            ),
            testing=TestingPlan(
                unit_tests=["main() on a small sample in temporary directories"],
                integration_tests=["The builder creates the step with its dependencies resolved"],
                validation_criteria=["Every output is written to its container path"],
            ),
        )

    def to_plan(self, layout: cv.Layout = cv.DEFAULT_LAYOUT) -> ImplementationPlan:
        """The full plan (`to_draft` expanded by `PlanDraft.to_plan`)."""
        return self.to_draft().to_plan(layout)


def decisions_from_draft(draft: PlanDraft | Mapping[str, Any]) -> StepDecisions:
    """The decisions a draft states (what an analogy shows a small model).

    >>> decisions_from_draft({"step_name": "A", "sagemaker_step_type": "Processing",
    ...     "description": "d", "purpose": "p", "position_in_pipeline": "x",
    ...     "env_vars": [{"name": "LABEL", "default": "'y'"}]}).env_vars[0].default
    'y'
    """
    d = draft if isinstance(draft, PlanDraft) else PlanDraft.model_validate(draft)
    return StepDecisions(
        step_name=d.step_name,
        sagemaker_step_type=d.sagemaker_step_type,
        description=d.description,
        inputs=[
            DecidedInput(
                logical_name=i.logical_name,
                dependency_type=i.dependency_type,
                source_step=i.source_step,
            )
            for i in d.inputs
        ],
        outputs=[
            DecidedOutput(logical_name=o.logical_name, output_type=o.output_type) for o in d.outputs
        ],
        env_vars=[
            DecidedEnvVar(name=e.name, default=unquote(e.default.strip()) if e.default else None)
            for e in d.env_vars
        ],
        job_type_variants=list(d.job_type_variants),
    )


# Words that say nothing about the data a dependency carries (the resolver scores keywords).
_FILLER: Final = frozenset({"a", "an", "the", "of", "for", "to", "and", "or", "in", "on", "step"})
_TYPE_WORDS: Final[Mapping[DependencyType, tuple[str, ...]]] = {
    DependencyType.MODEL_ARTIFACTS: ("model", "artifacts"),
    DependencyType.TRAINING_DATA: ("training", "data"),
    DependencyType.HYPERPARAMETERS: ("hyperparameters", "config"),
    DependencyType.PAYLOAD_SAMPLES: ("payload", "samples"),
    DependencyType.CUSTOM_PROPERTY: ("property",),
}


def _words(name: str) -> str:
    return " ".join(w for w in re.split(r"[_\W]+", name) if w)


def _keywords(logical_name: str, kind: DependencyType, step_name: str) -> list[str]:
    """4-8 lower-case words: the name's, the dependency type's, then the consumer's."""
    words: Iterable[str] = (
        *_words(logical_name).lower().split(),
        *_TYPE_WORDS.get(kind, ("data",)),
        *cv.snake_case(step_name).split("_"),
        "input",
    )
    kept = [w for w in dict.fromkeys(words) if w not in _FILLER and len(w) > 1]
    return kept[:8]


def _env_var(e: DecidedEnvVar) -> DraftEnvVar:
    """An env var typed by its default; text defaults quoted so the config class compiles."""
    default = e.default.strip() if e.default is not None else None
    if default in ("null", "None"):
        default = None  # what a model writes for "no default" when it quotes everything
    elif default == "":
        default = "''"  # an empty text default: the variable is optional
    kind = literal_type(default)
    if default is not None:
        default = python_default(kind, default) or default  # `prob` -> `'prob'`
    return DraftEnvVar(
        name=e.name,
        required=default is None,
        type=kind,
        default=default,
        description=_words(e.name).lower().capitalize(),
    )
