"""The registry: each step's component names, keyed by step name."""

STEP_NAMES = {
    "XGBoostModelEval": {
        "config_class": "XGBoostModelEvalConfig",
        "builder_step_name": "XGBoostModelEvalStepBuilder",
        "spec_type": "XGBoostModelEval",
        "sagemaker_step_type": "Processing",
        "description": "Scores held-out data with a trained XGBoost model",
    },
}


def get_spec_step_type(step_name: str) -> str:
    """The spec_type registered for ``step_name``."""
    return STEP_NAMES[step_name]["spec_type"]
