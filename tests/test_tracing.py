"""Optional OpenTelemetry spans, read back with the SDK's in-memory exporter; and no dependency
or cost when OpenTelemetry is absent or nothing records."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import (
    Conversation,
    IncompleteOutputError,
    Planner,
    PlanRefusedError,
    aplan_step,
    plan_step,
    plan_steps,
)
from planner_agent.testing import Reply, ScriptedTransport, Usage

MODEL = "gpt-4o-mini"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """An SDK provider as the global one for this test only (the API allows setting it once per
    process, so the previous one is put back afterwards)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
    yield exporter
    provider.shutdown()


def good() -> Reply:
    return Reply.json(calibration_draft_dict(), usage=Usage(1000, 400, 0))


def bad_name() -> Reply:
    draft = calibration_draft_dict()
    draft["step_name"] = "modelCalibration"  # schema-valid, a check error: re-asked
    return Reply.json(draft, usage=Usage(1200, 500, 0))


def by_name(exporter: InMemorySpanExporter) -> tuple[list[ReadableSpan], list[ReadableSpan]]:
    finished = exporter.get_finished_spans()
    plans = [s for s in finished if s.name == "planner_agent.plan"]
    attempts = [s for s in finished if s.name == "planner_agent.attempt"]
    assert len(plans) + len(attempts) == len(finished)
    return plans, attempts


def test_a_plan_and_each_attempt_become_spans(spans: InMemorySpanExporter) -> None:
    double = ScriptedTransport([bad_name(), good()])
    result = plan_step(CALIBRATION_REQUIREMENTS, client=double.client(), model=MODEL)
    assert result.ok and len(result.attempts) == 2
    (plan,), attempts = by_name(spans)
    assert plan.attributes is not None
    assert dict(plan.attributes) == {
        "gen_ai.request.model": MODEL,
        "planner_agent.mode": "json_schema",
        "planner_agent.attempts": 2,
        "gen_ai.usage.input_tokens": 2200,
        "gen_ai.usage.output_tokens": 900,
        "planner_agent.outcome": "ok",
        "planner_agent.step_name": "ModelCalibration",
        "planner_agent.cost_usd": pytest.approx(result.cost_usd),
    }
    assert plan.status.status_code == StatusCode.UNSET
    first, second = sorted(attempts, key=lambda s: s.attributes["planner_agent.attempt"])  # type: ignore[index]
    assert first.attributes is not None and second.attributes is not None
    assert first.attributes["planner_agent.outcome"] == "reask"
    assert first.attributes["planner_agent.issues"] >= 1  # type: ignore[operator]
    assert first.attributes["gen_ai.usage.input_tokens"] == 1200
    assert second.attributes["planner_agent.outcome"] == "ok"
    assert second.attributes["gen_ai.usage.output_tokens"] == 400
    assert second.attributes["planner_agent.mode"] == "json_schema"
    for attempt in attempts:  # children of the plan, inside its time
        assert attempt.parent is not None and attempt.parent.span_id == plan.context.span_id
        assert attempt.context.trace_id == plan.context.trace_id
        assert plan.start_time <= attempt.start_time <= attempt.end_time <= plan.end_time  # type: ignore[operator]


def test_a_failed_plan_is_an_error_span_with_the_exception(spans: InMemorySpanExporter) -> None:
    double = ScriptedTransport([Reply(None, refusal="I can't help with that")])
    with pytest.raises(PlanRefusedError):
        plan_step(CALIBRATION_REQUIREMENTS, client=double.client(), model=MODEL)
    (plan,), (attempt,) = by_name(spans)
    assert plan.attributes is not None and attempt.attributes is not None
    assert plan.attributes["planner_agent.outcome"] == "PlanRefusedError"
    assert plan.status.status_code == StatusCode.ERROR
    assert [e.name for e in plan.events] == ["exception"]
    assert attempt.attributes["planner_agent.outcome"] == "refused"


def test_a_truncated_reply_is_reported(spans: InMemorySpanExporter) -> None:
    double = ScriptedTransport([Reply('{"step_name": "Mod', finish_reason="length")])
    with pytest.raises(IncompleteOutputError):
        plan_step(CALIBRATION_REQUIREMENTS, client=double.client(), model=MODEL, max_tokens=50)
    (plan,), (attempt,) = by_name(spans)
    assert attempt.attributes is not None and plan.attributes is not None
    assert attempt.attributes["planner_agent.outcome"] == "truncated"
    assert attempt.attributes["planner_agent.finish_reason"] == "length"
    assert plan.attributes["planner_agent.outcome"] == "IncompleteOutputError"


def test_a_fallback_is_seen_in_the_mode(spans: InMemorySpanExporter) -> None:
    double = ScriptedTransport(
        [Reply.error(400, "response_format json_schema is not supported"), good()]
    )
    result = Planner(client=double.client(), model="my-local-model").plan(CALIBRATION_REQUIREMENTS)
    assert result.mode == "json_object"
    (plan,), (attempt,) = by_name(spans)
    assert plan.attributes is not None and attempt.attributes is not None
    assert plan.attributes["planner_agent.mode"] == "json_object"
    assert attempt.attributes["planner_agent.mode"] == "json_object"
    assert attempt.attributes["planner_agent.attempt"] == 1


async def test_async_plans_and_batches_are_traced_too(spans: InMemorySpanExporter) -> None:
    double = ScriptedTransport(lambda _: good())
    await aplan_step(CALIBRATION_REQUIREMENTS, client=double.async_client(), model=MODEL)
    batch = plan_steps(
        [CALIBRATION_REQUIREMENTS + f"\nItem {i}." for i in range(3)],
        client=double.client(),
        model=MODEL,
        progress=False,
    )
    assert [i.status for i in batch.items] == ["ok"] * 3
    plans, attempts = by_name(spans)
    assert len(plans) == 4 and len(attempts) == 4
    assert len({p.context.trace_id for p in plans}) == 4  # one trace per plan


def test_nothing_is_wrapped_when_nothing_records() -> None:
    # The API's default provider keeps nothing: the flow is the conversation's own generator.
    planner = Planner(client=ScriptedTransport([good()]).client(), model=MODEL)
    flow = Conversation(planner, CALIBRATION_REQUIREMENTS).flow()
    assert flow.gi_code.co_name == "_flow"  # type: ignore[attr-defined]
    flow.close()


def test_planning_works_without_opentelemetry_installed() -> None:
    code = (
        "import sys\n"
        "sys.modules['opentelemetry'] = None  # as if it were not installed\n"
        "from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict\n"
        "from planner_agent import plan_step\n"
        "from planner_agent.testing import Reply, ScriptedTransport\n"
        "double = ScriptedTransport([Reply.json(calibration_draft_dict())])\n"
        "result = plan_step(CALIBRATION_REQUIREMENTS, client=double.client(), model='m')\n"
        "assert result.ok\n"
        "assert 'opentelemetry.trace' not in sys.modules\n"
        "print('planned')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO / "tests",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'tests'}"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "planned"
