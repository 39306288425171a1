"""The repair pass, through the planner: replies with mechanical faults, repaired and reported."""

from __future__ import annotations

import copy
import importlib
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fixture_plans import fixture_index
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import (
    REPAIR_CODES,
    ImplementationPlan,
    Planner,
    PlanResult,
    Severity,
    check_plan,
    repair_plan,
)
from planner_agent.checks import RULES
from planner_agent.cli import main
from planner_agent.draft import PlanDraft
from planner_agent.seedformat import render_markdown
from planner_agent.seedformat._config_code import config_block
from planner_agent.testing import Reply, ScriptedServer, ScriptedTransport

MODEL = "gpt-4o-mini"
Draft = dict[str, Any]


def _plan(draft: Draft, **keywords: Any) -> PlanResult:
    double = ScriptedTransport([Reply.json(draft)])
    planner = Planner(client=double.client(), model=MODEL, max_attempts=1, **keywords)
    return planner.plan(CALIBRATION_REQUIREMENTS)


def _codes(result: PlanResult) -> set[str]:
    return {i.code for i in result.issues}


def _spec(plan: ImplementationPlan) -> Any:
    return plan.components.step_specification


def _contract(plan: ImplementationPlan) -> Any:
    return plan.components.script_contract


def _step_params(plan: ImplementationPlan) -> dict[str, tuple[str, str | None]]:
    return {p.name: (p.type, p.default) for p in plan.components.configuration.step_parameters}


def _pascal_names(d: Draft) -> None:
    d["inputs"][0]["logical_name"] = "EvaluationData"
    d["outputs"][0]["logical_name"] = "CalibrationOutput"


def _camel_env_var(d: Draft) -> None:
    d["env_vars"][0]["name"] = "calibrationMethod"


def _dashed_argument(d: Draft) -> None:
    d["script_arguments"] = [{"name": "--job_type", "value": "calibration"}]


def _near_miss_steps(d: Draft) -> None:
    d["inputs"][0]["compatible_sources"] = [
        "XgboostModelEval",
        "PytorchTraining",
        "TabularPreprocessing_Calibration",  # a variant: the resolver needs the base name
    ]
    d["outputs"][0]["consumers"] = [{"step": "Pakage", "dependency": "calibration_model"}]


def _shared_alias(d: Draft) -> None:
    d["outputs"][1]["aliases"] = ["calibration_model", "calibrated_data"]


def _shared_path(d: Draft) -> None:
    d["outputs"][1]["container_path"] = d["outputs"][0]["container_path"]


def _unknown_setting(d: Draft) -> None:
    d["sagemaker_settings"] = [{"name": "instance_type", "value": "'ml.m5.xlarge'"}]


def _type_name(d: Draft) -> None:
    d["config_parameters"] = [{"name": "id_field", "type": "String", "default": "'ID'"}]


def _bare_default(d: Draft) -> None:
    d["config_parameters"] = [{"name": "id_field", "type": "str", "default": "ID"}]


def _after_names(p: ImplementationPlan) -> None:
    assert [d.logical_name for d in _spec(p).dependencies] == ["evaluation_data"]
    assert [c.logical_name for c in _contract(p).input_paths] == ["evaluation_data"]
    assert p.integration.upstream_steps[0].dependency == "evaluation_data"
    out = _spec(p).outputs[0]
    assert out.logical_name == "calibration_output"
    assert out.property_path.endswith("Outputs['calibration_output'].S3Output.S3Uri")
    assert "'calibration_output'" in p.alignment.output_alignment[0]


def _after_env(p: ImplementationPlan) -> None:
    assert "CALIBRATION_METHOD" in _contract(p).required_env_vars
    assert "calibration_method" in _step_params(p)


def _after_argument(p: ImplementationPlan) -> None:
    assert _contract(p).expected_arguments == {"job-type": "calibration"}


def _after_steps(p: ImplementationPlan) -> None:
    # the intended producer was already listed: the repaired name is not repeated
    sources = _spec(p).dependencies[0].compatible_sources
    assert sources == ["XGBoostModelEval", "PyTorchTraining", "TabularPreprocessing"]
    assert p.integration.downstream_steps[0].step == "Package"


def _after_alias(p: ImplementationPlan) -> None:
    assert _spec(p).outputs[0].aliases == ["calibration_model"]
    assert _spec(p).outputs[1].aliases == []


def _after_path(p: ImplementationPlan) -> None:
    paths = [c.container_path for c in _contract(p).output_paths]
    assert paths == [
        "/opt/ml/processing/output/calibration",
        "/opt/ml/processing/output/calibrated_data",
    ]
    assert "(/opt/ml/processing/output/calibrated_data)" in p.overview.outputs[1]


def _after_setting(p: ImplementationPlan) -> None:
    assert _step_params(p)["instance_type"] == ("str", "'ml.m5.xlarge'")
    sagemaker = [s.name for s in p.components.configuration.sagemaker_parameters]
    assert "instance_type" not in sagemaker


def _after_type(p: ImplementationPlan) -> None:
    assert _step_params(p)["id_field"] == ("str", "'ID'")


# code, fault, the error (or warning) it leaves without the repair, the plan after the repair
CASES: list[tuple[str, Callable[[Draft], None], str, Callable[[ImplementationPlan], None]]] = [
    ("REPAIR001", _pascal_names, "NAME005", _after_names),
    # a camelCase key is valid for SageMaker: only the UPPER_SNAKE convention (NAME013) is off
    ("REPAIR002", _camel_env_var, "NAME013", _after_env),
    ("REPAIR003", _dashed_argument, "NAME007", _after_argument),
    ("REPAIR004", _near_miss_steps, "REG009", _after_steps),
    ("REPAIR005", _shared_alias, "ALIGN004", _after_alias),
    ("REPAIR006", _shared_path, "PATH005", _after_path),
    ("REPAIR007", _unknown_setting, "CONF002", _after_setting),
    ("REPAIR008", _type_name, "CODE002", _after_type),
    ("REPAIR009", _bare_default, "CODE003", _after_type),
]


def test_every_repair_has_a_case() -> None:
    assert [c[0] for c in CASES] == list(REPAIR_CODES)
    assert all(RULES[code].severity is Severity.INFO for code in REPAIR_CODES)
    assert all(RULES[code].family == "repair" for code in REPAIR_CODES)


@pytest.mark.parametrize(("code", "fault", "left", "after"), CASES, ids=[c[0] for c in CASES])
def test_each_repair_fixes_its_fault_and_says_so(
    code: str,
    fault: Callable[[Draft], None],
    left: str,
    after: Callable[[ImplementationPlan], None],
) -> None:
    draft = calibration_draft_dict()
    fault(draft)
    repaired = _plan(copy.deepcopy(draft))
    assert repaired.ok, [str(i) for i in repaired.errors]
    assert left not in _codes(repaired)
    after(repaired.plan)
    mine = [i for i in repaired.repairs if i.code == code]
    assert mine and all(i.severity is Severity.INFO for i in mine)
    assert all(i.message.startswith("repaired: ") and i.path for i in mine)
    # switched off, the fault stays and the check that knows it says so
    kept = _plan(copy.deepcopy(draft), disable_rules=[code])
    assert code not in _codes(kept)
    assert left in _codes(kept)


def test_the_codebase_base_class_decides_what_is_moved_as_the_check_does() -> None:
    """``max_runtime_seconds`` is on later releases' base config, not on the fixture codebase's:
    kept without a codebase (CONF002 accepts it), moved with one (CONF002 would reject it)."""
    draft = calibration_draft_dict()
    draft["sagemaker_settings"] = [{"name": "max_runtime_seconds", "value": "3600"}]
    alone = _plan(copy.deepcopy(draft))
    names = [s.name for s in alone.plan.components.configuration.sagemaker_parameters]
    assert "max_runtime_seconds" in names and "REPAIR007" not in _codes(alone)
    index = fixture_index()
    with_codebase = _plan(copy.deepcopy(draft), codebase=index)
    (moved,) = [i for i in with_codebase.repairs if i.code == "REPAIR007"]
    assert "max_runtime_seconds" in moved.message and "in the codebase" in moved.message
    assert "CONF002" not in _codes(with_codebase)
    assert "max_runtime_seconds" in _step_params(with_codebase.plan)
    # The function itself, given the same codebase, does the same.
    _, changes = repair_plan(alone.plan, codebase=index)
    assert [c.code for c in changes] == ["REPAIR007"]


def test_a_correct_plan_needs_no_repair() -> None:
    result = _plan(calibration_draft_dict())
    assert result.repairs == [] and result.issues == []


def test_a_repairable_reply_costs_no_reask() -> None:
    draft = calibration_draft_dict()
    for fault in (_pascal_names, _shared_alias, _shared_path, _type_name, _unknown_setting):
        fault(draft)
    with ScriptedServer([Reply.json(draft), Reply.json(calibration_draft_dict())]) as server:
        result = Planner(client=server.client(), model=MODEL, max_attempts=3).plan(
            CALIBRATION_REQUIREMENTS
        )
        assert len(server.requests) == 1
    assert result.ok and len(result.attempts) == 1
    assert {"REPAIR001", "REPAIR005", "REPAIR006", "REPAIR007", "REPAIR008"} <= _codes(result)
    assert "repair(s)" in result.summary()
    # what the repair changed is in the saved result, too
    saved = result.to_dict()["issues"]
    assert {i["severity"] for i in saved} == {"info"}


def test_with_repairs_off_the_faults_are_reasked() -> None:
    draft = calibration_draft_dict()
    _shared_path(draft)
    with ScriptedServer([Reply.json(draft), Reply.json(calibration_draft_dict())]) as server:
        planner = Planner(
            client=server.client(), model=MODEL, max_attempts=2, disable_rules=REPAIR_CODES
        )
        result = planner.plan(CALIBRATION_REQUIREMENTS)
        reask = server.requests[1].messages[-1]["content"]
    assert "PATH005" in reask
    assert result.ok and len(result.attempts) == 2 and result.repairs == []


def test_ambiguous_and_unknown_step_names_are_left_for_the_checks() -> None:
    draft = calibration_draft_dict()
    # 'Training' is close to no single registry name; 'ModelTrainingStep' is no near miss at all
    draft["inputs"][0]["compatible_sources"] = ["Training", "ModelTrainingStep"]
    result = _plan(draft)
    assert "REPAIR004" not in _codes(result)
    # without a codebase, names the reference does not know are warnings (the severity policy)
    assert result.errors == []
    assert [i.code for i in result.warnings] == ["REG012", "REG012"]


def test_a_renamed_env_var_keeps_its_stated_source() -> None:
    draft = calibration_draft_dict()
    _camel_env_var(draft)
    draft["env_vars"][0]["source"] = "config.method"  # not the field named like the variable
    result = _plan(draft)
    assert "REPAIR002" in _codes(result)
    assert result.ok, [str(i) for i in result.errors]  # no CONF001 for the old name
    sources = _contract(result.plan).env_var_sources
    assert sources == {"CALIBRATION_METHOD": "config.method"}
    assert "method" in _step_params(result.plan)


def test_name_repairs_never_merge_two_names() -> None:
    draft = calibration_draft_dict()
    # 'CalibratedData' would become the other output's name: renaming is not mechanical here
    draft["outputs"][0]["logical_name"] = "CalibratedData"
    draft["outputs"][0]["aliases"] = []
    result = _plan(draft)
    names = [o.logical_name for o in _spec(result.plan).outputs]
    assert names == ["CalibratedData", "calibrated_data"]
    assert "REPAIR001" not in _codes(result)


def test_near_misses_use_the_codebase_registry(tmp_path: Path) -> None:
    draft = calibration_draft_dict()
    draft["inputs"][0]["compatible_sources"] = ["xgboost_model_eval"]
    double = ScriptedTransport([Reply.json(draft)])
    planner = Planner(client=double.client(), model=MODEL, max_attempts=1, codebase=fixture_index())
    result = planner.plan(CALIBRATION_REQUIREMENTS)
    assert _spec(result.plan).dependencies[0].compatible_sources == ["XGBoostModelEval"]
    assert "REPAIR004" in _codes(result)


def test_repaired_config_class_imports_and_the_unrepaired_one_does_not(tmp_path: Path) -> None:
    draft = calibration_draft_dict()
    draft["config_parameters"] = [
        {"name": "id_field", "type": "String", "default": "ID"},
        {"name": "max_rows", "type": "Integer", "default": "'1000'"},
        {"name": "columns", "type": "Optional[List[String]]", "default": "null"},
    ]
    repaired, raw = _plan(copy.deepcopy(draft)), _plan(draft, disable_rules=REPAIR_CODES)
    assert {"CODE002"} <= {i.code for i in raw.errors}
    config = _load_config(tmp_path / "good", repaired.plan)(
        calibration_method="isotonic", columns=None
    )
    assert (config.id_field, config.max_rows, config.columns) == ("ID", 1000, None)
    with pytest.raises(NameError, match="is not defined"):  # `ID`, then `String`
        _load_config(tmp_path / "bad", raw.plan)


def _load_config(root: Path, plan: ImplementationPlan) -> Any:
    """Import the rendered config class from a package with a minimal base config module."""
    package = root / f"pkg_{root.name}"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    base = (
        "from pydantic import BaseModel\n\nclass ProcessingStepConfigBase(BaseModel):\n    pass\n"
    )
    (package / "config_processing_step_base.py").write_text(base)
    (package / "config_model_calibration_step.py").write_text(config_block(plan))
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(f"{package.name}.config_model_calibration_step")
    finally:
        sys.path.remove(str(root))
    return module.ModelCalibrationConfig


def test_cli_no_repair_leaves_the_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "calibration.md"
    req.write_text(CALIBRATION_REQUIREMENTS, encoding="utf-8")
    draft = calibration_draft_dict()
    _type_name(draft)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-cli-key-123456")
    for flags, code, shown in (([], 0, "REPAIR008"), (["--no-repair"], 2, "CODE002")):
        with ScriptedServer([Reply.json(draft)]) as server:
            monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
            assert main(["plan", str(req), "--model", MODEL, "--max-attempts", "1", *flags]) == code
        err = capsys.readouterr().err
        assert shown in err


def test_readme_repairs_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Repairs")
    section = readme[start : readme.index("\n### ", start + 1)]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    draft = calibration_draft_dict()
    _pascal_names(draft)
    _type_name(draft)
    double = ScriptedTransport([Reply.json(draft), Reply.json(draft)])
    namespace = {"requirements": CALIBRATION_REQUIREMENTS, "client": double.client()}
    # the example's calls, against the scripted endpoint: one attempt each, our test model
    runnable = code.replace("client=client", f"client=client, model={MODEL!r}, max_attempts=1")
    exec(compile(runnable, "README-repairs", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "REPAIR001" in printed and "REPAIR008" in printed
    assert namespace["result"].repairs != []  # type: ignore[attr-defined]
    assert {i.code for i in namespace["as_written"].errors} == {"CODE002"}  # type: ignore[attr-defined]


def test_repair_plan_aligns_a_contract_name_written_in_another_case() -> None:
    # an imported or markdown plan states the contract and the specification apart
    plan = _plan(calibration_draft_dict()).plan.model_copy(deep=True)
    plan.components.script_contract.input_paths[0].logical_name = "EvaluationData"
    assert "ALIGN001" in {i.code for i in check_plan(plan)}
    repaired, changes = repair_plan(plan)
    assert [c.code for c in changes] == ["REPAIR001"]
    assert repaired.components.script_contract.input_paths[0].logical_name == "evaluation_data"
    assert check_plan(repaired) == []
    # the plan passed in is left as it was
    assert plan.components.script_contract.input_paths[0].logical_name == "EvaluationData"


@pytest.mark.parametrize(
    "odd",
    ["", "-", "_", "Ünïcode Name", "A" * 5000, "x-", "((((", "a\x00b", "EvalData EvalData", "1st"],
)
def test_odd_values_are_repaired_or_left_never_crash(
    odd: str, caplog: pytest.LogCaptureFixture
) -> None:
    plan = _plan(calibration_draft_dict()).plan.model_copy(deep=True)
    comps = plan.components
    comps.script_contract.input_paths[0].logical_name = odd
    comps.step_specification.outputs[1].logical_name = odd
    comps.step_specification.outputs[1].aliases = [odd, odd]
    comps.script_contract.output_paths[1].container_path = odd
    comps.script_contract.required_env_vars.append(odd)
    comps.script_contract.expected_arguments[odd] = odd
    comps.step_specification.dependencies[0].compatible_sources.append(odd)
    comps.configuration.step_parameters[0].type = odd
    comps.configuration.step_parameters[1].default = odd
    comps.configuration.sagemaker_parameters[0].name = odd
    with caplog.at_level("ERROR", logger="planner_agent.repair"):
        repaired, changes = repair_plan(plan)
    assert caplog.records == []  # no repair failed and was undone
    assert all(c.severity is Severity.INFO for c in changes)
    assert "RULE000" not in {i.code for i in check_plan(repaired)}


def test_markdown_replies_are_repaired_too() -> None:
    draft = calibration_draft_dict()
    _pascal_names(draft)
    _shared_path(draft)
    text = render_markdown(PlanDraft.model_validate(draft).to_plan())
    double = ScriptedTransport([Reply(text)])
    planner = Planner(client=double.client(), model=MODEL, max_attempts=1, mode="markdown")
    result = planner.plan(CALIBRATION_REQUIREMENTS)
    assert result.mode == "markdown"
    assert {"REPAIR001", "REPAIR006"} <= _codes(result)
    assert result.ok, [str(i) for i in result.errors]
    _after_names(result.plan)
