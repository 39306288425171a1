"""The registry entry, script contract and step specification code blocks (module-level declarations).

>>> import ast
>>> ast.parse(contract_block(plan))  # doctest: +SKIP
"""

from __future__ import annotations

from ..conventions import DEFAULT_LAYOUT, variant_step_type
from ..plan import ImplementationPlan, JobType, SageMakerStepType
from ._code_text import header, lit, module_name, spec_constants, step_idents

__all__ = ["TRAINING_CONTRACT", "contract_block", "registry_block", "spec_block", "spec_path"]


def registry_block(plan: ImplementationPlan) -> str:
    """The ``STEP_NAMES`` entry, with ``sagemaker_step_type`` when the plan states one.

    >>> registry_block(plan).splitlines()[1]  # doctest: +SKIP
    'STEP_NAMES = {'
    """
    entry = plan.registry_entry
    fields: dict[str, object] = {
        "config_class": entry.config_class,
        "builder_step_name": entry.builder_step_name,
        "spec_type": entry.spec_type,
    }
    if entry.sagemaker_step_type is not None:
        fields["sagemaker_step_type"] = entry.sagemaker_step_type.value
    fields["description"] = entry.description
    registry = next((f for f in plan.files_to_update if f.endswith("step_names.py")), "")
    lines = [
        f"# In {registry or DEFAULT_LAYOUT.registry_file}",
        "STEP_NAMES = {",
        "    # ... existing steps ...",
        f"    {lit(entry.step_name)}: {lit(fields, 4)},",
        "}",
    ]
    return "\n".join(lines)


def contract_block(plan: ImplementationPlan) -> str:
    """``<SCRIPT>_CONTRACT = ScriptContract(...)`` with every contract field
    (``TrainingScriptContract`` for a training step, as the framework's training contracts).

    >>> contract_block(plan).splitlines()[3]  # doctest: +SKIP
    'MODEL_CALIBRATION_CONTRACT = ScriptContract('
    """
    c = plan.components.script_contract
    _, constant, _, _ = step_idents(plan)
    kwargs: dict[str, object] = {
        "entry_point": c.entry_point,
        "expected_input_paths": {p.logical_name: p.container_path for p in c.input_paths},
        "expected_output_paths": {p.logical_name: p.container_path for p in c.output_paths},
        "required_env_vars": list(c.required_env_vars),
        "optional_env_vars": dict(c.optional_env_vars),
        "expected_arguments": dict(c.expected_arguments),
        "framework_requirements": dict(c.framework_requirements),
        "description": c.description,
    }
    base, module = _contract_base(plan)
    lines = [
        *header(c.file_path, "script contract"),
        f"from .{module} import {base}",
        "",
        f"{constant} = {base}(",
        *(f"    {k}={lit(v, 4)}," for k, v in kwargs.items()),
        ")",
    ]
    return "\n".join(lines)


TRAINING_CONTRACT = ("TrainingScriptContract", "training_script_contract")
"""A training step's contract base (SageMaker training folders) and its module."""


def _contract_base(plan: ImplementationPlan) -> tuple[str, str]:
    """(class, module) of the contract's base: the training one for a SageMaker Training step."""
    if plan.registry_entry.sagemaker_step_type is SageMakerStepType.TRAINING:
        return TRAINING_CONTRACT
    return "ScriptContract", "base_script_contract"


def spec_path(plan: ImplementationPlan, module: str) -> str:
    """The file of the specification ``module``: in the folder of the plan's specification file
    (a job-type variant's file sits beside it); "" when the plan names no file."""
    planned = plan.components.step_specification.file_path
    if not planned:
        return ""
    folder = planned.rpartition("/")[0]
    return f"{folder}/{module}.py" if folder else f"{module}.py"


def spec_block(plan: ImplementationPlan, job_type: JobType | None = None) -> str:
    """The specification file of the base step, or of the job-type variant ``job_type``.

    >>> "MODEL_CALIBRATION_TRAINING_SPEC = StepSpecification(" in spec_block(plan, JobType.TRAINING)  # doctest: +SKIP
    True
    """
    spec = plan.components.step_specification
    name, contract, _, _ = step_idents(plan)
    contract_module = module_name(plan.components.script_contract.file_path, f"{name}_contract")
    _, constant, module = next(v for v in spec_constants(plan) if v[0] == job_type)
    deps = [line for d in spec.dependencies for line in _dependency(d.model_dump(), 8)]
    outs = [line for o in spec.outputs for line in _output(o.model_dump(), 8)]
    if job_type is None:
        step_type = f"get_spec_step_type({lit(spec.step_type)})"
        registry = ["from ..pipeline_registry.step_names import get_spec_step_type"]
    else:
        step_type = lit(variant_step_type(spec.step_type, job_type))
        registry = []
    lines = [
        *header(spec_path(plan, module), "step specification"),
        "from ..pipeline_deps.base_specifications import (",
        "    DependencySpec,",
        "    DependencyType,",
        "    NodeType,",
        "    OutputSpec,",
        "    StepSpecification,",
        ")",
        *registry,
        "",
        "",
        f"def _get_{name}_contract():",
        f"    from ..pipeline_script_contracts.{contract_module} import {contract}",
        "",
        f"    return {contract}",
        "",
        "",
        f"{constant} = StepSpecification(",
        f"    step_type={step_type},",
        f"    node_type=NodeType.{spec.node_type.name},",
        f"    script_contract=_get_{name}_contract(),",
        "    dependencies=[",
        *deps,
        "    ],",
        "    outputs=[",
        *outs,
        "    ],",
        ")",
    ]
    return "\n".join(lines) + "\n"


def _dependency(d: dict[str, object], pad: int) -> list[str]:
    kind = d["dependency_type"]
    kwargs = {
        "logical_name": lit(d["logical_name"]),
        "dependency_type": f"DependencyType.{getattr(kind, 'name', kind)}",
        "required": lit(d["required"]),
        "compatible_sources": lit(d["compatible_sources"], pad + 4),
        "semantic_keywords": lit(d["semantic_keywords"], pad + 4),
        "data_type": lit(str(d["data_type"])),
        "description": lit(d["description"]),
    }
    return _call("DependencySpec", kwargs, pad)


def _output(o: dict[str, object], pad: int) -> list[str]:
    kind = o["output_type"]
    kwargs = {
        "logical_name": lit(o["logical_name"]),
        "aliases": lit(o["aliases"], pad + 4),
        "output_type": f"DependencyType.{getattr(kind, 'name', kind)}",
        "property_path": lit(o["property_path"]),
        "data_type": lit(str(o["data_type"])),
        "description": lit(o["description"]),
    }
    return _call("OutputSpec", kwargs, pad)


def _call(name: str, kwargs: dict[str, str], pad: int) -> list[str]:
    """``name(`` / one ``key=value,`` line per argument / ``),`` at indentation ``pad``."""
    space = " " * pad
    return [f"{space}{name}(", *(f"{space}    {k}={v}," for k, v in kwargs.items()), f"{space}),"]
