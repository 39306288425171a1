"""The configuration class code block: a Pydantic v2 class with one field per plan parameter."""

from __future__ import annotations

import json
import re

from .._pytypes import TYPING_NAMES
from ..conventions import snake_case
from ..plan import ConfigParameter, ImplementationPlan
from ._code_text import expr, header, ident, lit, module_name, step_idents

__all__ = ["config_block"]

_BASE_CONFIG_MODULES = {
    "ProcessingStepConfigBase": "config_processing_step_base",
    "BasePipelineConfig": "config_base",
}


def _field(p: ConfigParameter) -> str:
    """``name: type = default`` or ``name: type = Field(...)``; essential fields get no default."""
    kind = expr(p.type, "Any")
    default = None if p.default is None else expr(p.default, json.dumps(p.default))
    args = [] if default is None else [f"default={default}"]
    if p.description:
        args.append(f"description={lit(p.description)}")
    if not args:
        return f"    {ident(p.name)}: {kind}"
    if len(args) == 1 and default is not None:
        return f"    {ident(p.name)}: {kind} = {default}"
    return f"    {ident(p.name)}: {kind} = Field({', '.join(args)})"


def config_block(plan: ImplementationPlan) -> str:
    """The Pydantic v2 config class: essential fields without default, system fields with one.

    >>> "class ModelCalibrationConfig(ProcessingStepConfigBase):" in config_block(plan)  # doctest: +SKIP
    True
    """
    cfg = plan.components.configuration
    name, contract, config, _ = step_idents(plan)
    base = ident(cfg.base_class, "BasePipelineConfig")
    module = _BASE_CONFIG_MODULES.get(base, f"config_{snake_case(base)}")
    contract_module = module_name(plan.components.script_contract.file_path, f"{name}_contract")
    typing = _typing_names([expr(p.type, "Any") for p in _params(plan)])
    lines = [
        *header(cfg.file_path, "configuration"),
        *([f"from typing import {', '.join(typing)}", ""] if typing else []),
        "from pydantic import Field",
        "",
        f"from .{module} import {base}",
        "",
        "",
        f"class {config}({base}):",
        f'    """Configuration for {ident(plan.step_name)} (Pydantic v2: essential fields have no default)."""',
        "",
    ]
    if cfg.step_parameters:
        lines += ["    # Step-specific parameters", *(_field(p) for p in cfg.step_parameters), ""]
    if cfg.sagemaker_parameters:
        lines += [f"    # SageMaker parameters (fields of {base})"]
        lines += [*(_field(p) for p in cfg.sagemaker_parameters), ""]
    lines += [
        "    def get_script_contract(self):",
        '        """Return the script contract for this step."""',
        f"        from ..pipeline_script_contracts.{contract_module} import {contract}",
        "",
        f"        return {contract}",
    ]
    return "\n".join(lines)


def _typing_names(types: list[str]) -> list[str]:
    """The names from ``typing`` the field types use (``Any`` stands in for what is not a type)."""
    words = {w for t in types for w in re.findall(r"[A-Za-z_]\w*", t)}
    return sorted(words & TYPING_NAMES)


def _params(plan: ImplementationPlan) -> list[ConfigParameter]:
    cfg = plan.components.configuration
    return [*cfg.step_parameters, *cfg.sagemaker_parameters]
