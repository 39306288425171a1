"""benchmarks/quality.py: the corpus is well formed, the comparison is right on a plan that is the
real step and on one that is not, and a run against a scripted endpoint prints the table."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from samples import calibration_draft_dict

from planner_agent.draft import PlanDraft
from planner_agent.testing import Reply, ScriptedServer, Usage

BENCH = Path(__file__).parents[1] / "benchmarks"
HELD_OUT = {
    "TabularPreprocessing", "CurrencyConversion", "RiskTableMapping", "XGBoostTraining",
    "PyTorchTraining", "XGBoostModelEval", "ModelCalibration", "Package", "Payload",
    "Registration", "CradleDataLoading", "BatchTransform", "DummyTraining", "XGBoostModel",
}  # fmt: skip


@pytest.fixture(scope="module")
def quality() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quality_benchmark", BENCH / "quality.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def _corpus() -> dict[str, Any]:
    steps: dict[str, Any] = json.loads((BENCH / "quality_corpus.json").read_text())["steps"]
    return steps


def test_the_corpus_has_twelve_real_steps_none_held_out() -> None:
    steps = _corpus()
    assert len(steps) >= 12 and not HELD_OUT & set(steps)
    for name, real in steps.items():
        assert len(real["requirements"].split()) >= 30, name
        assert real["sagemaker_step_type"] in ("Processing", "Training"), name
        assert real["inputs"] or real["outputs"], name


def _as_draft(name: str, real: dict[str, Any]) -> PlanDraft:
    """The plan a perfect planner would write: the real step's own facts."""
    return PlanDraft.model_validate(
        {
            "step_name": name,
            "sagemaker_step_type": real["sagemaker_step_type"],
            "description": "d",
            "purpose": "p",
            "position_in_pipeline": "x",
            "inputs": [
                {
                    "logical_name": i["logical_name"],
                    "container_path": i["container_path"],
                    "dependency_type": i["dependency_type"],
                    "compatible_sources": real["upstream_steps"][:1],
                }
                for i in real["inputs"]
            ],
            "outputs": [
                {
                    "logical_name": o["logical_name"],
                    "container_path": o["container_path"],
                    "output_type": o["output_type"],
                }
                for o in real["outputs"]
            ],
            "env_vars": [{"name": n} for n in real["required_env_vars"]],
        }
    )


def test_the_real_step_scores_full_marks_and_another_does_not(quality: ModuleType) -> None:
    real = _corpus()["MissingValueImputation"]
    perfect = quality.compare(_as_draft("MissingValueImputation", real).to_plan(), real)
    assert perfect == {
        "names": 1.0,
        "paths": 1.0,
        "step_type": True,
        "env_vars": 1.0,
        "upstream": 1.0,
    }
    other = quality.compare(PlanDraft.model_validate(calibration_draft_dict()).to_plan(), real)
    assert other["names"] == 0.0 and other["paths"] == 0.0 and other["env_vars"] == 0.0
    assert other["step_type"] is True  # both are Processing steps


def test_a_run_against_an_endpoint_prints_rows_and_means(
    quality: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = Reply.json(calibration_draft_dict(), usage=Usage(900, 300, 0))
    with ScriptedServer([reply, reply]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-quality-123456")
        monkeypatch.setenv("PLANNER_MODEL", "gpt-4o-mini")
        monkeypatch.setattr(sys, "argv", ["quality.py", "--limit", "2"])
        quality.main()
        assert server.chat_requests == 2
    out = capsys.readouterr().out
    first, second = list(_corpus())[:2]
    assert first in out and second in out
    assert "mean (2 plans)" in out and "zero error-level issues" in out
    mean = next(line for line in out.splitlines() if line.startswith("mean"))
    assert mean.split()[4:6] == ["900", "300"]  # prompt and completion tokens per plan
