"""Step configs."""

from .config_xgboost_model_eval_step import XGBoostModelEvalConfig

__all__ = ["XGBoostModelEvalConfig"]
