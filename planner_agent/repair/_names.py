"""Name repairs: snake_case logical names, UPPER_SNAKE env vars, kebab-case script arguments,
and step names that miss a registry name by case, separators or one or two letters."""

from __future__ import annotations

import re
from typing import Any

from ..checks._policy import near_miss as misspelt
from ..conventions import (
    JOB_SUFFIX,
    KEBAB_CASE,
    LEGACY_ALIASES,
    SNAKE_CASE,
    UPPER_SNAKE_CASE,
    snake_case,
)
from ._core import CONTRACT, SPEC, Fixes, rename_in_texts, repair

__all__ = ["near_miss"]

# What a step name may carry where only the step belongs ('XGBoostModelEvalStepBuilder').
_CLASS_SUFFIX = re.compile(r"(?:StepBuilder|Builder|Specification|Spec|Contract|Config|Step)$")


@repair(
    "REPAIR001",
    "Logical names that are PascalCase, camelCase, kebab-case or have spaces were renamed to "
    "snake_case everywhere the plan uses them (contract, specification, property path, "
    "integration links, texts). Legacy UPPER_SNAKE names are kept. Disable to keep names as written.",
)
def snake_case_logical_names(fx: Fixes) -> None:
    for kind, spec_key, contract_key in (
        ("dependency", "dependencies", "input_paths"),
        ("output", "outputs", "output_paths"),
    ):
        items = fx.spec[spec_key]
        lists = [
            [i["logical_name"] for i in items],
            [i["logical_name"] for i in fx.contract[contract_key]],
        ]
        for old in dict.fromkeys(lists[0] + lists[1]):
            new = snake_case(old)
            if SNAKE_CASE.match(old) or UPPER_SNAKE_CASE.match(old) or not SNAKE_CASE.match(new):
                continue
            if any(old in names and new in names for names in lists):
                continue  # another item has that name already: not mechanical
            at = next((i for i, item in enumerate(items) if item["logical_name"] == old), None)
            where = f"{SPEC}.{spec_key}[{at}]" if at is not None else f"{CONTRACT}.{contract_key}"
            _rename(fx, kind, old, new)
            fx.report(
                f"{where}.logical_name", f"{kind} name", old, new, "logical names are snake_case"
            )


def _rename(fx: Fixes, kind: str, old: str, new: str) -> None:
    data, integration = fx.data, fx.data["integration"]
    output = kind == "output"
    for item in fx.spec["outputs" if output else "dependencies"]:
        if item["logical_name"] == old:
            item["logical_name"] = new
            if output:  # a processing path quotes the name
                for quote in "'\"":
                    path = item["property_path"]
                    item["property_path"] = path.replace(f"[{quote}{old}{quote}]", f"['{new}']")
    for item in fx.contract["output_paths" if output else "input_paths"]:
        if item["logical_name"] == old:
            item["logical_name"] = new
    links, key = (
        (integration["downstream_steps"], "output")
        if output
        else (integration["upstream_steps"], "dependency")
    )
    for link in links:
        if link[key] == old:
            link[key] = new
    texts = "outputs" if output else "inputs"
    data["overview"][texts] = rename_in_texts(data["overview"][texts], old, new)
    aligned = "output_alignment" if output else "input_alignment"
    data["alignment"][aligned] = rename_in_texts(data["alignment"][aligned], old, new)


@repair(
    "REPAIR002",
    "Environment variable names that were not UPPER_SNAKE_CASE (`labelField`, `label-field`) "
    "were renamed, with the config field the builder reads them from (`label_field`).",
)
def upper_snake_env_vars(fx: Fixes) -> None:
    contract = fx.contract
    names = [*contract["required_env_vars"], *contract["optional_env_vars"]]
    for old in dict.fromkeys(names):
        new = snake_case(old).upper()
        if UPPER_SNAKE_CASE.match(old) or not UPPER_SNAKE_CASE.match(new) or new in names:
            continue
        contract["required_env_vars"] = [
            new if n == old else n for n in contract["required_env_vars"]
        ]
        for key in ("optional_env_vars", "env_var_sources"):  # keyed by the env var's name
            contract[key] = {new if k == old else k: v for k, v in contract[key].items()}
        for param in fx.config["step_parameters"]:
            if param["name"] in (old, old.lower(), snake_case(old)):
                param["name"] = new.lower()
        where = "required_env_vars" if new in contract["required_env_vars"] else "optional_env_vars"
        fx.report(f"{CONTRACT}.{where}", "environment variable", old, new, "UPPER_SNAKE_CASE")


@repair(
    "REPAIR003",
    "Script argument names in the contract were made kebab-case without leading dashes "
    "(`--job_type` -> `job-type`).",
)
def kebab_case_arguments(fx: Fixes) -> None:
    arguments: dict[str, Any] = fx.contract["expected_arguments"]
    fixed: dict[str, Any] = {}
    for old, value in arguments.items():
        new = snake_case(old.lstrip("-")).replace("_", "-")
        if KEBAB_CASE.match(old) or not KEBAB_CASE.match(new) or new in arguments or new in fixed:
            fixed[old] = value
            continue
        fixed[new] = value
        fx.report(f"{CONTRACT}.expected_arguments", "script argument", old, new)
    fx.contract["expected_arguments"] = fixed


def near_miss(name: str, registry: list[str]) -> str | None:
    """The one registry name ``name`` misses by case, separators, a class suffix, or the
    misspelling REG009 reports (`checks._policy.near_miss`); None when there is none or more than one.

    >>> near_miss("PytorchTraining", ["PyTorchTraining", "XGBoostTraining"])
    'PyTorchTraining'
    >>> near_miss("XGBoostTrainig", ["PyTorchTraining", "XGBoostTraining"]) is None
    False
    >>> near_miss("Training", ["PyTorchTraining", "XGBoostTraining"]) is None
    True
    """
    flat = {_flat(r): r for r in registry}
    for candidate in dict.fromkeys((_flat(name), _flat(_CLASS_SUFFIX.sub("", name)))):
        hit = misspelt(candidate, flat)
        if hit is not None:  # exact, or a misspelling of no other name
            unique = hit == candidate or misspelt(candidate, flat.keys() - {hit}) is None
            return flat[hit] if unique else None
    return None


def _flat(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@repair(
    "REPAIR004",
    "Step names in compatible_sources and upstream/downstream links that missed a registry name "
    "only by case, separators, a class suffix or a letter or two (`PytorchTraining`, "
    "`XGBoostModelEvalStepBuilder`) were replaced by the registry name, and job variants in "
    "compatible_sources by their base step (the resolver matches base names); ambiguous names "
    "are left for REG009.",
)
def registry_step_names(fx: Fixes) -> None:
    registry, own = sorted(fx.registry), fx.data["step_name"]

    def fixed(name: str, path: str, *, base_only: bool = False) -> str:
        match = JOB_SUFFIX.match(name)
        base, tail = (match.group("base"), name[match.end("base") :]) if match else (name, "")
        known = base == own or base in fx.registry or base in LEGACY_ALIASES
        found = base if known else near_miss(base, registry)
        if found is None:
            return name
        new = found if base_only else found + tail
        if new != name:
            why = "the resolver matches base step names" if known else "the registry's spelling"
            fx.report(path, "step name", name, new, why)
        return new

    for i, dep in enumerate(fx.spec["dependencies"]):
        where = f"{SPEC}.dependencies[{i}].compatible_sources"
        sources = [
            fixed(s, f"{where}[{j}]", base_only=True)
            for j, s in enumerate(dep["compatible_sources"])
        ]
        dep["compatible_sources"] = list(dict.fromkeys(sources))
    for key in ("upstream_steps", "downstream_steps"):
        for i, link in enumerate(fx.data["integration"][key]):
            link["step"] = fixed(link["step"], f"integration.{key}[{i}].step")
