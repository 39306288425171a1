"""The decisions reply: a small model states a few choices and the tool derives the whole plan.

Through the public API: a `Planner` asked for ``reply="decisions"`` sends the decisions' schema,
reads the small reply into a checked plan, and still reads a whole draft when a server ignores
the schema; the CLI's ``--reply``; the derivation itself on every shipped kind of step.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import ConfigurationError, Planner, check_plan
from planner_agent.cli import main
from planner_agent.decisions import StepDecisions, decisions_from_draft
from planner_agent.draft import PlanDraft
from planner_agent.llm import BOUNDED, DECISIONS, DRAFT, reply_shape
from planner_agent.llm._constraints import grammar_problems
from planner_agent.local.analogy import analogy_examples, shipped_drafts
from planner_agent.prompt import Knowledge
from planner_agent.seedformat import step_files
from planner_agent.testing import Reply, ScriptedServer

MODEL = "my-small-model"  # unknown to the model table: a compatible server's bounded profile


def binning_decisions() -> dict[str, Any]:
    return {
        "step_name": "ScoreBinning",
        "sagemaker_step_type": "Processing",
        "description": "Bins calibrated scores into risk buckets",
        "inputs": [
            {
                "logical_name": "evaluation_data",
                "dependency_type": "processing_output",
                "source_step": "XGBoostModelEval",
            },
            {
                "logical_name": "model_input",
                "dependency_type": "model_artifacts",
                "source_step": None,
            },
        ],
        "outputs": [
            {"logical_name": "binned_scores", "output_type": "processing_output"},
            {"logical_name": "bin_metrics", "output_type": "processing_output"},
        ],
        "env_vars": [
            {"name": "NUM_BINS", "default": "10"},
            {"name": "SCORE_FIELD", "default": "prob"},
            {"name": "LABEL_FIELD", "default": None},
            {"name": "USE_QUANTILES", "default": "True"},
        ],
        "job_type_variants": [],
    }


@pytest.mark.parametrize("name", sorted(shipped_drafts()))
def test_each_shipped_kind_stated_as_decisions_plans_without_issues(name: str) -> None:
    draft = PlanDraft.model_validate(shipped_drafts()[name])
    decisions = decisions_from_draft(draft)
    plan = decisions.to_plan()
    assert check_plan(plan) == []  # not one issue, warnings included
    # What was decided is kept; what was derived is the conventional form of it.
    assert plan.registry_entry.sagemaker_step_type == draft.sagemaker_step_type
    spec = plan.components.step_specification
    assert [d.logical_name for d in spec.dependencies] == [i.logical_name for i in draft.inputs]
    assert [o.logical_name for o in spec.outputs] == [o.logical_name for o in draft.outputs]
    for dep, i in zip(spec.dependencies, draft.inputs, strict=True):
        if i.source_step:
            assert i.source_step.split("_")[0] in dep.compatible_sources
        assert 2 <= len(dep.semantic_keywords) <= 8
    contract = plan.components.script_contract
    assert set(contract.required_env_vars) == {e.name for e in draft.env_vars if e.default is None}
    for file in step_files(plan):
        if file.path.endswith(".py"):
            ast.parse(file.text)  # every rendered file is Python
    # The decisions are a fraction of the draft the model would otherwise write.
    assert len(decisions.model_dump_json()) < len(draft.model_dump_json()) / 3


def test_derived_values_are_typed_quoted_and_unique() -> None:
    plan = StepDecisions.model_validate(binning_decisions()).to_plan()
    contract = plan.components.script_contract
    paths = [p.container_path for p in [*contract.input_paths, *contract.output_paths]]
    assert paths == [
        "/opt/ml/processing/input/eval_data",  # the evaluation steps' convention
        "/opt/ml/processing/input/model",
        "/opt/ml/processing/output/binned_scores",
        "/opt/ml/processing/output/bin_metrics",
    ]
    fields = {p.name: (p.type, p.default) for p in plan.components.configuration.step_parameters}
    assert fields["num_bins"] == ("int", "10")
    assert fields["score_field"] == ("str", "'prob'")  # a literal the config class can hold
    assert fields["use_quantiles"] == ("bool", "True")
    assert fields["label_field"] == ("str", None)
    assert contract.required_env_vars == ["LABEL_FIELD"]
    assert contract.optional_env_vars["SCORE_FIELD"] == "prob"
    assert [u.step for u in plan.integration.upstream_steps] == ["XGBoostModelEval"]
    assert "After XGBoostModelEval" in plan.overview.position_in_pipeline
    assert not [i for i in check_plan(plan) if i.is_error]


def test_the_planner_asks_for_decisions_and_plans_from_them() -> None:
    with ScriptedServer([Reply.json(binning_decisions())]) as server:
        planner = Planner(client=server.client(), model=MODEL, reply="decisions")
        result = planner.plan("Bin the calibrated scores of XGBoostModelEval into risk buckets.")
        (request,) = server.requests
    assert planner.reply is DECISIONS and planner.profile.dialect is BOUNDED
    assert result.ok, result.issues
    assert result.plan.step_name == "ScoreBinning"
    assert result.plan.components.step_builder.class_name == "ScoreBinningStepBuilder"
    body = request.body
    assert body is not None
    schema = body["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]) == set(StepDecisions.model_fields)
    # The grammar the server builds forbids badly shaped names, and every list is bounded.
    logical = schema["$defs"]["DecidedInput"]["properties"]["logical_name"]
    assert re.fullmatch(logical["pattern"], "evaluation_data")
    assert not re.fullmatch(logical["pattern"], "EvaluationData")
    assert schema["properties"]["inputs"]["maxItems"] >= 1
    assert grammar_problems(schema) == []
    prompt = request.messages[0]["content"] + request.messages[-1]["content"]
    assert "State only the decisions" in prompt and "`outputs[].consumers`" not in prompt


def test_a_whole_draft_is_still_read_when_decisions_were_asked_for() -> None:
    with ScriptedServer([Reply.json(calibration_draft_dict())]) as server:
        planner = Planner(client=server.client(), model=MODEL, reply="decisions")
        result = planner.plan(CALIBRATION_REQUIREMENTS)
    assert result.ok and result.plan.step_name == "ModelCalibration"
    assert len(result.attempts) == 1  # no re-ask for a reply that states more than was asked


def test_a_bad_decisions_reply_is_reasked_with_the_decisions_errors() -> None:
    bad = binning_decisions()
    bad["inputs"][0]["dependency_type"] = "processing_input"  # no such dependency type
    with ScriptedServer([Reply.json(bad), Reply.json(binning_decisions())]) as server:
        planner = Planner(client=server.client(), model=MODEL, reply="decisions", max_attempts=2)
        result = planner.plan("Bin the calibrated scores into risk buckets.")
        second = server.requests[1]
    assert result.ok and len(result.attempts) == 2
    reask = second.messages[-1]["content"]
    assert "inputs[0].dependency_type" in reask and "processing_input" in reask


def test_reply_defaults_to_the_draft_except_for_the_embedded_model() -> None:
    assert reply_shape("auto", local=True) is DECISIONS
    assert reply_shape("auto", local=False) is DRAFT
    assert reply_shape("draft", local=True) is DRAFT  # a stated shape wins
    with ScriptedServer([]) as server:
        assert Planner(client=server.client(), model=MODEL).reply is DRAFT
        assert Planner(client=server.client(), model=MODEL, reply="draft").reply is DRAFT
    with pytest.raises(ConfigurationError, match="'auto', 'draft' or 'decisions'"):
        Planner(model=MODEL, reply="short")  # type: ignore[arg-type]


def test_the_local_analogy_shows_decisions_when_decisions_are_the_reply() -> None:
    examples = analogy_examples(Knowledge.default().examples, decisions=True)
    assert examples
    for example in examples:
        shown = json.loads(example.body.split("\n", 1)[1])
        assert set(shown) == set(StepDecisions.model_fields)
        assert StepDecisions.model_validate(shown).step_name == example.name


def test_cli_reply_option_reaches_the_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "binning.md"
    req.write_text("Bin the calibrated scores into risk buckets.", encoding="utf-8")
    out = tmp_path / "plan.json"
    with ScriptedServer([Reply.json(binning_decisions())]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-cli-key-123456")
        code = main(["plan", str(req), "--model", MODEL, "--reply", "decisions", "-o", str(out)])
        (request,) = server.requests
    assert code == 0, capsys.readouterr().err
    assert request.body is not None
    sent = request.body["response_format"]["json_schema"]["schema"]
    assert "job_type_variants" in sent["properties"] and "purpose" not in sent["properties"]
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["ok"] is True and written["plan"]["step_name"] == "ScoreBinning"
