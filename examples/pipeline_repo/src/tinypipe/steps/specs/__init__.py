"""Step specifications."""

from .xgboost_model_eval_spec import XGBOOST_MODEL_EVAL_SPEC

__all__ = ["XGBOOST_MODEL_EVAL_SPEC"]
