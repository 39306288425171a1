"""Container paths are derived from the step type and the logical name unless the model overrides them."""

from __future__ import annotations

from typing import Any

from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import Planner, PlanResult
from planner_agent.testing import Reply, ScriptedTransport

MODEL = "gpt-4o-mini"


def _plan(draft: dict[str, Any]) -> PlanResult:
    double = ScriptedTransport([Reply.json(draft)])
    return Planner(client=double.client(), model=MODEL, max_attempts=1).plan(
        CALIBRATION_REQUIREMENTS
    )


def _without_paths(draft: dict[str, Any]) -> dict[str, Any]:
    for item in [*draft["inputs"], *draft["outputs"]]:
        item.pop("container_path", None)
    return draft


def _paths(result: PlanResult) -> tuple[dict[str, str], dict[str, str]]:
    contract = result.plan.components.script_contract
    return (
        {p.logical_name: p.container_path for p in contract.input_paths},
        {p.logical_name: p.container_path for p in contract.output_paths},
    )


def test_processing_paths_are_derived_when_absent() -> None:
    draft = _without_paths(calibration_draft_dict())
    draft["outputs"].append({"logical_name": "metrics_output", "output_type": "processing_output"})
    result = _plan(draft)
    inputs, outputs = _paths(result)
    # The evaluation steps' convention: scored data is read at eval_data.
    assert inputs == {"evaluation_data": "/opt/ml/processing/input/eval_data"}
    assert outputs == {
        "calibration_output": "/opt/ml/processing/output/calibration",
        "calibrated_data": "/opt/ml/processing/output/calibrated_data",
        "metrics_output": "/opt/ml/processing/output/metrics",
    }
    assert result.errors == []
    # the derived paths are in every view: overview and alignment too
    assert "(/opt/ml/processing/output/metrics)" in " ".join(result.plan.overview.outputs)
    assert "/opt/ml/processing/input/eval_data" in result.plan.alignment.input_alignment[0]


def test_training_paths_are_derived_for_channels_and_model() -> None:
    draft = _without_paths(calibration_draft_dict())
    draft.update(step_name="LightGBMTraining", sagemaker_step_type="Training", env_vars=[])
    draft["inputs"][0].update(logical_name="input_path", dependency_type="training_data")
    draft["inputs"][0].update(source_step="TabularPreprocessing", source_output="processed_data")
    draft["inputs"][0]["compatible_sources"] = ["TabularPreprocessing"]
    draft["outputs"] = [
        {"logical_name": "model_output", "output_type": "model_artifacts"},
        {"logical_name": "evaluation_output", "output_type": "processing_output"},
        {"logical_name": "metrics_output", "output_type": "processing_output"},
    ]
    result = _plan(draft)
    inputs, outputs = _paths(result)
    assert inputs == {"input_path": "/opt/ml/input/data"}  # the channel folder itself
    assert outputs == {
        "model_output": "/opt/ml/model",
        "evaluation_output": "/opt/ml/output/data",
        # the second data output may not share the first one's directory
        "metrics_output": "/opt/ml/output/data/metrics",
    }
    assert not [i for i in result.errors if i.code.startswith("PATH")]


def test_a_stated_path_overrides_with_its_reason_and_derived_ones_avoid_it() -> None:
    draft = _without_paths(calibration_draft_dict())
    draft["inputs"][0]["container_path"] = "/opt/ml/processing/input/eval_data"
    draft["inputs"][0]["path_reason"] = "XGBoostModelEval writes eval_data"
    # a stated path that is the derived path of another output: the derived one moves aside
    draft["outputs"][0]["container_path"] = "/opt/ml/processing/output/calibrated_data"
    result = _plan(draft)
    inputs, outputs = _paths(result)
    assert inputs == {"evaluation_data": "/opt/ml/processing/input/eval_data"}
    assert outputs["calibration_output"] == "/opt/ml/processing/output/calibrated_data"
    assert outputs["calibrated_data"] == "/opt/ml/processing/output/calibrated_data_2"
    assert "XGBoostModelEval writes eval_data" in result.plan.alignment.input_alignment[0]


def test_a_spec_only_dependency_has_no_contract_path() -> None:
    draft = _without_paths(calibration_draft_dict())
    extra = {
        "logical_name": "model_input",
        "read_by_script": False,
        "dependency_type": "model_artifacts",
        "required": False,
        "compatible_sources": ["XGBoostTraining"],
        "semantic_keywords": ["model", "artifacts", "xgboost", "trained"],
    }
    draft["inputs"].append(extra)
    result = _plan(draft)
    inputs, _ = _paths(result)
    assert "model_input" not in inputs
    names = [d.logical_name for d in result.plan.components.step_specification.dependencies]
    assert names == ["evaluation_data", "model_input"]
    assert "specification-only" in result.plan.alignment.input_alignment[1]


def test_create_model_outputs_are_specification_only() -> None:
    draft = _without_paths(calibration_draft_dict())
    draft.update(step_name="LightGBMModel", sagemaker_step_type="CreateModel", env_vars=[])
    draft["outputs"] = [
        {"logical_name": "model", "output_type": "custom_property", "data_type": "String"}
    ]
    result = _plan(draft)
    assert result.plan.components.script_contract.output_paths == []
    assert result.plan.components.step_specification.outputs[0].property_path == (
        "properties.ModelName"
    )


def test_inputs_whose_derived_directories_collide_get_siblings_not_nested_ones() -> None:
    draft = _without_paths(calibration_draft_dict())
    model = {
        "dependency_type": "model_artifacts",
        "required": False,
        "compatible_sources": ["XGBoostTraining"],
        "semantic_keywords": ["model", "artifacts", "xgboost", "trained"],
    }
    draft["inputs"] += [
        {"logical_name": "model_input", **model},
        {"logical_name": "model", **model},
    ]
    inputs, _ = _paths(_plan(draft))
    assert inputs["model_input"] == "/opt/ml/processing/input/model"
    assert inputs["model"] == "/opt/ml/processing/input/model_2"
