"""Tests for planner_agent.testing.ScriptedTransport: the script served without a socket."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from typing import Any

import openai
import pytest

from planner_agent import Planner
from planner_agent.testing import (
    BATCH_LINE_PATH,
    RecordedRequest,
    Reply,
    ScriptedServer,
    ScriptedTransport,
    Usage,
    plan_responder,
)

MODEL = "gpt-4.1-mini"
REQUIREMENTS = "# ScoreBinning\nBin the calibrated scores of XGBoostModelEval into deciles."
USER: Any = [{"role": "user", "content": "hello there"}]


def _ask(client: openai.OpenAI, content: str = "hello there", **kw: Any) -> Any:
    messages: Any = [{"role": "user", "content": content}]
    return client.chat.completions.create(model="gpt-test", messages=messages, **kw)


def _batch_line(custom_id: str, text: str) -> dict[str, Any]:
    body = {"model": "gpt-batch", "messages": [{"role": "user", "content": text}]}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def test_sync_client_gets_the_script_in_order_and_requests_are_recorded() -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "object"}}}
    double = ScriptedTransport([Reply("first", usage=Usage(12, 3, 2)), Reply.json({"n": 2})])
    client = double.client(api_key="sk-secret-value")
    first = _ask(client, "q0", response_format=schema)
    second = _ask(client, "q1")
    assert (first.choices[0].message.content, second.choices[0].message.content) == (
        "first",
        '{"n": 2}',
    )
    assert first.model == "gpt-test"
    assert first.usage is not None and first.usage.prompt_tokens_details is not None
    assert (first.usage.prompt_tokens, first.usage.total_tokens) == (12, 15)
    assert first.usage.prompt_tokens_details.cached_tokens == 2
    recorded = double.requests
    assert [(r.method, r.path, r.model) for r in recorded] == [
        ("POST", "/v1/chat/completions", "gpt-test")
    ] * 2
    assert [r.messages[0]["content"] for r in recorded] == ["q0", "q1"]
    assert recorded[0].response_format == schema and recorded[1].response_format is None
    assert recorded[0].headers["authorization"] == "Bearer ***"
    assert recorded[0].headers["host"] == "scripted.invalid"
    assert "sk-secret-value" not in repr(recorded)
    assert double.chat_requests == 2 and double.exhausted_requests == 0
    assert str(client.base_url) == double.base_url + "/"


async def test_async_client_gets_scripted_replies_concurrently() -> None:
    double = ScriptedTransport([Reply("a", delay=0.3), Reply("b", delay=0.3)])
    client = double.async_client()
    started = time.monotonic()
    results = await asyncio.gather(
        client.chat.completions.create(model="m", messages=USER),
        client.chat.completions.create(model="m", messages=USER),
    )
    elapsed = time.monotonic() - started
    await client.close()
    assert sorted(r.choices[0].message.content or "" for r in results) == ["a", "b"]
    assert 0.3 <= elapsed < 0.55  # the delays overlap: asyncio.sleep, not a blocking sleep
    assert [r.headers["x-stainless-async"] for r in double.requests] == ["async:asyncio"] * 2
    assert double.chat_requests == 2


def test_sync_delay_is_honoured_and_a_delay_beyond_the_read_timeout_times_out() -> None:
    double = ScriptedTransport([Reply("slow", delay=0.2), Reply("late", delay=5.0)])
    client = double.client(timeout=0.5)
    started = time.monotonic()
    assert _ask(client).choices[0].message.content == "slow"
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        _ask(client)
    assert 0.5 <= time.monotonic() - started < 2.0  # gave up at the timeout, not after 5 s
    assert double.chat_requests == 2  # the script moved on, as a server's would


async def test_async_delay_beyond_the_read_timeout_times_out() -> None:
    double = ScriptedTransport([Reply("late", delay=5.0)])
    client = double.async_client(timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        await client.chat.completions.create(model="m", messages=USER)
    await client.close()


def test_http_error_replies_surface_as_the_matching_openai_exceptions() -> None:
    script = [
        Reply.error(429, "slow down", headers={"Retry-After": "0.1"}),
        Reply.error(400, "context too long"),
        Reply.error(401, "bad key"),
        Reply.error(503, "overloaded"),
        Reply("ok"),
    ]
    with ScriptedTransport(script) as double:
        client = double.client()
        with pytest.raises(openai.RateLimitError) as limited:
            _ask(client)
        with pytest.raises(openai.BadRequestError) as bad:
            _ask(client)
        with pytest.raises(openai.AuthenticationError):
            _ask(client)
        with pytest.raises(openai.InternalServerError) as down:
            _ask(client)
        assert _ask(client).choices[0].message.content == "ok"
    assert limited.value.status_code == 429
    assert limited.value.response.headers["retry-after"] == "0.1"
    assert isinstance(limited.value.body, dict) and limited.value.body["type"] == "rate_limit_error"
    assert "slow down" in limited.value.message
    assert bad.value.status_code == 400 and "context too long" in bad.value.message
    assert down.value.status_code == 503
    assert down.value.response.headers["x-request-id"].startswith("req-scripted-")


def test_the_openai_clients_own_retries_honour_retry_after_and_x_should_retry() -> None:
    retry = Reply.error(503, "busy", headers={"Retry-After": "0"})
    double = ScriptedTransport([retry, Reply("after retry")])
    assert _ask(double.client(max_retries=2)).choices[0].message.content == "after retry"
    assert [r.headers["x-stainless-retry-count"] for r in double.requests] == ["0", "1"]

    final = Reply.error(503, "go away", headers={"x-should-retry": "false"})
    double = ScriptedTransport([final, Reply("never sent")])
    with pytest.raises(openai.InternalServerError, match="go away"):
        _ask(double.client(max_retries=2))
    assert double.chat_requests == 1


def test_script_mistakes_are_not_retryable_500s_naming_the_transport() -> None:
    double = ScriptedTransport([Reply("only")])
    client = double.client(max_retries=3)
    _ask(client)
    with pytest.raises(openai.InternalServerError) as info:
        _ask(client)
    assert "ScriptedTransport: script exhausted after 1 requests" in info.value.message
    assert info.value.response.headers["x-should-retry"] == "false"
    assert double.chat_requests == 2 and double.exhausted_requests == 1  # no client retries

    def responder(request: RecordedRequest) -> Reply:
        raise KeyError("boom")

    double = ScriptedTransport(responder)
    with pytest.raises(openai.InternalServerError, match="responder raised KeyError"):
        _ask(double.client())
    assert [type(e) for e in double.responder_errors] == [KeyError]
    with pytest.raises(TypeError, match="script item 0 is a str, not a Reply"):
        ScriptedTransport(["oops"])  # type: ignore[list-item]


def test_non_json_body_and_refusal() -> None:
    double = ScriptedTransport(
        [Reply(raw_body=b'{"id": "chatcmpl-1", "choices": ['), Reply(refusal="I can't")]
    )
    client = double.client()
    with pytest.raises(json.JSONDecodeError):
        _ask(client)
    refused = _ask(client).choices[0].message
    assert (refused.refusal, refused.content) == ("I can't", None)


def test_list_script_is_thread_safe() -> None:
    double = ScriptedTransport([Reply(f"r{i}") for i in range(24)])
    seen: list[str] = []

    def worker() -> None:
        client = double.client()
        for _ in range(6):
            seen.append(_ask(client).choices[0].message.content or "")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == sorted(f"r{i}" for i in range(24))  # each reply used exactly once
    assert double.exhausted_requests == 0


def test_files_batches_and_models_are_served_without_a_socket() -> None:
    def responder(request: RecordedRequest) -> Reply:
        return Reply.json({"echo": request.messages[0]["content"]})

    double = ScriptedTransport(responder, model_name="my-model", batch_polls_before_complete=1)
    client = double.client()
    assert [m.id for m in client.models.list()] == ["my-model"]
    data = "".join(json.dumps(_batch_line(f"c{i}", f"t{i}")) + "\n" for i in range(2)).encode()
    input_id = client.files.create(file=("in.jsonl", data), purpose="batch").id
    assert double.file_bytes(input_id) == data
    batch = client.batches.create(
        input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert client.batches.retrieve(batch.id).status == "in_progress"
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.output_file_id is not None
    rows = [
        json.loads(line) for line in client.files.content(done.output_file_id).text.splitlines()
    ]
    echoes = {r["custom_id"]: r["response"]["body"]["choices"][0]["message"] for r in rows}
    assert {k: json.loads(v["content"]) for k, v in echoes.items()} == {
        "c0": {"echo": "t0"},
        "c1": {"echo": "t1"},
    }
    assert sorted(r.custom_id or "" for r in double.requests if r.path == BATCH_LINE_PATH) == [
        "c0",
        "c1",
    ]
    assert double.batch_line_requests == 2 and double.chat_requests == 0
    with pytest.raises(openai.NotFoundError, match="batch_missing"):
        client.batches.retrieve("batch_missing")


def test_planner_plans_through_the_transport() -> None:
    with ScriptedTransport(plan_responder()) as double:
        result = Planner(client=double.client(), model=MODEL).plan(REQUIREMENTS)
    assert result.ok
    assert result.plan.step_name == "ScoreBinning"
    assert double.chat_requests == 1
    assert double.requests[0].model == MODEL
    assert REQUIREMENTS in double.requests[0].messages[-1]["content"]


async def test_planner_aplan_through_the_async_transport() -> None:
    double = ScriptedTransport(plan_responder())
    client = double.async_client()
    result = await Planner(client=client, model=MODEL).aplan(REQUIREMENTS)
    await client.close()
    assert result.ok
    assert result.plan.step_name == "ScoreBinning"
    assert [r.headers["x-stainless-async"] for r in double.requests] == ["async:asyncio"]
    assert double.chat_requests == 1


def _scenario(double: ScriptedServer | ScriptedTransport) -> tuple[str, list[str | None]]:
    """A planning run, then the models, files and batch routes, through one sync client."""
    client = double.client()
    result = Planner(client=client, model=MODEL).plan(REQUIREMENTS)
    client.models.list()
    line = json.dumps(_batch_line("only", "# LineStep\nA batch line.")) + "\n"
    input_id = client.files.create(file=("in.jsonl", line.encode()), purpose="batch").id
    batch = client.batches.create(
        input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert batch.output_file_id is not None
    output = json.loads(client.files.content(batch.output_file_id).text)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-missing")
    content = output["response"]["body"]["choices"][0]["message"]["content"]
    return result.plan.step_name, [content]


def _comparable(request: RecordedRequest) -> tuple[Any, ...]:
    headers = {k: v for k, v in request.headers.items() if k != "host"}
    if "content-type" in headers:  # multipart boundaries are random per request
        headers["content-type"] = re.sub(r"boundary=\w+", "boundary=*", headers["content-type"])
    return (request.method, request.path, request.body, request.custom_id, headers)


def test_the_same_script_gives_the_same_records_through_server_and_transport() -> None:
    with ScriptedServer(plan_responder()) as server:
        over_socket = _scenario(server)
    with ScriptedTransport(plan_responder()) as double:
        in_process = _scenario(double)
    assert over_socket == in_process
    assert over_socket[0] == "ScoreBinning"
    assert [_comparable(r) for r in server.requests] == [_comparable(r) for r in double.requests]
    paths = [r.path for r in double.requests]
    assert paths == [
        "/v1/chat/completions",
        "/v1/models",
        "/v1/files",
        "/v1/batches",
        BATCH_LINE_PATH,
        "/v1/files/file-scripted-10/content",  # ids from one counter, as on the server
        "/v1/files/file-missing",
    ]
    assert server.requests[0].headers["host"].startswith("127.0.0.1:")
    assert double.requests[0].headers["host"] == "scripted.invalid"
