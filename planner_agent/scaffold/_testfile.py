"""The step's unit-test file: what the plan fixed, checked against the scaffolded modules.

The tests import the step's modules the way the repository's packages are laid out (the import
root goes on ``sys.path``), then check the contract's paths and variables, each specification's
step type and its alignment with the contract (``validate_contract_alignment()`` when the
framework has it), the config's planned defaults and essential fields, the script's standard
``main`` signature, and (with ``sagemaker`` installed) that the builder imports.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..conventions import variant_step_type
from ..plan import ImplementationPlan
from ..seedformat._code_text import expr, ident, lit

__all__ = ["TestTargets", "dotted", "spec_step_types", "test_text"]


@dataclass(frozen=True)
class TestTargets:
    """Where the test finds the step: dotted modules, names, the script and the import root."""

    __test__ = False  # not a pytest test class

    test_dir: str
    import_root: str
    contract: tuple[str, str]
    specs: tuple[tuple[str, str, str], ...]  # (module, constant, step_type)
    config: tuple[str, str]
    builder: tuple[str, str]
    script: str  # repository-relative path


def dotted(rel: str, import_root: str) -> str:
    """The module name of the file ``rel`` when ``import_root`` is on ``sys.path``.

    >>> dotted("src/pkg/steps/a_spec.py", "src")
    'pkg.steps.a_spec'
    """
    path = PurePosixPath(rel).with_suffix("")
    root = PurePosixPath(import_root)
    parts = path.parts if import_root in ("", ".") else path.relative_to(root).parts
    return ".".join(parts)


def _defaults(plan: ImplementationPlan) -> tuple[dict[str, object], list[str]]:
    """Config fields with a literal planned default, and the essential fields (no default)."""
    cfg = plan.components.configuration
    defaults: dict[str, object] = {}
    essential: list[str] = []
    for p in [*cfg.step_parameters, *cfg.sagemaker_parameters]:
        if p.default is None:
            essential.append(ident(p.name))
            continue
        try:
            defaults[ident(p.name)] = ast.literal_eval(expr(p.default, json.dumps(p.default)))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue  # a default that is code (a call, a name): not compared
    return defaults, essential


def test_text(plan: ImplementationPlan, t: TestTargets) -> str:
    """The test module's text."""
    contract = plan.components.script_contract
    spec = plan.components.step_specification
    step = ident(plan.step_name, "Step")
    defaults, essential = _defaults(plan)
    depth = len(PurePosixPath(t.test_dir).parts)
    root = "REPO" if t.import_root in ("", ".") else f"REPO / {lit(t.import_root)}"
    specs = [(m, c, s) for m, c, s in t.specs]
    lines = [
        f'"""Tests of the {step} step, scaffolded by planner-agent from the step\'s plan.',
        "",
        "They check what the plan fixed: the contract's paths and variables, each specification's",
        "alignment with the contract, the config's defaults and the script's entry point. Add tests",
        'of the step\'s own logic next to them."""',
        "",
        "import importlib",
        "import importlib.util",
        "import inspect",
        "import sys",
        "from pathlib import Path",
        "",
        "import pytest",
        "",
        f"REPO = Path(__file__).resolve().parents[{depth}]",
        f"sys.path.insert(0, str({root}))",
        "",
        f"CONTRACT = {lit(list(t.contract))}",
        f"SPECS = {lit([list(s) for s in specs], 0)}",
        f"CONFIG = {lit(list(t.config))}",
        f"BUILDER = {lit(list(t.builder))}",
        f"SCRIPT = REPO / {lit(t.script)}",
        "",
        f"INPUTS = {lit({p.logical_name: p.container_path for p in contract.input_paths})}",
        f"OUTPUTS = {lit({p.logical_name: p.container_path for p in contract.output_paths})}",
        f"REQUIRED_ENV_VARS = {lit(list(contract.required_env_vars))}",
        f"OPTIONAL_ENV_VARS = {lit(dict(contract.optional_env_vars))}",
        f"DEPENDENCIES = {lit(sorted(d.logical_name for d in spec.dependencies))}",
        f"SPEC_OUTPUTS = {lit(sorted(o.logical_name for o in spec.outputs))}",
        f"CONFIG_DEFAULTS = {_literal(defaults)}",
        f"ESSENTIAL_FIELDS = {lit(essential)}",
        f"MAIN_PARAMETERS = {lit(['input_paths', 'output_paths', 'environ_vars', 'job_args'])}",
        "",
        "",
        "def _load(target):",
        "    try:",
        "        module = importlib.import_module(target[0])",
        "    except ModuleNotFoundError as exc:  # a package __init__ that imports the builders",
        '        if (exc.name or "").split(".")[0] != "sagemaker":',
        "            raise",
        '        pytest.skip(f"importing {target[0]} needs the sagemaker package")',
        "    return getattr(module, target[1])",
        "",
        "",
        "def _names(items):",
        "    values = items.values() if isinstance(items, dict) else items",
        "    return sorted(item.logical_name for item in values)",
        "",
        "",
        "def test_contract_states_the_planned_paths_and_variables():",
        "    contract = _load(CONTRACT)",
        "    assert contract.entry_point == SCRIPT.name",
        "    assert dict(contract.expected_input_paths) == INPUTS",
        "    assert dict(contract.expected_output_paths) == OUTPUTS",
        "    assert list(contract.required_env_vars) == REQUIRED_ENV_VARS",
        "    assert dict(contract.optional_env_vars) == OPTIONAL_ENV_VARS",
        "",
        "",
        '@pytest.mark.parametrize("target", SPECS, ids=[s[1] for s in SPECS])',
        "def test_specification_aligns_with_the_contract(target):",
        "    spec = _load(target)",
        "    assert spec.step_type == target[2]",
        "    assert _names(spec.dependencies) == DEPENDENCIES",
        "    assert _names(spec.outputs) == SPEC_OUTPUTS",
        "    assert set(INPUTS) <= set(DEPENDENCIES) and set(OUTPUTS) <= set(SPEC_OUTPUTS)",
        '    if hasattr(spec, "validate_contract_alignment"):',
        "        result = spec.validate_contract_alignment()",
        '        assert getattr(result, "is_valid", result), getattr(result, "errors", result)',
        "",
        "",
        "def test_config_has_the_planned_defaults_and_essential_fields():",
        "    fields = _load(CONFIG).model_fields",
        "    for name, default in CONFIG_DEFAULTS.items():",
        "        assert fields[name].default == default, name",
        "    for name in ESSENTIAL_FIELDS:",
        "        assert fields[name].is_required(), name",
        "",
        "",
        "def test_script_main_takes_the_standard_arguments():",
        '    spec = importlib.util.spec_from_file_location("scaffolded_script", SCRIPT)',
        "    module = importlib.util.module_from_spec(spec)",
        "    spec.loader.exec_module(module)",
        "    assert list(inspect.signature(module.main).parameters) == MAIN_PARAMETERS",
        "",
        "",
        "def test_builder_imports():",
        '    pytest.importorskip("sagemaker")',
        "    assert _load(BUILDER).__name__ == BUILDER[1]",
    ]
    return "\n".join(lines) + "\n"


def _literal(value: dict[str, object]) -> str:
    """A dict literal of plain values (`lit` for the common ones, ``repr`` for the rest)."""
    if not value:
        return "{}"
    rows = "".join(f"    {lit(k)}: {_one(v)},\n" for k, v in value.items())
    return "{\n" + rows + "}"


def _one(value: object) -> str:
    if isinstance(value, str | bool | int | list | dict) or value is None:
        return lit(value, 4)
    return repr(value)


def spec_step_types(plan: ImplementationPlan) -> list[str]:
    """The step_type of the base specification or of each job-type variant, in plan order."""
    spec = plan.components.step_specification
    if not spec.job_type_variants:
        return [spec.step_type]
    return [variant_step_type(spec.step_type, jt) for jt in spec.job_type_variants]
