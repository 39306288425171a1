"""What the LLM fills: `PlanDraft`, which states each fact once, and its expansion to a full plan.

Real plans went wrong where the model restated a fact (contract vs specification) or wrote code
until it ran out of tokens. So the draft describes every input and output once — name, container
path, type, keywords, intended producer or consumers — and `PlanDraft.to_plan` derives the rest:
the contract and specification views (aligned by construction), class names, file paths, property
paths, node type, registry entry, the alignment section and the standard files to update.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

import planner_agent.conventions as cv  # `from . import conventions` depends on the package root

from ._derive import describe as _describe
from ._derive import fill_container_paths, why_path
from ._derive import unique as _unique
from ._derive import unquote as _unquote
from ._pytypes import literal_type as _literal_type
from .plan import (
    Alignment,
    Components,
    ConfigParameter,
    ConfigurationPlan,
    ContractPath,
    DataType,
    DependencyPlan,
    DependencyType,
    DownstreamLink,
    ErrorHandling,
    ImplementationPlan,
    Integration,
    JobType,
    OutputPlan,
    ProcessingScriptPlan,
    RegistryEntry,
    SageMakerStepType,
    ScriptContractPlan,
    StepBuilderPlan,
    StepOverview,
    StepSpecificationPlan,
    TestingPlan,
    UpstreamLink,
)

__all__ = [
    "DraftArgument",
    "DraftConsumer",
    "DraftEnvVar",
    "DraftInput",
    "DraftOutput",
    "DraftParameter",
    "DraftRequirement",
    "DraftSetting",
    "PlanDraft",
]


_DERIVED = (
    "null: derived from step type and name (/opt/ml/processing/input/<name>); set to override"
)


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftInput(_Draft):
    """One input, stated once: it becomes a spec dependency and (with a path) a contract input."""

    logical_name: str = Field(description="snake_case; the same name in contract and specification")
    container_path: str | None = Field(default=None, description=_DERIVED)
    read_by_script: bool = Field(
        default=True, description="false: spec-only, the script never reads it"
    )
    path_reason: str = Field(default="", description="Why container_path overrides the derived one")
    dependency_type: DependencyType
    data_type: DataType = DataType.S3URI
    required: bool = True
    compatible_sources: list[str] = Field(
        default_factory=list, description="Registry step names that can provide this input"
    )
    semantic_keywords: list[str] = Field(
        default_factory=list, description="4-12 lower-case words that describe the data"
    )
    source_step: str | None = Field(
        default=None, description="Registry name of the intended upstream producer, if any"
    )
    source_output: str | None = Field(
        default=None, description="Logical name of the producer's output that feeds this input"
    )
    description: str = ""


class DraftConsumer(_Draft):
    """A downstream step that consumes an output, and the dependency name it declares."""

    step: str
    dependency: str


class DraftOutput(_Draft):
    """One output, stated once: it becomes a contract output and a spec output."""

    logical_name: str = Field(description="snake_case; the same name in contract and specification")
    container_path: str | None = Field(default=None, description=_DERIVED)
    path_reason: str = Field(default="", description="Why container_path overrides the derived one")
    output_type: DependencyType
    data_type: DataType = DataType.S3URI
    aliases: list[str] = Field(default_factory=list)
    consumers: list[DraftConsumer] = Field(default_factory=list)
    description: str = ""


class DraftEnvVar(_Draft):
    """An environment variable, fed by the config field named like it unless ``source`` differs."""

    name: str = Field(description="UPPER_SNAKE_CASE")
    required: bool = True
    type: str = "str"
    default: str | None = Field(default=None, description="Python literal; null if essential")
    description: str = ""
    source: str = Field(default="", description=cv.ENV_SOURCE_HELP)


class DraftArgument(_Draft):
    """A script command-line argument (kebab-case) and its value."""

    name: str
    value: str = ""


class DraftRequirement(_Draft):
    """A framework requirement: package and version specifier."""

    package: str
    version: str = ""


class DraftParameter(_Draft):
    """A step-specific config field that is not an environment variable."""

    name: str
    type: str = "str"
    default: str | None = None
    description: str = ""


class DraftSetting(_Draft):
    """A base-config SageMaker parameter whose default this step changes."""

    name: str
    value: str


class PlanDraft(_Draft):
    """The structured reply the LLM fills; `to_plan` expands it into an `ImplementationPlan`."""

    step_name: str = Field(description="PascalCase canonical step name, e.g. ModelCalibration")
    sagemaker_step_type: SageMakerStepType
    description: str = Field(description="One-line registry description")
    purpose: str
    position_in_pipeline: str
    architectural_considerations: list[str] = Field(default_factory=list)
    design_principles_alignment: list[str] = Field(default_factory=list)
    inputs: list[DraftInput] = Field(default_factory=list)
    outputs: list[DraftOutput] = Field(default_factory=list)
    env_vars: list[DraftEnvVar] = Field(default_factory=list)
    script_arguments: list[DraftArgument] = Field(default_factory=list)
    framework_requirements: list[DraftRequirement] = Field(default_factory=list)
    config_parameters: list[DraftParameter] = Field(default_factory=list)
    sagemaker_settings: list[DraftSetting] = Field(default_factory=list)
    job_type_variants: list[JobType] = Field(default_factory=list)
    builder_special_handling: list[str] = Field(default_factory=list)
    algorithm: str = ""
    main_functions: list[str] = Field(default_factory=list)
    dag_updates: list[str] = Field(default_factory=list)
    error_handling: ErrorHandling = Field(default_factory=ErrorHandling)
    testing: TestingPlan = Field(default_factory=TestingPlan)
    extra_files_to_update: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _derive_paths(self) -> PlanDraft:
        fill_container_paths(self.sagemaker_step_type, self.inputs, self.outputs)
        return self

    def to_plan(self, layout: cv.Layout = cv.DEFAULT_LAYOUT) -> ImplementationPlan:
        """Expand the draft into a full plan; derived parts are aligned by construction.

        >>> plan = draft.to_plan()  # doctest: +SKIP
        >>> plan.registry_entry.builder_step_name  # doctest: +SKIP
        'ModelCalibrationStepBuilder'
        """
        name = cv.snake_case(self.step_name)
        step_type = self.sagemaker_step_type
        return ImplementationPlan(
            step_name=self.step_name,
            overview=StepOverview(
                purpose=self.purpose,
                inputs=[
                    _describe(i.logical_name, i.container_path, i.description) for i in self.inputs
                ],
                outputs=[
                    _describe(o.logical_name, o.container_path, o.description) for o in self.outputs
                ],
                position_in_pipeline=self.position_in_pipeline,
                architectural_considerations=list(self.architectural_considerations),
                design_principles_alignment=list(self.design_principles_alignment),
            ),
            components=Components(
                script_contract=self._contract(name, layout),
                step_specification=self._specification(name, layout),
                configuration=self._configuration(name, layout),
                step_builder=StepBuilderPlan(
                    file_path=layout.builder_file(name),
                    class_name=cv.builder_class_name(self.step_name),
                    special_handling=list(self.builder_special_handling),
                ),
                processing_script=ProcessingScriptPlan(
                    file_path=layout.script_file(name),
                    algorithm=self.algorithm,
                    main_functions=list(self.main_functions),
                ),
            ),
            files_to_update=_unique([*layout.standard_updates(), *self.extra_files_to_update]),
            integration=self._integration(),
            alignment=self._alignment(),
            error_handling=self.error_handling.model_copy(),
            testing=self.testing.model_copy(),
            registry_entry=RegistryEntry(
                step_name=self.step_name,
                config_class=cv.config_class_name(self.step_name),
                builder_step_name=cv.builder_class_name(self.step_name),
                spec_type=self.step_name,
                sagemaker_step_type=step_type,
                description=self.description,
            ),
        )

    def _contract(self, name: str, layout: cv.Layout) -> ScriptContractPlan:
        return ScriptContractPlan(
            file_path=layout.contract_file(name),
            entry_point=f"{name}.py",
            input_paths=[
                ContractPath(
                    logical_name=i.logical_name,
                    container_path=i.container_path,
                    description=i.description,
                )
                for i in self.inputs
                if i.container_path
            ],
            output_paths=[
                ContractPath(
                    logical_name=o.logical_name,
                    container_path=o.container_path,
                    description=o.description,
                )
                for o in self.outputs
                if o.container_path
            ],
            required_env_vars=[e.name for e in self.env_vars if e.required],
            optional_env_vars={
                e.name: _unquote(e.default) for e in self.env_vars if not e.required
            },
            env_var_sources={e.name: e.source for e in self.env_vars if e.source},
            expected_arguments={a.name: a.value for a in self.script_arguments},
            framework_requirements={r.package: r.version for r in self.framework_requirements},
            description=f"Contract for {self.step_name}: {self.description}",
        )

    def _specification(self, name: str, layout: cv.Layout) -> StepSpecificationPlan:
        dependencies = [
            DependencyPlan(
                logical_name=i.logical_name,
                dependency_type=i.dependency_type,
                required=i.required,
                # The intended producer is always a compatible source; the model need not repeat it.
                compatible_sources=_unique(
                    # The resolver matches compatible_sources to base step names, never variants.
                    [
                        *i.compatible_sources,
                        *([cv.strip_job_suffix(i.source_step)] if i.source_step else []),
                    ]
                ),
                semantic_keywords=list(i.semantic_keywords),
                data_type=i.data_type,
                description=i.description,
            )
            for i in self.inputs
        ]
        outputs = [
            OutputPlan(
                logical_name=o.logical_name,
                output_type=o.output_type,
                property_path=cv.property_path_for(
                    self.sagemaker_step_type, o.logical_name, o.output_type
                ),
                aliases=list(o.aliases),
                data_type=o.data_type,
                description=o.description,
            )
            for o in self.outputs
        ]
        return StepSpecificationPlan(
            file_path=layout.spec_file(name),
            step_type=self.step_name,
            node_type=cv.node_type_for(bool(dependencies), bool(outputs)),
            dependencies=dependencies,
            outputs=outputs,
            job_type_variants=list(self.job_type_variants),
        )

    def _configuration(self, name: str, layout: cv.Layout) -> ConfigurationPlan:
        training = self.sagemaker_step_type is SageMakerStepType.TRAINING
        defaults = cv.TRAINING_DEFAULTS if training else cv.PROCESSING_DEFAULTS
        settings = {s.name: s.value for s in self.sagemaker_settings}
        sagemaker = [
            ConfigParameter(name=k, type=_literal_type(v), default=settings.pop(k, v))
            for k, v in defaults.items()
        ]
        # The script the builder runs (its get_script_path() / the estimator's entry point).
        entry = "training_entry_point" if training else "processing_entry_point"
        default = settings.pop(entry, repr(f"{name}.py"))
        sagemaker.append(ConfigParameter(name=entry, type="str", default=default))
        sagemaker += [
            ConfigParameter(name=k, type=_literal_type(v), default=v) for k, v in settings.items()
        ]
        step_params = [
            ConfigParameter(name=f, type=e.type, default=e.default, description=e.description)
            for e in self.env_vars
            if (f := cv.env_var_field(e.name, e.source))  # None: the builder sets it.
        ]
        if self.job_type_variants:
            step_params.append(
                ConfigParameter(
                    name="job_type",
                    type="str",
                    description="One of: " + ", ".join(j.value for j in self.job_type_variants),
                )
            )
        known = {p.name for p in step_params}
        step_params += [
            ConfigParameter(name=p.name, type=p.type, default=p.default, description=p.description)
            for p in self.config_parameters
            if p.name not in known
        ]
        return ConfigurationPlan(
            file_path=layout.config_file(name),
            class_name=cv.config_class_name(self.step_name),
            base_class="BasePipelineConfig" if training else "ProcessingStepConfigBase",
            step_parameters=step_params,
            sagemaker_parameters=sagemaker,
        )

    def _integration(self) -> Integration:
        return Integration(
            upstream_steps=[
                UpstreamLink(
                    step=i.source_step, output=i.source_output or "", dependency=i.logical_name
                )
                for i in self.inputs
                if i.source_step
            ],
            downstream_steps=[
                DownstreamLink(step=c.step, output=o.logical_name, dependency=c.dependency)
                for o in self.outputs
                for c in o.consumers
            ],
            dag_updates=list(self.dag_updates),
        )

    def _alignment(self) -> Alignment:
        inputs = [
            f"contract input '{i.logical_name}' ({i.container_path}) = dependency '{i.logical_name}'"
            + why_path(i.path_reason)
            if i.container_path
            else f"dependency '{i.logical_name}' is specification-only (not read by the script)"
            for i in self.inputs
        ]
        outputs = [
            f"contract output '{o.logical_name}' ({o.container_path}) = output '{o.logical_name}'"
            + why_path(o.path_reason)
            if o.container_path
            else f"output '{o.logical_name}' is specification-only (no container directory)"
            for o in self.outputs
        ]
        return Alignment(
            input_alignment=inputs,
            output_alignment=outputs,
            validation_strategy=[
                "Contract and specification are generated from one list of inputs and outputs, "
                "so their logical names match by construction",
                "planner-agent check verifies names, container paths and property paths before coding",
                "A unit test asserts every contract input/output name is a specification dependency/output",
            ],
        )
