"""What a run tells its caller while it goes: the logger, the on_attempt hook, usage limits."""

from __future__ import annotations

import logging
import re

import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import (
    Attempt,
    ConfigurationError,
    Planner,
    UsageLimitExceededError,
    UsageLimits,
    plan_step,
)
from planner_agent.testing import Reply, ScriptedServer, Usage

MODEL = "gpt-4o-mini"


def _bad_name() -> Reply:
    draft = calibration_draft_dict()
    draft["step_name"] = "model_calibration"  # schema-valid, a check error: drives a re-ask
    return Reply.json(draft, usage=Usage(1000, 500))


def test_each_attempt_retry_and_fallback_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    script = [
        Reply.error(400, "response_format json_schema is not supported"),
        Reply.error(503, "busy"),
        _bad_name(),
        Reply.json(calibration_draft_dict()),
    ]
    with ScriptedServer(script) as server, caplog.at_level(logging.INFO, logger="planner_agent"):
        result = plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
    assert result.ok and result.mode == "json_object"
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("planner_agent")]
    assert any("falling back to json_object" in m for m in messages)
    assert any(m.startswith("transport retry 1 after HTTP 503") for m in messages)
    attempts = [m for m in messages if m.startswith("attempt ")]
    assert len(attempts) == 2
    assert re.match(
        r"attempt 1 \(json_object\): 0 parse error\(s\), [1-9]\d* issue\(s\), 1000\+500",
        attempts[0],
    )
    assert attempts[1].startswith("attempt 2 (json_object): 0 parse error(s)")


def test_on_attempt_sees_every_attempt_as_it_happens() -> None:
    seen: list[Attempt] = []
    with ScriptedServer([_bad_name(), Reply.json(calibration_draft_dict())]) as server:
        result = Planner(client=server.client(), model=MODEL, on_attempt=seen.append).plan(
            CALIBRATION_REQUIREMENTS
        )
    assert [a.number for a in seen] == [1, 2] and seen == result.attempts
    assert any(i.code == "NAME001" for i in seen[0].issues) and not seen[1].issues


def test_a_token_limit_stops_before_a_reask_and_keeps_the_best_plan() -> None:
    limits = UsageLimits(total_tokens=2000)  # attempt 1 spends 1500; a re-ask needs ~1500 more
    with ScriptedServer([_bad_name(), Reply.json(calibration_draft_dict())]) as server:
        result = plan_step(
            CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL, usage_limits=limits
        )
        assert server.chat_requests == 1
    assert not result.ok and len(result.attempts) == 1


def test_a_cost_limit_without_a_plan_raises_with_what_was_spent() -> None:
    garbage = Reply("not json", usage=Usage(100_000, 1_000))
    limits = UsageLimits(cost_usd=0.01)  # gpt-4o-mini: 100k prompt tokens cost $0.015
    with ScriptedServer([garbage, Reply.json(calibration_draft_dict())]) as server:
        with pytest.raises(UsageLimitExceededError) as info:
            plan_step(
                CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL, usage_limits=limits
            )
        assert server.chat_requests == 1
    assert "cost_usd 0.01" in str(info.value) and info.value.usage.prompt_tokens == 100_000


def test_a_generous_limit_changes_nothing() -> None:
    with ScriptedServer([_bad_name(), Reply.json(calibration_draft_dict())]) as server:
        result = plan_step(
            CALIBRATION_REQUIREMENTS,
            client=server.client(),
            model=MODEL,
            usage_limits=UsageLimits(total_tokens=1_000_000, cost_usd=5.0),
        )
    assert result.ok and len(result.attempts) == 2


def test_wrong_limits_and_hooks_are_configuration_errors() -> None:
    with pytest.raises(ValueError, match="total_tokens must be a positive number"):
        UsageLimits(total_tokens=0)
    with pytest.raises(ConfigurationError, match="usage_limits must be a UsageLimits"):
        Planner(model=MODEL, usage_limits={"total_tokens": 5})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="on_attempt must be a function"):
        Planner(model=MODEL, on_attempt="print")  # type: ignore[arg-type]
