"""Naming rules: step, class, logical, env-var and argument names, file paths, entry point."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..conventions import (
    LOGICAL_NAME,
    PASCAL_CASE,
    SNAKE_CASE,
    UPPER_SNAKE_CASE,
    builder_class_name,
    config_class_name,
    snake_case,
)
from ..plan import ImplementationPlan, Severity
from ._core import (
    BUILDER,
    CONFIG,
    CONTRACT,
    SCRIPT,
    SPEC,
    CheckContext,
    Finding,
    env_var_paths,
    family_rule,
)

_rule = family_rule("naming")
E, W = Severity.ERROR, Severity.WARNING
# SageMaker's pattern for environment keys (CreateProcessingJob / CreateTrainingJob `Environment`).
ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What the contract's validator accepts as an argument key: lower case, digits and dashes.
ARGUMENT_KEY = re.compile(r"^[a-z0-9-]+$")


def _pascal(name: str) -> str:
    """A best-effort PascalCase spelling of ``name`` for the fix suggestion."""
    parts = re.split(r"[^A-Za-z0-9]+", name)
    return "".join(p[:1].upper() + p[1:] for p in parts if p)


@_rule(
    "NAME001",
    E,
    "The step name is PascalCase (`^[A-Z][A-Za-z0-9]*$`); it is also the registry key and spec_type. Rename, e.g. `model_calibration` -> `ModelCalibration`.",
)
def step_name_pascal_case(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    if not PASCAL_CASE.match(plan.step_name):
        yield (
            "step_name",
            f"step name {plan.step_name!r} is not PascalCase; use {_pascal(plan.step_name)!r}",
        )


@_rule(
    "NAME002",
    E,
    "The config class name ends in `Config` (the framework discovers config classes by that suffix). Rename, e.g. `<StepName>Config`.",
)
def config_class_suffix(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    name = plan.components.configuration.class_name
    if not name.endswith("Config"):
        yield (
            f"{CONFIG}.class_name",
            f"config class {name!r} does not end in 'Config'; use {config_class_name(plan.step_name)!r}",
        )


@_rule(
    "NAME011",
    W,
    "By convention the config class is `<StepName>Config` (real exceptions exist, e.g. `BatchTransformStepConfig`). Prefer the expected name.",
)
def config_class_follows_step_name(
    plan: ImplementationPlan, ctx: CheckContext
) -> Iterator[Finding]:
    name, expected = plan.components.configuration.class_name, config_class_name(plan.step_name)
    if name != expected and name.endswith("Config"):
        yield f"{CONFIG}.class_name", f"config class {name!r}: prefer {expected!r}"


@_rule(
    "NAME003",
    E,
    "The builder class name ends in `StepBuilder` (a common mistake is `<StepName>Step`). Rename the class, e.g. `<StepName>StepBuilder`.",
)
def builder_class_suffix(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    name, expected = plan.components.step_builder.class_name, builder_class_name(plan.step_name)
    if not name.endswith("StepBuilder"):
        why = "builders end in 'StepBuilder', not 'Step'; " if name.endswith("Step") else ""
        yield f"{BUILDER}.class_name", f"builder class {name!r}: {why}use {expected!r}"


@_rule(
    "NAME012",
    W,
    "By convention the builder class is `<StepName>StepBuilder`. Prefer the expected name.",
)
def builder_class_follows_step_name(
    plan: ImplementationPlan, ctx: CheckContext
) -> Iterator[Finding]:
    name, expected = plan.components.step_builder.class_name, builder_class_name(plan.step_name)
    if name != expected and name.endswith("StepBuilder"):
        yield f"{BUILDER}.class_name", f"builder class {name!r}: prefer {expected!r}"


@_rule(
    "NAME004",
    E,
    "Logical names and aliases use only letters, digits, `_` and `-`. Rename, e.g. `model data` -> `model_data`.",
)
def logical_name_characters(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    spec, contract = plan.components.step_specification, plan.components.script_contract
    named = [
        (f"{SPEC}.dependencies[{i}].logical_name", d.logical_name)
        for i, d in enumerate(spec.dependencies)
    ]
    for i, o in enumerate(spec.outputs):
        named.append((f"{SPEC}.outputs[{i}].logical_name", o.logical_name))
        named += [(f"{SPEC}.outputs[{i}].aliases[{j}]", a) for j, a in enumerate(o.aliases)]
    for label, paths in (
        ("input_paths", contract.input_paths),
        ("output_paths", contract.output_paths),
    ):
        named += [
            (f"{CONTRACT}.{label}[{i}].logical_name", p.logical_name) for i, p in enumerate(paths)
        ]
    for path, name in named:
        if not LOGICAL_NAME.match(name):
            yield path, f"logical name {name!r} has invalid characters; use {snake_case(name)!r}"


@_rule(
    "NAME005",
    W,
    "Logical names of dependencies and outputs are snake_case (legacy upper-case names exist in older code). Prefer the snake_case spelling given in the message.",
)
def logical_name_snake_case(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    spec = plan.components.step_specification
    kinds = (("dependencies", spec.dependencies), ("outputs", spec.outputs))
    for kind, items in kinds:
        for i, name in enumerate(item.logical_name for item in items):
            if LOGICAL_NAME.match(name) and not SNAKE_CASE.match(name):
                yield (
                    f"{SPEC}.{kind}[{i}].logical_name",
                    f"logical name {name!r} is not snake_case; prefer {snake_case(name)!r}",
                )


@_rule(
    "NAME006",
    E,
    "Environment variable names are valid SageMaker environment keys (`[A-Za-z_][A-Za-z0-9_]*`). Rename, e.g. `label-field` -> `LABEL_FIELD`.",
)
def env_var_valid_key(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for path, name in env_var_paths(plan):
        if not ENV_KEY.match(name):
            yield (
                path,
                f"environment variable {name!r} is not a valid environment key; use {snake_case(name).upper()!r}",
            )


@_rule(
    "NAME013",
    W,
    "By convention environment variables are UPPER_SNAKE_CASE. Rename, e.g. `labelField` -> `LABEL_FIELD`.",
)
def env_var_upper_snake(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for path, name in env_var_paths(plan):
        if ENV_KEY.match(name) and not UPPER_SNAKE_CASE.match(name):
            yield (
                path,
                f"environment variable {name!r} is not UPPER_SNAKE_CASE; prefer {snake_case(name).upper()!r}",
            )


@_rule(
    "NAME007",
    E,
    "Script argument keys in the contract use only lower-case letters, digits and `-` (the contract's validator rejects others). Rename, e.g. `job_type` -> `job-type`.",
)
def argument_kebab_case(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for name in plan.components.script_contract.expected_arguments:
        bare = name.lstrip("-")  # ARG001 reports leading dashes.
        if bare and not ARGUMENT_KEY.match(bare):
            expected = snake_case(bare).replace("_", "-")
            yield (
                f"{CONTRACT}.expected_arguments.{name}",
                f"argument {name!r} is not kebab-case; use {expected!r}",
            )


@_rule(
    "NAME008",
    W,
    "Component file paths follow the layout: `<contracts>/<name>_contract.py`, `<specs>/<name>_spec.py`, `<configs>/config_<name>_step.py` (or `config_<name>.py`), `<builders>/builder_<name>_step.py` (or `builder_<name>.py`), `<scripts>/<entry_point>`. Use the path given in the message.",
)
def file_paths_follow_layout(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    layout, name, c = ctx.layout, snake_case(plan.step_name), plan.components
    entry = c.script_contract.entry_point.rsplit("/", 1)[-1]
    script = f"{layout.scripts_dir}/{entry}" if entry.endswith(".py") else layout.script_file(name)
    expected = {
        f"{CONTRACT}.file_path": (c.script_contract.file_path, [layout.contract_file(name)]),
        f"{SPEC}.file_path": (c.step_specification.file_path, [layout.spec_file(name)]),
        f"{CONFIG}.file_path": (
            c.configuration.file_path,
            [layout.config_file(name), f"{layout.configs_dir}/config_{name}.py"],
        ),
        f"{BUILDER}.file_path": (
            c.step_builder.file_path,
            [layout.builder_file(name), f"{layout.builders_dir}/builder_{name}.py"],
        ),
        f"{SCRIPT}.file_path": (c.processing_script.file_path, [script]),
    }
    for path, (actual, allowed) in expected.items():
        if actual and actual.removeprefix("./") not in allowed:
            yield path, f"file {actual!r} does not follow the layout; use {allowed[0]!r}"


@_rule(
    "NAME009",
    E,
    "The contract's entry_point is the script file name ending in `.py`. Add the extension, e.g. `model_calibration.py`.",
)
def entry_point_is_python(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    entry = plan.components.script_contract.entry_point
    if not entry.endswith(".py"):
        yield (
            f"{CONTRACT}.entry_point",
            f"entry_point {entry!r} must end in '.py'; use {snake_case(plan.step_name) + '.py'!r}",
        )


@_rule(
    "NAME010",
    E,
    "The specification's step_type equals the step name (variants add `_<Jobtype>` in code, not in the plan). Set it to the step name.",
)
def spec_step_type_is_step_name(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    step_type = plan.components.step_specification.step_type
    if step_type != plan.step_name:
        yield (
            f"{SPEC}.step_type",
            f"step_type {step_type!r} differs from the step name; use {plan.step_name!r}",
        )
