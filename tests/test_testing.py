"""Tests for planner_agent.testing.ScriptedServer, driven through the real openai client."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import openai
import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import plan_step
from planner_agent.errors import TransportError
from planner_agent.testing import BATCH_LINE_PATH, RecordedRequest, Reply, ScriptedServer, Usage

USER = [{"role": "user", "content": "hello there"}]


def _ask(client: openai.OpenAI, content: str = "hello there", **kw: Any) -> Any:
    messages: Any = [{"role": "user", "content": content}]
    return client.chat.completions.create(model="gpt-test", messages=messages, **kw)


def _batch_line(custom_id: str, text: str) -> dict[str, Any]:
    body = {"model": "gpt-batch", "messages": [{"role": "user", "content": text}]}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def _upload(client: openai.OpenAI, lines: list[dict[str, Any]]) -> str:
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    return client.files.create(file=("in.jsonl", data, "application/jsonl"), purpose="batch").id


def test_plain_reply_with_explicit_usage_including_cached_tokens() -> None:
    with ScriptedServer([Reply("hi!", usage=Usage(120, 8, cached_tokens=100))]) as server:
        out = _ask(server.client())
    assert out.object == "chat.completion"
    assert out.model == "gpt-test"  # echoes the requested model
    assert out.choices[0].message.role == "assistant"
    assert out.choices[0].message.content == "hi!"
    assert out.choices[0].finish_reason == "stop"
    assert out.usage is not None
    assert (out.usage.prompt_tokens, out.usage.completion_tokens) == (120, 8)
    assert out.usage.total_tokens == 128
    assert out.usage.prompt_tokens_details is not None
    assert out.usage.prompt_tokens_details.cached_tokens == 100


def test_approximate_usage_and_finish_reason() -> None:
    with ScriptedServer([Reply("x" * 40, finish_reason="length")]) as server:
        out = _ask(server.client(), "y" * 82)
    assert out.usage is not None
    assert (out.usage.prompt_tokens, out.usage.completion_tokens) == (20, 10)
    assert out.usage.prompt_tokens_details is not None
    assert out.usage.prompt_tokens_details.cached_tokens == 0
    assert out.choices[0].finish_reason == "length"


def test_list_script_is_consumed_in_order_and_requests_are_recorded() -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "plan", "schema": {"type": "object"}}}
    script = [Reply("first"), Reply.json({"n": 2}), Reply("third")]
    with ScriptedServer(script) as server:
        client = server.client()
        answers = [_ask(client, f"q{i}", response_format=schema) for i in range(3)]
    assert [a.choices[0].message.content for a in answers] == ["first", '{"n": 2}', "third"]
    assert server.chat_requests == 3
    assert server.exhausted_requests == 0
    recorded = server.requests
    assert [r.method for r in recorded] == ["POST"] * 3
    assert [r.path for r in recorded] == ["/v1/chat/completions"] * 3
    assert [r.model for r in recorded] == ["gpt-test"] * 3
    assert [r.messages for r in recorded] == [
        [{"role": "user", "content": f"q{i}"}] for i in range(3)
    ]
    assert recorded[0].response_format == schema
    assert recorded[0].body is not None and recorded[0].body["response_format"] == schema
    assert recorded[0].time <= recorded[1].time <= recorded[2].time


def test_list_script_is_thread_safe_across_clients() -> None:
    script = [Reply(f"r{i}") for i in range(24)]
    seen: list[str] = []
    with ScriptedServer(script) as server:

        def worker() -> None:
            client = server.client()
            for _ in range(6):
                seen.append(_ask(client).choices[0].message.content or "")

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(seen) == sorted(f"r{i}" for i in range(24))  # each reply used exactly once
    assert server.chat_requests == 24
    assert server.exhausted_requests == 0


def test_responder_answers_from_request_content() -> None:
    def responder(request: RecordedRequest) -> Reply:
        return Reply(request.messages[-1]["content"].upper())

    with ScriptedServer(responder) as server:
        client = server.client()
        assert _ask(client, "abc").choices[0].message.content == "ABC"
        assert _ask(client, "xyz").choices[0].message.content == "XYZ"
    assert server.chat_requests == 2
    assert server.exhausted_requests == 0


def test_responder_exception_becomes_500_and_is_kept() -> None:
    def responder(request: RecordedRequest) -> Reply:
        raise KeyError("boom")

    with ScriptedServer(responder) as server, pytest.raises(openai.InternalServerError) as info:
        _ask(server.client())
    assert "responder raised" in info.value.message
    assert len(server.responder_errors) == 1
    assert isinstance(server.responder_errors[0], KeyError)


def test_429_surfaces_as_rate_limit_error_with_retry_after() -> None:
    script = [Reply.error(429, "slow down", headers={"Retry-After": "0.1"}), Reply("ok")]
    with ScriptedServer(script) as server:
        client = server.client()
        with pytest.raises(openai.RateLimitError) as info:
            _ask(client)
        assert _ask(client).choices[0].message.content == "ok"  # the script moved on
    assert info.value.status_code == 429
    assert info.value.response.headers["retry-after"] == "0.1"
    assert "slow down" in info.value.message
    assert isinstance(info.value.body, dict)
    assert info.value.body["type"] == "rate_limit_error"


def test_400_surfaces_as_bad_request_error() -> None:
    server = ScriptedServer([Reply.error(400, "context too long")])
    with server, pytest.raises(openai.BadRequestError) as info:
        _ask(server.client())
    assert info.value.status_code == 400
    assert "context too long" in info.value.message
    assert isinstance(info.value.body, dict)
    assert info.value.body["type"] == "invalid_request_error"


def test_malformed_raw_body_makes_the_client_raise() -> None:
    server = ScriptedServer([Reply(raw_body=b'{"id": "chatcmpl-1", "choices": [')])
    with server, pytest.raises(json.JSONDecodeError):  # openai 3.x lets the decode error escape
        _ask(server.client())
    assert server.chat_requests == 1


async def test_delayed_replies_are_served_concurrently() -> None:
    with ScriptedServer([Reply("a", delay=0.3), Reply("b", delay=0.3)]) as server:
        client = server.async_client()
        messages: Any = USER
        started = time.monotonic()
        results = await asyncio.gather(
            client.chat.completions.create(model="m", messages=messages),
            client.chat.completions.create(model="m", messages=messages),
        )
        elapsed = time.monotonic() - started
        await client.close()
    assert sorted(r.choices[0].message.content or "" for r in results) == ["a", "b"]
    assert 0.3 <= elapsed < 0.55


def test_delay_is_honoured() -> None:
    with ScriptedServer([Reply("slow", delay=0.25)]) as server:
        client = server.client()
        started = time.monotonic()
        _ask(client)
        assert time.monotonic() - started >= 0.25


def test_refusal_sets_message_refusal_and_null_content() -> None:
    with ScriptedServer([Reply(refusal="I can't help with that")]) as server:
        out = _ask(server.client())
    assert out.choices[0].message.refusal == "I can't help with that"
    assert out.choices[0].message.content is None


def test_exhausted_script_answers_500_and_counts() -> None:
    with ScriptedServer([Reply("only")]) as server:
        client = server.client()
        _ask(client)
        with pytest.raises(openai.InternalServerError) as info:
            _ask(client)
        with pytest.raises(openai.InternalServerError):
            _ask(client)
    assert "ScriptedServer: script exhausted after 1 requests" in info.value.message
    assert server.exhausted_requests == 2
    assert server.chat_requests == 3  # exhausted requests are still recorded


def test_authorization_header_is_redacted_in_records() -> None:
    with ScriptedServer([Reply("x")]) as server:
        _ask(server.client(api_key="sk-very-secret-key"))
        server.client(api_key="sk-very-secret-key").models.list()
    assert len(server.requests) == 2
    for request in server.requests:
        assert request.headers["authorization"] == "Bearer ***"
        assert "sk-very-secret" not in repr(request)


def test_models_endpoint_paths_without_v1_and_manual_lifecycle() -> None:
    server = ScriptedServer([Reply("no prefix")], model_name="my-model").start()
    try:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.base_url.endswith("/v1")
        client = server.client()
        assert [m.id for m in client.models.list()] == ["my-model"]
        bare = server.client(base_url=server.base_url.removesuffix("/v1"))
        assert _ask(bare).choices[0].message.content == "no prefix"
        assert server.requests[-1].path == "/chat/completions"
        assert server.chat_requests == 1
    finally:
        server.close()
    server.close()  # idempotent
    with pytest.raises(RuntimeError):
        _ = server.base_url


def test_files_and_batches_end_to_end_with_polling() -> None:
    def responder(request: RecordedRequest) -> Reply:
        return Reply.json({"echo": request.messages[0]["content"]})

    lines = [_batch_line(f"req-{i}", f"text {i}") for i in range(3)]
    with ScriptedServer(responder, batch_polls_before_complete=2) as server:
        client = server.client()
        input_id = _upload(client, lines)
        uploaded = client.files.retrieve(input_id)
        assert (uploaded.purpose, uploaded.filename) == ("batch", "in.jsonl")
        assert client.files.content(input_id).read() == server.file_bytes(input_id)

        batch = client.batches.create(
            input_file_id=input_id,
            endpoint="/v1/chat/completions",
            completion_window="24h",
            metadata={"run": "t1"},
        )
        assert batch.status == "validating"
        assert batch.metadata == {"run": "t1"}
        statuses = [client.batches.retrieve(batch.id).status for _ in range(3)]
        assert statuses == ["in_progress", "in_progress", "completed"]
        done = client.batches.retrieve(batch.id)
        assert done.request_counts is not None
        assert (done.request_counts.total, done.request_counts.completed) == (3, 3)
        assert done.request_counts.failed == 0
        assert done.error_file_id is None
        assert done.output_file_id is not None
        text = client.files.content(done.output_file_id).text

    rows = [json.loads(line) for line in text.splitlines()]
    ids = [row["custom_id"] for row in rows]
    assert sorted(ids) == ["req-0", "req-1", "req-2"]
    assert ids != ["req-0", "req-1", "req-2"]  # order is not guaranteed: never input order here
    for row in rows:
        assert row["error"] is None
        assert row["response"]["status_code"] == 200
        completion = openai.types.chat.ChatCompletion.model_validate(row["response"]["body"])
        assert completion.model == "gpt-batch"
        number = row["custom_id"].removeprefix("req-")
        assert json.loads(completion.choices[0].message.content or "") == {"echo": f"text {number}"}
    batch_records = [r for r in server.requests if r.path == BATCH_LINE_PATH]
    assert sorted(r.custom_id or "" for r in batch_records) == ids[::-1]
    assert server.batch_line_requests == 3
    assert server.chat_requests == 0


def test_batch_failures_go_to_error_file() -> None:
    script = [Reply("ok"), Reply.error(400, "bad line")]
    with ScriptedServer(script) as server:
        client = server.client()
        input_id = _upload(client, [_batch_line("good", "a"), _batch_line("bad", "b")])
        batch = client.batches.create(
            input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        assert batch.status == "completed"  # no polls configured: completes immediately
        assert batch.request_counts is not None
        assert (batch.request_counts.completed, batch.request_counts.failed) == (1, 1)
        assert batch.output_file_id is not None and batch.error_file_id is not None
        output = client.files.content(batch.output_file_id).text.splitlines()
        errors = client.files.content(batch.error_file_id).text.splitlines()
    assert [json.loads(line)["custom_id"] for line in output] == ["good"]
    (error_row,) = [json.loads(line) for line in errors]
    assert error_row["custom_id"] == "bad"
    assert error_row["response"]["status_code"] == 400
    assert error_row["response"]["body"]["error"]["message"] == "bad line"


def test_batch_garbage_lines_are_appended_to_output() -> None:
    with ScriptedServer([Reply("a"), Reply("b")], batch_garbage_lines=2) as server:
        client = server.client()
        input_id = _upload(client, [_batch_line("x", "1"), _batch_line("y", "2")])
        batch = client.batches.create(
            input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        assert batch.output_file_id is not None
        lines = client.files.content(batch.output_file_id).text.splitlines()
    assert len(lines) == 4
    parsed, garbage = [], []
    for line in lines:
        try:
            parsed.append(json.loads(line)["custom_id"])
        except json.JSONDecodeError:
            garbage.append(line)
    assert sorted(parsed) == ["x", "y"]
    assert len(garbage) == 2


def test_invalid_batch_input_fails_the_batch() -> None:
    with ScriptedServer([Reply("unused")]) as server:
        client = server.client()
        data = b'{"custom_id": "a", "url": "/v1/chat/completions"}\nnot json\n'
        input_id = client.files.create(file=("bad.jsonl", data), purpose="batch").id
        batch = client.batches.create(
            input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h"
        )
    assert batch.status == "failed"
    assert batch.errors is not None and batch.errors.data is not None
    assert [e.line for e in batch.errors.data] == [1, 2]
    assert server.batch_line_requests == 0


def test_cancel_a_pending_batch() -> None:
    with ScriptedServer([Reply("a")], batch_polls_before_complete=5) as server:
        client = server.client()
        input_id = _upload(client, [_batch_line("only", "1")])
        batch = client.batches.create(
            input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        assert client.batches.retrieve(batch.id).status == "in_progress"
        assert client.batches.cancel(batch.id).status == "cancelled"
        assert client.batches.retrieve(batch.id).status == "cancelled"
        with pytest.raises(openai.ConflictError):
            client.batches.cancel(batch.id)


def test_unknown_batch_and_file_ids_are_404() -> None:
    with ScriptedServer([]) as server:
        client = server.client()
        with pytest.raises(openai.NotFoundError) as info:
            client.batches.retrieve("batch_does_not_exist")
        assert "batch_does_not_exist" in info.value.message
        with pytest.raises(openai.NotFoundError):
            client.batches.cancel("batch_does_not_exist")
        with pytest.raises(openai.NotFoundError):
            client.files.retrieve("file-missing")
        with pytest.raises(openai.NotFoundError):
            client.files.content("file-missing")
        with pytest.raises(openai.NotFoundError):
            client.batches.create(
                input_file_id="file-missing",
                endpoint="/v1/chat/completions",
                completion_window="24h",
            )


def test_reply_constructors_and_validation() -> None:
    assert Reply.json({"a": [1]}, finish_reason="length") == Reply(
        content='{"a": [1]}', finish_reason="length"
    )
    error = Reply.error(503, "down", headers={"Retry-After": "1"})
    assert (error.status, error.error_message, dict(error.headers)) == (
        503,
        "down",
        {"Retry-After": "1"},
    )
    with pytest.raises(ValueError):
        Reply(status=42)
    with pytest.raises(ValueError):
        Reply(delay=-1)


def test_file_delete_then_404() -> None:
    with ScriptedServer([]) as server:
        client = server.client()
        file_id = client.files.create(file=("a.jsonl", b"{}\n"), purpose="batch").id
        assert client.files.delete(file_id).deleted is True
        with pytest.raises(openai.NotFoundError):
            client.files.retrieve(file_id)


def test_script_mistakes_fail_at_once() -> None:
    with pytest.raises(TypeError, match="script item 1 is a str, not a Reply"):
        ScriptedServer([Reply("ok"), "oops"])  # type: ignore[list-item]
    with ScriptedServer([]) as server:
        with pytest.raises(TransportError, match="script exhausted after 0 requests"):
            plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model="gpt-4o-mini")
        assert server.chat_requests == 1  # x-should-retry: false, so no transport retries
    with ScriptedServer(lambda _: 5) as server:  # type: ignore[arg-type,return-value]
        with pytest.raises(TransportError, match="the responder returned 5, not a Reply"):
            plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model="gpt-4o-mini")
        assert server.chat_requests == 1 and len(server.responder_errors) == 1


def test_the_servers_retry_verdict_is_honoured() -> None:
    draft = Reply.json(calibration_draft_dict())
    no = Reply.error(503, "overloaded", headers={"x-should-retry": "false"})
    with ScriptedServer([no, draft]) as server:
        with pytest.raises(TransportError, match="HTTP 503 \\(not retryable\\)"):
            plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model="gpt-4o-mini")
        assert server.chat_requests == 1
    yes = Reply.error(400, "try again", headers={"x-should-retry": "true"})
    with ScriptedServer([yes, draft]) as server:
        result = plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model="gpt-4o-mini")
        assert server.chat_requests == 2 and result.attempts[0].transport_retries == 1
