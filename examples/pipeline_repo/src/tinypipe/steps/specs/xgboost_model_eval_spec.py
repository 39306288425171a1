"""Specification of XGBoostModelEval."""

from ...core.base.specification_base import (
    DependencySpec,
    DependencyType,
    NodeType,
    OutputSpec,
    StepSpecification,
)
from ..contracts.xgboost_model_eval_contract import XGBOOST_MODEL_EVAL_CONTRACT

XGBOOST_MODEL_EVAL_SPEC = StepSpecification(
    step_type="XGBoostModelEval",
    node_type=NodeType.INTERNAL,
    script_contract=XGBOOST_MODEL_EVAL_CONTRACT,
    dependencies=[
        DependencySpec(
            logical_name="model_input",
            dependency_type=DependencyType.MODEL_ARTIFACTS,
            required=True,
            compatible_sources=["XGBoostTraining"],
            semantic_keywords=["model", "artifacts", "xgboost"],
            data_type="S3Uri",
            description="Trained model artifacts",
        ),
        DependencySpec(
            logical_name="processed_data",
            dependency_type=DependencyType.PROCESSING_OUTPUT,
            required=True,
            compatible_sources=["TabularPreprocessing"],
            semantic_keywords=["data", "evaluation", "processed"],
            data_type="S3Uri",
            description="Evaluation data",
        ),
    ],
    outputs=[
        OutputSpec(
            logical_name="eval_output",
            output_type=DependencyType.PROCESSING_OUTPUT,
            property_path="properties.ProcessingOutputConfig.Outputs['eval_output'].S3Output.S3Uri",
            aliases=["evaluation_data", "predictions"],
            data_type="S3Uri",
            description="Predictions with the raw scores and labels",
        ),
        OutputSpec(
            logical_name="metrics_output",
            output_type=DependencyType.PROCESSING_OUTPUT,
            property_path="properties.ProcessingOutputConfig.Outputs['metrics_output'].S3Output.S3Uri",
            data_type="S3Uri",
            description="Evaluation metrics",
        ),
    ],
)
