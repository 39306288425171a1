"""The planner-agent command, run in-process through its public `main`."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent.checks import RULES
from planner_agent.cli import build_parser, main
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


def test_bad_max_attempts_is_a_usage_error(req: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(req), "--model", MODEL, "--max-attempts", "0"]) == 64
    assert "--max-attempts: '0' is not a positive integer" in capsys.readouterr().err


def test_prompt_calls_nothing_and_prints_table(
    req: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PLANNER_MODEL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["prompt", str(req)]) == 0
    out, err = capsys.readouterr()
    assert "===== system =====" in out and CALIBRATION_REQUIREMENTS in out
    assert "requirements" in err and "total" in err and "exact (o200k_base)" in err


def test_help_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ([], ["plan"], ["prompt"], ["schema"], ["check"], ["batch"], ["rules"]):
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
    rows = [line.split() for line in capsys.readouterr().err.splitlines()]
    headlines = [row for row in rows if row[1:2] == ["items:"]]  # a table, not a repr
    assert [h[:4] for h in headlines] == [
        ["2", "items:", "2", "ok"],
        ["2", "items:", "2", "resumed"],
    ]
    assert ["scorebinning", "skipped"] in [row[:2] for row in rows]


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
        assert main([*args, "--batch-max-requests", "0"]) == 64
        assert "--batch-max-requests: '0' is not a positive integer" in capsys.readouterr().err
        assert server.requests == [] and not out.exists()
        assert main([*args, "--batch-max-requests", "2", "--poll-interval", "0.01"]) == 0
        batches = [r for r in server.requests if r.method == "POST" and r.path == "/v1/batches"]
    assert len(batches) == 2  # 2 + 1 requests
    assert json.loads((out / "summary.json").read_text())["ok"] == 3


def test_batch_command_inputs_are_files_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner_agent.testing import plan_responder

    first, second = tmp_path / "first", tmp_path / "second"
    for folder, name in ((first, "ScoreBinning"), (second, "ScoreCalibration")):
        folder.mkdir()
        (folder / f"{name.lower()}.md").write_text(f"# {name}\nA processing step.", "utf-8")
    single = tmp_path / "score_clipping"  # no suffix: still a file, never text
    single.write_text("# ScoreClipping\nA processing step.", "utf-8")
    out = tmp_path / "out"
    with ScriptedServer(plan_responder()) as server:
        _env(monkeypatch, server)
        code = main(
            ["batch", str(first), str(single), str(second), "-o", str(out), "--no-progress"]
        )
        assert server.chat_requests == 3
    assert code == 0
    assert {p.name for p in out.glob("*.json")} == {
        "scorebinning.json",
        "score_clipping.json",
        "scorecalibration.json",
        "summary.json",
    }
    (second / "scorecalibration.md").unlink()
    capsys.readouterr()
    with ScriptedServer(plan_responder()) as server:
        _env(monkeypatch, server)
        assert main(["batch", str(first), str(second), "-o", str(out), "--no-progress"]) == 1
        assert server.requests == []  # an empty folder is a bad invocation, caught up front
    assert "has no .md or .txt requirements files" in capsys.readouterr().err


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


# -- issue #14: a Unix tool -------------------------------------------------------------------


def _stdin(monkeypatch: pytest.MonkeyPatch, data: str | bytes) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))


def test_dash_is_stdin_for_plan_and_stdout_for_o(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _stdin(monkeypatch, CALIBRATION_REQUIREMENTS + "\n")
    with ScriptedServer([Reply.json(calibration_draft_dict())]) as server:
        _env(monkeypatch, server)
        assert main(["plan", "-", "-o", "-", "--format", "json"]) == 0
        sent = server.requests[0].messages[-1]["content"]
    assert CALIBRATION_REQUIREMENTS in sent and list(tmp_path.iterdir()) == []  # no file '-'
    assert json.loads(capsys.readouterr().out)["plan"]["step_name"] == "ModelCalibration"


def test_plan_format_markdown_or_json_to_stdout(
    req: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ScriptedServer([Reply.json(calibration_draft_dict())] * 2) as server:
        _env(monkeypatch, server)
        assert main(["plan", str(req), "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["ok"] is True
        assert main(["plan", str(req), "--format", "markdown", "-o", "-"]) == 0
        assert capsys.readouterr().out.startswith("# Implementation Plan for ModelCalibration")


def test_dash_is_stdin_for_prompt_and_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, CALIBRATION_REQUIREMENTS)
    assert main(["prompt", "-", "--model", MODEL]) == 0
    assert CALIBRATION_REQUIREMENTS in capsys.readouterr().out
    plan_md = (FIXTURES / "markdown" / "processing_input.md").read_text("utf-8")
    _stdin(monkeypatch, plan_md)
    assert main(["check", "-"]) == 2
    out = capsys.readouterr().out
    assert "ENUM001" in out and "<stdin>: " in out


def test_dash_twice_and_undecodable_stdin(
    req: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_md = (FIXTURES / "markdown" / "tables.md").read_text("utf-8")
    _stdin(monkeypatch, plan_md)
    assert main(["check", "-", "--requirements", "-"]) == 64
    assert "standard input ('-') is read once" in capsys.readouterr().err
    _stdin(monkeypatch, b"\xff\xfe not text")
    assert main(["prompt", "-", "--model", MODEL]) == 1
    assert "RequirementsError: standard input is not UTF-8" in capsys.readouterr().err


def test_dash_is_one_batch_item_named_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner_agent.testing import plan_responder

    other = tmp_path / "scorebinning.md"
    other.write_text("# ScoreBinning\nA processing step.", "utf-8")
    _stdin(monkeypatch, "# ScoreClipping\nA processing step.")
    out = tmp_path / "out"
    with ScriptedServer(plan_responder()) as server:
        _env(monkeypatch, server)
        assert main(["batch", str(other), "-", "-o", str(out), "--no-progress"]) == 0
        assert server.chat_requests == 2
        assert main(["batch", str(other), "-o", "-"]) == 64
    assert json.loads((out / "stdin.json").read_text())["plan"]["step_name"] == "ScoreClipping"
    assert (out / "scorebinning.md").is_file()
    assert "-o takes a folder, not '-'" in capsys.readouterr().err


def test_prompt_takes_several_sources_plan_takes_one(
    req: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    second = tmp_path / "binning.md"
    second.write_text("Bin the calibrated scores into ten quantile bins.", "utf-8")
    assert main(["prompt", str(req), str(second), "--model", MODEL]) == 0
    out, err = capsys.readouterr()
    assert out.index(f"##### {req} #####") < out.index(CALIBRATION_REQUIREMENTS)
    assert out.index(f"##### {second} #####") < out.index("ten quantile bins")
    assert f"{req}: model {MODEL}" in err and f"{second}: model {MODEL}" in err
    assert main(["prompt", str(req), str(tmp_path / "typo.md"), "--model", MODEL]) == 1
    assert capsys.readouterr().out == ""  # every source is read before anything is printed
    with ScriptedServer([Reply.json(calibration_draft_dict())]) as server:
        _env(monkeypatch, server)
        assert main(["plan", str(req), str(second)]) == 64
        assert server.requests == []
    assert "planner-agent batch FILE... -o OUT_DIR" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["plan"],
        ["plan", "x", "--bogus"],
        ["plan", "x", "--mode", "yaml"],
        ["plan", "x", "--timeout", "-1"],
        ["batch", "dir"],
        ["check", "x", "--disable", "NOPE001"],
        ["schema", "--profile", "loose"],
        ["schema", "--write", "d", "--kind", "plan"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_64(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 64
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_exit_codes_are_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ([], ["plan"], ["batch"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        for code in ("0 success", "1 failure", "2 a plan with error-level", "64 usage error"):
            assert code in out
        assert "130 interrupted" in out


def test_debug_after_the_subcommand(req: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner_agent import APIKeyError

    with ScriptedServer([Reply.error(401, "bad key")] * 2) as server:
        _env(monkeypatch, server)
        with pytest.raises(APIKeyError):
            main(["plan", str(req), "--debug"])
        assert main(["plan", str(req)]) == 1  # and without it, one line


def test_disable_on_plan_and_batch(
    req: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = calibration_draft_dict()
    bad["step_name"] = "model_calibration"  # NAME001
    args = ["--max-attempts", "1", "--no-progress"]
    with ScriptedServer([Reply.json(bad)] * 3) as server:
        _env(monkeypatch, server)
        assert main(["plan", str(req), *args]) == 2
        assert "NAME001" in capsys.readouterr().err
        assert main(["plan", str(req), *args, "--disable", "name001"]) == 0
        assert "NAME001" not in capsys.readouterr().err
        out = tmp_path / "out"
        assert main(["batch", str(req), "-o", str(out), *args, "--disable", "NAME001,SPEC001"]) == 0
        assert json.loads((out / "calibration.json").read_text())["ok"] is True
        assert server.chat_requests == 3
        assert main(["plan", str(req), "--disable", "IMPORT003"]) == 64
        assert server.chat_requests == 3
    assert "`planner-agent check --disable` takes IMPORT codes" in capsys.readouterr().err


def test_timeout_applies_to_each_request(
    req: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert build_parser().parse_args(["plan", "x"]).timeout == 600
    slow, fast = Reply.json(calibration_draft_dict(), delay=3), Reply.json(calibration_draft_dict())
    with ScriptedServer([slow, fast]) as server:
        _env(monkeypatch, server)
        assert main(["plan", str(req), "--timeout", "0.3"]) == 0
        assert server.chat_requests == 2  # the slow reply was given up on, then retried
    assert "retry 1 after APITimeoutError" in caplog.text


def test_rules_lists_every_code_with_severity_and_fix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["rules", "--format", "json"]) == 0
    listed = {row["code"]: row for row in json.loads(capsys.readouterr().out)}
    emitted = set()  # every IMPORT code the markdown importer can emit
    for path in (Path(__file__).parents[1] / "planner_agent" / "seedformat").glob("*.py"):
        if path.name != "_import_codes.py":  # the table itself does not count as a use
            emitted |= set(re.findall(r"\bIMPORT\d{3}\b", path.read_text("utf-8")))
    assert emitted and emitted | set(RULES) == set(listed)
    assert (
        listed["IMPORT002"]["severity"] == "warning"
        and "max-tokens" in listed["IMPORT002"]["summary"]
    )
    assert listed["NAME001"]["severity"] == "error" and listed["NAME001"]["family"] == "naming"
    assert main(["rules"]) == 0
    text = capsys.readouterr().out
    assert all(code in text for code in listed) and "IMPORT006  warning  import" in text


def test_check_disable_takes_import_codes(capsys: pytest.CaptureFixture[str]) -> None:
    truncated = str(FIXTURES / "markdown" / "truncated.md")
    main(["check", truncated, "--format", "json"])
    before = {i["code"] for i in json.loads(capsys.readouterr().out)["issues"]}
    assert "IMPORT002" in before
    main(
        ["check", truncated, "--format", "json", "--disable", "IMPORT002", "--disable", "IMPORT003"]
    )
    after = {i["code"] for i in json.loads(capsys.readouterr().out)["issues"]}
    assert after == before - {"IMPORT002", "IMPORT003"}


def test_batch_prints_each_failure_and_a_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner_agent.testing import plan_responder

    (tmp_path / "good.md").write_text("# ScoreBinning\nA processing step.", "utf-8")
    (tmp_path / "empty.md").write_text("   ", "utf-8")
    with ScriptedServer(plan_responder()) as server:
        _env(monkeypatch, server)
        assert main(["batch", str(tmp_path), "-o", str(tmp_path / "out"), "--no-progress"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("2 items: 1 ok, 1 failed")
    rows = [line.split() for line in lines]
    assert ["name", "status", "ok", "requests", "tokens", "error"] in rows
    assert ["empty", "failed"] in [r[:2] for r in rows] and ["good", "ok"] in [r[:2] for r in rows]
    reason = [line for line in lines if line.startswith("failed: empty (")]
    assert len(reason) == 1  # in full: the table shortens it
    assert reason[0].endswith(
        "is empty. Describe the new step: what it reads, what it produces, where it sits in the pipeline."
    )


# -- python -m planner_agent, pipes and terminals (subprocesses) --------------------------------


def _child_env(server: ScriptedServer | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PLANNER_"))}
    env["PLANNER_LOCAL"] = "0"
    if server is not None:
        env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test-cli-key-123456")
    return env


def test_python_dash_m_runs_the_command(req: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "planner_agent", "prompt", str(req), "--model", MODEL],
        capture_output=True,
        text=True,
        env=_child_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert CALIBRATION_REQUIREMENTS in done.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "planner_agent", "plan"], capture_output=True, text=True, timeout=120
    )
    assert usage.returncode == 64 and "usage: planner-agent plan" in usage.stderr


def test_a_closed_pipe_is_not_a_traceback(req: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "planner_agent", "prompt", str(req), "--model", MODEL],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_child_env(),
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # like `| head -0`: the reader is gone before the prompt is written
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 1
    assert "Traceback" not in err and "Exception ignored" not in err


def _plan_in_child(req: Path, server: ScriptedServer, stderr: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "planner_agent", "plan", str(req), "--model", MODEL],
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=_child_env(server),
    )


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX")
def test_a_spinner_on_a_terminal_nothing_on_a_pipe(req: Path) -> None:
    slow = Reply.json(calibration_draft_dict(), delay=1.5)
    with ScriptedServer([slow, slow]) as server:
        main_fd, child_fd = os.openpty()
        child = _plan_in_child(req, server, child_fd)
        os.close(child_fd)
        out, _ = child.communicate(timeout=120)
        terminal = b""
        with contextlib.suppress(OSError):  # EIO once the child's side is closed
            while chunk := os.read(main_fd, 4096):
                terminal += chunk
        os.close(main_fd)
        assert child.returncode == 0 and out.startswith(b"# Implementation Plan")
        assert b"\r| waiting for gpt-4o-mini (0s)" in terminal and b"\r\x1b[K" in terminal
        assert terminal.count(b"waiting for") >= 5  # it moves while the reply is awaited
        piped = _plan_in_child(req, server, subprocess.PIPE)
        _, err = piped.communicate(timeout=120)
        assert piped.returncode == 0 and b"ModelCalibration: ok" in err
        assert b"waiting for" not in err and b"\r" not in err


def test_progress_can_be_forced_on_a_pipe(
    req: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ScriptedServer([Reply.json(calibration_draft_dict(), delay=0.5)] * 2) as server:
        _env(monkeypatch, server)
        assert main(["plan", str(req), "--progress"]) == 0
        assert "waiting for gpt-4o-mini" in capsys.readouterr().err
        assert main(["plan", str(req)]) == 0  # captured stderr is no terminal
        assert "waiting for" not in capsys.readouterr().err
