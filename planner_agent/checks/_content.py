"""Content rules: the plan's prose says something about this step, not the prompt's template.

A small model copies what it sees: a percentage from the resolver's scoring table as the
algorithm, a template sentence with its placeholders (``<StepName>``, contract variable
``NAME``) as special handling. Both read as filled and say nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..conventions import PROCESSING_LIKE, TRAINING_LIKE
from ..plan import ImplementationPlan, Severity
from ._core import BUILDER, SCRIPT, CheckContext, Finding, family_rule

_rule = family_rule("content")
E, W = Severity.ERROR, Severity.WARNING

_WORD = re.compile(r"[A-Za-z]{3,}")
SCRIPTED = PROCESSING_LIKE | TRAINING_LIKE
# The knowledge documents' own placeholders (<StepName>, <name>_<jobtype>, `NAME` / `name`);
# other angle-bracket words (`--job-type <job_type>`) are left alone.
_PLACEHOLDER = re.compile(
    r"<(?:StepName|Step|name|NAME|jobtype|JOBTYPE|Jobtype|SCRIPT_NAME|logical_name)>"
    r"|`(?:NAME|name)`"
)


@_rule(
    "TEXT001",
    E,
    "The processing script's algorithm says in words what the script computes, not a bare "
    "number, percentage or symbol (`40%`; steps that run no script of their own are exempt). "
    "Describe the computation.",
)
def algorithm_in_words(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    if plan.registry_entry.sagemaker_step_type not in SCRIPTED:
        return  # no script of ours runs (CreateModel, Transform...): "N/A" is an answer
    algorithm = plan.components.processing_script.algorithm.strip()
    if algorithm and not _WORD.search(algorithm):
        yield (
            f"{SCRIPT}.algorithm",
            f"algorithm {algorithm!r} does not describe a computation; say in a sentence what "
            "the script does with its inputs",
        )


def _texts(plan: ImplementationPlan) -> Iterator[tuple[str, str]]:
    overview = plan.overview
    yield "overview.purpose", overview.purpose
    yield "overview.position_in_pipeline", overview.position_in_pipeline
    for key in ("architectural_considerations", "design_principles_alignment"):
        for i, text in enumerate(getattr(overview, key)):
            yield f"overview.{key}[{i}]", text
    for i, text in enumerate(plan.components.step_builder.special_handling):
        yield f"{BUILDER}.special_handling[{i}]", text
    yield f"{SCRIPT}.algorithm", plan.components.processing_script.algorithm
    for i, text in enumerate(plan.integration.dag_updates):
        yield f"integration.dag_updates[{i}]", text
    yield "registry_entry.description", plan.registry_entry.description


@_rule(
    "TEXT002",
    W,
    "Plan text does not repeat a template placeholder of the knowledge documents "
    "(`<StepName>`, `<name>`, contract variable `NAME`). Write what applies to this step.",
)
def no_template_placeholders(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for path, text in _texts(plan):
        found = _PLACEHOLDER.search(text)
        if found:
            yield path, f"{found.group()} is a template placeholder; name this step's own values"
