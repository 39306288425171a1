"""Script contracts."""

from .xgboost_model_eval_contract import XGBOOST_MODEL_EVAL_CONTRACT

__all__ = ["XGBOOST_MODEL_EVAL_CONTRACT"]
