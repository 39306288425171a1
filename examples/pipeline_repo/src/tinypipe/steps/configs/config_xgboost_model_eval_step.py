"""Config of XGBoostModelEval."""

from pydantic import Field

from .config_processing_step_base import ProcessingStepConfigBase


class XGBoostModelEvalConfig(ProcessingStepConfigBase):
    """What XGBoostModelEval needs beyond the processing defaults."""

    id_field: str = Field(default="id", description="Record id column")
    label_field: str = Field(default="label", description="Label column")
