"""The step builder code block: spec selection, inputs and outputs, ``create_step``.

Processing and training steps differ in the SageMaker objects the builder creates.
"""

from __future__ import annotations

from ..conventions import env_var_field
from ..plan import ImplementationPlan, SageMakerStepType
from ._code_text import (
    comment,
    header,
    ident,
    lit,
    module_name,
    set_lit,
    spec_constants,
    step_idents,
)

__all__ = ["builder_block"]


def builder_block(plan: ImplementationPlan) -> str:
    """The step builder: spec selection, ``_get_inputs``, ``_get_outputs``, ``create_step``.

    >>> "def create_step(self, **kwargs: Any) -> ProcessingStep:" in builder_block(plan)  # doctest: +SKIP
    True
    """
    comps = plan.components
    name, _, config, builder = step_idents(plan)
    training = plan.registry_entry.sagemaker_step_type is SageMakerStepType.TRAINING
    config_module = module_name(comps.configuration.file_path, f"config_{name}_step")
    specs = spec_constants(plan)
    optional = sorted(
        d.logical_name for d in comps.step_specification.dependencies if not d.required
    )
    contract = comps.script_contract  # Variables the builder sets need no config field.
    fields = (
        env_var_field(v, contract.env_var_sources.get(v, "")) for v in contract.required_env_vars
    )
    env_fields = sorted({ident(f) for f in fields if f})
    lines = [*header(comps.step_builder.file_path, "step builder"), "import logging"]
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
            *(f"    {lit(jt.value if jt else '')}: {c}," for jt, c, _ in specs),
        ]
        lines += ["}", ""]
    lines += [
        "",
        f"class {builder}(StepBuilderBase):",
        f'    """Builds the {ident(plan.step_name)} step from its specification and script contract."""',
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
        f"            raise ValueError({lit(f'{builder} requires a {config} instance.')})",
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
        f"        for attr in {lit(env_fields)}:",
        '            if getattr(self.config, attr, None) in (None, ""):',
        '                raise ValueError("config field %s is required" % attr)',
        "",
    ]
    lines += _training_methods(optional) if training else _processing_methods(optional)
    return "\n".join(lines)


def _special(items: list[str]) -> list[str]:
    lines = [line for item in items for line in comment(f"Special handling: {item}", 4)]
    return [*lines, ""] if lines else []


def _processing_methods(optional: list[str]) -> list[str]:
    return [
        "    def _get_inputs(self, inputs: dict[str, Any]) -> list[ProcessingInput]:",
        '        """One ProcessingInput per contract input, named by its logical name."""',
        f"        optional = {set_lit(optional)}",
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
        f"        optional = {set_lit(optional)}",
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
