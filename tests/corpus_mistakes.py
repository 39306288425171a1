"""Catalogued mistakes injected into real steps, and whether the checks detect them.

The catalogue is the project's (``test_rules.MISTAKES``, numbered as in the brief), with the two
downstream mistakes re-aimed at real consumers of the step's own repository, plus the mistakes issue
#10 found in real LLM-written plans. A mistake is detected when the mutated plan has an issue of an
expected code at a path where the clean plan has none (any severity: a warning still tells the
user; the benchmark also reports error-level detection).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from corpus import RealStep, check_data, check_text, plan_data, requirements
from corpus_phrasings import PHRASINGS
from test_rules import MISTAKES, MULTI_FLOW

from planner_agent._plan_data import plan_from_data
from planner_agent.checks import CodebaseIndex
from planner_agent.plan import (
    DependencyType,
    DownstreamLink,
    ImplementationPlan,
    PlanIssue,
    UpstreamLink,
)

Mutation = Callable[[ImplementationPlan], None]
_RETARGETED = {"downstream dependency not declared", "downstream incompatible type"}
_UNASKED_WORDS = ("payload", "sampl", "latenc", "throughput")
# Mistakes made in container paths: only for steps whose contract has paths (not CreateModel).
_NEED_PATHS = {
    "container path outside the prefixes",
    "file where a directory belongs",
    "sagemaker_step_type inconsistent with paths",
}


@dataclass(frozen=True)
class Trial:
    """One mistake for one step: the mutation, the codes that report it, extra requirements."""

    expected: frozenset[str]
    mutate: Mutation | None = None
    raw: Callable[[dict[str, Any]], None] | None = None  # on the plan's JSON (enum values)
    extra_requirements: str = ""


def _incompatible(output_type: DependencyType) -> set[DependencyType]:
    """Types the real resolver never matches with ``output_type`` (either direction)."""
    data = {DependencyType.PROCESSING_OUTPUT, DependencyType.TRAINING_DATA}
    if output_type is DependencyType.MODEL_ARTIFACTS:
        return data | {DependencyType.HYPERPARAMETERS}
    return {DependencyType.MODEL_ARTIFACTS}


def _consumer(index: CodebaseIndex, kinds: set[DependencyType]) -> tuple[str, str] | None:
    for step in index.steps.values():
        for dep in step.dependencies():
            if dep.dependency_type in kinds:
                return step.name, dep.logical_name
    return None


def _producer(index: CodebaseIndex, kinds: set[DependencyType]) -> tuple[str, str] | None:
    for step in index.steps.values():
        for spec in step.specs:
            for out in spec.outputs:
                if out.output_type in kinds:
                    return step.name, out.logical_name
    return None


def _append_downstream(link: DownstreamLink) -> Mutation:
    return lambda p: p.integration.downstream_steps.append(link)


def _set_upstream(link: UpstreamLink) -> Mutation:
    return lambda p: setattr(p.integration, "upstream_steps", [link])


def _near_miss(name: str) -> Mutation:
    """A registered step's name with its inner capitals lowered (``Tabularpreprocessing``)."""
    wrong = name[0] + name[1:].lower()
    return lambda p: p.components.step_specification.dependencies[0].compatible_sources.append(
        wrong
    )


def _dashed_argument(plan: ImplementationPlan) -> None:
    plan.components.script_contract.expected_arguments["--include-examples"] = "true"


def _enum_typo(data: dict[str, Any]) -> None:
    spec = data["components"]["step_specification"]
    first = (spec["outputs"] or spec["dependencies"])[0]
    first["output_type" if "output_type" in first else "dependency_type"] = "processing_input"


def mistakes(step: RealStep, index: CodebaseIndex) -> list[tuple[str, Trial]]:
    """Every mistake that applies to ``step``, labelled."""
    plan = base_plan(step)
    spec = plan.components.step_specification
    found: list[tuple[str, Trial]] = [
        ("1 processing_input", Trial(frozenset({"ENUM001"}), raw=_enum_typo))
    ]
    for number, label, applies, mutate, expected in MISTAKES:
        if label in _RETARGETED or not applies(plan):
            continue
        contract = plan.components.script_contract
        if label in _NEED_PATHS and not (contract.input_paths or contract.output_paths):
            continue
        if label == "quotes another name" and "Outputs[" not in spec.outputs[0].property_path:
            continue  # Only processing outputs quote a name.
        if label.startswith("registry entry without") and not index.has_step_types:
            continue  # An older registry without step types does not require one.
        if label == "dependency nobody asked for" and any(
            w in requirements(step).lower() for w in _UNASKED_WORDS
        ):
            continue  # The requirements ask for payload samples: not a mistake for this step.
        found.append((f"{number} {label}", Trial(frozenset(expected.split("|")), mutate)))
    if spec.job_type_variants:
        found.append(
            (
                "11 data flows without variants",
                Trial(
                    frozenset({"JOB001"}),
                    lambda p: setattr(p.components.step_specification, "job_type_variants", []),
                    extra_requirements=MULTI_FLOW,
                ),
            )
        )
    if spec.outputs:
        output = spec.outputs[0]
        consumer = _consumer(
            index, {DependencyType.MODEL_ARTIFACTS, DependencyType.PROCESSING_OUTPUT}
        )
        if consumer is not None:
            link = DownstreamLink(
                step=consumer[0], output=output.logical_name, dependency="not_declared"
            )
            found.append(
                (
                    "5 downstream dependency not declared",
                    Trial(frozenset({"WIRE006"}), _append_downstream(link)),
                )
            )
        wrong = _consumer(index, _incompatible(output.output_type))
        if wrong is not None:
            link = DownstreamLink(step=wrong[0], output=output.logical_name, dependency=wrong[1])
            found.append(
                (
                    "5 downstream incompatible type",
                    Trial(frozenset({"WIRE007"}), _append_downstream(link)),
                )
            )
    if spec.dependencies:
        dep = spec.dependencies[0]
        producer = _producer(index, {dep.dependency_type})
        if producer is not None:
            link = UpstreamLink(
                step=producer[0], output="no_such_output", dependency=dep.logical_name
            )
            found.append(
                (
                    "#10 upstream output the producer lacks",
                    Trial(frozenset({"WIRE002"}), _set_upstream(link)),
                )
            )
        wrong = _producer(index, _incompatible(dep.dependency_type))
        if wrong is not None:
            link = UpstreamLink(step=wrong[0], output=wrong[1], dependency=dep.logical_name)
            found.append(
                (
                    "#10 upstream of an incompatible type",
                    Trial(frozenset({"WIRE003"}), _set_upstream(link)),
                )
            )
        known = next(n for n in index.registry if n[1:] != n[1:].lower())
        trial = Trial(frozenset({"REG009"}), _near_miss(known))
        found.append(("#10 near-miss spelling in compatible_sources", trial))
    found.append(
        (
            "#10 argument key written with dashes",
            Trial(frozenset({"NAME007", "ARG001"}), _dashed_argument),
        )
    )
    return found


def base_plan(step: RealStep, **options: Any) -> ImplementationPlan:
    return plan_from_data(plan_data(step, **options), step.id)[0]


def mutated(step: RealStep, trial: Trial, **options: Any) -> dict[str, Any]:
    plan = base_plan(step, **options)
    if trial.mutate is not None:
        trial.mutate(plan)
    data = plan.to_dict()
    if trial.raw is not None:
        trial.raw(data)
    return data


def check(
    data: dict[str, Any], phrasing: str, codebase: CodebaseIndex | None, reqs: str
) -> list[PlanIssue]:
    """The issues of a plan in one phrasing (``object``: the plan's JSON, no reader)."""
    if phrasing == "object":
        return check_data(json.loads(json.dumps(data)), codebase=codebase, requirements=reqs)
    return check_text(PHRASINGS[phrasing](data), codebase=codebase, requirements=reqs)


_CLEAN: dict[tuple[str, str, int], set[tuple[str, str, str]]] = {}


def _clean(
    step: RealStep, phrasing: str, codebase: CodebaseIndex | None
) -> set[tuple[str, str, str]]:
    """The clean plan's issues, computed once per step, phrasing and codebase."""
    key = (step.id, phrasing, id(codebase))
    if key not in _CLEAN:
        found = check(base_plan(step).to_dict(), phrasing, codebase, requirements(step))
        _CLEAN[key] = {(i.code, i.path, i.message) for i in found}
    return _CLEAN[key]


def detected(
    step: RealStep,
    trial: Trial,
    codebase: CodebaseIndex | None,
    phrasing: str = "object",
    *,
    errors_only: bool = False,
) -> bool:
    """Whether the checks report the mistake: an issue of an expected code the clean plan lacks."""
    reqs = requirements(step)
    clean = _clean(step, phrasing, codebase)
    after = check(mutated(step, trial), phrasing, codebase, reqs + trial.extra_requirements)
    before = clean
    return any(
        i.code in trial.expected
        and (i.code, i.path, i.message) not in before
        and (i.is_error or not errors_only)
        for i in after
    )
