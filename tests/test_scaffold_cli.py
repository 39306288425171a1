"""`planner-agent scaffold` through the real command: dry run, write, JSON, refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from samples import calibration_draft_dict

from planner_agent.cli import main
from planner_agent.draft import PlanDraft
from planner_agent.testing import Reply, ScriptedServer

SCAFFOLD_REPO = Path(__file__).parent / "fixtures" / "scaffold_repo"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return Path(
        shutil.copytree(
            SCAFFOLD_REPO, tmp_path / "repo", ignore=shutil.ignore_patterns("__pycache__")
        )
    )


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _plan_file(tmp_path: Path, *, bad_property_path: bool = False) -> Path:
    plan = PlanDraft.model_validate(calibration_draft_dict()).to_plan()
    if bad_property_path:  # a check error (PROP002) that leaves every name and path safe
        plan.components.step_specification.outputs[0].property_path = "properties.Nope"
    path = tmp_path / "plan.json"
    path.write_text(plan.model_dump_json(), "utf-8")
    return path


def test_dry_run_prints_the_diff_and_writes_nothing(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _files(repo)
    assert main(["scaffold", str(_plan_file(tmp_path)), "--codebase", str(repo), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "+++ " in out and "ModelCalibration" in out
    assert _files(repo) == before


def test_write_then_json_reports_nothing_changes_the_second_time(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = str(_plan_file(tmp_path))
    assert main(["scaffold", plan, "--codebase", str(repo)]) == 0
    written = _files(repo)
    assert any(name.endswith("model_calibration_contract.py") for name in written)
    capsys.readouterr()
    assert main(["scaffold", plan, "--codebase", str(repo), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["diff"] == "" and _files(repo) == written


def test_a_plan_with_errors_is_refused_with_exit_2(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _files(repo)
    plan = _plan_file(tmp_path, bad_property_path=True)
    assert main(["scaffold", str(plan), "--codebase", str(repo)]) == 2
    assert "PROP002" in capsys.readouterr().err and _files(repo) == before


def test_requirements_are_planned_first(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    req = tmp_path / "req.md"
    req.write_text("# ModelCalibration\nCalibrate the scores of a trained model.", "utf-8")
    with ScriptedServer([Reply.json(calibration_draft_dict())]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-123456")
        code = main(["scaffold", str(req), "--codebase", str(repo), "--model", "gpt-4o-mini"])
        assert server.chat_requests == 1
    assert code == 0
    assert any(p.name == "model_calibration_contract.py" for p in repo.rglob("*.py"))


def test_scaffold_needs_a_codebase(tmp_path: Path) -> None:
    assert main(["scaffold", str(_plan_file(tmp_path))]) == 64
