"""Optional OpenTelemetry spans: one per plan, one per attempt, when ``opentelemetry-api`` is
installed (``pip install 'planner-agent[otel]'``) and a tracer provider records.

`traced` wraps a conversation's flow (`planner_agent._conversation`) in a generator that forwards
every request, reply and thrown error unchanged and, after each step, reports the attempts the
conversation recorded. Without the package, or with the API's default no-op provider, the flow is
returned as it is: no wrapper, no cost.

Spans (tracer ``planner_agent``):

- ``planner_agent.plan``: ``gen_ai.request.model``, ``planner_agent.mode`` (the last one, after a
  fallback), ``planner_agent.attempts``, ``gen_ai.usage.input_tokens`` /
  ``gen_ai.usage.output_tokens`` (summed), ``planner_agent.outcome`` (``ok``; ``issues`` for a
  plan with error-level issues; else the error's class name, with the span's status ERROR and the
  exception recorded), ``planner_agent.step_name`` and ``planner_agent.cost_usd`` when known.
- ``planner_agent.attempt`` (a child of the plan's span, timed by the reply's latency):
  ``planner_agent.attempt`` (its number), the model, the mode, the tokens,
  ``planner_agent.finish_reason``, ``planner_agent.issues``, ``planner_agent.transport_retries``
  and ``planner_agent.outcome``: ``ok``, ``reask`` (parse errors or error-level issues),
  ``truncated`` (``max_tokens``) or ``refused``.

The spans are not made current (a sans-IO flow cannot hold a context across its drivers'
awaits), so they parent on the context current when the plan starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import Any, Final

from ._usage import Attempt, Usage
from .errors import PlanRefusedError
from .llm._transport import Reply
from .result import PlanResult

try:  # optional: the [otel] extra
    from opentelemetry import trace as otel_trace
except ImportError:  # pragma: no cover - exercised where the API is not installed
    otel_trace = None  # type: ignore[assignment]

__all__ = ["TRACER_NAME", "traced"]

TRACER_NAME: Final = "planner_agent"
_Flow = Generator[dict[str, Any], Reply, PlanResult]
State = Callable[[], "tuple[str, list[Attempt]] | None"]


def traced(flow: _Flow, model: str, state: State) -> _Flow:
    """``flow`` with a plan span and attempt spans, or ``flow`` itself when nothing records.

    ``state()`` gives the current run's mode name and attempts (None before the first run).
    """
    if otel_trace is None:
        return flow
    provider = otel_trace.get_tracer_provider()
    if isinstance(provider, otel_trace.ProxyTracerProvider | otel_trace.NoOpTracerProvider):
        return flow  # no SDK configured: the API's no-op spans would keep nothing
    return _forward(flow, lambda: _PlanTrace(provider.get_tracer(TRACER_NAME), model, state))


class _PlanTrace:
    """The plan's span, and the attempts already turned into spans."""

    def __init__(self, tracer: otel_trace.Tracer, model: str, state: State) -> None:
        self.tracer, self.model, self.state = tracer, model, state
        self.span = tracer.start_span(
            "planner_agent.plan", attributes={"gen_ai.request.model": model}
        )
        self.context = otel_trace.set_span_in_context(self.span)
        self.run: list[Attempt] | None = None
        self.seen = 0
        self.attempts = 0
        self.usage = Usage()
        self.mode = ""

    def report(self, error: BaseException | None = None) -> None:
        """Make spans for the attempts recorded since the last call."""
        current = self.state()
        if current is None:
            return
        self.mode, attempts = current
        if attempts is not self.run:  # a new run (after a fallback) starts a new list
            self.run, self.seen = attempts, 0
        new = attempts[self.seen :]
        self.seen = len(attempts)
        for i, attempt in enumerate(new):
            refused = isinstance(error, PlanRefusedError) and i == len(new) - 1
            self._attempt(attempt, "refused" if refused else _outcome(attempt))

    def _attempt(self, attempt: Attempt, outcome: str) -> None:
        self.attempts += 1
        self.usage = self.usage + attempt.usage
        end = time.time_ns()
        span = self.tracer.start_span(
            "planner_agent.attempt",
            context=self.context,
            start_time=end - int(attempt.latency_s * 1e9),
            attributes={
                "gen_ai.request.model": self.model,
                "planner_agent.mode": self.mode,
                "planner_agent.attempt": attempt.number,
                "gen_ai.usage.input_tokens": attempt.usage.prompt_tokens,
                "gen_ai.usage.output_tokens": attempt.usage.completion_tokens,
                "planner_agent.finish_reason": attempt.finish_reason or "",
                "planner_agent.issues": len(attempt.issues),
                "planner_agent.transport_retries": attempt.transport_retries,
                "planner_agent.outcome": outcome,
            },
        )
        span.end(end_time=end)

    def finish(self, result: PlanResult | None, error: BaseException | None) -> None:
        self.report(error)
        span = self.span
        span.set_attribute("planner_agent.mode", self.mode)
        span.set_attribute("planner_agent.attempts", self.attempts)
        span.set_attribute("gen_ai.usage.input_tokens", self.usage.prompt_tokens)
        span.set_attribute("gen_ai.usage.output_tokens", self.usage.completion_tokens)
        if result is not None:
            span.set_attribute("planner_agent.outcome", "ok" if result.ok else "issues")
            span.set_attribute("planner_agent.step_name", result.plan.step_name)
            if result.cost_usd is not None:
                span.set_attribute("planner_agent.cost_usd", result.cost_usd)
        elif error is None:
            span.set_attribute("planner_agent.outcome", "cancelled")  # closed unfinished
        else:
            span.set_attribute("planner_agent.outcome", type(error).__name__)
            span.record_exception(error)
            span.set_status(otel_trace.Status(otel_trace.StatusCode.ERROR, str(error)[:300]))
        span.end()


def _outcome(attempt: Attempt) -> str:
    if attempt.finish_reason == "length":
        return "truncated"
    if attempt.errors or any(i.is_error for i in attempt.issues):
        return "reask"
    return "ok"


def _forward(flow: _Flow, start: Callable[[], _PlanTrace]) -> _Flow:
    """Drive ``flow`` for whoever drives us: requests out, replies and errors in, unchanged.
    The plan's span starts when the flow is first advanced."""
    trace = start()
    try:
        request = next(flow)
        while True:
            trace.report()
            try:
                reply = yield request
            except GeneratorExit:
                flow.close()
                raise
            except BaseException as exc:  # the conversation decides (a fallback, or it ends)
                request = flow.throw(exc)
                continue
            request = flow.send(reply)
    except StopIteration as stop:
        result: PlanResult = stop.value
        trace.finish(result, None)
        return result
    except GeneratorExit:
        trace.finish(None, None)
        raise
    except BaseException as exc:
        trace.finish(None, exc)
        raise
