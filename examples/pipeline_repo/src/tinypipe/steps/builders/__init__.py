"""Step builders."""

from .builder_xgboost_model_eval_step import XGBoostModelEvalStepBuilder

__all__ = ["XGBoostModelEvalStepBuilder"]
