"""Structure rules: node type, job-type variants, and dependencies the requirements never asked for."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..conventions import node_type_for
from ..plan import ImplementationPlan, JobType, Severity
from ._core import CONFIG, SPEC, CheckContext, Finding, family_rule
from ._resolver import word_stems

_rule = family_rule("structure")
E, W = Severity.ERROR, Severity.WARNING

# Words naming a data flow, and the nouns that make them one ("training data", "train/val splits").
_FLOW_WORDS = {
    "training": JobType.TRAINING,
    "train": JobType.TRAINING,
    "validation": JobType.VALIDATION,
    "val": JobType.VALIDATION,
    "testing": JobType.TESTING,
    "test": JobType.TESTING,
    "calibration": JobType.CALIBRATION,
    "calib": JobType.CALIBRATION,
}
_FLOW_NOUNS = frozenset(
    {"data", "dataset", "datasets", "split", "splits", "set", "sets", "flow", "flows"}
)
_JOINERS = frozenset({",", "/", "&", "and", "or"})
# Name words too generic to show that the requirements asked for a dependency.
_GENERIC_STEMS = frozenset(word_stems("data input output path file uri location directory folder"))


def data_flows(requirements: str) -> set[JobType]:
    """The data flows a text names, e.g. ``training, validation and test data`` -> three flows.

    >>> sorted(f.value for f in data_flows("train/val splits"))
    ['training', 'validation']
    """
    tokens = re.findall(r"[a-z]+|[,/&]", requirements.lower())
    flows: set[JobType] = set()
    for i, token in enumerate(tokens):
        if token not in _FLOW_NOUNS:
            continue
        j = i - 1
        while j >= 0 and (tokens[j] in _FLOW_WORDS or tokens[j] in _JOINERS):
            if tokens[j] in _FLOW_WORDS:
                flows.add(_FLOW_WORDS[tokens[j]])
            j -= 1
    return flows


@_rule(
    "NODE001",
    E,
    "node_type matches the spec: `source` (outputs only), `internal` (dependencies and outputs), `sink` (dependencies only), `singular` (neither). Use the node type given in the message.",
)
def node_type_consistent(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    spec = plan.components.step_specification
    expected = node_type_for(bool(spec.dependencies), bool(spec.outputs))
    if spec.node_type is not expected:
        counts = f"{len(spec.dependencies)} dependencies and {len(spec.outputs)} outputs"
        yield (
            f"{SPEC}.node_type",
            f"node_type is {spec.node_type.value!r} but the spec has {counts}; use {expected.value!r}",
        )


@_rule(
    "JOB001",
    W,
    "Requirements that name several data flows (training/validation/testing/calibration data) usually need job-type variants. Add job_type_variants, or confirm one spec serves every flow.",
)
def variants_for_data_flows(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    flows = data_flows(ctx.requirements or "")
    if len(flows) >= 2 and not plan.components.step_specification.job_type_variants:
        named = ", ".join(j.value for j in JobType if j in flows)
        yield (
            f"{SPEC}.job_type_variants",
            f"the requirements name {named} data but no job-type variants are planned; add job_type_variants [{named}]",
        )


@_rule(
    "JOB002",
    E,
    "A step with job-type variants has a `job_type` config field (the builder picks the spec from `config.job_type`). Add step parameter `job_type`.",
)
def variants_have_job_type_field(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    config = plan.components.configuration
    names = {p.name for p in [*config.step_parameters, *config.sagemaker_parameters]}
    if plan.components.step_specification.job_type_variants and "job_type" not in names:
        yield (
            f"{CONFIG}.step_parameters",
            "job-type variants are planned but there is no 'job_type' config field; add step parameter 'job_type'",
        )


@_rule(
    "SPEC001",
    W,
    "With requirements given: every dependency (its name, keywords or source steps) is something the requirements mention. Remove dependencies nobody asked for, or say why in the requirements.",
)
def dependencies_requested(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    if not ctx.requirements or not ctx.requirements.strip():
        return
    asked, text = word_stems(ctx.requirements), ctx.requirements.lower()
    for i, dep in enumerate(plan.components.step_specification.dependencies):
        terms = (
            word_stems(dep.logical_name) | word_stems(" ".join(dep.semantic_keywords))
        ) - _GENERIC_STEMS
        sources = [s for s in dep.compatible_sources if s.lower() in text]
        if terms and not terms & asked and not sources:
            yield (
                f"{SPEC}.dependencies[{i}]",
                f"dependency {dep.logical_name!r} is not mentioned in the requirements; remove it unless the step needs it",
            )
