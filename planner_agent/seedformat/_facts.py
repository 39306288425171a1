"""Bullet facts and code facts combined into plan data, with what nobody stated derived.

Private to `planner_agent.seedformat._reader`. Bullets win where both state a field; code blocks fill
what the bullets leave out, and a disagreement is reported (``IMPORT005``). Values no one
stated are derived from the conventions and reported (``IMPORT006``): class names, base classes,
the entry point, the node type, dependency and output types, property paths, the registry
entry and resolver scores. Facts with a framework default (a dependency is required, data is
``S3Uri``, no job-type variants) are left to it, as the framework would: nothing is invented.
`assemble` returns the data for `ImplementationPlan`, which the caller validates.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from .._pytypes import literal_type
from ..conventions import (
    allowed_config_fields,
    builder_class_name,
    node_type_for,
    property_path_for,
    snake_case,
)
from ..plan import DataType, DependencyType, SageMakerStepType
from ._code import Code
from ._context import Context, Facts
from ._identity import registry_entry, strip_variant

__all__ = ["assemble"]


def _merge_entries(
    bullets: list[Facts] | None, code: list[Facts] | None, path: str, ctx: Context
) -> list[Facts]:
    """Bullet entries in order, completed from same-named code entries; code-only ones appended."""
    if bullets is None:
        return [dict(e) for e in code or []]
    merged = [dict(e) for e in bullets]
    index = {e["logical_name"]: e for e in merged}
    extra = []
    for entry in code or []:
        key = entry["logical_name"]
        target = index.get(key)
        if target is None:
            extra.append(dict(entry))
            continue
        for field_name, value in entry.items():
            if field_name not in target:
                target[field_name] = value
            elif str(target[field_name]).lower() != str(value).lower() and field_name in (
                "container_path",
                "dependency_type",
                "output_type",
                "property_path",
                "default",
            ):
                ctx.warn(
                    "IMPORT005",
                    path,
                    f"'{key}': the bullets say {field_name} {target[field_name]!r}, the code block"
                    f" {value!r}; kept the bullet value",
                )
    if extra and bullets:
        names = ", ".join(str(e["logical_name"]) for e in extra)
        ctx.warn("IMPORT005", path, f"only the code block lists {names}; added from the code")
    return merged + extra


def _pick(bullets: Facts, code: Facts, key: str, default: Any) -> Any:
    if key in bullets:
        return bullets[key]
    return code.get(key, default)


def _derive(bullets: Facts, code: Facts, key: str, derived: str, path: str, ctx: Context) -> Any:
    """The stated value of ``key`` (bullets, then code), else ``derived``, reported."""
    if bullets.get(key) or code.get(key):
        return bullets.get(key) or code[key]
    ctx.warn("IMPORT006", path, f"not stated in the plan; derived {derived!r}")
    return derived


def _variant_from_constant(name: str) -> str | None:
    match = re.search(r"_(TRAINING|VALIDATION|TESTING|CALIBRATION)_SPEC$", name)
    return match.group(1).lower() if match else None


def _choose_spec(code: Code) -> tuple[Facts, list[str]]:
    """The spec whose lists the plan keeps (the base one if present) and the job variants seen.

    A variant is read from the ``step_type`` (``X_Training``), or from the constant's name only
    when no ``step_type`` is stated: ``DUMMY_TRAINING_SPEC`` for the step ``DummyTraining`` is
    the base specification, not a ``training`` variant.
    """
    variants: list[str] = []
    base: Facts | None = None
    for name, facts in code.specs:
        step_type, job = strip_variant(facts.get("step_type", ""))
        if not facts.get("step_type"):
            job = _variant_from_constant(name)
        if job:
            variants.append(job)
        elif base is None:
            base = facts
        if step_type and "step_type" in facts:
            facts["step_type"] = step_type
    chosen = base or (code.specs[0][1] if code.specs else {})
    return chosen, list(dict.fromkeys(variants))


def _params(entries: list[Facts]) -> list[Facts]:
    return [
        {
            "name": e["name"],
            "type": e.get("type") or literal_type(e.get("default")),
            "default": e.get("default"),
            "description": e.get("description", ""),
        }
        for e in entries
    ]


def _contract(bc: Facts, code: Code, script_path: str, name: str, ctx: Context) -> Facts:
    """Script contract: bullets first, the ScriptContract block fills the rest."""
    cc, path = code.contract, "components.script_contract"
    entry_point = _derive(
        bc,
        cc,
        "entry_point",
        script_path.rsplit("/", 1)[-1] if script_path else f"{name}.py",
        f"{path}.entry_point",
        ctx,
    )
    env = bc if "required_env_vars" in bc or "optional_env_vars" in bc else cc
    if env is bc and {"required_env_vars", "optional_env_vars"} & cc.keys():
        said = (set(bc.get("required_env_vars", [])), set(bc.get("optional_env_vars", {})))
        coded = (set(cc.get("required_env_vars", [])), set(cc.get("optional_env_vars", {})))
        if said != coded:
            ctx.warn(
                "IMPORT005",
                f"{path}.required_env_vars",
                "the bullets and the code block list different environment variables; "
                "kept the bullets",
            )
    return {
        "file_path": bc.get("file_path") or code.paths.get("contract", ""),
        "entry_point": entry_point,
        "input_paths": _merge_entries(
            bc.get("inputs"), cc.get("inputs"), f"{path}.input_paths", ctx
        ),
        "output_paths": _merge_entries(
            bc.get("outputs"), cc.get("outputs"), f"{path}.output_paths", ctx
        ),
        "required_env_vars": list(env.get("required_env_vars", [])),
        "optional_env_vars": dict(env.get("optional_env_vars", {})),
        "env_var_sources": dict(bc.get("env_var_sources", {})),
        "expected_arguments": _pick(bc, cc, "expected_arguments", {}),
        "framework_requirements": _pick(bc, cc, "framework_requirements", {}),
        "description": _pick(bc, cc, "description", ""),
    }


def _spec(bs: Facts, code: Code, step_name: str, sm_type: Any, ctx: Context) -> Facts:
    """Step specification; types and property paths nobody stated are derived (IMPORT006)."""
    cs, code_variants = _choose_spec(code)
    path = "components.step_specification"
    deps = _merge_entries(
        bs.get("dependencies"), cs.get("dependencies"), f"{path}.dependencies", ctx
    )
    outs = _merge_entries(bs.get("outputs"), cs.get("outputs"), f"{path}.outputs", ctx)
    assumed = DependencyType.PROCESSING_OUTPUT.value
    for where, entries, key in (
        ("dependencies", deps, "dependency_type"),
        ("outputs", outs, "output_type"),
    ):
        for i, entry in enumerate(entries):
            if key not in entry:
                entry[key] = assumed
                ctx.warn(
                    "IMPORT006",
                    f"{path}.{where}[{i}].{key}",
                    f"no type stated for '{entry['logical_name']}'; assumed {assumed}",
                )
    step_kind = _member(sm_type, SageMakerStepType) or SageMakerStepType.PROCESSING
    for i, out in enumerate(outs):
        if "property_path" not in out:
            kind = _member(out["output_type"], DependencyType) or DependencyType.PROCESSING_OUTPUT
            out["property_path"] = property_path_for(step_kind, out["logical_name"], kind)
            ctx.warn(
                "IMPORT006",
                f"{path}.outputs[{i}].property_path",
                f"no property path stated for '{out['logical_name']}'; "
                f"derived {out['property_path']}",
            )
    return {
        "file_path": bs.get("file_path") or code.paths.get("spec", ""),
        "step_type": _derive(bs, cs, "step_type", step_name, f"{path}.step_type", ctx),
        "node_type": _derive(
            bs,
            cs,
            "node_type",
            node_type_for(bool(deps), bool(outs)).value,
            f"{path}.node_type",
            ctx,
        ),
        "dependencies": [_dependency(d) for d in deps],
        "outputs": [_output(o) for o in outs],
        "job_type_variants": bs.get("job_type_variants", code_variants),
    }


def _config(bcfg: Facts, code: Code, class_name: str, training: bool, ctx: Context) -> Facts:
    """Configuration: the bullets say which fields are SageMaker parameters; code-only fields
    are SageMaker parameters when the base class has them."""
    step, sagemaker = bcfg.get("step_parameters"), bcfg.get("sagemaker_parameters")
    fields: list[Facts] | None = code.config.get("fields")
    default_base = "BasePipelineConfig" if training else "ProcessingStepConfigBase"
    path = "components.configuration"
    class_name = _derive(bcfg, code.config, "class_name", class_name, f"{path}.class_name", ctx)
    base = _derive(bcfg, code.config, "base_class", default_base, f"{path}.base_class", ctx)
    # A field the class declares is a SageMaker parameter only if its base class has it.
    inherited = allowed_config_fields(base, SageMakerStepType.TRAINING if training else None)
    if fields is not None and step is None and sagemaker is None:
        step = [f for f in fields if f["name"] not in inherited]
        sagemaker = [f for f in fields if f["name"] in inherited]
    elif fields is not None:
        # Match by identifier: the code block spells "class" as "class_", "2nd-x" as "_2nd_x".
        by_name = {_ident_key(f["name"]): f for f in fields}
        stated = {_ident_key(e["name"]) for e in [*(step or []), *(sagemaker or [])]}
        step = [{**by_name.get(_ident_key(e["name"]), {}), **e} for e in step or []]
        sagemaker = [{**by_name.get(_ident_key(e["name"]), {}), **e} for e in sagemaker or []]
        extra = [f for f in fields if _ident_key(f["name"]) not in stated]
        if extra:
            ctx.warn(
                "IMPORT005",
                "components.configuration",
                f"only the code block has field(s) {', '.join(f['name'] for f in extra)}; "
                "added from the code",
            )
            step += [f for f in extra if f["name"] not in inherited]
            sagemaker += [f for f in extra if f["name"] in inherited]
    return {
        "file_path": bcfg.get("file_path") or code.paths.get("config", ""),
        "class_name": class_name,
        "base_class": base,
        "step_parameters": _params(step or []),
        "sagemaker_parameters": _params(sagemaker or []),
    }


def _ident_key(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_").lower()


def _member(value: Any, enum_cls: type[StrEnum]) -> Any:
    """The member whose value is ``value``, or None."""
    return next((m for m in enum_cls if m.value == value), None)


def assemble(step_name: str, bullets: dict[str, Any], code: Code, ctx: Context) -> Facts:
    """Plan data from bullets and code facts (bullets win); validated by the caller."""
    comp = bullets.get("components", {})
    bscript, bb = comp.get("script", {}), comp.get("builder", {})
    registry = registry_entry(code, step_name, bullets, ctx)
    sm_type = registry["sagemaker_step_type"]
    training = sm_type == SageMakerStepType.TRAINING.value
    script_path = bscript.get("file_path") or code.paths.get("script", "")
    name = snake_case(step_name)
    integration = bullets.get("integration", {})
    return {
        "step_name": step_name,
        "overview": {
            k: v for k, v in bullets.get("overview", {}).items() if k != "sagemaker_step_type"
        },
        "components": {
            "script_contract": _contract(comp.get("contract", {}), code, script_path, name, ctx),
            "step_specification": _spec(comp.get("spec", {}), code, step_name, sm_type, ctx),
            "configuration": _config(
                comp.get("config", {}),
                code,
                # the class the registry entry names (stated, or derived from the plan's
                # classes and the step name), when the configuration states none of its own
                registry["config_class"],
                training,
                ctx,
            ),
            "step_builder": {
                "file_path": bb.get("file_path") or code.paths.get("builder", ""),
                "class_name": _derive(
                    bb,
                    code.builder,
                    "class_name",
                    builder_class_name(step_name),
                    "components.step_builder.class_name",
                    ctx,
                ),
                "special_handling": bb.get("special_handling", []),
            },
            "processing_script": {
                "file_path": script_path,
                "algorithm": bscript.get("algorithm", ""),
                "main_functions": _pick(bscript, code.script, "main_functions", []),
            },
        },
        "files_to_update": bullets.get("files", []),
        "integration": {
            "upstream_steps": integration.get("upstream_steps", []),
            "downstream_steps": integration.get("downstream_steps", []),
            "dag_updates": integration.get("dag_updates", []),
            "resolver_candidates": _candidates(integration.get("resolver_candidates", []), ctx),
        },
        "alignment": bullets.get("alignment", {}),
        "error_handling": bullets.get("errors", {}),
        "testing": bullets.get("testing", {}),
        "registry_entry": registry,
    }


def _candidates(candidates: list[Facts], ctx: Context) -> list[Facts]:
    """Resolver candidates; one without a score gets 0.0 (``IMPORT006``)."""
    for i, candidate in enumerate(candidates):
        if "score" not in candidate:
            candidate["score"] = 0.0
            ctx.warn(
                "IMPORT006",
                f"integration.resolver_candidates[{i}].score",
                f"no score stated for '{candidate['dependency']}' <- "
                f"{candidate['step']}.{candidate['output']}; assumed 0.00",
            )
    return candidates


def _dependency(e: Facts) -> Facts:
    return {
        "logical_name": e["logical_name"],
        "dependency_type": e["dependency_type"],
        "required": e.get("required", True),
        "compatible_sources": e.get("compatible_sources", []),
        "semantic_keywords": e.get("semantic_keywords", []),
        "data_type": e.get("data_type", DataType.S3URI.value),
        "description": e.get("description", ""),
    }


def _output(e: Facts) -> Facts:
    return {
        "logical_name": e["logical_name"],
        "output_type": e["output_type"],
        "property_path": e["property_path"],
        "aliases": e.get("aliases", []),
        "data_type": e.get("data_type", DataType.S3URI.value),
        "description": e.get("description", ""),
    }
