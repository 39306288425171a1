"""Sample drafts and plans shared by the tests (read-only fixtures, built through the public models)."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from typing import Any

from planner_agent.draft import PlanDraft
from planner_agent.testing import sample_draft

CALIBRATION_REQUIREMENTS = (
    "Add a ModelCalibration step that calibrates the raw scores of a trained XGBoost model with "
    "isotonic regression. It reads the evaluation predictions produced by XGBoostModelEval and "
    "writes the calibration model and calibrated predictions for the Package step."
)


# The reference's dependency types, exactly: the schema, documents and examples must use these.
DEPENDENCY_TYPES = (
    "model_artifacts",
    "processing_output",
    "training_data",
    "hyperparameters",
    "payload_samples",
    "custom_property",
)


def calibration_draft_dict() -> dict[str, Any]:
    """A correct draft for a ModelCalibration step, as the LLM would return it (JSON-compatible).

    The package's `sample_draft` (name, type, the one input and its wiring) with a calibrator's
    outputs, settings and texts.
    """
    return {
        **sample_draft("ModelCalibration"),
        "description": "Calibrates model scores with isotonic regression",
        "purpose": "Map raw model scores to calibrated probabilities",
        "architectural_considerations": ["Stateless processing step; one spec, no job variants"],
        "design_principles_alignment": ["Contract and spec derive from one input/output list"],
        "outputs": [
            {
                "logical_name": "calibration_output",
                "container_path": "/opt/ml/processing/output/calibration",
                "path_reason": "",
                "output_type": "processing_output",
                "data_type": "S3Uri",
                "aliases": ["calibration_model"],
                "consumers": [],
                "description": "Fitted calibrator",
            },
            {
                "logical_name": "calibrated_data",
                "container_path": "/opt/ml/processing/output/calibrated_data",
                "path_reason": "",
                "output_type": "processing_output",
                "data_type": "S3Uri",
                "aliases": [],
                "consumers": [],
                "description": "Predictions with calibrated probabilities",
            },
        ],
        "env_vars": [
            {
                "name": "CALIBRATION_METHOD",
                "source": "",
                "required": True,
                "type": "str",
                "default": "'isotonic'",
                "description": "isotonic or platt",
            },
            {
                "name": "SCORE_FIELD",
                "source": "",
                "required": False,
                "type": "str",
                "default": "'prob_class_1'",
                "description": "Column holding the raw score",
            },
        ],
        "framework_requirements": [{"package": "scikit-learn", "version": ">=1.2"}],
        "builder_special_handling": ["None beyond the standard processing builder"],
        "algorithm": "Fit sklearn IsotonicRegression on (score, label); apply it to all rows",
        "main_functions": ["load_data", "fit_calibrator", "apply_calibration", "main"],
        "error_handling": {
            "input_validation": "Fail fast when the score or label column is missing",
            "script_robustness": "Clip scores to [0, 1]; handle a single-class label set",
            "logging_strategy": "INFO per phase, DEBUG row counts",
            "error_reporting": "Exit code 1 with the error logged",
        },
        "testing": {
            "unit_tests": ["Calibration monotonic", "Contract/spec alignment"],
            "integration_tests": ["Runs after XGBoostModelEval in a test pipeline"],
            "validation_criteria": ["Brier score not worse than uncalibrated"],
        },
    }


def calibration_draft() -> PlanDraft:
    """The sample draft as a model."""
    return PlanDraft.model_validate(calibration_draft_dict())


def training_draft_dict() -> dict[str, Any]:
    """A correct draft for an XGBoost training step, ``RiskModelTraining``, fed by
    ``TabularPreprocessing``'s ``processed_data`` (the calibration draft with a training step's
    input, outputs, packages and wiring). Shared with ``benchmarks/scaffold_real.py``."""
    return {
        **calibration_draft_dict(),
        "step_name": "RiskModelTraining",
        "sagemaker_step_type": "Training",
        "description": "Trains the risk model with XGBoost",
        "inputs": [
            {
                "logical_name": "input_path",
                "container_path": "/opt/ml/input/data",
                "dependency_type": "training_data",
                "compatible_sources": ["TabularPreprocessing"],
                "semantic_keywords": ["data", "training", "processed"],
                "source_step": "TabularPreprocessing",
                "source_output": "processed_data",
            }
        ],
        "outputs": [
            {
                "logical_name": "model_output",
                "container_path": "/opt/ml/model",
                "output_type": "model_artifacts",
                "aliases": ["model_data", "ModelArtifacts"],
            },
            {
                "logical_name": "evaluation_output",
                "container_path": "/opt/ml/output/data",
                "output_type": "processing_output",
            },
        ],
        "framework_requirements": [{"package": "xgboost", "version": ">=1.7"}],
        "env_vars": [],
        "main_functions": ["load_data", "train"],
        "dag_updates": ["Add edge TabularPreprocessing -> RiskModelTraining"],
    }


@contextlib.contextmanager
def html_endpoint() -> Iterator[str]:
    """A base URL that is a web site, not the API: every request gets a 200 HTML page."""

    class Page(http.server.BaseHTTPRequestHandler):
        def _page(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body = b"<html><body>Welcome</body></html>"
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _page

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
