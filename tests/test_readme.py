"""The README stays true: its rules table is generated from the rules, and its examples run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from samples import calibration_draft_dict

import planner_agent
from planner_agent.checks import RULES, rules_table_markdown
from planner_agent.cli import main
from planner_agent.conventions import DEFAULT_LAYOUT
from planner_agent.llm import get_mode, unregister_mode
from planner_agent.seedformat import IMPORT_CODES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_rules_table_is_generated_from_every_code(capsys: pytest.CaptureFixture[str]) -> None:
    table = README.split("<!-- rules:begin -->\n", 1)[1].split("\n<!-- rules:end -->", 1)[0]
    assert main(["rules", "--format", "markdown"]) == 0
    generated = capsys.readouterr().out
    assert table.strip() == generated.strip(), (
        "regenerate the README rules table: planner-agent rules --format markdown"
    )
    codes = [row.split(" | ")[0].lstrip("| ") for row in table.splitlines()[2:]]
    assert sorted(codes) == sorted([*RULES, *IMPORT_CODES])
    # the rules' part is the checks' own table, row for row
    assert rules_table_markdown().strip() in generated


def test_testing_example_runs() -> None:
    (code,) = re.findall(
        r"```python\n(.*?)```", _section("Testing your own tooling offline"), re.DOTALL
    )
    namespace = {"my_draft_dict": calibration_draft_dict()}
    exec(compile(code, "README-testing", "exec"), namespace)
    assert namespace["result"].ok  # type: ignore[attr-defined]


def test_custom_rule_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", _section("How re-asks and checks work"), re.DOTALL)
    plan = calibration_draft_dict()
    from planner_agent.draft import PlanDraft

    draft = PlanDraft.model_validate(plan).to_plan()
    draft.components.configuration.sagemaker_parameters[2].default = "'ml.p3.2xlarge'"
    namespace = {"plan": draft}
    exec(compile(blocks[0], "README-rule", "exec"), namespace)
    issues = namespace["issues"]
    assert [i.code for i in issues if i.code == "TEAM001"] == ["TEAM001"]  # type: ignore[attr-defined]


def test_quick_start_and_test_command_are_documented() -> None:
    quick = _section("Quick start")
    assert "planner-agent plan examples/requirements/model_calibration.md" in quick
    assert "python -m pytest" in quick
    assert (
        Path(__file__).resolve().parents[1] / "examples/requirements/model_calibration.md"
    ).is_file()
    ci = (Path(__file__).resolve().parents[1] / ".ci/run").read_text(encoding="utf-8")
    assert "python -m pytest" in ci


def test_module_table_matches_the_tree() -> None:
    table = README.split("<!-- modules:begin -->\n", 1)[1].split("\n<!-- modules:end -->", 1)[0]
    listed = {
        name
        for row in table.splitlines()[2:]
        for name in re.findall(r"`([\w/.]+)`", row.split("|")[1])
    }
    package = Path(planner_agent.__file__).parent
    present = {p.name for p in package.glob("*.py")} | {
        f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").is_file()
    }
    present.discard("__init__.py")
    present.discard("__main__.py")
    assert listed == present, "update the README's module table"


def test_adding_a_mode_example_runs() -> None:
    (code,) = re.findall(r"```python\n(.*?)```", _section("Development"), re.DOTALL)
    namespace: dict[str, object] = {}
    exec(compile(code, "README-mode", "exec"), namespace)
    try:
        mode = get_mode("tagged_json")
        parsed = mode.parse(
            "<plan>" + json.dumps(calibration_draft_dict()) + "</plan>", DEFAULT_LAYOUT
        )
        assert parsed.plan is not None and parsed.plan.step_name == "ModelCalibration"
        assert mode.request_fields({}, strict=True) == {}
    finally:
        unregister_mode("tagged_json")
