"""Alignment rules: contract vs specification names, aliases, files to update, config fields."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from .._suggest import did_you_mean
from ..conventions import TRAINING_CONFIG_FIELDS, TRAINING_LIKE, allowed_config_fields
from ..plan import ImplementationPlan, SageMakerStepType, Severity
from ._codebase import CodebaseIndex
from ._core import (
    CONFIG,
    CONTRACT,
    SCRIPT,
    SPEC,
    CheckContext,
    Finding,
    env_var_paths,
    family_rule,
)
from ._policy import exports_needed

_rule = family_rule("alignment")
E = Severity.ERROR
W = Severity.WARNING
# Fields later releases of the framework added to the base config (the reference predates them).
LATER_BASE_FIELDS = frozenset(
    {"enable_caching", "use_secure_pypi", "max_runtime_seconds", "project_root_folder"}
)


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


_REGISTRY_FILE = re.compile(r"(^|/)(step_names\w*|registry\w*)\.py$")


@_rule(
    "ALIGN005",
    E,
    "A plan that lists files to update lists the registry file (a step missing from STEP_NAMES is never found): the codebase's, else any `step_names*.py`. Add it.",
)
def registry_file_updated(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    listed = {f.removeprefix("./") for f in plan.files_to_update}
    if not listed:
        return  # The plan states no files at all (an imported plan without the section).
    registry = ctx.layout.registry_file
    if ctx.codebase is not None:
        found = registry in listed
    else:  # The reference layout is only typical: any registry file shows the intent.
        found = any(_REGISTRY_FILE.search(f) for f in listed)
    if not found:
        yield "files_to_update", f"add the registry file {registry!r} to files_to_update"


@_rule(
    "ALIGN006",
    W,
    "files_to_update lists the `__init__.py` of each component package that exports steps (configs and builders, specs, contracts; as the layout has them); with a codebase, only those that exist and import something. Add the missing files.",
)
def init_files_updated(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    listed = {f.removeprefix("./") for f in plan.files_to_update}
    inits = [f for f in ctx.layout.standard_updates() if f.endswith("__init__.py")]
    missing = [f for f in exports_needed(ctx.codebase, inits) if f not in listed]
    if missing:
        yield "files_to_update", f"add {', '.join(repr(m) for m in missing)} to files_to_update"


def base_fields(
    base_class: str, step_type: SageMakerStepType | None, codebase: CodebaseIndex | None
) -> tuple[frozenset[str], str]:
    """The fields a config inherits from ``base_class``, and where they were found (for
    messages): the codebase's own class chain when it defines one (its release is the evidence),
    else the reference's, with the fields later releases added (the reference cannot say which
    release is used). CONF001, CONF002 and the REPAIR007 repair share it, so a repair never
    keeps what a check then rejects."""
    defined = codebase.fields_of(base_class) if codebase is not None else None
    if defined is not None:
        training = TRAINING_CONFIG_FIELDS if step_type in TRAINING_LIKE else frozenset()
        return defined | training, " in the codebase"
    return allowed_config_fields(base_class, step_type) | LATER_BASE_FIELDS, ""


def _fields(plan: ImplementationPlan, ctx: CheckContext) -> set[str]:
    """The config fields the plan's config has: its own and those of its base class."""
    config = plan.components.configuration
    step_type = plan.registry_entry.sagemaker_step_type
    inherited, _ = base_fields(config.base_class, step_type, ctx.codebase)
    own = {p.name for p in [*config.step_parameters, *config.sagemaker_parameters]}
    return own | inherited


@_rule(
    "CONF001",
    E,
    "An env var's stated source `config.<field>` names a config field the plan has (its own or the base class's), for an env var of the contract. Add the field to step_parameters or fix the source; write `builder` when the builder or the execution context sets it.",
)
def env_var_sources_exist(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    sources, fields = plan.components.script_contract.env_var_sources, _fields(plan, ctx)
    env = [n for _, n in env_var_paths(plan)]
    for name, source in sources.items():
        path = f"{CONTRACT}.env_var_sources.{name}"
        text = source.strip()
        if name not in env:
            yield path, f"{name!r} is not an env var of the contract{did_you_mean(name, env)}"
        elif text.lower() == "builder":
            continue
        field = text.removeprefix("config.").split(".", 1)[0]
        if not text.startswith("config.") or not field:
            yield path, f"source {source!r} of {name!r}: write 'config.<field>' or 'builder'"
        elif field not in fields:
            yield (
                path,
                f"{name!r} is read from {text!r} but the config has no field {field!r}"
                f"{did_you_mean(field, fields)}; add step parameter {field!r} or fix the source",
            )


@_rule(
    "CONF003",
    W,
    "An env var without a stated source has a config field named like it (`LABEL_FIELD` -> `label_field`), which the base builder reads. Add the field, or state the source (`config.<field>` or `builder`).",
)
def env_vars_have_config_fields(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    sources, fields = plan.components.script_contract.env_var_sources, _fields(plan, ctx)
    required = plan.components.script_contract.required_env_vars
    for i, name in enumerate(required):
        if name in sources or name.lower() in fields:
            continue
        yield (
            f"{CONTRACT}.required_env_vars[{i}]",
            f"required env var {name!r} has no config field {name.lower()!r}; add it, or state "
            "its source ('config.<field>' or 'builder')",
        )


@_rule(
    "CONF002",
    E,
    "SageMaker parameters are fields of the base config class (e.g. `processing_instance_type_large`; there is no `instance_type` or `processing_instance_type`). Use a listed field or move the setting to step_parameters.",
)
def sagemaker_parameters_exist(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    config = plan.components.configuration
    step_type = plan.registry_entry.sagemaker_step_type
    allowed, where = base_fields(config.base_class, step_type, ctx.codebase)
    for i, param in enumerate(config.sagemaker_parameters):
        if param.name not in allowed:
            hint = (
                did_you_mean(param.name, allowed)
                or f"; fields of {config.base_class}: {', '.join(sorted(allowed))}"
            )
            yield (
                f"{CONFIG}.sagemaker_parameters[{i}].name",
                f"{param.name!r} is not a field of {config.base_class}{where}{hint}; "
                "use an existing field or make it a step parameter",
            )


_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:[-_][a-z0-9]+)*)")


@_rule(
    "ARG001",
    E,
    "Contract argument keys carry no leading dashes (`include-examples`, not `--include-examples`): the builder writes `--<key>` itself. Drop the dashes.",
)
def argument_keys_without_dashes(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for name in plan.components.script_contract.expected_arguments:
        if name.startswith("-"):
            yield (
                f"{CONTRACT}.expected_arguments.{name}",
                f"argument key {name!r} starts with '-'; the builder adds '--', so use {name.lstrip('-')!r}",
            )


@_rule(
    "ARG002",
    E,
    "Every command-line flag a processing script plan uses (`--job-type` in its algorithm or main functions) is an argument the contract declares (the builder passes only those). Add it to expected_arguments, or drop it from the script.",
)
def script_flags_declared(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    if plan.registry_entry.sagemaker_step_type in TRAINING_LIKE:
        return  # SageMaker passes a training script its hyperparameters as flags, too.
    declared = {k.lstrip("-") for k in plan.components.script_contract.expected_arguments}
    script = plan.components.processing_script
    texts = [("algorithm", script.algorithm)]
    texts += [(f"main_functions[{i}]", t) for i, t in enumerate(script.main_functions)]
    seen: set[str] = set()
    for where, text in texts:
        for flag in _FLAG.findall(text):
            if flag not in declared and flag not in seen and flag != "help":
                seen.add(flag)
                yield (
                    f"{SCRIPT}.{where}",
                    f"the script uses '--{flag}' but the contract declares no argument {flag!r}"
                    f"{did_you_mean(flag, declared)}; add {flag!r} to expected_arguments",
                )
