"""Wiring rules: do the planned upstream/downstream links resolve the way the real resolver would?

Link consistency with the plan's own spec needs nothing else; scoring against real producers and
consumers needs the user's codebase (without it those rules find nothing).
"""

from __future__ import annotations

from collections.abc import Iterator

from .._suggest import did_you_mean
from ..conventions import strip_job_suffix
from ..plan import DependencyPlan, ImplementationPlan, OutputPlan, Severity
from ._codebase import StepInfo
from ._core import CheckContext, Finding, family_rule
from ._resolver import THRESHOLD, candidate_pool, rank_candidates, score

_rule = family_rule("wiring")
E, W = Severity.ERROR, Severity.WARNING


def _dependency(plan: ImplementationPlan, name: str) -> DependencyPlan | None:
    return next(
        (d for d in plan.components.step_specification.dependencies if d.logical_name == name), None
    )


def _output(plan: ImplementationPlan, name: str) -> OutputPlan | None:
    return next(
        (o for o in plan.components.step_specification.outputs if o.logical_name == name), None
    )


def _step(ctx: CheckContext, name: str) -> StepInfo | None:
    canonical = ctx.canonical_step(name)
    return ctx.codebase.find_step(canonical) if ctx.codebase is not None and canonical else None


def _producer_outputs(step: StepInfo, link_step: str) -> list[tuple[str, OutputPlan]]:
    """(step_type, output) of the producer; a variant link (``X_Training``) uses that variant's spec."""
    variant = [s for s in step.specs if s.step_type.lower() == link_step.replace("-", "_").lower()]
    return [(s.step_type, o) for s in variant or step.specs for o in s.outputs]


@_rule(
    "WIRE001",
    E,
    "Each upstream link names a dependency the spec declares. Use one of the spec's dependency names.",
)
def upstream_dependency_declared(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    names = [d.logical_name for d in plan.components.step_specification.dependencies]
    for i, link in enumerate(plan.integration.upstream_steps):
        if link.dependency and link.dependency not in names:
            yield (
                f"integration.upstream_steps[{i}].dependency",
                f"{link.dependency!r} is not a dependency of this step{did_you_mean(link.dependency, names)}; use one of {names}",
            )


@_rule(
    "WIRE002",
    E,
    "With a codebase: the upstream step has outputs, including the one the link names (by logical name or alias). Use one of the producer's outputs.",
)
def upstream_output_exists(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for i, link in enumerate(plan.integration.upstream_steps):
        step = _step(ctx, link.step)
        if step is None or not step.specs:
            continue  # Unknown step (REG009) or no specification to compare with.
        outputs = [o for _, o in _producer_outputs(step, link.step)]
        if not outputs:
            yield (
                f"integration.upstream_steps[{i}].step",
                f"{step.name} has no outputs; it cannot feed a dependency",
            )
        elif link.output and not any(link.output in (o.logical_name, *o.aliases) for o in outputs):
            names = sorted({o.logical_name for o in outputs})
            yield (
                f"integration.upstream_steps[{i}].output",
                f"{step.name} has no output {link.output!r}{did_you_mean(link.output, names)}; its outputs: {names}",
            )


def _upstream_scores(
    plan: ImplementationPlan, ctx: CheckContext
) -> Iterator[tuple[int, DependencyPlan, StepInfo, list[tuple[str, OutputPlan]]]]:
    """Each upstream link whose dependency and producer are known, with the intended outputs."""
    for i, link in enumerate(plan.integration.upstream_steps):
        dep, step = _dependency(plan, link.dependency), _step(ctx, link.step)
        if dep is None or step is None:
            continue
        outputs = _producer_outputs(step, link.step)
        named = [(t, o) for t, o in outputs if link.output in (o.logical_name, *o.aliases)]
        if outputs and (named or not link.output):  # Otherwise WIRE002 reports the link.
            yield i, dep, step, named or outputs


@_rule(
    "WIRE003",
    E,
    "With a codebase: the named upstream output satisfies the dependency (resolver score above 0.5; types compatible). Change the dependency's type, name or keywords, or link another output.",
)
def upstream_link_resolves(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for i, dep, step, outputs in _upstream_scores(plan, ctx):
        best = max((score(dep, o, t) for t, o in outputs), key=lambda s: s.total)
        if best.total <= THRESHOLD:
            why = "the types are incompatible" if not best.compatible else f"score {best.explain()}"
            yield (
                f"integration.upstream_steps[{i}]",
                f"{step.name} cannot satisfy dependency {dep.logical_name!r}: {why} (needs > {THRESHOLD}); "
                "match the producer's output type and name, or list it in compatible_sources",
            )


@_rule(
    "WIRE004",
    W,
    "With a codebase: the intended producer ranks first for the dependency (the resolver picks the best score). Add the producer to compatible_sources, use its output name as the dependency name, or add keywords.",
)
def upstream_producer_ranks_first(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    if ctx.codebase is None:
        return
    own = (plan.step_name, plan.components.step_specification.step_type)
    others = candidate_pool(ctx.codebase.producers(), *own)  # other job variants compete too
    for i, dep, step, outputs in _upstream_scores(plan, ctx):
        intended = max(score(dep, o, t).total for t, o in outputs)
        ranked = rank_candidates(dep, others)
        top = ranked[0] if ranked else None
        if (
            top
            and intended > THRESHOLD
            and strip_job_suffix(top.producer) != step.name
            and top.score > intended
        ):
            yield (
                f"integration.upstream_steps[{i}]",
                f"{top.producer}.{top.output.logical_name} ({top.score:.2f}) outranks {step.name} "
                f"({intended:.2f}) for {dep.logical_name!r}; name the dependency after {step.name}'s output "
                f"or make compatible_sources name only {step.name}",
            )


@_rule(
    "WIRE005",
    E,
    "Each downstream link names one of the spec's outputs. Use one of the spec's output names.",
)
def downstream_output_declared(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    names = [o.logical_name for o in plan.components.step_specification.outputs]
    for i, link in enumerate(plan.integration.downstream_steps):
        if link.output and link.output not in names:
            yield (
                f"integration.downstream_steps[{i}].output",
                f"{link.output!r} is not an output of this step{did_you_mean(link.output, names)}; use one of {names}",
            )


@_rule(
    "WIRE006",
    E,
    "With a codebase: the downstream step declares the dependency the link names. Use a dependency name the consumer declares.",
)
def downstream_dependency_declared(
    plan: ImplementationPlan, ctx: CheckContext
) -> Iterator[Finding]:
    for i, link in enumerate(plan.integration.downstream_steps):
        step = _step(ctx, link.step)
        if step is None or not link.dependency:
            continue
        names = [d.logical_name for d in step.dependencies()]
        if link.dependency not in names:
            yield (
                f"integration.downstream_steps[{i}].dependency",
                f"{step.name} declares no dependency {link.dependency!r}{did_you_mean(link.dependency, names)}; its dependencies: {names}",
            )


@_rule(
    "WIRE007",
    E,
    "With a codebase: our output satisfies the consumer's dependency (resolver score above 0.5; types compatible). Match the consumer's type, and name the output (or an alias) as the consumer asks.",
)
def downstream_link_resolves(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for i, link in enumerate(plan.integration.downstream_steps):
        step, output = _step(ctx, link.step), _output(plan, link.output)
        dep = (
            next((d for d in step.dependencies() if d.logical_name == link.dependency), None)
            if step
            else None
        )
        if dep is None or output is None:
            continue
        result = score(dep, output, plan.step_name)
        if result.total <= THRESHOLD:
            why = (
                f"{output.output_type.value} cannot satisfy {dep.dependency_type.value}"
                if not result.compatible
                else f"score {result.explain()}"
            )
            yield (
                f"integration.downstream_steps[{i}]",
                f"output {output.logical_name!r} does not satisfy {link.step}.{dep.logical_name}: {why} "
                f"(needs > {THRESHOLD}); use output type {dep.dependency_type.value!r} and add alias {dep.logical_name!r}",
            )
