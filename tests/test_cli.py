"""The planner-agent command, run in-process through its public `main`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent.cli import main
from planner_agent.testing import RecordedRequest, Reply, ScriptedServer

MODEL = "gpt-4o-mini"


@pytest.fixture
def req(tmp_path: Path) -> Path:
    path = tmp_path / "calibration.md"
    path.write_text(CALIBRATION_REQUIREMENTS, encoding="utf-8")
    return path


def _env(monkeypatch: pytest.MonkeyPatch, server: ScriptedServer) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-cli-key-123456")
    monkeypatch.setenv("PLANNER_MODEL", MODEL)


def test_plan_prints_markdown_and_summary(
    req: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ScriptedServer([Reply.json(calibration_draft_dict())]) as server:
        _env(monkeypatch, server)
        code = main(["plan", str(req)])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("# Implementation Plan for ModelCalibration")
    assert "model gpt-4o-mini" in err and "1 attempt(s)" in err
    assert "sk-test-cli-key-123456" not in out + err


def test_plan_writes_json_and_exit_2_on_errors(
    req: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = calibration_draft_dict()
    bad["step_name"] = "model_calibration"
    with ScriptedServer([Reply.json(bad)]) as server:
        _env(monkeypatch, server)
        out = tmp_path / "out" / "plan.json"
        code = main(["plan", str(req), "-o", str(out), "--max-attempts", "1"])
    assert code == 2
    data = json.loads(out.read_text())
    assert data["ok"] is False and data["issues"]
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_failure_is_one_line_exit_1(
    req: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ScriptedServer([Reply.error(401, "bad key")]) as server:
        _env(monkeypatch, server)
        code = main(["plan", str(req)])
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("planner-agent: error:")]
    assert len(lines) == 1 and "APIKeyError" in lines[0] and "Traceback" not in err


def test_debug_shows_traceback(req: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner_agent import APIKeyError

    with ScriptedServer([Reply.error(401, "bad key")]) as server:
        _env(monkeypatch, server)
        with pytest.raises(APIKeyError):
            main(["--debug", "plan", str(req)])


def test_bad_max_attempts_is_clear(req: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(req), "--model", MODEL, "--max-attempts", "0"]) == 1
    assert "max_attempts must be a positive integer" in capsys.readouterr().err


def test_prompt_calls_nothing_and_prints_table(
    req: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PLANNER_MODEL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["prompt", str(req)]) == 0
    out, err = capsys.readouterr()
    assert "===== system =====" in out and CALIBRATION_REQUIREMENTS in out
    assert "requirements" in err and "total" in err and "exact (o200k_base)" in err


def test_schema_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--profile", "strict"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False


def test_help_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ([], ["plan"], ["prompt"], ["schema"], ["check"], ["batch"]):
        with pytest.raises(SystemExit) as info:
            main([*command, "--help"])
        assert info.value.code == 0
        assert "usage: planner-agent" in capsys.readouterr().out


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_check_clean_plan_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from samples import calibration_draft

    from planner_agent.seedformat._writer import render_markdown

    plan_md = tmp_path / "plan.md"
    plan_md.write_text(render_markdown(calibration_draft().to_plan()), encoding="utf-8")
    plan_json = tmp_path / "plan.json"
    plan_json.write_text(calibration_draft().to_plan().to_json(), encoding="utf-8")
    for path in (plan_md, plan_json):
        assert main(["check", str(path)]) == 0
        assert f"{path}: 0 error(s)" in capsys.readouterr().out


def test_check_reports_errors_grouped_with_fix_hints(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "check",
            str(FIXTURES / "markdown" / "processing_input.md"),
            "--codebase",
            str(FIXTURES / "codebase"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 2
    assert out.index("ERRORS") < out.index("WARNINGS")
    assert "ENUM001" in out and "processing_input" in out and "ALIGN001" in out


def test_check_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FIXTURES / "markdown" / "truncated.md"), "--format", "json"]) in (
        0,
        2,
    )
    payload = json.loads(capsys.readouterr().out)
    assert "IMPORT002" in {i["code"] for i in payload["issues"]}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"\x00\x01\x02binary", "binary"), (b"just some prose, no plan here", ""), (b"", "empty")],
)
def test_check_unreadable_input_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, fragment: str
) -> None:
    path = tmp_path / "plan.md"
    path.write_bytes(content)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "PlanImportError" in err and fragment in err


def test_check_missing_codebase_is_clear(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["check", str(FIXTURES / "markdown" / "tables.md"), "--codebase", str(tmp_path / "nope")]
    )
    assert code == 1 and "CodebaseError" in capsys.readouterr().err


def test_batch_command_writes_outputs_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner_agent.testing import plan_responder

    inputs = tmp_path / "reqs"
    inputs.mkdir()
    for name in ("ScoreBinning", "ScoreCalibration"):
        (inputs / f"{name.lower()}.md").write_text(
            f"# {name}\nA processing step.", encoding="utf-8"
        )
    out = tmp_path / "out"
    with ScriptedServer(plan_responder()) as server:
        _env(monkeypatch, server)
        assert main(["batch", str(inputs), "-o", str(out), "-j", "2", "--no-progress"]) == 0
        assert server.chat_requests == 2
        assert main(["batch", str(inputs), "-o", str(out), "--resume", "--no-progress"]) == 0
        assert server.chat_requests == 2  # nothing re-requested
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed"] == 2
    assert (
        json.loads((out / "scorebinning.json").read_text())["plan"]["step_name"] == "ScoreBinning"
    )
    assert (
        (out / "scorecalibration.md")
        .read_text()
        .startswith("# Implementation Plan for ScoreCalibration")
    )
    assert "<BatchResult 2 items" in capsys.readouterr().err


def test_batch_command_reports_failures_with_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner_agent.testing import plan_responder

    good_req = tmp_path / "good.md"
    good_req.write_text("# ScoreBinning\nA processing step.", encoding="utf-8")
    empty = tmp_path / "empty.md"
    empty.write_text("   ", encoding="utf-8")
    with ScriptedServer(plan_responder()) as server:
        _env(monkeypatch, server)
        code = main(
            ["batch", str(good_req), str(empty), "-o", str(tmp_path / "out"), "--no-progress"]
        )
    assert code == 1
    assert (tmp_path / "out" / "empty.error.json").is_file()
    assert (tmp_path / "out" / "good.json").is_file()


def test_batch_command_via_batch_api_splits_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner_agent.testing import plan_responder

    inputs = tmp_path / "reqs"
    inputs.mkdir()
    for name in ("ScoreBinning", "ScoreCalibration", "ScoreClipping"):
        (inputs / f"{name.lower()}.md").write_text(f"# {name}\nA processing step.", "utf-8")
    out = tmp_path / "out"
    args = ["batch", str(inputs), "-o", str(out), "--via", "batch-api", "--no-progress"]
    with ScriptedServer(plan_responder()) as server:
        _env(monkeypatch, server)
        assert main([*args, "--batch-max-requests", "0"]) == 1
        assert "max_requests must be a positive integer" in capsys.readouterr().err
        assert server.requests == [] and not out.exists()
        assert main([*args, "--batch-max-requests", "2", "--poll-interval", "0.01"]) == 0
        batches = [r for r in server.requests if r.method == "POST" and r.path == "/v1/batches"]
    assert len(batches) == 2  # 2 + 1 requests
    assert json.loads((out / "summary.json").read_text())["ok"] == 3


def test_batch_command_inputs_are_files_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner_agent.testing import plan_responder

    first, second = tmp_path / "first", tmp_path / "second"
    for folder, name in ((first, "ScoreBinning"), (second, "ScoreCalibration")):
        folder.mkdir()
        (folder / f"{name.lower()}.md").write_text(f"# {name}\nA processing step.", "utf-8")
    missing = tmp_path / "nowhere" / "score_clipping"  # no suffix: still a file, never text
    out = tmp_path / "out"
    with ScriptedServer(plan_responder()) as server:
        _env(monkeypatch, server)
        code = main(
            ["batch", str(first), str(missing), str(second), "-o", str(out), "--no-progress"]
        )
        assert server.chat_requests == 2
    assert code == 1  # the missing file failed alone
    assert (out / "scorebinning.json").is_file() and (out / "scorecalibration.json").is_file()
    error = json.loads((out / "score_clipping.error.json").read_text())
    assert error["error_type"] == "RequirementsError" and "does not exist" in error["message"]
    (second / "scorecalibration.md").unlink()
    with ScriptedServer(plan_responder()) as server:
        _env(monkeypatch, server)
        assert main(["batch", str(first), str(second), "-o", str(out), "--no-progress"]) == 1
        assert server.requests == []  # an empty folder is a bad invocation, caught up front


def test_unwritable_output_fails_before_any_request(
    req: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with ScriptedServer([Reply.json(calibration_draft_dict())]) as server:
        _env(monkeypatch, server)
        assert main(["plan", str(req), "-o", str(blocker / "plan.md")]) == 1
        assert f"{str(blocker)!r} is a file, not a folder" in capsys.readouterr().err
        assert main(["plan", str(req), "-o", str(tmp_path)]) == 1
        assert "is a directory; give a file name" in capsys.readouterr().err
        assert main(["schema", "--write", str(blocker / "schemas")]) == 1
        assert "OutputError: Cannot write the schemas" in capsys.readouterr().err
        assert server.requests == []


def test_plan_is_printed_when_the_output_cannot_be_written_after_all(
    req: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plan.md"

    def script(_: RecordedRequest) -> Reply:
        out.mkdir()  # the destination turns into a folder while the model is answering
        return Reply.json(calibration_draft_dict())

    with ScriptedServer(script) as server:
        _env(monkeypatch, server)
        assert main(["plan", str(req), "-o", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("# Implementation Plan for ModelCalibration")
    assert "the plan is on standard output instead" in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([req.name, "plan.md"])  # no temp


def test_a_folder_is_not_requirements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ScriptedServer([Reply.json(calibration_draft_dict())]) as server:
        _env(monkeypatch, server)
        assert main(["plan", str(tmp_path)]) == 1
        assert server.requests == []
    assert "RequirementsError" in capsys.readouterr().err


def test_unusable_paths_are_typed_errors(req: Path, capsys: pytest.CaptureFixture[str]) -> None:
    too_long = "a" * 5000  # no file system takes such a name: the OS itself refuses it
    for option, error in (("--codebase", "CodebaseError"), ("--knowledge", "KnowledgeError")):
        assert main(["prompt", str(req), option, too_long]) == 1
        err = capsys.readouterr().err
        assert f"error: {error}:" in err and "cannot be used (File name too long)" in err
        assert "internal error" not in err and len(err) < 600
