"""The conversation core: one planning run as a sans-IO generator, and its two drivers.

``Conversation.flow()`` walks prompt -> request -> reply -> parse -> check -> (re-ask | result):
it yields each chat-completion request, is sent each `Reply`, has transport errors thrown into
it (a rejected ``response_format`` steps ``mode="auto"`` down to the mode's fallback) and
returns the `PlanResult`. Nothing else walks that loop: `drive` and `adrive` move requests and
replies for `Planner.plan`/`aplan`, and the batch engine and the OpenAI Batch API path drive the
same generator with their own transports (the spirit of httpx's ``Auth.auth_flow``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._tracing import traced
from ._usage import Attempt, Usage, UsageLimits
from .checks import sort_issues
from .conventions import Layout
from .errors import (
    IncompleteOutputError,
    LLMError,
    PlanIssuesError,
    PlanningError,
    PlanRefusedError,
    PlanTimeoutError,
    UnsupportedResponseFormatError,
    UsageLimitExceededError,
)
from .llm._modes import OutputMode, parse_for
from .llm._replies import ReplyShape
from .llm._transport import Reply
from .plan import ImplementationPlan, PlanIssue
from .prompt._builder import Prompt
from .result import PlanResult

__all__ = ["Conversation", "Flow", "PlanRun", "Planning", "adrive", "drive"]

logger = logging.getLogger(__name__)
Request = dict[str, Any]
#: A conversation in progress: yields requests, is sent replies, returns the result.
Flow = Generator[Request, Reply, PlanResult]


class Planning(Protocol):
    """What the conversation needs from a planner (`Planner` is the implementation)."""

    model: str
    max_attempts: int
    max_tokens: int
    strict: bool
    layout: Layout
    reply: ReplyShape
    usage_limits: UsageLimits | None
    plan_timeout: float | None
    on_attempt: Callable[[Attempt], None] | None

    @property
    def output_mode(self) -> OutputMode:
        """The mode in use now (after any ``auto`` fallback)."""
        ...

    def build_prompt(self, text: str, mode: OutputMode) -> Prompt:
        """The prompt for requirements ``text`` in ``mode``."""
        ...

    def request_for(self, messages: list[dict[str, str]], mode: OutputMode) -> Request:
        """The chat-completion request for ``messages`` in ``mode``."""
        ...

    def examine(
        self, plan: ImplementationPlan, text: str
    ) -> tuple[ImplementationPlan, list[PlanIssue]]:
        """The plan as shown to the user (resolver candidates added) and its check findings."""
        ...

    def fall_back(self, exc: UnsupportedResponseFormatError, mode: OutputMode) -> None:
        """Step down after ``mode`` was rejected, or re-raise ``exc``."""
        ...

    def cost(self, usage: Usage) -> float | None:
        """Dollar cost of ``usage`` (None: no price known)."""
        ...


@dataclass
class PlanRun:
    """State of one run in one mode: the growing conversation and the attempts so far."""

    prompt: Prompt
    mode: OutputMode
    messages: list[dict[str, str]]
    attempts: list[Attempt] = field(default_factory=list)
    best: tuple[ImplementationPlan, list[PlanIssue]] | None = None
    started: float = field(default_factory=time.perf_counter)


class Conversation:
    """One planning run for requirements ``text`` (already loaded and validated)."""

    def __init__(self, planner: Planning, text: str) -> None:
        self.planner = planner
        self.text = text
        #: The run in progress (None before the first request); its attempts are what was spent.
        self.run: PlanRun | None = None

    def start(self, mode: OutputMode | None = None) -> PlanRun:
        """A fresh run in ``mode`` (default: the planner's current mode)."""
        mode = mode or self.planner.output_mode
        prompt = self.planner.build_prompt(self.text, mode)
        # A copy: re-asks append to it, never to the prompt's own tuple.
        return PlanRun(prompt, mode, [dict(m) for m in prompt.messages])

    def first_request(self, mode: OutputMode | None = None) -> Request:
        """The first request of a run in ``mode``, without starting one (keys, batch files)."""
        run = self.start(mode)
        return self.planner.request_for(run.messages, run.mode)

    def flow(self, reply: Reply | None = None) -> Flow:
        """The run as a generator; ``reply`` answers the first request before anything is sent.

        (A Batch API answer arrives that way.) Errors thrown in at a ``yield`` propagate, except
        a rejected response format, after which the run starts again in the fallback mode.
        """
        # OpenTelemetry spans when installed and recording; otherwise the bare flow.
        return traced(self._flow(reply), self.planner.model, self._trace_state)

    def _trace_state(self) -> tuple[str, list[Attempt]] | None:
        """The current run's mode and attempts (what `planner_agent._tracing` reports)."""
        return None if self.run is None else (self.run.mode.name, self.run.attempts)

    def _flow(self, reply: Reply | None) -> Flow:
        started = time.perf_counter()
        while True:
            self.run = run = self.start()
            try:
                while True:
                    if reply is None:
                        self._check_time(run, started)
                        reply = yield self.planner.request_for(run.messages, run.mode)
                    result = self._receive(run, reply)
                    reply = None
                    if result is not None:
                        return result
            except UnsupportedResponseFormatError as exc:
                self.planner.fall_back(exc, run.mode)  # re-raises when there is no fallback
                logger.warning(
                    "%s rejected by the endpoint; falling back to %s (%s)",
                    run.mode.name,
                    self.planner.output_mode.name,
                    exc.message,
                )
                reply = None
            except LLMError as exc:
                # What was paid for so far travels with the error (a transport failure after
                # re-asks included).
                if not exc.attempts:
                    exc.attempts = list(run.attempts)
                raise

    @property
    def attempts(self) -> list[Attempt]:
        """The attempts of the current run."""
        return [] if self.run is None else self.run.attempts

    def _receive(self, run: PlanRun, reply: Reply) -> PlanResult | None:
        """Take the reply to the last request: a result, or None after queuing a re-ask."""
        planner, number = self.planner, len(run.attempts) + 1
        if reply.refusal or reply.finish_reason == "content_filter":
            self._record(run, _attempt(number, reply))
            raise PlanRefusedError(
                f"The model refused to plan this step: {reply.refusal or 'content filtered'}. "
                "Rephrase the requirements; refusals are not re-asked.",
                refusal=reply.refusal or "",
                attempts=run.attempts,
            )
        if reply.finish_reason == "length":
            self._record(run, _attempt(number, reply, ("<root>: output truncated at max_tokens",)))
            if run.best is None:
                raise IncompleteOutputError(
                    f"The reply was cut off at max_tokens={planner.max_tokens} (finish_reason "
                    "'length'). Raise max_tokens (or --max-tokens), or use a model with a larger "
                    "output limit.",
                    attempts=run.attempts,
                )
            return self._result(run)
        parsed = parse_for(run.mode, reply.text, planner.layout, planner.reply)
        issues: list[PlanIssue] = []
        if parsed.plan is not None:
            plan, found = planner.examine(parsed.plan, self.text)
            issues = sort_issues([*parsed.issues, *found])
            run.best = (plan, issues)
        self._record(run, _attempt(number, reply, parsed.errors, tuple(issues)))
        errors = list(parsed.errors) + [
            f"{i.path}: [{i.code}] {i.message}" for i in issues if i.is_error
        ]
        if not errors:
            return self._result(run)
        if number >= planner.max_attempts:
            if run.best is None:
                raise PlanningError(
                    f"No schema-valid plan after {number} attempt(s); last errors: "
                    + "; ".join(errors[:3]),
                    attempts=run.attempts,
                    usage=sum((a.usage for a in run.attempts), Usage()),
                )
            return self._result(run)
        reask = run.mode.reask(errors)
        crossed = self._over_budget(run, reply, reask)
        if crossed is not None:
            if run.best is None:
                raise UsageLimitExceededError(
                    f"Stopped before attempt {number + 1}: it would cross the usage limit "
                    f"{crossed}, and no schema-valid plan came yet. Raise usage_limits or "
                    "simplify the requirements.",
                    attempts=run.attempts,
                )
            logger.warning("stopped before a re-ask: it would cross the usage limit %s", crossed)
            return self._result(run)
        run.messages.append({"role": "assistant", "content": reply.text})
        run.messages.append({"role": "user", "content": reask})
        return None

    def _check_time(self, run: PlanRun, started: float) -> None:
        """`PlanTimeoutError` when ``plan_timeout`` has passed: no further request starts."""
        limit = self.planner.plan_timeout
        elapsed = time.perf_counter() - started
        if limit is not None and elapsed > limit:
            raise PlanTimeoutError(
                f"The plan took {elapsed:.0f} s, more than plan_timeout={limit:g} s, after "
                f"{len(run.attempts)} attempt(s); no further request was sent. Raise "
                "plan_timeout (--plan-timeout) or check the endpoint.",
                attempts=run.attempts,
            )

    def _record(self, run: PlanRun, attempt: Attempt) -> None:
        run.attempts.append(attempt)
        logger.info(
            "attempt %d (%s): %d parse error(s), %d issue(s), %d+%d tokens, %.2f s, %d retries",
            attempt.number,
            run.mode.name,
            len(attempt.errors),
            len(attempt.issues),
            attempt.usage.prompt_tokens,
            attempt.usage.completion_tokens,
            attempt.latency_s,
            attempt.transport_retries,
        )
        if self.planner.on_attempt is not None:
            self.planner.on_attempt(attempt)

    def _over_budget(self, run: PlanRun, reply: Reply, reask: str) -> str | None:
        """The limit a re-ask would cross: its prompt is the last one plus reply and errors."""
        limits = self.planner.usage_limits
        if limits is None:
            return None
        spent = sum((a.usage for a in run.attempts), Usage())
        # The re-ask resends the conversation: the last prompt, the reply, the error list.
        next_prompt = reply.usage.prompt_tokens + reply.usage.completion_tokens + len(reask) // 3
        cost = self.planner.cost(spent + Usage(next_prompt, 0))
        return limits.crossed(spent, next_prompt=next_prompt, cost=cost)

    def _result(self, run: PlanRun) -> PlanResult:
        assert run.best is not None
        plan, issues = run.best
        usage = sum((a.usage for a in run.attempts), Usage())
        result = PlanResult(
            plan=plan,
            issues=issues,
            attempts=list(run.attempts),
            model=self.planner.model,
            mode=run.mode.name,
            cost_usd=self.planner.cost(usage),
            prompt_tokens=run.prompt.section_tokens(),
            token_counts_exact=run.prompt.exact,
            trimmed=list(run.prompt.trimmed),
            elapsed_s=time.perf_counter() - run.started,
        )
        if self.planner.strict and not result.ok:
            raise PlanIssuesError(
                f"The plan for {plan.step_name} still has {len(result.errors)} error(s) after "
                f"{len(run.attempts)} attempt(s): " + "; ".join(str(i) for i in result.errors[:3]),
                result=result,
            )
        return result


def _attempt(
    number: int, reply: Reply, errors: tuple[str, ...] = (), issues: tuple[PlanIssue, ...] = ()
) -> Attempt:
    return Attempt(
        number,
        reply.text,
        reply.finish_reason,
        reply.usage,
        reply.latency_s,
        errors,
        issues,
        reply.retries,
    )


def drive(flow: Flow, send: Callable[[Request], Reply]) -> PlanResult:
    """Run ``flow`` to its result, sending each request with ``send`` (blocking)."""
    try:
        request = next(flow)
        while True:
            try:
                reply = send(request)
            except Exception as exc:  # the conversation decides (a format rejection steps down)
                request = flow.throw(exc)
                continue
            request = flow.send(reply)
    except StopIteration as stop:
        result: PlanResult = stop.value
        return result


async def adrive(flow: Flow, send: Callable[[Request], Awaitable[Reply]]) -> PlanResult:
    """`drive` for asyncio: ``await send(request)`` for each request."""
    try:
        request = next(flow)
        while True:
            try:
                reply = await send(request)
            except Exception as exc:
                request = flow.throw(exc)
                continue
            request = flow.send(reply)
    except StopIteration as stop:
        result: PlanResult = stop.value
        return result
