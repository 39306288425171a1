"""plan_steps(via="batch_api") through the real openai client against ScriptedServer's Batch API."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import openai
import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict, html_endpoint

from planner_agent.batch import BatchFileLimits, BatchResult, aplan_steps, plan_steps
from planner_agent.batch._openai_batch import split
from planner_agent.errors import BatchError, ConfigurationError, PlanRefusedError
from planner_agent.testing import BATCH_LINE_PATH, RecordedRequest, Reply, ScriptedServer, Usage

MODEL = "gpt-4o-mini"
TAG = re.compile(r"item-(\d+)")


def requirement(i: int) -> str:
    return f"{CALIBRATION_REQUIREMENTS}\nItem tag: item-{i:02d}."


def tag_of(request: RecordedRequest) -> str | None:
    for message in request.messages:
        if match := TAG.search(str(message.get("content", ""))):
            return match.group(0)
    return None


def good(_: RecordedRequest) -> Reply:
    return Reply.json(calibration_draft_dict())


def items(n: int) -> dict[str, str]:
    return {f"item-{i:02d}": requirement(i) for i in range(n)}


def run(server: ScriptedServer, requirements: Any, **kw: Any) -> BatchResult:
    kw.setdefault("progress", False)
    kw.setdefault("poll_interval", 0.01)
    kw.setdefault("model", MODEL)
    return plan_steps(requirements, client=server.client(), via="batch_api", **kw)


def posts(server: ScriptedServer, path: str) -> int:
    return sum(r.method == "POST" and r.path == path for r in server.requests)


def chat(server: ScriptedServer) -> list[RecordedRequest]:
    return [r for r in server.requests if r.path.endswith("/chat/completions")]


def test_batch_round_trip_in_input_order(tmp_path: Path) -> None:
    with ScriptedServer(good, batch_polls_before_complete=2) as srv:
        result = run(srv, items(5), out_dir=tmp_path)
        lines = [r for r in srv.requests if r.path == BATCH_LINE_PATH]
    assert [i.name for i in result.items] == list(items(5))  # the server reverses the output
    assert [i.status for i in result.items] == ["ok"] * 5
    assert srv.chat_requests == 0 and len(lines) == 5 and result.batch_requests == 5
    assert sorted(r.custom_id or "" for r in lines) == list(items(5))
    assert lines[0].body is not None and lines[0].body["model"] == MODEL
    state = json.loads((tmp_path / "batch_state.json").read_text())
    assert [b["id"] for b in state["batches"]] == result.batch_ids and len(result.batch_ids) == 1
    assert set(state["batches"][0]["keys"]) == set(items(5))
    assert all((tmp_path / f"item-{i:02d}.json").exists() for i in range(5))


def test_batch_cost_is_half_price() -> None:
    with ScriptedServer(good) as srv:
        batched = run(srv, items(3))
        direct = plan_steps(items(3), client=srv.client(), model=MODEL, progress=False)
    assert batched.usage == direct.usage
    assert batched.cost_usd is not None and direct.cost_usd is not None
    assert batched.cost_usd == pytest.approx(direct.cost_usd / 2)


def test_bad_lines_are_replanned_or_reasked() -> None:
    def script(request: RecordedRequest) -> Reply:
        tag, in_batch = tag_of(request), request.path == BATCH_LINE_PATH
        if in_batch and tag == "item-01":
            return Reply("this is not json")  # parsed, fails the checks -> re-ask
        if in_batch and tag == "item-02":
            return Reply(raw_body=b"{oops, not json")  # unreadable line -> planned afresh
        if in_batch and tag == "item-03":
            return Reply.error(500, "boom")  # error file -> planned afresh
        if tag == "item-04":
            return Reply(refusal="No.")
        return Reply.json(calibration_draft_dict())

    with ScriptedServer(script, batch_garbage_lines=2) as srv:
        result = run(srv, items(6), mode="json_schema")
        direct = {tag_of(r): r for r in chat(srv)}
    assert [i.status for i in result.items] == ["ok", "ok", "ok", "ok", "failed", "ok"]
    assert isinstance(result.items[4].error, PlanRefusedError)
    assert set(direct) == {"item-01", "item-02", "item-03"}
    reask = direct["item-01"].messages
    assert [m["role"] for m in reask[-2:]] == ["assistant", "user"]
    assert reask[-2]["content"] == "this is not json"  # the same conversation continues
    assert len(direct["item-02"].messages) == len(direct["item-03"].messages) == len(reask) - 2
    assert result.items[1].result is not None and len(result.items[1].result.attempts) == 2
    assert any("not readable JSON" in note for note in result.notes)
    assert result.requests == 3


def test_split_limits() -> None:
    assert split([("a", 5), ("b", 5), ("a", 5), ("a", 5)], BatchFileLimits(max_requests=2)) == [
        [0, 2],
        [1],
        [3],
    ]
    assert split([("a", 6), ("a", 6), ("a", 3)], BatchFileLimits(max_bytes=10)) == [[0], [1, 2]]
    with ScriptedServer(good) as srv:
        result = run(srv, items(5), batch_limits=BatchFileLimits(max_requests=2))
        assert posts(srv, "/v1/batches") == 3 and posts(srv, "/v1/files") == 3
    assert result.ok == 5 and len(result.batch_ids) == 3


def test_byte_limit_and_oversized_requests() -> None:
    with ScriptedServer(good) as srv:
        run(srv, items(1))
        size = len(srv.file_bytes("file-scripted-1"))
    with ScriptedServer(good) as srv:
        assert run(srv, items(5), batch_limits=BatchFileLimits(max_bytes=int(size * 2.5))).ok == 5
        assert posts(srv, "/v1/batches") == 3  # 2 + 2 + 1
    with ScriptedServer(good) as srv:
        result = run(srv, items(2), batch_limits=BatchFileLimits(max_bytes=100))
        assert posts(srv, "/v1/batches") == 0 and srv.chat_requests == 2
    assert result.ok == 2 and any("larger than a batch input file" in n for n in result.notes)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_requests": 0}, "max_requests must be a positive integer; got 0"),
        ({"max_bytes": -5}, "max_bytes must be a positive integer; got -5"),
        ({"max_requests": 2.5}, "max_requests must be a positive integer; got 2.5"),
    ],
)
def test_bad_batch_limits(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        BatchFileLimits(**options)
    with ScriptedServer(good) as srv, pytest.raises(ConfigurationError, match="BatchFileLimits"):
        run(srv, items(1), batch_limits={"max_requests": 2})
    assert srv.requests == []


def test_unknown_batch_id() -> None:
    with ScriptedServer(good) as srv:
        with pytest.raises(BatchError, match="does not exist"):
            run(srv, items(2), batch_id="batch-nope")
        assert srv.chat_requests == 0 and srv.batch_line_requests == 0
        with pytest.raises(BatchError, match="via='batch_api'"):
            plan_steps(items(1), client=srv.client(), model=MODEL, batch_id="batch-x")


def _interrupted_first_run(srv: ScriptedServer, out: Path) -> None:
    async def main() -> None:
        task = asyncio.create_task(
            aplan_steps(
                items(4),
                client=srv.client(),
                model=MODEL,
                via="batch_api",
                out_dir=out,
                poll_interval=0.01,
                progress=False,
            )
        )
        while not (out / "batch_state.json").exists():
            await asyncio.sleep(0.01)
        task.cancel()  # the process "dies" while the batch is still running
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_resume_collects_the_running_batch(tmp_path: Path) -> None:
    with ScriptedServer(good, batch_polls_before_complete=8) as srv:
        _interrupted_first_run(srv, tmp_path)
        assert json.loads((tmp_path / "summary.json").read_text())["interrupted"] is True
        result = run(srv, items(4), out_dir=tmp_path, resume=True)
        assert posts(srv, "/v1/files") == 1 and posts(srv, "/v1/batches") == 1
        assert srv.batch_line_requests == 4 and srv.chat_requests == 0
    assert [i.status for i in result.items] == ["ok"] * 4


def test_resume_by_batch_id_without_state(tmp_path: Path) -> None:
    with ScriptedServer(good, batch_polls_before_complete=8) as srv:
        _interrupted_first_run(srv, tmp_path / "first")
        ident = json.loads((tmp_path / "first" / "batch_state.json").read_text())["batches"][0][
            "id"
        ]
        result = run(srv, items(4), batch_id=ident)  # keys learnt from the batch's input file
        assert posts(srv, "/v1/files") == 1 and srv.chat_requests == 0
        assert result.ok == 4 and result.batch_ids == [ident]
        other = run(srv, items(4), batch_id=ident, model="gpt-4.1-mini")  # other keys: no reuse
        assert posts(srv, "/v1/files") == 2 and other.ok == 4


async def test_async_client_batch() -> None:
    with ScriptedServer(good, batch_polls_before_complete=1) as srv:
        client = srv.async_client()
        try:
            result = await aplan_steps(
                items(3),
                client=client,
                model=MODEL,
                via="batch_api",
                poll_interval=0.01,
                progress=False,
            )
        finally:
            await client.close()
    assert result.ok == 3 and srv.batch_line_requests == 3 and srv.chat_requests == 0


def test_resume_skips_done_items_before_batching(tmp_path: Path) -> None:
    with ScriptedServer(good) as srv:
        run(srv, items(2), out_dir=tmp_path)
        result = run(srv, items(3), out_dir=tmp_path, resume=True)
        lines = [r.custom_id for r in srv.requests if r.path == BATCH_LINE_PATH]
    assert [i.status for i in result.items] == ["skipped", "skipped", "ok"]
    assert lines.count("item-02") == 1 and lines.count("item-00") == 1


def test_server_parameters_are_fields_of_each_line() -> None:
    with ScriptedServer(good) as srv:
        result = run(srv, items(2), seed=5, extra_body={"top_k": 20})
        lines = [json.loads(line) for line in srv.file_bytes("file-scripted-1").splitlines()]
    assert result.ok == 2 and len(lines) == 2
    assert all(line["body"]["top_k"] == 20 and line["body"]["seed"] == 5 for line in lines)
    assert all("extra_body" not in line["body"] for line in lines)


def test_an_endpoint_that_answers_html_is_a_batch_error() -> None:
    with html_endpoint() as base_url:
        client = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)
        with pytest.raises(BatchError, match=r"files\.create with a body that is not JSON"):
            plan_steps(items(2), client=client, model=MODEL, via="batch_api", progress=False)


def test_a_token_limit_counts_batch_replies_and_stops_the_requests_after() -> None:
    def script(request: RecordedRequest) -> Reply:
        if request.path == BATCH_LINE_PATH and tag_of(request) == "item-01":
            return Reply.error(500, "boom")  # error file: would be planned with a request
        return Reply.json(calibration_draft_dict(), usage=Usage(100, 50))

    with ScriptedServer(script) as srv:
        result = run(srv, items(4), max_total_tokens=300)
        assert srv.batch_line_requests == 4 and srv.chat_requests == 0
    assert [i.status for i in result.items] == ["ok", "not_run", "ok", "ok"]
    assert "max_total_tokens=300 was reached" in str(result.items[1].error)
    assert result.usage.total_tokens == 450  # the three replies paid in the batch


def test_a_zero_limit_submits_nothing() -> None:
    with ScriptedServer(good) as srv:
        result = run(srv, items(3), max_total_tokens=0)
        assert srv.requests == []  # no file uploaded, no batch created
    assert [i.status for i in result.items] == ["not_run"] * 3
