"""Alignment rules: contract vs specification names, aliases, files to update, config fields."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from .._suggest import did_you_mean
from ..conventions import allowed_config_fields
from ..plan import ImplementationPlan, Severity
from ._core import CONFIG, CONTRACT, SPEC, CheckContext, Finding, family_rule

_rule = family_rule("alignment")
E = Severity.ERROR


@_rule(
    "ALIGN001",
    E,
    "Every contract input name is a spec dependency name (else the builder fails at construction). Rename the input or add the dependency.",
)
def contract_inputs_are_dependencies(
    plan: ImplementationPlan, ctx: CheckContext
) -> Iterator[Finding]:
    names = [d.logical_name for d in plan.components.step_specification.dependencies]
    for i, path in enumerate(plan.components.script_contract.input_paths):
        if path.logical_name not in names:
            yield (
                f"{CONTRACT}.input_paths[{i}].logical_name",
                f"contract input {path.logical_name!r} is not a spec dependency"
                f"{did_you_mean(path.logical_name, names)}; rename it to one of {names} "
                f"or add a dependency {path.logical_name!r} to the specification",
            )


@_rule(
    "ALIGN002",
    E,
    "Every contract output name is a spec output name. Rename the output or add it to the specification.",
)
def contract_outputs_are_outputs(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    names = [o.logical_name for o in plan.components.step_specification.outputs]
    for i, path in enumerate(plan.components.script_contract.output_paths):
        if path.logical_name not in names:
            yield (
                f"{CONTRACT}.output_paths[{i}].logical_name",
                f"contract output {path.logical_name!r} is not a spec output"
                f"{did_you_mean(path.logical_name, names)}; rename it to one of {names} "
                f"or add an output {path.logical_name!r} to the specification",
            )


@_rule("ALIGN003", E, "An output's aliases differ from its own logical name. Remove the alias.")
def alias_not_logical_name(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for i, output in enumerate(plan.components.step_specification.outputs):
        for j, alias in enumerate(output.aliases):
            if alias == output.logical_name:
                yield (
                    f"{SPEC}.outputs[{i}].aliases[{j}]",
                    f"alias {alias!r} repeats the logical name; remove it",
                )


@_rule(
    "ALIGN004",
    E,
    "Aliases are unique: no alias is repeated or equals another output's name or alias. Remove or rename the duplicate.",
)
def aliases_unique(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    outputs = plan.components.step_specification.outputs
    counts = Counter(n for o in outputs for n in {o.logical_name, *o.aliases})
    repeated = Counter(a for o in outputs for a in o.aliases)
    for i, output in enumerate(outputs):
        for j, alias in enumerate(output.aliases):
            if alias != output.logical_name and (counts[alias] > 1 or repeated[alias] > 1):
                yield (
                    f"{SPEC}.outputs[{i}].aliases[{j}]",
                    f"alias {alias!r} is not unique among the outputs' names and aliases; remove or rename it",
                )


@_rule(
    "ALIGN005",
    E,
    "files_to_update lists the registry and the `__init__.py` of each component package (configs and builders, specs, contracts; as the layout has them). Add the missing files.",
)
def standard_files_updated(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    listed = {f.removeprefix("./") for f in plan.files_to_update}
    missing = [f for f in ctx.layout.standard_updates() if f not in listed]
    if missing:
        yield "files_to_update", f"add {', '.join(repr(m) for m in missing)} to files_to_update"


@_rule(
    "CONF001",
    E,
    "Each required env var `NAME` has a config field `name` (the builder reads it from the config). Add the field to step_parameters.",
)
def env_vars_have_config_fields(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    config = plan.components.configuration
    fields = {p.name for p in [*config.step_parameters, *config.sagemaker_parameters]}
    for i, name in enumerate(plan.components.script_contract.required_env_vars):
        if name.lower() not in fields:
            yield (
                f"{CONTRACT}.required_env_vars[{i}]",
                f"required env var {name!r} has no config field; add step parameter {name.lower()!r}",
            )


@_rule(
    "CONF002",
    E,
    "SageMaker parameters are fields of the base config class (e.g. `processing_instance_type_large`; there is no `instance_type`, `processing_instance_type` or `max_runtime_seconds`). Use a listed field or move the setting to step_parameters.",
)
def sagemaker_parameters_exist(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    config = plan.components.configuration
    allowed = allowed_config_fields(config.base_class, plan.registry_entry.sagemaker_step_type)
    for i, param in enumerate(config.sagemaker_parameters):
        if param.name not in allowed:
            hint = (
                did_you_mean(param.name, allowed)
                or f"; fields of {config.base_class}: {', '.join(sorted(allowed))}"
            )
            yield (
                f"{CONFIG}.sagemaker_parameters[{i}].name",
                f"{param.name!r} is not a field of {config.base_class}{hint}; "
                "use an existing field or make it a step parameter",
            )
