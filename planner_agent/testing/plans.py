"""Canned plans: :func:`sample_draft` and the :func:`plan_responder` script built on it."""

from __future__ import annotations

import re
from typing import Any

from ..draft import PlanDraft
from ..seedformat import render_markdown
from .replies import RecordedRequest, Reply, Responder, Usage

_HEADING = re.compile(r"^#\s+([A-Z][A-Za-z0-9]*)\s*$", re.MULTILINE)


def sample_draft(step_name: str = "ModelCalibration") -> dict[str, Any]:
    """A schema-valid, check-clean plan draft (what a good model replies), named ``step_name``.

    >>> sample_draft("ScoreCalibration")["step_name"]
    'ScoreCalibration'
    """
    return {
        "step_name": step_name,
        "sagemaker_step_type": "Processing",
        "description": f"{step_name} processing step",
        "purpose": "Transform the evaluation predictions of the trained model",
        "position_in_pipeline": "After XGBoostModelEval, before Package",
        "architectural_considerations": ["Stateless processing step with one specification"],
        "design_principles_alignment": ["Contract and specification derive from one list"],
        "inputs": [
            {
                "logical_name": "evaluation_data",
                "container_path": "/opt/ml/processing/input/eval_data",
                "read_by_script": True,
                "path_reason": "",
                "dependency_type": "processing_output",
                "data_type": "S3Uri",
                "required": True,
                "compatible_sources": ["XGBoostModelEval"],
                "semantic_keywords": ["evaluation", "predictions", "scores", "eval"],
                "source_step": "XGBoostModelEval",
                "source_output": "eval_output",
                "description": "Predictions with raw scores and labels",
            }
        ],
        "outputs": [
            {
                "logical_name": "processed_data",
                "container_path": "/opt/ml/processing/output/data",
                "path_reason": "",
                "output_type": "processing_output",
                "data_type": "S3Uri",
                "aliases": [],
                "consumers": [],
                "description": "Transformed predictions",
            }
        ],
        "env_vars": [
            {
                "name": "LABEL_FIELD",
                "source": "",
                "required": True,
                "type": "str",
                "default": "'label'",
                "description": "Label column",
            }
        ],
        "script_arguments": [],
        "framework_requirements": [{"package": "pandas", "version": ">=2.0"}],
        "config_parameters": [],
        "sagemaker_settings": [],
        "job_type_variants": [],
        "builder_special_handling": [],
        "algorithm": "Read the predictions, transform them, write the result",
        "main_functions": ["load_data", "transform", "main"],
        "dag_updates": [f"Add edge XGBoostModelEval -> {step_name}"],
        "error_handling": {
            "input_validation": "Fail fast on missing columns",
            "script_robustness": "Handle empty inputs",
            "logging_strategy": "INFO per phase",
            "error_reporting": "Exit code 1 with the error logged",
        },
        "testing": {
            "unit_tests": ["Transformation on a small frame"],
            "integration_tests": ["Runs after XGBoostModelEval"],
            "validation_criteria": ["Output row count equals input row count"],
        },
        "extra_files_to_update": [],
    }


def plan_responder(*, delay: float = 0.0, usage: Usage | None = None) -> Responder:
    """A responder that answers every planning request with a valid plan.

    The step name is the requirements' first ``# PascalCaseName`` heading (else
    ``ExampleStep``); markdown-mode requests (no ``response_format``) get the seed-format markdown.
    """

    def respond(request: RecordedRequest) -> Reply:
        text = " ".join(str(m.get("content") or "") for m in request.messages[-1:])
        found = _HEADING.search(text)
        draft = sample_draft(found.group(1) if found else "ExampleStep")
        if request.response_format is None:
            content = render_markdown(PlanDraft.model_validate(draft).to_plan())
            return Reply(content, delay=delay, usage=usage)
        return Reply.json(draft, delay=delay, usage=usage)

    return respond
