"""The architecture's conventions in one place: names, file layout, container paths, property paths.

Every module that derives or checks a name, a path or a config field asks this module, so a fact
of the four-layer architecture is written down exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from ._env_source import ENV_SOURCE_HELP as ENV_SOURCE_HELP
from ._env_source import env_var_field
from .errors import ConfigurationError
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


_LAYOUT_DEFAULTS: Final = MappingProxyType(
    {
        "contracts_dir": "src/pipeline_script_contracts",
        "specs_dir": "src/pipeline_step_specs",
        "configs_dir": "src/pipeline_steps",
        "builders_dir": "src/pipeline_steps",
        "scripts_dir": "src/pipeline_scripts",
        "registry_file": "src/pipeline_registry/step_names.py",
    }
)


@dataclass(frozen=True, init=False)
class Layout:
    """Where a codebase keeps each component: repository-relative POSIX folders and the registry.

    Defaults follow the planner prompt's ``src/pipeline_*`` (configs and builders together in
    ``src/pipeline_steps``). ``steps_dir`` is the older single folder of configs and builders: it
    fills whichever of ``configs_dir``/``builders_dir`` is not given. ``init_files`` are the
    ``__init__.py`` files a new step updates; None means one per component package (a detected
    layout lists only those that exist). `CodebaseIndex` detects a repository's layout.

    >>> Layout(steps_dir="lib/steps").builders_dir
    'lib/steps'
    """

    contracts_dir: str
    specs_dir: str
    configs_dir: str
    builders_dir: str
    scripts_dir: str
    registry_file: str
    init_files: tuple[str, ...] | None

    def __init__(
        self,
        *,
        contracts_dir: str | None = None,
        specs_dir: str | None = None,
        configs_dir: str | None = None,
        builders_dir: str | None = None,
        scripts_dir: str | None = None,
        registry_file: str | None = None,
        steps_dir: str | None = None,
        init_files: Iterable[str] | None = None,
    ) -> None:
        values = (contracts_dir, specs_dir, configs_dir, builders_dir, scripts_dir, registry_file)
        given = dict(zip(_LAYOUT_DEFAULTS, values, strict=True))  # the fields, in order
        for key, value in [*given.items(), ("steps_dir", steps_dir)]:
            if value is not None and not _relative_path(value):
                raise ConfigurationError(
                    f"Layout {key} must be a repository-relative path such as "
                    f"{_LAYOUT_DEFAULTS.get(key, 'src/pipeline_steps')!r}, not {value!r}"
                )
        for key in ("configs_dir", "builders_dir"):
            given[key] = steps_dir if given[key] is None else given[key]
        for key, value in given.items():
            folder = _LAYOUT_DEFAULTS[key] if value is None else value.strip().removeprefix("./")
            object.__setattr__(self, key, folder.rstrip("/"))
        files = None if init_files is None else tuple(init_files)
        if files is not None and not all(isinstance(f, str) and f for f in files):
            raise ConfigurationError(f"Layout init_files must be file paths, not {files!r}")
        object.__setattr__(self, "init_files", files)

    @property
    def steps_dir(self) -> str:
        """The configs folder (what older code that knew one ``steps_dir`` should read)."""
        return self.configs_dir

    def contract_file(self, name: str) -> str:
        """Script contract file for snake-case ``name``."""
        return f"{self.contracts_dir}/{name}_contract.py"

    def spec_file(self, name: str, job_type: JobType | None = None) -> str:
        """Specification file (job variants get ``<name>_<jobtype>_spec.py``)."""
        suffix = f"_{job_type.value}" if job_type else ""
        return f"{self.specs_dir}/{name}{suffix}_spec.py"

    def config_file(self, name: str) -> str:
        """Configuration file, in the preferred ``config_<name>_step.py`` form."""
        return f"{self.configs_dir}/config_{name}_step.py"

    def builder_file(self, name: str) -> str:
        """Builder file, in the preferred ``builder_<name>_step.py`` form."""
        return f"{self.builders_dir}/builder_{name}_step.py"

    def script_file(self, name: str) -> str:
        """Processing script file."""
        return f"{self.scripts_dir}/{name}.py"

    def summary(self) -> str:
        """One line for the prompt: where this codebase keeps each component."""
        return (
            f"Files of this codebase: contracts in `{self.contracts_dir}`, specifications in "
            f"`{self.specs_dir}`, configs in `{self.configs_dir}`, builders in "
            f"`{self.builders_dir}`, scripts in `{self.scripts_dir}`; registry "
            f"`{self.registry_file}`. Plan the new step's files there."
        )

    def packages(self) -> tuple[str, ...]:
        """The component folders whose ``__init__.py`` export a step's classes, each once."""
        folders = (self.configs_dir, self.builders_dir, self.specs_dir, self.contracts_dir)
        return tuple(dict.fromkeys(folders))

    def standard_updates(self) -> tuple[str, ...]:
        """The files every new step updates: the registry and the packages' ``__init__`` files."""
        inits = self.init_files
        if inits is None:
            inits = tuple(f"{folder}/__init__.py" for folder in self.packages())
        return (self.registry_file, *inits)


def _relative_path(value: object) -> bool:
    parts = value.strip().split("/") if isinstance(value, str) else []
    return bool(parts) and parts[0] != "" and ".." not in parts and value != "."


DEFAULT_LAYOUT: Final = Layout()


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
