"""Fault matrix, transport side (issue #13): each case reproduces a probed fault through the API.

Cases are named by their number in the issue: 4 key redaction, 7 timeouts, 8 long Retry-After,
10 non-UTF-8 bodies, 11 what errors carry, 12 malformed keys. Real HTTP to the scripted server.
"""

from __future__ import annotations

import time

import openai
import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import (
    APIKeyError,
    IncompleteOutputError,
    Planner,
    PlanTimeoutError,
    TransportError,
    plan_step,
)
from planner_agent.cli import build_parser
from planner_agent.testing import Reply, ScriptedServer, Usage

MODEL = "gpt-4o-mini"


def _bad_name() -> Reply:
    draft = calibration_draft_dict()
    draft["step_name"] = "model_calibration"  # schema-valid, a check error: drives a re-ask
    return Reply.json(draft, usage=Usage(100, 50))


def test_4_a_key_without_the_sk_prefix_is_redacted_when_echoed() -> None:
    key = "azure-9f8e7d6c5b4a39281706"
    with ScriptedServer([Reply.error(400, f"invalid header: api-key {key} not allowed")]) as srv:
        client = openai.OpenAI(api_key=key, base_url=srv.base_url, max_retries=0)
        with pytest.raises(TransportError) as info:
            plan_step(CALIBRATION_REQUIREMENTS, client=client, model=MODEL)
    assert key not in str(info.value) and "***" in str(info.value)


def test_7_timeout_applies_to_a_given_client() -> None:
    with ScriptedServer([Reply.json(calibration_draft_dict(), delay=3.0)]) as server:
        started = time.perf_counter()
        with pytest.raises(TransportError, match="Could not reach"):
            plan_step(
                CALIBRATION_REQUIREMENTS,
                client=server.client(),
                model=MODEL,
                timeout=0.3,
                transport_retries=0,
            )
        elapsed = time.perf_counter() - started
    assert elapsed < 2.5  # the reply came after 3 s: the 0.3 s timeout cut it


def test_8_a_long_retry_after_stops_at_once_and_says_when() -> None:
    script = [Reply.error(429, "slow down", headers={"Retry-After": "3600"})] * 5
    with ScriptedServer(script) as server:
        started = time.perf_counter()
        with pytest.raises(TransportError) as info:
            plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
        assert server.chat_requests == 1
    assert time.perf_counter() - started < 5
    message = str(info.value)
    assert "3600 s" in message and "UTC" in message and "retry after" in message
    assert info.value.status_code == 429


def test_8_a_short_retry_after_is_still_honoured() -> None:
    script = [
        Reply.error(429, "slow", headers={"Retry-After": "0.2"}),
        Reply.json(calibration_draft_dict()),
    ]
    with ScriptedServer(script) as server:
        result = plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
    assert result.ok and result.attempts[0].transport_retries == 1


def test_10_a_body_that_is_not_utf8_is_a_transport_error() -> None:
    body = b'{"id": "x", "choices": "\xff\xfe\xfa"}'
    with (
        ScriptedServer([Reply("", raw_body=body)]) as server,
        pytest.raises(TransportError, match="not a JSON chat completion"),
    ):
        plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)


def test_11_a_transport_error_after_paid_reasks_carries_attempts_usage_and_request_id() -> None:
    script = [_bad_name(), _bad_name(), Reply.error(400, "context too long")]
    with ScriptedServer(script) as server, pytest.raises(TransportError) as info:
        plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
    error = info.value
    assert len(error.attempts) == 2 and error.usage.prompt_tokens == 200
    assert error.usage.completion_tokens == 100
    assert error.request_id  # the server's x-request-id
    assert isinstance(error.__cause__, openai.BadRequestError)


def test_11_an_incomplete_output_error_carries_usage() -> None:
    script = [Reply("{", finish_reason="length", usage=Usage(70, 30))]
    with ScriptedServer(script) as server, pytest.raises(IncompleteOutputError) as info:
        plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
    assert info.value.usage.total_tokens == 100


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("sk-valid-but-newline\n", "whitespace"),
        (" sk-leading", "whitespace"),
        ("sk-ключ", "non-ASCII"),
    ],
)
def test_12_a_malformed_key_is_an_api_key_error_before_any_request(key: str, fragment: str) -> None:
    with ScriptedServer([Reply.json(calibration_draft_dict())]) as server:
        client = openai.OpenAI(api_key=key, base_url=server.base_url, max_retries=0)
        with pytest.raises(APIKeyError, match=fragment):
            Planner(client=client, model=MODEL)
        assert server.requests == []


def test_12_a_malformed_key_from_the_environment_fails_on_first_plan_without_a_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with ScriptedServer([Reply.json(calibration_draft_dict())]) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-from-a-file\n")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        planner = Planner(model=MODEL)
        with pytest.raises(APIKeyError, match="whitespace"):
            planner.plan(CALIBRATION_REQUIREMENTS)
        assert server.requests == []


def test_7_plan_timeout_bounds_the_whole_plan() -> None:
    slow_bad = Reply("not json", delay=0.5, usage=Usage(10, 5))
    with ScriptedServer([slow_bad] * 6) as server:
        with pytest.raises(PlanTimeoutError) as info:
            plan_step(
                CALIBRATION_REQUIREMENTS,
                client=server.client(),
                model=MODEL,
                max_attempts=6,
                plan_timeout=0.8,
            )
        sent = server.chat_requests
    # Each reply takes 0.5 s: the third request would start after 1 s, past the limit.
    assert 1 <= sent <= 2 and len(info.value.attempts) == sent
    assert info.value.usage.prompt_tokens == 10 * sent
    assert "plan_timeout=0.8" in str(info.value)


def test_7_the_cli_has_a_plan_timeout_with_a_default() -> None:
    args = build_parser().parse_args(["plan", "req.md"])
    assert args.timeout == 600 and args.plan_timeout == 1800
    args = build_parser().parse_args(["plan", "req.md", "--plan-timeout", "90"])
    assert args.plan_timeout == 90
