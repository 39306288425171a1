"""Script contract of XGBoostModelEval."""

from ...core.base.contract_base import ScriptContract

XGBOOST_MODEL_EVAL_CONTRACT = ScriptContract(
    entry_point="xgboost_model_eval.py",
    expected_input_paths={
        "model_input": "/opt/ml/processing/input/model",
        "processed_data": "/opt/ml/processing/input/eval_data",
    },
    expected_output_paths={
        "eval_output": "/opt/ml/processing/output/eval",
        "metrics_output": "/opt/ml/processing/output/metrics",
    },
    required_env_vars=["ID_FIELD", "LABEL_FIELD"],
    description="Scores the evaluation data and writes predictions and metrics",
)
