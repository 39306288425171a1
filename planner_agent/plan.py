"""The implementation plan: Pydantic v2 models that mirror the seed prompt's sections 1-7.

`ImplementationPlan` is the full, explicit plan every other module speaks: checks run on it,
`render` turns it into the seed's markdown, `markdown` reads it back. Plans written by the LLM
come from the smaller `PlanDraft` (see ``draft.py``), which states each fact once; imported plans
(markdown or JSON) fill this model directly, so the contract and the specification are stored
separately here and can be checked against each other.

This module imports nothing else from the package.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Alignment",
    "Components",
    "ConfigParameter",
    "ConfigurationPlan",
    "ContractPath",
    "DataType",
    "DependencyPlan",
    "DependencyType",
    "DownstreamLink",
    "ErrorHandling",
    "ImplementationPlan",
    "Integration",
    "JobType",
    "NodeType",
    "OutputPlan",
    "PlanIssue",
    "ProcessingScriptPlan",
    "RegistryEntry",
    "ResolverCandidate",
    "SageMakerStepType",
    "ScriptContractPlan",
    "Severity",
    "StepBuilderPlan",
    "StepOverview",
    "StepSpecificationPlan",
    "TestingPlan",
    "UpstreamLink",
]


class DependencyType(StrEnum):
    """The six dependency/output types of a step specification (there is no ``processing_input``)."""

    MODEL_ARTIFACTS = "model_artifacts"
    PROCESSING_OUTPUT = "processing_output"
    TRAINING_DATA = "training_data"
    HYPERPARAMETERS = "hyperparameters"
    PAYLOAD_SAMPLES = "payload_samples"
    CUSTOM_PROPERTY = "custom_property"


class NodeType(StrEnum):
    """Where a step sits in the DAG, determined by whether it has dependencies and outputs."""

    SOURCE = "source"
    INTERNAL = "internal"
    SINK = "sink"
    SINGULAR = "singular"


class SageMakerStepType(StrEnum):
    """The ``sagemaker_step_type`` values a registry entry may carry (the framework's
    ``validate_sagemaker_step_type`` accepts exactly these)."""

    PROCESSING = "Processing"
    TRAINING = "Training"
    TRANSFORM = "Transform"
    CREATE_MODEL = "CreateModel"
    REGISTER_MODEL = "RegisterModel"
    BASE = "Base"
    UTILITY = "Utility"
    LAMBDA = "Lambda"
    CRADLE_DATA_LOADING = "CradleDataLoading"
    REDSHIFT_DATA_LOADING = "RedshiftDataLoading"
    MIMS_MODEL_REGISTRATION_PROCESSING = "MimsModelRegistrationProcessing"


class JobType(StrEnum):
    """The job types a step may have one specification variant for."""

    TRAINING = "training"
    VALIDATION = "validation"
    TESTING = "testing"
    CALIBRATION = "calibration"


class DataType(StrEnum):
    """Data type of a dependency or output."""

    S3URI = "S3Uri"
    STRING = "String"
    INTEGER = "Integer"
    FLOAT = "Float"
    BOOLEAN = "Boolean"


class _Model(BaseModel):
    # Unknown keys are an error: a misspelt field must not be silently dropped.
    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_assignment=True)


class StepOverview(_Model):
    """Section 1: what the step is for and how it is designed."""

    purpose: str = ""
    inputs: list[str] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    position_in_pipeline: str = ""
    architectural_considerations: list[str] = Field(default_factory=list)
    design_principles_alignment: list[str] = Field(default_factory=list)


class ContractPath(_Model):
    """One contract input or output: logical name -> container directory."""

    logical_name: str
    container_path: str
    description: str = ""


class ScriptContractPlan(_Model):
    """The script contract: container paths, environment variables, arguments."""

    file_path: str = ""
    entry_point: str
    input_paths: list[ContractPath] = Field(default_factory=list)
    output_paths: list[ContractPath] = Field(default_factory=list)
    required_env_vars: list[str] = Field(default_factory=list)
    optional_env_vars: dict[str, str] = Field(default_factory=dict)
    env_var_sources: dict[str, str] = Field(
        default_factory=dict,
        description="Env var -> where its value comes from when not `config.<name lower>`: "
        "`config.<field>` or `builder` (set by the builder or the execution context)",
    )
    expected_arguments: dict[str, str] = Field(default_factory=dict)
    framework_requirements: dict[str, str] = Field(default_factory=dict)
    description: str = ""


class DependencyPlan(_Model):
    """A logical dependency of the step specification."""

    logical_name: str
    dependency_type: DependencyType
    required: bool = True
    compatible_sources: list[str] = Field(default_factory=list)
    semantic_keywords: list[str] = Field(default_factory=list)
    data_type: DataType = DataType.S3URI
    description: str = ""


class OutputPlan(_Model):
    """A logical output of the step specification."""

    logical_name: str
    output_type: DependencyType
    property_path: str
    aliases: list[str] = Field(default_factory=list)
    data_type: DataType = DataType.S3URI
    description: str = ""


class StepSpecificationPlan(_Model):
    """The step specification: logical dependencies and outputs."""

    file_path: str = ""
    step_type: str
    node_type: NodeType
    dependencies: list[DependencyPlan] = Field(default_factory=list)
    outputs: list[OutputPlan] = Field(default_factory=list)
    job_type_variants: list[JobType] = Field(default_factory=list)


class ConfigParameter(_Model):
    """One configuration field. ``default`` is the Python literal as text; None means essential."""

    name: str
    type: str = "str"
    default: str | None = None
    description: str = ""


class ConfigurationPlan(_Model):
    """The configuration class (a Pydantic v2 model deriving from a base config)."""

    file_path: str = ""
    class_name: str
    base_class: str = "ProcessingStepConfigBase"
    step_parameters: list[ConfigParameter] = Field(default_factory=list)
    sagemaker_parameters: list[ConfigParameter] = Field(default_factory=list)


class StepBuilderPlan(_Model):
    """The step builder class."""

    file_path: str = ""
    class_name: str
    special_handling: list[str] = Field(default_factory=list)


class ProcessingScriptPlan(_Model):
    """The processing script that implements the business logic."""

    file_path: str = ""
    algorithm: str = ""
    main_functions: list[str] = Field(default_factory=list)


class Components(_Model):
    """Section 2: the five components to create."""

    script_contract: ScriptContractPlan
    step_specification: StepSpecificationPlan
    configuration: ConfigurationPlan
    step_builder: StepBuilderPlan
    processing_script: ProcessingScriptPlan


class UpstreamLink(_Model):
    """An upstream producer: ``step``'s output ``output`` feeds our dependency ``dependency``."""

    step: str
    output: str = ""
    dependency: str = ""


class DownstreamLink(_Model):
    """A downstream consumer: our output ``output`` feeds ``step``'s dependency ``dependency``."""

    step: str
    output: str = ""
    dependency: str = ""


class ResolverCandidate(_Model):
    """An existing producer output the dependency resolver would match to one of our dependencies."""

    dependency: str
    step: str
    output: str
    score: float


class Integration(_Model):
    """Section 4: where the step sits in the DAG.

    ``resolver_candidates`` (filled when a codebase is known) lists, per dependency, the best
    existing producers by resolver score, best first.
    """

    upstream_steps: list[UpstreamLink] = Field(default_factory=list)
    downstream_steps: list[DownstreamLink] = Field(default_factory=list)
    dag_updates: list[str] = Field(default_factory=list)
    resolver_candidates: list[ResolverCandidate] = Field(default_factory=list)


class Alignment(_Model):
    """Section 5: how contract names map to specification names."""

    input_alignment: list[str] = Field(default_factory=list)
    output_alignment: list[str] = Field(default_factory=list)
    validation_strategy: list[str] = Field(default_factory=list)


class ErrorHandling(_Model):
    """Section 6: error handling strategy."""

    input_validation: str = ""
    script_robustness: str = ""
    logging_strategy: str = ""
    error_reporting: str = ""


class TestingPlan(_Model):
    """Section 7: testing and validation."""

    unit_tests: list[str] = Field(default_factory=list)
    integration_tests: list[str] = Field(default_factory=list)
    validation_criteria: list[str] = Field(default_factory=list)


class RegistryEntry(_Model):
    """The ``STEP_NAMES`` entry. ``sagemaker_step_type`` is None only for imported legacy plans."""

    step_name: str
    config_class: str
    builder_step_name: str
    spec_type: str
    sagemaker_step_type: SageMakerStepType | None = None
    description: str = ""


class ImplementationPlan(_Model):
    """A complete implementation plan for one new pipeline step (sections 1-7 + registry entry).

    >>> plan = ImplementationPlan.model_validate_json(text)  # doctest: +SKIP
    >>> plan.components.script_contract.input_paths[0].container_path  # doctest: +SKIP
    '/opt/ml/processing/input/data'
    """

    step_name: str
    overview: StepOverview = Field(default_factory=StepOverview)
    components: Components
    files_to_update: list[str] = Field(default_factory=list)
    integration: Integration = Field(default_factory=Integration)
    alignment: Alignment = Field(default_factory=Alignment)
    error_handling: ErrorHandling = Field(default_factory=ErrorHandling)
    testing: TestingPlan = Field(default_factory=TestingPlan)
    registry_entry: RegistryEntry

    def to_json(self, *, indent: int | None = 2) -> str:
        """Serialize to JSON (the format ``schemas/implementation_plan.schema.json`` describes)."""
        return self.model_dump_json(indent=indent)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict."""
        data: dict[str, Any] = json.loads(self.model_dump_json())
        return data


class Severity(StrEnum):
    """How bad a `PlanIssue` is: errors feed re-asks and make ``ok`` false; warnings are reported;
    ``info`` records what the repair pass changed."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class PlanIssue(BaseModel):
    """One finding about a plan: a stable ``code``, a severity, a JSON path and a how-to-fix message.

    >>> PlanIssue(code="ENUM001", severity=Severity.ERROR, path="x", message="m").is_error
    True
    """

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    path: str
    message: str

    @property
    def is_error(self) -> bool:
        """True for error-level issues."""
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        return f"{self.severity.value} {self.code} at {self.path or '<plan>'}: {self.message}"
