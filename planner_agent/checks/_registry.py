"""Registry rules: the plan's STEP_NAMES entry, and every step name the plan refers to."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..conventions import (
    LEGACY_ALIASES,
    PROCESSING_LIKE,
    TRAINING_INPUT_PREFIXES,
    TRAINING_OUTPUT_PREFIXES,
    strip_job_suffix,
)
from ..plan import ImplementationPlan, SageMakerStepType, Severity
from ._core import (
    BUILDER,
    CONTRACT,
    REGISTRY,
    SPEC,
    CheckContext,
    Finding,
    family_rule,
)
from ._policy import builder_era_suffix, near_miss, widely_used_sources

_rule = family_rule("registry")
E, W = Severity.ERROR, Severity.WARNING
ST = SageMakerStepType

# SageMaker step classes a builder may mention, by the step type they imply.
_STEP_CLASSES = {
    "ProcessingStep": PROCESSING_LIKE,
    "TrainingStep": frozenset({ST.TRAINING}),
    "TransformStep": frozenset({ST.TRANSFORM}),
    "CreateModelStep": frozenset({ST.CREATE_MODEL}),
}
_GENERIC = re.compile(r"\s|^(any|all|other|some|e\.g|etc)\b|\*", re.IGNORECASE)


def _is_label(name: str) -> bool:
    """A description (``any preprocessing step``) or a SageMaker class (``ProcessingStep``)."""
    return bool(_GENERIC.search(name)) or name in _STEP_CLASSES


def _expect(plan: ImplementationPlan, field: str, actual: str, expected: str) -> Iterator[Finding]:
    if actual != expected:
        yield (
            f"{REGISTRY}.{field}",
            f"{field} is {actual!r}; for step {plan.step_name!r} use {expected!r}",
        )


@_rule("REG001", E, "The registry entry's key is the plan's step name. Use the step name.")
def entry_step_name(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    yield from _expect(plan, "step_name", plan.registry_entry.step_name, plan.step_name)


@_rule(
    "REG002",
    E,
    "The registry entry's config_class is the plan's config class (the framework loads the class by that name). Use the config class name.",
)
def entry_config_class(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    yield from _expect(
        plan,
        "config_class",
        plan.registry_entry.config_class,
        plan.components.configuration.class_name,
    )


@_rule(
    "REG003",
    E,
    "The registry entry's builder_step_name names the plan's builder class (`<StepName>StepBuilder`); in an older codebase whose registry writes `<StepName>Step`, that form is accepted too. Use the name given in the message.",
)
def entry_builder_name(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    builder = plan.components.step_builder.class_name
    stated = plan.registry_entry.builder_step_name
    older = builder_era_suffix(ctx.codebase) == "Step" and builder.endswith("StepBuilder")
    if older and stated == builder.removesuffix("Builder"):
        return  # Older registries name the step, not the class (the class form is what they
        # moved to: the public repository's next registered step used it).
    yield from _expect(plan, "builder_step_name", stated, builder)


@_rule("REG004", E, "The registry entry's spec_type equals the step name. Use the step name.")
def entry_spec_type(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    yield from _expect(plan, "spec_type", plan.registry_entry.spec_type, plan.step_name)


def _path_kind(plan: ImplementationPlan) -> ST | None:
    """Training or Processing when every contract path of either layout has that one, else None.

    Paths of neither layout say nothing: ``/opt/ml/code/...`` (the source folder, which both
    kinds of job have) or a path PATH001 reports.
    """
    contract = plan.components.script_contract
    paths = [p.container_path for p in [*contract.input_paths, *contract.output_paths]]
    training = (*TRAINING_INPUT_PREFIXES, *TRAINING_OUTPUT_PREFIXES)
    kinds = {
        ST.PROCESSING if p.startswith("/opt/ml/processing/") else ST.TRAINING
        for p in paths
        if p.startswith(("/opt/ml/processing/", *training))
    }
    return kinds.pop() if len(kinds) == 1 else None


@_rule(
    "REG005",
    E,
    "With a codebase whose registry states step types, the registry entry has a sagemaker_step_type (Processing, Training, ...). Add the type given in the message.",
)
def entry_has_step_type(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    if plan.registry_entry.sagemaker_step_type is not None or ctx.codebase is None:
        return  # Without a codebase: REG014, a warning.
    if ctx.codebase.registry and not ctx.codebase.has_step_types:
        return  # The user's registry predates the field; the plan follows it.
    if ctx.revision and ctx.codebase.registry.get(plan.step_name) is not None:
        return  # A revision keeps the step's entry, which states the type.
    yield (
        f"{REGISTRY}.sagemaker_step_type",
        f"add sagemaker_step_type to the registry entry{_kind_hint(plan)}",
    )


@_rule(
    "REG014",
    W,
    "Without a codebase, a registry entry without sagemaker_step_type is reported as a warning: current registries require the field, older ones have none. Add the type given in the message, or pass --codebase to check against your registry.",
)
def entry_step_type_unverified(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    if plan.registry_entry.sagemaker_step_type is None and ctx.codebase is None:
        yield (
            f"{REGISTRY}.sagemaker_step_type",
            f"the registry entry has no sagemaker_step_type{_kind_hint(plan)}; current "
            "registries require it (older ones have none: pass --codebase to verify)",
        )


def _kind_hint(plan: ImplementationPlan) -> str:
    kind = _path_kind(plan)
    return f"; the container paths say {kind.value!r}" if kind else ""


@_rule(
    "REG006",
    E,
    "sagemaker_step_type matches the container paths: Processing-like steps use `/opt/ml/processing/...`, Training steps `/opt/ml/input/...`, `/opt/ml/model`, `/opt/ml/output/data`. Fix the type or the paths.",
)
def step_type_matches_paths(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    declared, kind = plan.registry_entry.sagemaker_step_type, _path_kind(plan)
    mismatch = (declared in PROCESSING_LIKE and kind is ST.TRAINING) or (
        declared is ST.TRAINING and kind is ST.PROCESSING
    )
    if declared is not None and kind is not None and mismatch:
        yield (
            f"{REGISTRY}.sagemaker_step_type",
            f"sagemaker_step_type is {declared.value!r} but every container path in "
            f"{CONTRACT} is a {kind.value} path; set it to {kind.value!r} or move the paths",
        )


@_rule(
    "REG007",
    W,
    "The builder's special handling names a SageMaker step class (ProcessingStep, TrainingStep, ...) that matches sagemaker_step_type. Align the builder or the type.",
)
def step_type_matches_builder(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    declared = plan.registry_entry.sagemaker_step_type
    if declared is None:
        return
    for i, text in enumerate(plan.components.step_builder.special_handling):
        for cls, types in _STEP_CLASSES.items():
            if re.search(rf"\b{cls}\b", text) and declared not in types:
                yield (
                    f"{BUILDER}.special_handling[{i}]",
                    f"mentions {cls} but sagemaker_step_type is {declared.value!r}; use the step class of that type",
                )


@_rule(
    "REG008",
    E,
    "A new step's name is not already taken in the codebase's registry (also ignoring case). Choose another name, or extend the existing step (a plan that changes a step is checked as a revision: IMPORT008).",
)
def name_not_taken(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    if ctx.codebase is None or ctx.revision:
        return  # The default registry is only typical; collisions need the user's registry.
    taken = [n for n in ctx.codebase.registry if n.lower() == plan.step_name.lower()]
    if taken:
        yield (
            "step_name",
            f"step {taken[0]!r} already exists in {ctx.codebase.layout.registry_file}; choose a new name",
        )


def _references(plan: ImplementationPlan) -> Iterator[tuple[str, str, bool]]:
    """Every (path, step name, is a compatible source) the plan refers to."""
    for i, dep in enumerate(plan.components.step_specification.dependencies):
        for j, source in enumerate(dep.compatible_sources):
            yield f"{SPEC}.dependencies[{i}].compatible_sources[{j}]", source, True
    for i, up in enumerate(plan.integration.upstream_steps):
        yield f"integration.upstream_steps[{i}].step", up.step, False
    for i, down in enumerate(plan.integration.downstream_steps):
        yield f"integration.downstream_steps[{i}].step", down.step, False


def _unresolved(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[tuple[str, str, bool]]:
    """References to names the registry does not hold (the codebase's own labels excepted)."""
    own = plan.step_name
    labels = widely_used_sources(ctx.codebase) if ctx.codebase is not None else frozenset()
    for path, name, is_source in _references(plan):
        if is_source and name in labels:
            continue  # The codebase's specs use this label widely: its convention wins.
        if strip_job_suffix(name) != own and strip_job_suffix(name) not in ctx.registry:
            yield path, name, is_source


_CLASS_SUFFIX = re.compile(
    r"(?:StepBuilder|Builder|StepSpecification|Specification|Spec|Contract|Config)$"
)


def _misspelt(name: str, ctx: CheckContext) -> str | None:
    """The registry name ``name`` misspells, also when written as a class name."""
    base = strip_job_suffix(name)
    bare = _CLASS_SUFFIX.sub("", base) or base
    # A bare `Step` suffix counts only with a misspelling: `ProcessingStep` is a common label.
    stepless = base.removesuffix("Step") or base
    for candidate in dict.fromkeys((base, bare, stepless)):
        hit = near_miss(candidate, ctx.registry)
        if hit is not None and not (candidate == stepless != base and hit == candidate):
            return hit
    return None


def _classified(
    plan: ImplementationPlan, ctx: CheckContext
) -> Iterator[tuple[str, str, bool, str | None]]:
    """Unknown references that are neither labels nor legacy names, with the name they misspell."""
    for path, name, is_source in _unresolved(plan, ctx):
        if _is_label(name) or strip_job_suffix(name) in LEGACY_ALIASES:
            continue  # REG010 / REG011 report these.
        yield path, name, is_source, _misspelt(name, ctx)


def _known(ctx: CheckContext) -> str:
    names = sorted(ctx.registry)
    return ", ".join(names) if len(names) <= 30 else f"{len(names)} steps in the registry"


@_rule(
    "REG009",
    E,
    "A step name is a near-miss of a registry name (case or spelling: `XgboostTraining`, `TabularPreprocesing`), or, with a codebase, an upstream/downstream step is not in its registry (job variants like `X_Training` resolve to `X`). Use the registry name.",
)
def references_exist(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for path, name, is_source, meant in _classified(plan, ctx):
        if meant is not None:
            yield path, f"step {name!r} is not in the registry; did you mean {meant!r}?"
        elif ctx.codebase is not None and not is_source:
            yield path, f"step {name!r} is not in the codebase's registry; known: {_known(ctx)}"


@_rule(
    "REG012",
    W,
    "A step name the registry does not know: without a codebase the built-in reference registry is small (pass --codebase to verify); with one, an unknown compatible source only never matches. Check the name.",
)
def references_unverified(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for path, name, is_source, meant in _classified(plan, ctx):
        if meant is not None:
            continue  # REG009 names the step meant.
        if ctx.codebase is None:
            yield path, f"step {name!r} is not in the reference registry; pass --codebase to verify"
        elif is_source:
            yield (
                path,
                f"compatible source {name!r} is not in the codebase's registry, so it never "
                f"matches a producer; known: {_known(ctx)}",
            )


@_rule(
    "REG013",
    W,
    "compatible_sources name base steps (`TabularPreprocessing`): the resolver compares them literally with the producer's step type without its job suffix, so `TabularPreprocessing_Training` never matches. Drop the suffix.",
)
def sources_without_job_suffix(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for path, name, is_source in _references(plan):
        base = strip_job_suffix(name)
        if is_source and base != name and not _GENERIC.search(name):
            yield (
                path,
                f"{name!r} carries a job suffix; the resolver compares compatible_sources "
                f"literally with base step types, so use {base!r}",
            )


@_rule(
    "REG010",
    W,
    "Legacy step names (`MIMSPackaging`, `MIMSPayload`, `ModelRegistration`) are aliases; use the canonical name (`Package`, `Payload`, `Registration`).",
)
def legacy_names(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for path, name, _ in _unresolved(plan, ctx):
        canonical = LEGACY_ALIASES.get(strip_job_suffix(name))
        if canonical and not _GENERIC.search(name):
            yield path, f"{name!r} is a legacy name; use {canonical!r}"


@_rule(
    "REG011",
    W,
    "Step lists name concrete registry steps, not labels like `any preprocessing step` or SageMaker classes like `ProcessingStep`. Replace the label with the registry names of the steps meant.",
)
def generic_labels(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for path, name, _ in _unresolved(plan, ctx):
        if name in _STEP_CLASSES:
            yield path, f"{name!r} is a SageMaker step class, not a step; list registry step names"
        elif _GENERIC.search(name):
            yield path, f"{name!r} is a label, not a step; list registry step names instead"
