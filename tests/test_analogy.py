"""Analogy over invention: shipped drafts (one per common kind), the local knowledge digest, the
choice of the closest step, and drafts derived from a codebase's steps."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import jsonschema
import pytest

from planner_agent import Planner, check_plan
from planner_agent.checks._codebase import CodebaseIndex
from planner_agent.decisions import StepDecisions
from planner_agent.draft import PlanDraft
from planner_agent.local import CACHE_ENV, LOCAL_ENV
from planner_agent.local.analogy import (
    analogy_examples,
    analogy_query,
    draft_from_step,
    local_knowledge,
    rank_analogies,
    shipped_drafts,
)
from planner_agent.prompt import Knowledge, PromptBuilder, TokenCounter
from planner_agent.schemas import schema_for

FIXTURE_CODEBASE = Path(__file__).parent / "fixtures" / "codebase"
CALIBRATION = Path(__file__).parents[1] / "examples" / "requirements" / "model_calibration.md"

#: A user's one-line request per common kind of step -> the shipped draft it should start from.
KINDS = {
    "Pull last month's transactions table from S3 into the pipeline as raw data.": (
        "TableDataLoading"
    ),
    "Clean the raw tabular data, impute missing values and split it into train and test.": (
        "TabularPreprocessing"
    ),
    "Train an XGBoost classifier with hyperparameters on the processed data.": "XGBoostTraining",
    "Evaluate the trained model on held-out data and compute AUC metrics.": "XGBoostModelEval",
    "Calibrate the model's raw scores into probabilities with isotonic regression.": (
        "ScoreCalibration"
    ),
    "Package the trained model artifacts with the inference scripts into a tarball.": "Package",
    "Generate sample inference payloads so the endpoint can be load tested.": "PayloadSampling",
    "Register the packaged model version in the model registry.": "ModelVersionRegistration",
    "Run batch transform inference to score a dataset offline.": "BatchScoring",
}


def test_one_shipped_draft_per_common_kind_each_valid_and_clean() -> None:
    drafts = shipped_drafts()
    assert sorted(drafts) == sorted(KINDS.values())
    bounded = schema_for("draft", "bounded")
    for name, data in drafts.items():
        jsonschema.validate(data, bounded)  # what the grammar allows, so the model can copy it
        plan = PlanDraft.model_validate(data).to_plan()
        errors = [i for i in check_plan(plan) if i.severity == "error"]
        assert errors == [], (name, errors)


def test_each_draft_states_the_facts_of_the_shipped_example_of_the_same_step() -> None:
    """Hosted models see the markdown example, the local model the draft: the same facts."""
    examples = {e.name: e for e in Knowledge.default().examples}
    for name, data in shipped_drafts().items():
        example = examples[name]
        assert example.sagemaker_step_type == data["sagemaker_step_type"], name
        ports = [*data["inputs"], *data["outputs"]]
        facts = [p["logical_name"] for p in ports] + [p["container_path"] for p in ports]
        facts += [v["name"] for v in data["env_vars"]]
        facts += [a["name"] for a in data["script_arguments"]]
        for port in data["inputs"]:
            facts += [*port["compatible_sources"], *port["semantic_keywords"]]
        for port in data["outputs"]:
            facts += port["aliases"]
        missing = [f for f in facts if f is not None and f not in example.body]
        assert missing == [], name


@pytest.mark.parametrize(("request_text", "expected"), list(KINDS.items()))
def test_the_closest_kind_is_chosen(request_text: str, expected: str) -> None:
    examples = analogy_examples(Knowledge.default().examples)
    assert [e.name for e in rank_analogies(request_text, examples, 1)] == [expected]


def test_the_opening_paragraph_decides_not_the_steps_it_mentions() -> None:
    text = CALIBRATION.read_text(encoding="utf-8")
    assert "XGBoostModelEval" in text and "XGBoostModelEval" not in analogy_query(text)
    examples = analogy_examples(Knowledge.default().examples)
    assert rank_analogies(text, examples, 1)[0].name == "ScoreCalibration"


def test_an_analogy_example_is_the_compact_draft() -> None:
    example = analogy_examples(Knowledge.default().examples)[0]
    draft = json.loads(example.body.split("\n", 1)[1])
    assert PlanDraft.model_validate(draft).step_name == example.name
    assert "\n" not in example.body.split("\n", 1)[1]  # compact: no indentation tokens


def test_the_local_digest_is_less_than_half_the_prompt() -> None:
    counter = TokenCounter.for_model("gpt-4o")
    text = CALIBRATION.read_text(encoding="utf-8")
    full = PromptBuilder(Knowledge.default(), counter=counter).build(text)
    local = PromptBuilder(
        local_knowledge(),
        counter=counter,
        examples=analogy_examples(Knowledge.default().examples),
        examples_k=1,
        ranker=rank_analogies,
    ).build(text)
    assert local.tokens < full.tokens / 2, (local.tokens, full.tokens)
    assert local.examples == ("ScoreCalibration",)
    assert "snake_case" in local.messages[0]["content"]  # the rules it needs are still there


def test_drafts_from_a_codebase_carry_its_names_and_paths() -> None:
    codebase = CodebaseIndex.from_path(FIXTURE_CODEBASE)
    draft = PlanDraft.model_validate(draft_from_step(codebase.steps["XGBoostTraining"]))
    assert draft.sagemaker_step_type.value == "Training"
    assert ("input_path", "/opt/ml/input/data") in [
        (i.logical_name, i.container_path) for i in draft.inputs
    ]
    assert "model_output" in [o.logical_name for o in draft.outputs]
    examples = analogy_examples(codebase.examples(), codebase)
    assert {e.name for e in examples} >= {"XGBoostTraining", "Package"}


# Needs the package, not the model: it runs in every suite run where the [local] extra is.
@pytest.mark.skipif(
    importlib.util.find_spec("xllamacpp") is None, reason="the [local] extra is not installed"
)
def test_the_local_prompt_is_the_short_digest_and_one_filled_draft(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY", "PLANNER_MODEL"):
        monkeypatch.delenv(name, raising=False)  # so that the name picks the embedded model
    monkeypatch.delenv(LOCAL_ENV, raising=False)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    planner = Planner(model="qwen2.5-coder-0.5b")  # a named model: nothing starts before plan()
    assert planner.local and planner.knowledge.source == "default (local digest)"
    prompt = planner.prompt(CALIBRATION.read_text(encoding="utf-8"))
    assert prompt.examples == ("ScoreCalibration",)
    shown = json.loads(
        prompt.messages[-1]["content"].split("(copy this shape", 1)[1].split("\n")[1]
    )
    # The embedded model replies with decisions, so its example shows decisions.
    assert planner.reply.name == "decisions" and set(shown) == set(StepDecisions.model_fields)
    assert shown["step_name"] == prompt.examples[0]
    assert prompt.tokens < 1_300  # the full knowledge and two examples: ~3,100
    assert not list(tmp_path.iterdir())  # no model was assembled
