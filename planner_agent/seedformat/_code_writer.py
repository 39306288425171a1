"""The Python code blocks of the plan's "Implementation Details" section.

Each function turns one part of an `ImplementationPlan` into a skeleton that is valid Python
(``ast.parse`` accepts it) whatever the plan contains: names that are not identifiers are
sanitised, defaults and types that are not expressions are quoted, and free text only ever
appears inside string literals or comments. The markdown bullets keep the values exactly as
written; ``markdown.parse_markdown`` reads these blocks back when bullets are missing.

>>> import ast
>>> ast.parse(contract_block(plan))  # doctest: +SKIP
"""

from __future__ import annotations

import ast
import json
import keyword
import re

from .. import conventions as cv
from ..plan import ConfigParameter, ImplementationPlan, JobType, SageMakerStepType

__all__ = [
    "builder_block",
    "config_block",
    "contract_block",
    "registry_block",
    "script_block",
    "spec_block",
]

_BASE_CONFIG_MODULES = {
    "ProcessingStepConfigBase": "config_processing_step_base",
    "BasePipelineConfig": "config_base",
}


def _ident(text: str, fallback: str = "name") -> str:
    """A valid Python identifier close to ``text``."""
    name = re.sub(r"\W+", "_", text.strip()).strip("_") or fallback
    if name[0].isdigit():
        name = f"_{name}"
    return f"{name}_" if keyword.iskeyword(name) else name


def _lit(value: object, indent: int = 0) -> str:
    """A Python literal for str/bool/None/int and lists/dicts of them; long containers one per line."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return repr(value)
    pad = " " * (indent + 4)
    if isinstance(value, list):
        parts = [_lit(v, indent + 4) for v in value]
        inline = "[" + ", ".join(parts) + "]"
        if len(inline) + indent <= 72 and "\n" not in inline:
            return inline
        return "[\n" + "".join(f"{pad}{p},\n" for p in parts) + " " * indent + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        rows = "".join(f"{pad}{_lit(k)}: {_lit(v, indent + 4)},\n" for k, v in value.items())
        return "{\n" + rows + " " * indent + "}"
    return repr(value)


def _set(items: list[str]) -> str:
    """A set literal in a fixed order (``set()`` when empty)."""
    return "{" + ", ".join(_lit(i) for i in sorted(items)) + "}" if items else "set()"


def _expr(text: str | None, fallback: str) -> str:
    """``text`` when it is a Python expression, else ``fallback``."""
    if text is None or not text.strip():
        return fallback
    try:
        ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return fallback
    return text.strip()


def _comment(text: str, indent: int = 0) -> list[str]:
    """Free text as comment lines (always valid, whatever it contains)."""
    pad = " " * indent
    return [f"{pad}# {line}".rstrip() for line in text.splitlines() if line.strip()]


def _header(path: str, fallback: str) -> list[str]:
    return [f"# {path or fallback}"]


def _names(plan: ImplementationPlan) -> tuple[str, str, str, str]:
    """(snake name, contract constant, config class, builder class) as identifiers."""
    comps = plan.components
    name = cv.snake_case(plan.step_name) or "step"
    contract = _ident(cv.contract_constant(comps.script_contract.entry_point or f"{name}.py"))
    config = _ident(comps.configuration.class_name, "StepConfig")
    builder = _ident(comps.step_builder.class_name, "StepBuilder")
    return _ident(name), contract, config, builder


def _module(path: str, fallback: str) -> str:
    """The module name of a ``.py`` file path (for relative imports)."""
    stem = path.rsplit("/", 1)[-1].removesuffix(".py") if path.endswith(".py") else ""
    return _ident(stem or fallback)


def _spec_constants(plan: ImplementationPlan) -> list[tuple[JobType | None, str, str]]:
    """(job type, constant, module) for the base spec or for each job-type variant."""
    spec = plan.components.step_specification
    base = _module(spec.file_path, f"{cv.snake_case(plan.step_name)}_spec")
    if not spec.job_type_variants:
        return [(None, _ident(cv.spec_constant(plan.step_name)), base)]
    stem = base.removesuffix("_spec")
    return [
        (jt, _ident(cv.spec_constant(plan.step_name, jt)), f"{stem}_{jt.value}_spec")
        for jt in spec.job_type_variants
    ]


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
        f"# In {registry or cv.DEFAULT_LAYOUT.registry_file}",
        "STEP_NAMES = {",
        "    # ... existing steps ...",
        f"    {_lit(entry.step_name)}: {_lit(fields, 4)},",
        "}",
    ]
    return "\n".join(lines)


def contract_block(plan: ImplementationPlan) -> str:
    """``<SCRIPT>_CONTRACT = ScriptContract(...)`` with every contract field.

    >>> contract_block(plan).splitlines()[3]  # doctest: +SKIP
    'MODEL_CALIBRATION_CONTRACT = ScriptContract('
    """
    c = plan.components.script_contract
    _, constant, _, _ = _names(plan)
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
    lines = [
        *_header(c.file_path, "script contract"),
        "from .base_script_contract import ScriptContract",
        "",
        f"{constant} = ScriptContract(",
        *(f"    {k}={_lit(v, 4)}," for k, v in kwargs.items()),
        ")",
    ]
    return "\n".join(lines)


def spec_block(plan: ImplementationPlan) -> str:
    """The StepSpecification; one constant per job-type variant, sharing dependencies and outputs.

    >>> "MODEL_CALIBRATION_TRAINING_SPEC = StepSpecification(" in spec_block(plan)  # doctest: +SKIP
    True
    """
    spec = plan.components.step_specification
    name, contract, _, _ = _names(plan)
    contract_module = _module(plan.components.script_contract.file_path, f"{name}_contract")
    variants = _spec_constants(plan)
    shared = bool(spec.job_type_variants)
    # Shared lists sit at module level (entries indented 4); inline ones inside the call (8).
    pad = 4 if shared else 8
    deps = [line for d in spec.dependencies for line in _dependency(d.model_dump(), pad)]
    outs = [line for o in spec.outputs for line in _output(o.model_dump(), pad)]
    lines = [
        *_header(spec.file_path, "step specification"),
        "from ..pipeline_deps.base_specifications import (",
        "    DependencySpec,",
        "    DependencyType,",
        "    NodeType,",
        "    OutputSpec,",
        "    StepSpecification,",
        ")",
        "from ..pipeline_registry.step_names import get_spec_step_type",
        "",
        "",
        f"def _get_{name}_contract():",
        f"    from ..pipeline_script_contracts.{contract_module} import {contract}",
        "",
        f"    return {contract}",
        "",
        "",
    ]
    if shared:
        # Each variant lives in its own file in the codebase; the plan states the lists once.
        lines += ["# One specification per job type (one file each):"]
        lines += [f"#   {module}.py -> {const}" for _, const, module in variants]
        lines += ["_DEPENDENCIES = [", *deps, "]", "", "_OUTPUTS = [", *outs, "]", "", ""]
    for job_type, constant, _ in variants:
        step_type = (
            _lit(cv.variant_step_type(spec.step_type, job_type))
            if job_type
            else f"get_spec_step_type({_lit(spec.step_type)})"
        )
        lines += [
            f"{constant} = StepSpecification(",
            f"    step_type={step_type},",
            f"    node_type=NodeType.{spec.node_type.name},",
            f"    script_contract=_get_{name}_contract(),",
        ]
        if shared:
            lines += ["    dependencies=_DEPENDENCIES,", "    outputs=_OUTPUTS,", ")", ""]
        else:
            lines += ["    dependencies=[", *deps, "    ],"]
            lines += ["    outputs=[", *outs, "    ],", ")"]
    return "\n".join(lines).rstrip() + "\n"


def _dependency(d: dict[str, object], pad: int) -> list[str]:
    kind = d["dependency_type"]
    kwargs = {
        "logical_name": _lit(d["logical_name"]),
        "dependency_type": f"DependencyType.{getattr(kind, 'name', kind)}",
        "required": _lit(d["required"]),
        "compatible_sources": _lit(d["compatible_sources"], pad + 4),
        "semantic_keywords": _lit(d["semantic_keywords"], pad + 4),
        "data_type": _lit(str(d["data_type"])),
        "description": _lit(d["description"]),
    }
    return _call("DependencySpec", kwargs, pad)


def _output(o: dict[str, object], pad: int) -> list[str]:
    kind = o["output_type"]
    kwargs = {
        "logical_name": _lit(o["logical_name"]),
        "aliases": _lit(o["aliases"], pad + 4),
        "output_type": f"DependencyType.{getattr(kind, 'name', kind)}",
        "property_path": _lit(o["property_path"]),
        "data_type": _lit(str(o["data_type"])),
        "description": _lit(o["description"]),
    }
    return _call("OutputSpec", kwargs, pad)


def _call(name: str, kwargs: dict[str, str], pad: int) -> list[str]:
    """``name(`` / one ``key=value,`` line per argument / ``),`` at indentation ``pad``."""
    space = " " * pad
    return [f"{space}{name}(", *(f"{space}    {k}={v}," for k, v in kwargs.items()), f"{space}),"]


def _field(p: ConfigParameter) -> str:
    """``name: type = default`` or ``name: type = Field(...)``; essential fields get no default."""
    kind = _expr(p.type, "Any")
    default = None if p.default is None else _expr(p.default, json.dumps(p.default))
    args = [] if default is None else [f"default={default}"]
    if p.description:
        args.append(f"description={_lit(p.description)}")
    if not args:
        return f"    {_ident(p.name)}: {kind}"
    if len(args) == 1 and default is not None:
        return f"    {_ident(p.name)}: {kind} = {default}"
    return f"    {_ident(p.name)}: {kind} = Field({', '.join(args)})"


def config_block(plan: ImplementationPlan) -> str:
    """The Pydantic v2 config class: essential fields without default, system fields with one.

    >>> "class ModelCalibrationConfig(ProcessingStepConfigBase):" in config_block(plan)  # doctest: +SKIP
    True
    """
    cfg = plan.components.configuration
    name, contract, config, _ = _names(plan)
    base = _ident(cfg.base_class, "BasePipelineConfig")
    module = _BASE_CONFIG_MODULES.get(base, f"config_{cv.snake_case(base)}")
    contract_module = _module(plan.components.script_contract.file_path, f"{name}_contract")
    uses_any = any(_expr(p.type, "Any") == "Any" for p in _params(plan))
    lines = [
        *_header(cfg.file_path, "configuration"),
        *(["from typing import Any", ""] if uses_any else []),
        "from pydantic import Field",
        "",
        f"from .{module} import {base}",
        "",
        "",
        f"class {config}({base}):",
        f'    """Configuration for {_ident(plan.step_name)} (Pydantic v2: essential fields have no default)."""',
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


def _params(plan: ImplementationPlan) -> list[ConfigParameter]:
    cfg = plan.components.configuration
    return [*cfg.step_parameters, *cfg.sagemaker_parameters]


def _function_names(plan: ImplementationPlan) -> list[str]:
    names: list[str] = []
    for text in plan.components.processing_script.main_functions:
        match = re.match(r"\s*`?([A-Za-z_]\w*)", text)
        ident = _ident(match.group(1) if match else text, "step")
        if ident not in ("main", "parse_args", *names):
            names.append(ident)
    return names


def script_block(plan: ImplementationPlan) -> str:
    """The processing script skeleton: contract constants, the main functions, ``main()``.

    >>> "def fit_calibrator(*args, **kwargs):" in script_block(plan)  # doctest: +SKIP
    True
    """
    script = plan.components.processing_script
    contract = plan.components.script_contract
    step = _ident(plan.step_name, "Step")
    functions = _function_names(plan)
    lines = [
        *_header(script.file_path, "processing script"),
        f'"""{step} script: implements the business logic behind the contract."""',
        "",
        "import argparse",
        "import logging",
        "import os",
        "import sys",
        "",
        "logging.basicConfig(level=logging.INFO)",
        "logger = logging.getLogger(__name__)",
        "",
        *_comment(f"Algorithm: {script.algorithm}" if script.algorithm else ""),
        "# Container paths and environment variables, as the script contract declares them.",
        f"INPUT_PATHS = {_lit({p.logical_name: p.container_path for p in contract.input_paths})}",
        f"OUTPUT_PATHS = {_lit({p.logical_name: p.container_path for p in contract.output_paths})}",
        f"REQUIRED_ENV_VARS = {_lit(list(contract.required_env_vars))}",
        f"OPTIONAL_ENV_VARS = {_lit(dict(contract.optional_env_vars))}",
        "",
    ]
    for fn in functions:
        lines += [
            "",
            f"def {fn}(*args, **kwargs):",
            f'    """{fn}: to implement."""',
            f"    raise NotImplementedError({_lit(fn)})",
            "",
        ]
    lines += [
        "",
        "def parse_args() -> argparse.Namespace:",
        '    """Parse the command-line arguments the contract expects."""',
        f"    parser = argparse.ArgumentParser(description={_lit(f'{step} script')})",
    ]
    for arg, value in contract.expected_arguments.items():
        flag = "--" + arg.lstrip("-")
        lines.append(f"    parser.add_argument({_lit(flag)}, default={_lit(value)})")
    lines += [
        "    return parser.parse_args()",
        "",
        "",
        "def main() -> int:",
        '    """Entry point: read the environment, run the steps, return the exit code."""',
        "    args = parse_args()",
        "    try:",
        "        env = {name: os.environ[name] for name in REQUIRED_ENV_VARS}",
        "        for name, default in OPTIONAL_ENV_VARS.items():",
        "            env[name] = os.environ.get(name, default)",
        f"        logger.info({_lit(f'Starting {step}: args=%s env=%s')}, args, env)",
        *(f"        # {i}. {fn}(...)" for i, fn in enumerate(functions, 1)),
        "        return 0",
        "    except Exception:",
        f"        logger.exception({_lit(f'{step} failed')})",
        "        return 1",
        "",
        "",
        'if __name__ == "__main__":',
        "    sys.exit(main())",
    ]
    return "\n".join(lines)


def builder_block(plan: ImplementationPlan) -> str:
    """The step builder: spec selection, ``_get_inputs``, ``_get_outputs``, ``create_step``.

    >>> "def create_step(self, **kwargs: Any) -> ProcessingStep:" in builder_block(plan)  # doctest: +SKIP
    True
    """
    comps = plan.components
    name, _, config, builder = _names(plan)
    training = plan.registry_entry.sagemaker_step_type is SageMakerStepType.TRAINING
    config_module = _module(comps.configuration.file_path, f"config_{name}_step")
    specs = _spec_constants(plan)
    optional = sorted(
        d.logical_name for d in comps.step_specification.dependencies if not d.required
    )
    env_fields = sorted({_ident(v.lower()) for v in comps.script_contract.required_env_vars})
    lines = [*_header(comps.step_builder.file_path, "step builder"), "import logging"]
    lines.append("from typing import Any")
    lines.append("")
    if training:
        lines += [
            "from sagemaker.estimator import Estimator",
            "from sagemaker.inputs import TrainingInput",
            "from sagemaker.workflow.steps import TrainingStep",
        ]
    else:
        lines += [
            "from sagemaker.processing import ProcessingInput, ProcessingOutput",
            "from sagemaker.sklearn.processing import SKLearnProcessor",
            "from sagemaker.workflow.steps import ProcessingStep",
        ]
    lines += [""]
    lines += [f"from ..pipeline_step_specs.{module} import {const}" for _, const, module in specs]
    lines += [
        "from .builder_step_base import StepBuilderBase",
        f"from .{config_module} import {config}",
        "",
        "logger = logging.getLogger(__name__)",
        "",
    ]
    if len(specs) > 1 or specs[0][0] is not None:
        lines += ["# The builder picks the specification from config.job_type."]
        lines += [
            "_SPECS = {",
            *(f"    {_lit(jt.value if jt else '')}: {c}," for jt, c, _ in specs),
        ]
        lines += ["}", ""]
    lines += [
        "",
        f"class {builder}(StepBuilderBase):",
        f'    """Builds the {_ident(plan.step_name)} step from its specification and script contract."""',
        "",
        *_special(comps.step_builder.special_handling),
        "    def __init__(",
        "        self,",
        f"        config: {config},",
        "        sagemaker_session=None,",
        "        role=None,",
        "        notebook_root=None,",
        "        registry_manager=None,",
        "        dependency_resolver=None,",
        "    ) -> None:",
        f"        if not isinstance(config, {config}):",
        f"            raise ValueError({_lit(f'{builder} requires a {config} instance.')})",
    ]
    if specs[0][0] is None:
        lines.append(f"        spec = {specs[0][1]}")
    else:
        lines += [
            '        job_type = str(getattr(config, "job_type", "")).lower()',
            "        if job_type not in _SPECS:",
            '            raise ValueError("Unknown job_type %r; expected one of %s" % (job_type, sorted(_SPECS)))',
            "        spec = _SPECS[job_type]",
        ]
    lines += [
        "        super().__init__(",
        "            config=config,",
        "            spec=spec,",
        "            sagemaker_session=sagemaker_session,",
        "            role=role,",
        "            notebook_root=notebook_root,",
        "            registry_manager=registry_manager,",
        "            dependency_resolver=dependency_resolver,",
        "        )",
        f"        self.config: {config} = config",
        "",
        "    def validate_configuration(self) -> None:",
        '        """Every required environment variable needs its config field."""',
        f"        for attr in {_lit(env_fields)}:",
        '            if getattr(self.config, attr, None) in (None, ""):',
        '                raise ValueError("config field %s is required" % attr)',
        "",
    ]
    lines += _training_methods(optional) if training else _processing_methods(optional)
    return "\n".join(lines)


def _special(items: list[str]) -> list[str]:
    lines = [line for item in items for line in _comment(f"Special handling: {item}", 4)]
    return [*lines, ""] if lines else []


def _processing_methods(optional: list[str]) -> list[str]:
    return [
        "    def _get_inputs(self, inputs: dict[str, Any]) -> list[ProcessingInput]:",
        '        """One ProcessingInput per contract input, named by its logical name."""',
        f"        optional = {_set(optional)}",
        "        result = []",
        "        for logical_name, container_path in self.contract.expected_input_paths.items():",
        "            if logical_name not in inputs:",
        "                if logical_name in optional:",
        "                    continue",
        '                raise ValueError("Required input not provided: %s" % logical_name)',
        "            result.append(",
        "                ProcessingInput(",
        "                    input_name=logical_name,",
        "                    source=inputs[logical_name],",
        "                    destination=container_path,",
        "                )",
        "            )",
        "        return result",
        "",
        "    def _get_outputs(self, outputs: dict[str, Any]) -> list[ProcessingOutput]:",
        '        """One ProcessingOutput per contract output, named by its logical name."""',
        '        base = "%s/%s" % (self.config.pipeline_s3_loc, self._get_step_name())',
        "        return [",
        "            ProcessingOutput(",
        "                output_name=logical_name,",
        "                source=container_path,",
        '                destination=outputs.get(logical_name, "%s/%s" % (base, logical_name)),',
        "            )",
        "            for logical_name, container_path in self.contract.expected_output_paths.items()",
        "        ]",
        "",
        "    def create_step(self, **kwargs: Any) -> ProcessingStep:",
        '        """Create the ProcessingStep wired from the resolved inputs."""',
        "        config = self.config",
        "        processor = SKLearnProcessor(",
        "            framework_version=config.processing_framework_version,",
        "            role=self.role,",
        "            instance_count=config.processing_instance_count,",
        "            instance_type=(",
        "                config.processing_instance_type_large",
        "                if config.use_large_processing_instance",
        "                else config.processing_instance_type_small",
        "            ),",
        "            volume_size_in_gb=config.processing_volume_size,",
        "            sagemaker_session=self.session,",
        "            env=self._get_environment_variables(),",
        "        )",
        "        step = ProcessingStep(",
        "            name=self._get_step_name(),",
        "            processor=processor,",
        '            inputs=self._get_inputs(kwargs.get("inputs", {})),',
        '            outputs=self._get_outputs(kwargs.get("outputs", {})),',
        "            job_arguments=self._get_job_arguments(),",
        '            depends_on=kwargs.get("dependencies", []),',
        '            cache_config=self._get_cache_config(kwargs.get("enable_caching", True)),',
        "        )",
        "        step._spec = self.spec",
        "        return step",
    ]


def _training_methods(optional: list[str]) -> list[str]:
    return [
        "    def _get_inputs(self, inputs: dict[str, Any]) -> dict[str, TrainingInput]:",
        '        """One training channel per contract input, named by its logical name."""',
        f"        optional = {_set(optional)}",
        "        channels = {}",
        "        for logical_name in self.contract.expected_input_paths:",
        "            if logical_name not in inputs:",
        "                if logical_name in optional:",
        "                    continue",
        '                raise ValueError("Required input not provided: %s" % logical_name)',
        "            channels[logical_name] = TrainingInput(s3_data=inputs[logical_name])",
        "        return channels",
        "",
        "    def _get_outputs(self, outputs: dict[str, Any]) -> str:",
        '        """The S3 output path; model artifacts land under it."""',
        '        default = "%s/%s" % (self.config.pipeline_s3_loc, self._get_step_name())',
        "        return next(iter(outputs.values()), default)",
        "",
        "    def create_step(self, **kwargs: Any) -> TrainingStep:",
        '        """Create the TrainingStep wired from the resolved inputs."""',
        "        config = self.config",
        "        estimator = Estimator(",
        "            entry_point=config.training_entry_point,",
        "            source_dir=config.source_dir,",
        "            role=self.role,",
        "            instance_type=config.training_instance_type,",
        "            instance_count=config.training_instance_count,",
        "            volume_size=config.training_volume_size,",
        '            output_path=self._get_outputs(kwargs.get("outputs", {})),',
        "            sagemaker_session=self.session,",
        "            environment=self._get_environment_variables(),",
        "        )",
        "        step = TrainingStep(",
        "            name=self._get_step_name(),",
        "            estimator=estimator,",
        '            inputs=self._get_inputs(kwargs.get("inputs", {})),',
        '            depends_on=kwargs.get("dependencies", []),',
        '            cache_config=self._get_cache_config(kwargs.get("enable_caching", True)),',
        "        )",
        "        step._spec = self.spec",
        "        return step",
    ]
