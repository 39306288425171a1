"""Correct plans for the steps of ``tests/fixtures/codebase``, each with the requirements it answers.

Every plan describes its step as a *new* step consistent with the fixture codebase: check it against
``fixture_index().without(name)`` and no rule may fire.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from planner_agent.checks._codebase import CodebaseIndex
from planner_agent.draft import PlanDraft
from planner_agent.plan import ImplementationPlan

FIXTURES = Path(__file__).parent / "fixtures"
CODEBASE = FIXTURES / "codebase"
BROKEN_CODEBASE = FIXTURES / "broken_codebase"

_ERROR_HANDLING = {
    "input_validation": "Fail fast when an input directory is empty or a required column is missing",
    "script_robustness": "Write outputs atomically; never leave partial files",
    "logging_strategy": "INFO per phase, DEBUG row counts",
    "error_reporting": "Exit code 1 with the error logged",
}


def _input(name: str, path: str | None, kind: str, keywords: str, **extra: Any) -> dict[str, Any]:
    return {
        "logical_name": name,
        "container_path": path,
        "dependency_type": kind,
        "semantic_keywords": keywords.split(),
        **extra,
    }


def _output(
    name: str, path: str, kind: str, *consumers: tuple[str, str], **extra: Any
) -> dict[str, Any]:
    return {
        "logical_name": name,
        "container_path": path,
        "output_type": kind,
        "consumers": [{"step": s, "dependency": d} for s, d in consumers],
        **extra,
    }


def _env(*names: str, optional: str = "") -> list[dict[str, Any]]:
    env = [{"name": n, "required": True} for n in names]
    return env + ([{"name": optional, "required": False, "default": "''"}] if optional else [])


def _draft(name: str, step_type: str, description: str, **fields: Any) -> dict[str, Any]:
    return {
        "step_name": name,
        "sagemaker_step_type": step_type,
        "description": description,
        "purpose": description,
        "position_in_pipeline": fields.pop("position", ""),
        "error_handling": _ERROR_HANDLING,
        "testing": {
            "unit_tests": ["Contract/spec alignment"],
            "integration_tests": [],
            "validation_criteria": [],
        },
        **fields,
    }


PROCESSING_IN = "/opt/ml/processing/input"
PROCESSING_OUT = "/opt/ml/processing/output"

# name -> (requirements, draft dict)
FIXTURE_DRAFTS: dict[str, tuple[str, dict[str, Any]]] = {
    "CradleDataLoading": (
        "Add a CradleDataLoading step that loads raw tabular records and their metadata from the "
        "Cradle data service for one configured data source. It starts the pipeline; "
        "TabularPreprocessing reads what it loads.",
        _draft(
            "CradleDataLoading",
            "CradleDataLoading",
            "Loads raw tabular data and its metadata from the Cradle data service",
            position="First step",
            outputs=[
                _output(
                    "data_output",
                    f"{PROCESSING_OUT}/data",
                    "processing_output",
                    ("TabularPreprocessing", "data_input"),
                ),
                _output("metadata_output", f"{PROCESSING_OUT}/metadata", "processing_output"),
            ],
            env_vars=_env("DATA_SOURCE", optional="OUTPUT_FORMAT"),
        ),
    ),
    "TabularPreprocessing": (
        "Add a TabularPreprocessing step that cleans the raw tabular records loaded by "
        "CradleDataLoading, imputes missing values and writes processed data. It runs separately "
        "for the training, validation, testing and calibration data.",
        _draft(
            "TabularPreprocessing",
            "Processing",
            "Cleans raw tabular data and writes processed data per job type",
            position="After CradleDataLoading, before XGBoostTraining and XGBoostModelEval",
            inputs=[
                _input(
                    "data_input",
                    f"{PROCESSING_IN}/data",
                    "processing_output",
                    "data raw input dataset source tabular",
                    source_step="CradleDataLoading",
                    source_output="data_output",
                )
            ],
            outputs=[
                _output(
                    "processed_data",
                    f"{PROCESSING_OUT}/processed",
                    "processing_output",
                    ("XGBoostTraining", "input_path"),
                    ("XGBoostModelEval", "processed_data"),
                )
            ],
            env_vars=_env("LABEL_FIELD", "TRAIN_RATIO", optional="CATEGORICAL_COLUMNS"),
            script_arguments=[{"name": "job-type", "value": "training"}],
            job_type_variants=["training", "validation", "testing", "calibration"],
        ),
    ),
    "XGBoostTraining": (
        "Add an XGBoostTraining step that trains an XGBoost model on the processed data from "
        "TabularPreprocessing, with hyperparameters from a JSON config, and writes the model "
        "artifacts and an evaluation output.",
        _draft(
            "XGBoostTraining",
            "Training",
            "Trains an XGBoost model on processed data",
            position="After TabularPreprocessing (training job type)",
            inputs=[
                _input(
                    "input_path",
                    "/opt/ml/input/data",
                    "training_data",
                    "data training dataset processed",
                    source_step="TabularPreprocessing_Training",
                    source_output="processed_data",
                ),
                _input(
                    "hyperparameters_s3_uri",
                    "/opt/ml/input/config",
                    "hyperparameters",
                    "config params hyperparameters settings",
                    required=False,
                ),
            ],
            outputs=[
                _output(
                    "model_output",
                    "/opt/ml/model",
                    "model_artifacts",
                    ("XGBoostModelEval", "model_input"),
                    ("Package", "model_input"),
                    aliases=["model_input"],
                ),
                _output("evaluation_output", "/opt/ml/output/data", "processing_output"),
            ],
            config_parameters=[
                {"name": "hyperparameters", "type": "dict[str, str]", "default": "{}"}
            ],
        ),
    ),
    "XGBoostModelEval": (
        "Add an XGBoostModelEval step that scores held-out processed data from TabularPreprocessing "
        "with the trained XGBoost model artifacts and writes predictions and evaluation metrics "
        "that Registration attaches.",
        _draft(
            "XGBoostModelEval",
            "Processing",
            "Scores held-out data with a trained XGBoost model; writes predictions and metrics",
            inputs=[
                _input(
                    "model_input",
                    f"{PROCESSING_IN}/model",
                    "model_artifacts",
                    "model artifacts trained xgboost",
                    source_step="XGBoostTraining",
                    source_output="model_output",
                ),
                _input(
                    "processed_data",
                    f"{PROCESSING_IN}/eval_data",
                    "processing_output",
                    "data evaluation processed test",
                    source_step="TabularPreprocessing-Calibration",
                    source_output="processed_data",
                ),
            ],
            outputs=[
                _output("eval_output", f"{PROCESSING_OUT}/eval", "processing_output"),
                _output(
                    "metrics_output",
                    f"{PROCESSING_OUT}/metrics",
                    "processing_output",
                    ("Registration", "performance_metrics"),
                ),
            ],
            env_vars=_env("ID_FIELD", "LABEL_FIELD"),
        ),
    ),
    "Package": (
        "Add a Package step that bundles the trained model artifacts from XGBoostTraining with the "
        "inference scripts into one deployable archive for Registration.",
        _draft(
            "Package",
            "Processing",
            "Bundles model artifacts and inference scripts into a deployable archive",
            inputs=[
                _input(
                    "model_input",
                    f"{PROCESSING_IN}/model",
                    "model_artifacts",
                    "model artifacts trained output",
                    source_step="XGBoostTraining",
                    source_output="model_output",
                ),
                _input(
                    "inference_scripts_input",
                    f"{PROCESSING_IN}/script",
                    "custom_property",
                    "inference scripts code source",
                    required=False,
                ),
            ],
            outputs=[
                _output(
                    "packaged_model",
                    PROCESSING_OUT,
                    "model_artifacts",
                    ("Registration", "packaged_model"),
                )
            ],
        ),
    ),
    "Registration": (
        "Add a Registration step that registers the packaged model from Package in the MIMS model "
        "registry and attaches the performance metrics computed by XGBoostModelEval.",
        _draft(
            "Registration",
            "MimsModelRegistrationProcessing",
            "Registers the packaged model in the MIMS model registry",
            position="Last step",
            inputs=[
                _input(
                    "packaged_model",
                    f"{PROCESSING_IN}/model",
                    "model_artifacts",
                    "model package packaged artifacts",
                    source_step="Package",
                    source_output="packaged_model",
                ),
                _input(
                    "performance_metrics",
                    f"{PROCESSING_IN}/metrics",
                    "processing_output",
                    "metrics performance evaluation",
                    required=False,
                    source_step="XGBoostModelEval",
                    source_output="metrics_output",
                ),
            ],
            env_vars=_env("MODEL_OWNER", "MODEL_DOMAIN"),
        ),
    ),
}


def fixture_plan(name: str) -> ImplementationPlan:
    """The correct plan for fixture step ``name``."""
    return PlanDraft.model_validate(FIXTURE_DRAFTS[name][1]).to_plan()


def fixture_requirements(name: str) -> str:
    """The requirements text the fixture plan answers."""
    return FIXTURE_DRAFTS[name][0]


@cache
def fixture_index() -> CodebaseIndex:
    """The index of ``tests/fixtures/codebase`` (built once per test session)."""
    return CodebaseIndex.from_path(CODEBASE)
