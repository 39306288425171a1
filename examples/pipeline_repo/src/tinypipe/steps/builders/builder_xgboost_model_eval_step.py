"""Builder of XGBoostModelEval."""

from ..configs.config_xgboost_model_eval_step import XGBoostModelEvalConfig
from ..specs.xgboost_model_eval_spec import XGBOOST_MODEL_EVAL_SPEC
from .builder_step_base import StepBuilderBase


class XGBoostModelEvalStepBuilder(StepBuilderBase):
    """Builds the XGBoostModelEval processing step."""

    spec = XGBOOST_MODEL_EVAL_SPEC
    config_class = XGBoostModelEvalConfig
