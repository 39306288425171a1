"""Tests for planner_agent.seedformat._loading: plans from files or text, JSON or markdown, and load errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from samples import calibration_draft, calibration_draft_dict

from planner_agent._enums import closest_enum_value, validate_with_enum_repair
from planner_agent.checks import check_plan
from planner_agent.errors import PlanImportError
from planner_agent.plan import (
    DependencyType,
    ImplementationPlan,
    JobType,
    NodeType,
    SageMakerStepType,
    Severity,
)
from planner_agent.result import PlanResult
from planner_agent.seedformat import LoadedPlan, load_plan, render_markdown

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"
PLAN = calibration_draft().to_plan()


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- formats


def test_markdown_file(tmp_path: Path) -> None:
    loaded = load_plan(_write(tmp_path, "plan.md", render_markdown(PLAN)))
    assert loaded == LoadedPlan(plan=PLAN, issues=[], format="markdown", unread=[])


def test_markdown_file_given_as_str_and_markdown_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "plan.txt", render_markdown(PLAN))
    assert load_plan(str(path)).plan == PLAN
    assert load_plan(render_markdown(PLAN)).plan == PLAN  # contains a newline: text


def test_plan_json_file_and_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "plan.json", PLAN.to_json())
    loaded = load_plan(path)
    assert (loaded.plan, loaded.format, loaded.issues) == (PLAN, "json", [])
    assert load_plan(PLAN.to_json(indent=None)).plan == PLAN  # one line, starts with "{"


def test_draft_json_is_expanded(tmp_path: Path) -> None:
    loaded = load_plan(_write(tmp_path, "draft.json", json.dumps(calibration_draft_dict())))
    assert loaded.plan == PLAN and loaded.format == "json"


def test_saved_result_json_is_read() -> None:
    loaded = load_plan(json.dumps({"plan": PLAN.to_dict(), "ok": True, "issues": []}))
    assert loaded.plan == PLAN


def test_json_inside_a_fence_is_read() -> None:
    text = "Here is the plan:\n```json\n" + PLAN.to_json() + "\n```\n"
    assert load_plan(text).plan == PLAN


def test_forced_formats(tmp_path: Path) -> None:
    path = _write(tmp_path, "plan.json", render_markdown(PLAN))  # markdown despite the suffix
    assert load_plan(path, format="markdown").plan == PLAN
    with pytest.raises(PlanImportError, match=r"plan\.json is not valid JSON"):
        load_plan(path)
    with pytest.raises(PlanImportError, match="not valid JSON"):
        load_plan(render_markdown(PLAN), format="json")
    with pytest.raises(PlanImportError, match="unknown plan format 'yaml'"):
        load_plan(path, format="yaml")  # type: ignore[arg-type]


def test_lenient_markdown_fixture_keeps_issues_and_unread() -> None:
    loaded = load_plan(FIXTURES / "truncated.md")
    assert loaded.format == "markdown"
    assert "IMPORT002" in [i.code for i in loaded.issues]
    assert loaded.unread


# --------------------------------------------------------------------------- enums


def _broken_plan() -> dict[str, Any]:
    data = PLAN.to_dict()
    spec = data["components"]["step_specification"]
    spec["dependencies"][0]["dependency_type"] = "processing_input"
    spec["node_type"] = "Internal"
    spec["job_type_variants"] = ["training", "train"]
    data["registry_entry"]["sagemaker_step_type"] = "processing"
    return data


def test_json_with_invalid_enums_gives_enum_issues_and_a_plan() -> None:
    loaded = load_plan(json.dumps(_broken_plan()))
    by_path = {i.path: i for i in loaded.issues}
    assert set(by_path) == {
        "components.step_specification.dependencies[0].dependency_type",
        "components.step_specification.node_type",
        "components.step_specification.job_type_variants[1]",
        "registry_entry.sagemaker_step_type",
    }
    assert all(i.code == "ENUM001" and i.severity is Severity.ERROR for i in loaded.issues)
    dep = by_path["components.step_specification.dependencies[0].dependency_type"].message
    assert re.search(r"no [`']processing_input[`']", dep) and "model_artifacts" in dep
    assert "read as 'processing_output'" in dep
    spec = loaded.plan.components.step_specification
    assert spec.dependencies[0].dependency_type is DependencyType.PROCESSING_OUTPUT
    assert spec.node_type is NodeType.INTERNAL
    assert spec.job_type_variants == [JobType.TRAINING, JobType.TRAINING]
    assert loaded.plan.registry_entry.sagemaker_step_type is SageMakerStepType.PROCESSING


def test_draft_json_with_an_invalid_enum() -> None:
    data = calibration_draft_dict()
    data["inputs"][0]["dependency_type"] = "processing_input"
    loaded = load_plan(json.dumps(data))
    assert [(i.code, i.path) for i in loaded.issues] == [("ENUM001", "inputs[0].dependency_type")]
    assert loaded.plan == PLAN


def test_other_json_validation_errors_raise_with_paths() -> None:
    data = PLAN.to_dict()
    del data["components"]["script_contract"]["entry_point"]
    data["components"]["step_specification"]["dependencies"][0]["required"] = "sometimes"
    data["components"]["step_specification"]["node_type"] = "middle"  # enum: not the reason
    with pytest.raises(PlanImportError) as info:
        load_plan(json.dumps(data))
    message = info.value.message
    assert "not a valid implementation plan" in message
    assert "components.script_contract.entry_point: Field required" in message
    assert "components.step_specification.dependencies[0].required" in message
    assert "\n" not in message


def test_enum_helpers() -> None:
    assert (
        closest_enum_value("PROCESSING_OUTPUT", DependencyType) is DependencyType.PROCESSING_OUTPUT
    )
    assert closest_enum_value("model artifacts", DependencyType) is DependencyType.MODEL_ARTIFACTS
    assert closest_enum_value("Sink", NodeType) is NodeType.SINK
    assert closest_enum_value(3, NodeType) in NodeType
    data = PLAN.to_dict()
    data["registry_entry"]["sagemaker_step_type"] = "Trainning"
    _, [issue] = validate_with_enum_repair(ImplementationPlan, data)
    assert issue.code == "ENUM001" and issue.path == "registry_entry.sagemaker_step_type"
    assert issue.is_error
    assert "'Trainning' is not a valid SageMakerStepType" in issue.message
    assert issue.message.endswith("read as 'Training' so the plan could be loaded")
    assert "processing_input" not in issue.message


def test_validate_with_enum_repair_leaves_valid_data_alone() -> None:
    plan, issues = validate_with_enum_repair(ImplementationPlan, PLAN.to_dict())
    assert plan == PLAN and issues == []


# --------------------------------------------------------------------------- load errors


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.md"
    with pytest.raises(PlanImportError, match=r"plan file not found: .*nope\.md"):
        load_plan(missing)
    with pytest.raises(PlanImportError, match=r"plan file not found: 'nope\.md'"):
        load_plan("nope.md")


def test_long_single_line_text_is_treated_as_a_missing_file() -> None:
    with pytest.raises(PlanImportError, match=r"plan file not found: 'x{120}\.\.\.' \("):
        load_plan("x" * 5000)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(PlanImportError, match="is a directory; expected a plan file"):
        load_plan(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "plan.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(PlanImportError, match=r"plan\.md is a binary file"):
        load_plan(path)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "plan.md", "# Implementation Plan for Caf\xe9\n".encode("latin-1"))
    with pytest.raises(PlanImportError, match=r"plan\.md is not UTF-8 text \(byte 0xe9 at offset"):
        load_plan(path)


@pytest.mark.parametrize("content", ["", "  \n\n\t\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    with pytest.raises(PlanImportError, match=r"plan\.md is empty"):
        load_plan(_write(tmp_path, "plan.md", content))


def test_empty_text() -> None:
    with pytest.raises(PlanImportError, match="the plan text is empty"):
        load_plan("\n\n")


def test_random_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "notes.md", "Meeting notes\n\n- buy milk\n- call Bob\n")
    with pytest.raises(PlanImportError) as info:
        load_plan(path)
    message = info.value.message
    assert "notes.md is neither a markdown implementation plan" in message
    assert "nor plan JSON" in message


@pytest.mark.parametrize(
    ("content", "got"),
    [
        ('{"name": "x", "values": [1, 2]}', "an object with keys ['name', 'values']"),
        ("[1, 2, 3]", "got list"),
        ('"just a string"', "got str"),
    ],
)
def test_random_json(tmp_path: Path, content: str, got: str) -> None:
    with pytest.raises(PlanImportError) as info:
        load_plan(_write(tmp_path, "data.json", content))
    message = info.value.message
    assert "data.json is JSON but not an implementation plan" in message
    assert got in message


def test_invalid_json(tmp_path: Path) -> None:
    with pytest.raises(PlanImportError, match=r"bad\.json is not valid JSON \(.* line 1 column"):
        load_plan(_write(tmp_path, "bad.json", '{"step_name": '))


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        load_plan("definitely-missing-plan.md")


def test_wrong_sources_are_plan_import_errors() -> None:
    with pytest.raises(PlanImportError, match="from a path or from text, not int"):
        load_plan(5)  # type: ignore[arg-type]
    with pytest.raises(PlanImportError, match="one-line text is read as a path"):
        load_plan("hello world")


def test_saved_results_that_are_not_results() -> None:
    for data, fragment in [
        ({"a": 1}, "missing 'plan'"),
        (None, "got NoneType"),
        ({"plan": PLAN.to_dict(), "issues": "nope"}, "not a saved PlanResult"),
    ]:
        with pytest.raises(PlanImportError, match=fragment):
            PlanResult.from_dict(data)  # type: ignore[arg-type]


def test_check_plan_takes_dicts_and_rejects_other_things() -> None:
    data = PLAN.to_dict()
    data["registry_entry"]["sagemaker_step_type"] = "Training"  # paths say Processing
    issues = check_plan(data)
    assert issues and issues == check_plan(ImplementationPlan.model_validate(data))
    draft = calibration_draft_dict()
    draft["inputs"][0]["dependency_type"] = "processing_input"
    issues = check_plan(draft)
    assert [i.code for i in issues if i.code == "ENUM001"] == ["ENUM001"]
    with pytest.raises(PlanImportError, match="not a valid implementation plan"):
        check_plan({**PLAN.to_dict(), "components": {}})
    with pytest.raises(PlanImportError, match="needs an ImplementationPlan"):
        check_plan("plan.md")  # type: ignore[arg-type]
