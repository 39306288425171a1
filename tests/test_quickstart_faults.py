"""The quick start's example plan as the embedded model wrote it (issue 11): which faults the
repair pass fixes without a re-ask, and which stay errors for one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from samples import calibration_draft_dict

from planner_agent import Planner, PlanResult, SageMakerStepType
from planner_agent.conventions import SNAKE_CASE
from planner_agent.plan import ImplementationPlan
from planner_agent.seedformat._spec_code import registry_block
from planner_agent.seedformat._step_files import step_files
from planner_agent.testing import Reply, ScriptedServer

MODEL = "gpt-4o-mini"
EXAMPLE = Path(__file__).parents[1] / "examples" / "requirements" / "model_calibration.md"


def seen_reply() -> dict[str, Any]:
    """The faults seen: a Training type for a calibration step, processing inputs next to
    ``/opt/ml/model`` outputs, two outputs on one path sharing an alias, PascalCase names,
    a ``String`` field defaulting to ``ID``, "Algorithm: 40%", an echoed template sentence."""
    draft = calibration_draft_dict()
    draft.update(
        sagemaker_step_type="Training",
        purpose="Trains an XGBoost model and calibrates its scores",
        algorithm="40%",
        builder_special_handling=["read contract variable `NAME` from config field `name`"],
        config_parameters=[{"name": "id_field", "type": "String", "default": "ID"}],
    )
    draft["inputs"][0].update(
        logical_name="EvaluationData", container_path="/opt/ml/processing/input/eval_data"
    )
    draft["outputs"] = [
        {
            "logical_name": "CalibrationModel",
            "container_path": "/opt/ml/model",
            "output_type": "model_artifacts",
            "aliases": ["calibrated_model"],
        },
        {
            "logical_name": "CalibratedData",
            "container_path": "/opt/ml/model",
            "output_type": "processing_output",
            "aliases": ["calibrated_model"],
        },
    ]
    return draft


def _compile_blocks(plan: ImplementationPlan) -> None:
    """Compile every code block the plan's markdown shows (a SyntaxError fails the test)."""
    compile(registry_block(plan), "registry entry", "exec")
    for file in step_files(plan):
        compile(file.text, file.kind, "exec")


def _plan(*replies: dict[str, Any], attempts: int) -> tuple[PlanResult, list[str]]:
    with ScriptedServer([Reply.json(r) for r in replies]) as server:
        result = Planner(client=server.client(), model=MODEL, max_attempts=attempts).plan(EXAMPLE)
        reasks = [r.messages[-1]["content"] for r in server.requests[1:]]
    return result, reasks


def test_mechanical_faults_are_repaired_and_reported() -> None:
    result, _ = _plan(seen_reply(), attempts=1)
    plan = result.plan
    repaired = {(i.code, i.path) for i in result.repairs}
    assert {code for code, _ in repaired} == {
        "REPAIR001",  # PascalCase logical names
        "REPAIR005",  # the alias both outputs claimed
        "REPAIR006",  # the second output on /opt/ml/model
        "REPAIR008",  # String -> str
        "REPAIR009",  # ID -> 'ID'
    }
    spec, contract = plan.components.step_specification, plan.components.script_contract
    names = [d.logical_name for d in spec.dependencies] + [o.logical_name for o in spec.outputs]
    assert names == ["evaluation_data", "calibration_model", "calibrated_data"]
    assert all(SNAKE_CASE.match(n) for n in names)
    paths = [c.container_path for c in contract.output_paths]
    assert paths == ["/opt/ml/model", "/opt/ml/output/data"] and len(set(paths)) == 2
    assert [o.aliases for o in spec.outputs] == [["calibrated_model"], []]
    field = plan.components.configuration.step_parameters[-1]
    assert (field.name, field.type, field.default) == ("id_field", "str", "'ID'")
    _compile_blocks(plan)


def test_what_needs_a_decision_stays_an_error() -> None:
    result, _ = _plan(seen_reply(), attempts=1)
    errors = {(i.code, i.path) for i in result.errors}
    assert errors == {
        # a Training step does not read /opt/ml/processing/input: the type or the path is wrong
        ("PATH001", "components.script_contract.input_paths[0].container_path"),
        ("TEXT001", "components.processing_script.algorithm"),
    }
    assert [i.code for i in result.warnings] == ["TEXT002"]


def test_the_reask_lists_only_what_was_left_and_the_answer_is_clean() -> None:
    fixed = calibration_draft_dict()
    fixed["algorithm"] = "Fit isotonic regression on (score, label) and apply it to every row"
    for item in [*fixed["inputs"], *fixed["outputs"]]:
        del item["container_path"]  # derived, as the quick start's model should leave them
    result, reasks = _plan(seen_reply(), fixed, attempts=2)
    assert len(reasks) == 1
    listed = set(re.findall(r"\[([A-Z]+\d+)\]", reasks[0]))
    assert listed == {"PATH001", "TEXT001"}
    assert result.ok and result.issues == []
    plan = result.plan
    assert plan.registry_entry.sagemaker_step_type is SageMakerStepType.PROCESSING
    paths = [c.container_path for c in plan.components.script_contract.output_paths]
    assert len(set(paths)) == len(paths)
    _compile_blocks(plan)
