"""The architecture's conventions in one place: names, file layout, container paths, property paths.

Every module that derives or checks a name, a path or a config field asks this module, so a fact
of the four-layer architecture is written down exactly once.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

from ._env_source import ENV_SOURCE_HELP as ENV_SOURCE_HELP
from ._env_source import env_var_field
from ._layout import DEFAULT_LAYOUT, Layout
from .plan import DependencyType, JobType, NodeType, SageMakerStepType

__all__ = [
    "BASE_CONFIG_FIELDS",
    "DEFAULT_LAYOUT",
    "DEFAULT_REGISTRY",
    "LEGACY_ALIASES",
    "PROCESSING_CONFIG_FIELDS",
    "TRAINING_CONFIG_FIELDS",
    "Layout",
    "allowed_config_fields",
    "builder_class_name",
    "config_class_name",
    "contract_constant",
    "env_var_field",
    "input_prefixes",
    "node_type_for",
    "output_prefixes",
    "property_path_for",
    "snake_case",
    "spec_constant",
    "variant_step_type",
]

PASCAL_CASE: Final = re.compile(r"^[A-Z][A-Za-z0-9]*$")
SNAKE_CASE: Final = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
UPPER_SNAKE_CASE: Final = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
KEBAB_CASE: Final = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
LOGICAL_NAME: Final = re.compile(r"^[A-Za-z0-9_\-]+$")

# Brand words that keep their inner capitals as one token when converting to snake_case.
_WORDS: Final = {
    "XGBoost": "Xgboost",
    "PyTorch": "Pytorch",
    "LightGBM": "Lightgbm",
    "MLflow": "Mlflow",
}

PROCESSING_INPUT_PREFIX: Final = "/opt/ml/processing/input"
PROCESSING_OUTPUT_PREFIX: Final = "/opt/ml/processing/output"
# The one documented exception: payload samples may live anywhere under /opt/ml/processing/.
PROCESSING_PAYLOAD_PREFIX: Final = "/opt/ml/processing/"
TRAINING_INPUT_PREFIXES: Final = ("/opt/ml/input/data", "/opt/ml/input/config")
TRAINING_OUTPUT_PREFIXES: Final = ("/opt/ml/model", "/opt/ml/output/data", "/opt/ml/checkpoints")

BASE_CONFIG_FIELDS: Final = frozenset(
    {
        "author",
        "bucket",
        "role",
        "region",
        "service_name",
        "pipeline_version",
        "model_class",
        "current_date",
        "framework_version",
        "py_version",
        "source_dir",
    }
)
PROCESSING_CONFIG_FIELDS: Final = frozenset(
    {
        "processing_instance_count",
        "processing_volume_size",
        "processing_instance_type_large",
        "processing_instance_type_small",
        "use_large_processing_instance",
        "processing_source_dir",
        "processing_entry_point",
        "processing_script_arguments",
        "processing_framework_version",
    }
)
TRAINING_CONFIG_FIELDS: Final = frozenset(
    {
        "training_instance_type",
        "training_instance_count",
        "training_volume_size",
        "training_entry_point",
        "framework_version",
        "py_version",
        "hyperparameters",
    }
)
# Defaults of the processing base config, rendered into plans as the SageMaker parameters.
PROCESSING_DEFAULTS: Final = MappingProxyType(
    {
        "processing_instance_count": "1",
        "processing_volume_size": "500",
        "processing_instance_type_large": "'ml.m5.4xlarge'",
        "processing_instance_type_small": "'ml.m5.2xlarge'",
        "use_large_processing_instance": "False",
    }
)
TRAINING_DEFAULTS: Final = MappingProxyType(
    {
        "training_instance_type": "'ml.m5.4xlarge'",
        "training_instance_count": "1",
        "training_volume_size": "30",
    }
)

# The registry of a typical codebase: step name -> sagemaker_step_type.
DEFAULT_REGISTRY: Final = MappingProxyType(
    {
        "Base": SageMakerStepType.BASE,
        "Processing": SageMakerStepType.PROCESSING,
        "CradleDataLoading": SageMakerStepType.CRADLE_DATA_LOADING,
        "TabularPreprocessing": SageMakerStepType.PROCESSING,
        "RiskTableMapping": SageMakerStepType.PROCESSING,
        "CurrencyConversion": SageMakerStepType.PROCESSING,
        "PyTorchTraining": SageMakerStepType.TRAINING,
        "XGBoostTraining": SageMakerStepType.TRAINING,
        "DummyTraining": SageMakerStepType.PROCESSING,
        "XGBoostModelEval": SageMakerStepType.PROCESSING,
        "PyTorchModel": SageMakerStepType.CREATE_MODEL,
        "XGBoostModel": SageMakerStepType.CREATE_MODEL,
        "ModelCalibration": SageMakerStepType.PROCESSING,
        "Package": SageMakerStepType.PROCESSING,
        "Registration": SageMakerStepType.MIMS_MODEL_REGISTRATION_PROCESSING,
        "Payload": SageMakerStepType.PROCESSING,
        "HyperparameterPrep": SageMakerStepType.LAMBDA,
        "BatchTransform": SageMakerStepType.TRANSFORM,
    }
)
LEGACY_ALIASES: Final = MappingProxyType(
    {"MIMSPackaging": "Package", "MIMSPayload": "Payload", "ModelRegistration": "Registration"}
)
# Step types whose contracts use the training container layout.
TRAINING_LIKE: Final = frozenset({SageMakerStepType.TRAINING})
# Step types whose contracts use the processing container layout.
PROCESSING_LIKE: Final = frozenset(
    {
        SageMakerStepType.PROCESSING,
        SageMakerStepType.CRADLE_DATA_LOADING,
        SageMakerStepType.REDSHIFT_DATA_LOADING,
        SageMakerStepType.MIMS_MODEL_REGISTRATION_PROCESSING,
    }
)


def snake_case(step_name: str) -> str:
    """PascalCase step name -> snake_case file stem.

    >>> snake_case("XGBoostModelEval")
    'xgboost_model_eval'
    >>> snake_case("TabularPreprocessing")
    'tabular_preprocessing'
    """
    name = step_name
    for word, flat in _WORDS.items():
        name = name.replace(word, flat)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()


def config_class_name(step_name: str) -> str:
    """``<StepName>Config``."""
    return f"{step_name}Config"


def builder_class_name(step_name: str) -> str:
    """``<StepName>StepBuilder``."""
    return f"{step_name}StepBuilder"


def contract_constant(entry_point: str) -> str:
    """``<SCRIPT_UPPER_SNAKE>_CONTRACT`` from the script file name."""
    stem = entry_point.rsplit("/", 1)[-1].removesuffix(".py")
    return f"{re.sub(r'[^A-Za-z0-9]+', '_', stem).upper()}_CONTRACT"


def spec_constant(step_name: str, job_type: JobType | None = None) -> str:
    """``<NAME_UPPER>_SPEC`` or ``<NAME_UPPER>_<JOBTYPE>_SPEC``."""
    base = snake_case(step_name).upper()
    return f"{base}_{job_type.value.upper()}_SPEC" if job_type else f"{base}_SPEC"


#: ``<Base>_<JobType>`` (spec form) or ``<Base>-<JobType>`` (pipeline form).
JOB_SUFFIX: Final = re.compile(
    r"^(?P<base>.+?)(?P<sep>[_-])(?P<job>" + "|".join(j.value for j in JobType) + r")$", re.I
)


def strip_job_suffix(step_name: str) -> str:
    """``TabularPreprocessing_Training`` / ``TabularPreprocessing-Training`` -> ``TabularPreprocessing``.

    >>> strip_job_suffix("TabularPreprocessing-Training")
    'TabularPreprocessing'
    """
    match = JOB_SUFFIX.match(step_name)
    return match.group("base") if match else step_name


def variant_step_type(step_name: str, job_type: JobType) -> str:
    """``<StepName>_<Jobtype>``, the step_type of a job-type variant spec."""
    return f"{step_name}_{job_type.value.capitalize()}"


def input_prefixes(step_type: SageMakerStepType | None) -> tuple[str, ...]:
    """Allowed container-path prefixes for contract inputs of a step type (empty: not checked)."""
    if step_type in TRAINING_LIKE:
        return TRAINING_INPUT_PREFIXES
    if step_type in PROCESSING_LIKE:
        return (PROCESSING_INPUT_PREFIX,)
    return ()


def output_prefixes(
    step_type: SageMakerStepType | None, output_type: DependencyType | None = None
) -> tuple[str, ...]:
    """Allowed container-path prefixes for contract outputs (payload samples get the exception)."""
    if step_type in TRAINING_LIKE:
        return TRAINING_OUTPUT_PREFIXES
    if step_type in PROCESSING_LIKE:
        if output_type is DependencyType.PAYLOAD_SAMPLES:
            return (PROCESSING_PAYLOAD_PREFIX,)
        return (PROCESSING_OUTPUT_PREFIX,)
    return ()


def property_path_for(
    step_type: SageMakerStepType, logical_name: str, output_type: DependencyType
) -> str:
    """The property path SageMaker exposes for an output of a step of ``step_type``.

    >>> property_path_for(SageMakerStepType.PROCESSING, "data", DependencyType.PROCESSING_OUTPUT)
    "properties.ProcessingOutputConfig.Outputs['data'].S3Output.S3Uri"
    """
    if step_type is SageMakerStepType.TRAINING:
        if output_type is DependencyType.MODEL_ARTIFACTS:
            return "properties.ModelArtifacts.S3ModelArtifacts"
        return "properties.OutputDataConfig.S3OutputPath"
    if step_type is SageMakerStepType.TRANSFORM:
        return "properties.TransformOutput.S3OutputPath"
    if step_type is SageMakerStepType.CREATE_MODEL:
        return "properties.ModelName"
    return f"properties.ProcessingOutputConfig.Outputs['{logical_name}'].S3Output.S3Uri"


def allowed_config_fields(base_class: str, step_type: SageMakerStepType | None) -> frozenset[str]:
    """Fields a config may list as "SageMaker parameters" for its base class and step type."""
    fields = set(BASE_CONFIG_FIELDS)
    if base_class == "ProcessingStepConfigBase" or step_type in PROCESSING_LIKE:
        fields |= PROCESSING_CONFIG_FIELDS
    if step_type in TRAINING_LIKE:
        fields |= TRAINING_CONFIG_FIELDS
    return frozenset(fields)


def node_type_for(has_dependencies: bool, has_outputs: bool) -> NodeType:
    """The node type implied by whether a spec has dependencies and outputs.

    >>> node_type_for(True, False).value
    'sink'
    """
    if has_dependencies and has_outputs:
        return NodeType.INTERNAL
    if has_outputs:
        return NodeType.SOURCE
    if has_dependencies:
        return NodeType.SINK
    return NodeType.SINGULAR
