"""Requirements: a str is the text, a Path is a file, in the API, in batches and (by existence) in
the CLI (issue #13 item 13). A typo in a file name is never planned as text."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import RequirementsError, plan_step, plan_steps
from planner_agent.cli import main
from planner_agent.testing import Reply, ScriptedServer

MODEL = "gpt-4o-mini"


def test_a_path_looking_string_that_names_no_file_is_refused_before_any_request() -> None:
    with ScriptedServer([Reply.json(calibration_draft_dict())]) as server:
        with pytest.raises(RequirementsError, match=r"pathlib\.Path\('reqs/model_calibraton'\)"):
            plan_step("reqs/model_calibraton", client=server.client(), model=MODEL)
        assert server.requests == []


def test_a_string_is_text_and_a_path_is_a_file(tmp_path: Path) -> None:
    req = tmp_path / "calibration.md"
    req.write_text(CALIBRATION_REQUIREMENTS, "utf-8")
    script = [Reply.json(calibration_draft_dict())] * 2
    with ScriptedServer(script) as server:
        assert plan_step(req, client=server.client(), model=MODEL).ok
        text = "Calibrate scores/probabilities of a trained model with isotonic regression."
        assert plan_step(text, client=server.client(), model=MODEL).ok
        sent = [r.messages[-1]["content"] for r in server.requests]
    assert CALIBRATION_REQUIREMENTS in sent[0] and text in sent[1]


def test_a_nul_byte_in_a_string_is_refused_like_in_a_file(tmp_path: Path) -> None:
    binary = tmp_path / "req.md"
    binary.write_bytes(b"Calibrate\x00 scores")
    with pytest.raises(RequirementsError, match="binary"):
        plan_step(binary, model=MODEL)
    with pytest.raises(RequirementsError, match="NUL bytes"):
        plan_step("Calibrate\x00 scores", model=MODEL)


def test_batch_items_follow_the_same_rule(tmp_path: Path) -> None:
    req = tmp_path / "calibration.md"
    req.write_text(CALIBRATION_REQUIREMENTS, "utf-8")
    items = {"file": req, "text": CALIBRATION_REQUIREMENTS, "typo": str(tmp_path / "calibraton.md")}
    with ScriptedServer([Reply.json(calibration_draft_dict())] * 2) as server:
        result = plan_steps(items, client=server.client(), model=MODEL, progress=False)
        assert server.chat_requests == 2  # the typo cost nothing
    status = {item.name: item.status for item in result}
    assert status == {"file": "ok", "text": "ok", "typo": "failed"}
    typo = next(item for item in result if item.name == "typo")
    assert isinstance(typo.error, RequirementsError) and "looks like a file path" in str(typo.error)


def test_the_cli_reads_an_existing_file_and_refuses_a_missing_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "reqs" / "model_calibraton.md"
    assert main(["prompt", str(missing), "--model", MODEL]) == 1
    assert "does not exist" in capsys.readouterr().err
    req = tmp_path / "calibration.md"
    req.write_text(CALIBRATION_REQUIREMENTS, "utf-8")
    assert main(["prompt", str(req), "--model", MODEL]) == 0
    assert CALIBRATION_REQUIREMENTS.splitlines()[0] in capsys.readouterr().out
    assert main(["prompt", "Calibrate the scores of a trained model.", "--model", MODEL]) == 0
    assert "Calibrate the scores of a trained model." in capsys.readouterr().out
