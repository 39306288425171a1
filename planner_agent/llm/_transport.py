"""Requests to one endpoint through the ``openai`` client, with transport retries.

Transport retries (429, 408/409, 5xx, timeouts, connection errors) live here and only here:
exponential backoff with jitter via tenacity, honouring ``Retry-After`` and the server's
``x-should-retry``. The client's own retries are switched off (``max_retries=0``) so the two
layers never multiply. Validation re-asks are the conversation's business and are counted apart.

`Transport.call` (blocking) and `Transport.acall` (asyncio) share one retry policy, one rate gate
and one error translation; a sync client's blocking call runs in the shared worker threads when
driven from asyncio.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from .._options import CHAT_PARAMETERS
from .._threads import Threads
from .._usage import Usage
from ..errors import (
    redact,
    register_secret,
)
from ._failures import (
    check_api_key,
    completion_or_error,
    is_retryable,
    not_json,
    retry_after,
    translate,
)

__all__ = [
    "RateGate",
    "Reply",
    "RetryPolicy",
    "Transport",
    "check_api_key",
    "reply_from_completion",
]

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Transport retry policy: ``retries`` extra tries with jittered exponential backoff.

    >>> RetryPolicy(retries=2, initial_wait=0.1).retries
    2
    """

    retries: int = 4
    initial_wait: float = 0.5
    max_wait: float = 30.0
    # A Retry-After longer than this is not honoured: the caller is better told than kept waiting.
    max_retry_after: float = 60.0


@dataclass(frozen=True)
class Reply:
    """The parts of a completion the conversation needs."""

    text: str
    refusal: str | None
    finish_reason: str | None
    usage: Usage
    latency_s: float
    retries: int


class RateGate:
    """Shared pause for concurrent requests: a rate-limit storm backs off the whole batch.

    When one request gets a 429 with ``Retry-After``, every request waits until that time before
    sending, instead of each hammering the endpoint on its own schedule.
    """

    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        """Ask every request to wait ``seconds`` from now."""
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left before requests may be sent."""
        return max(0.0, self._until - time.monotonic())


class Transport:
    """One client's requests with the planner's retry policy and rate gate.

    >>> client = openai.OpenAI(api_key="k", base_url="http://127.0.0.1:9/v1", max_retries=0)
    >>> Transport(client, RetryPolicy(retries=0)).base_url
    'http://127.0.0.1:9/v1/'
    """

    def __init__(
        self,
        client: openai.OpenAI | openai.AsyncOpenAI,
        policy: RetryPolicy = RetryPolicy(),
        gate: RateGate | None = None,
        threads: Threads | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        check_api_key(client.api_key)
        register_secret(client.api_key)
        # Per request, whatever the client was built with (a client= of the caller's included).
        self.client = client if timeout is None else client.with_options(timeout=timeout)
        self.policy = policy
        self.gate = gate
        self.base_url = str(client.base_url)
        self.threads = threads if threads is not None else Threads()

    # -- chat completions ---------------------------------------------------------------------
    def send(self, request: Mapping[str, Any]) -> Reply:
        """One chat-completion request (blocking; the client must be a sync ``OpenAI``)."""
        client = self.client
        if not isinstance(client, openai.OpenAI):
            raise TypeError("Transport.send needs a sync client; use asend for AsyncOpenAI")
        kwargs, start = _create_kwargs(request), time.perf_counter()
        try:
            value, retries = self.call(lambda: client.chat.completions.create(**kwargs))
        except json.JSONDecodeError as exc:
            raise not_json(exc.doc, self.base_url) from None
        except UnicodeDecodeError as exc:
            raise not_json(exc.object, self.base_url) from None
        return self._reply(value, start, retries)

    async def asend(self, request: Mapping[str, Any]) -> Reply:
        """`send` from asyncio: an ``AsyncOpenAI`` client natively, a sync one in a thread."""
        client = self.client
        if not isinstance(client, openai.AsyncOpenAI):
            return await self.threads.run(self.send, request)
        kwargs, start = _create_kwargs(request), time.perf_counter()
        try:
            value, retries = await self.acall(lambda: client.chat.completions.create(**kwargs))
        except json.JSONDecodeError as exc:
            raise not_json(exc.doc, self.base_url) from None
        except UnicodeDecodeError as exc:
            raise not_json(exc.object, self.base_url) from None
        return self._reply(value, start, retries)

    def _reply(self, value: object, start: float, retries: int) -> Reply:
        completion = completion_or_error(value, self.base_url)
        return reply_from_completion(completion, time.perf_counter() - start, retries)

    # -- any client call ----------------------------------------------------------------------
    def call(self, make: Callable[[], T]) -> tuple[T, int]:
        """``make()`` (one blocking client call) with retries: (value, retries taken).

        Waits out the shared rate gate before each try; an openai error left after the retries
        is raised as our typed error (`TransportError`, `APIKeyError`...).
        """
        tries = 0
        try:
            for attempt in Retrying(**self._retrying()):
                with attempt:
                    tries += 1
                    if self.gate is not None and (pause := self.gate.remaining()):
                        time.sleep(pause)
                    value = make()
        except openai.OpenAIError as exc:
            raise translate(exc, tries - 1, self.base_url, self.policy.max_retry_after) from exc
        return value, tries - 1

    async def acall(self, make: Callable[[], Awaitable[T]]) -> tuple[T, int]:
        """Async `call`: ``await make()`` with the same retries, gate and errors."""
        tries = 0
        try:
            async for attempt in AsyncRetrying(**self._retrying()):
                with attempt:
                    tries += 1
                    if self.gate is not None and (pause := self.gate.remaining()):
                        await asyncio.sleep(pause)
                    value = await make()
        except openai.OpenAIError as exc:
            raise translate(exc, tries - 1, self.base_url, self.policy.max_retry_after) from exc
        return value, tries - 1

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``client.<...>(*args)`` from asyncio with retries, whichever kind the client is.

        ``fn`` is a bound method of this transport's client (e.g. ``client.files.create``).
        """
        if isinstance(self.client, openai.AsyncOpenAI):
            value, _ = await self.acall(lambda: fn(*args, **kwargs))
        else:
            value, _ = await self.threads.run(self.call, lambda: fn(*args, **kwargs))
        return value

    def _retrying(self) -> dict[str, Any]:
        """Tenacity's settings, the same for the blocking and the async loop."""
        return {
            "stop": stop_after_attempt(self.policy.retries + 1),
            "wait": _waiter(self.policy, self.gate),
            "retry": retry_if_exception(lambda exc: is_retryable(exc, self.policy.max_retry_after)),
            "reraise": True,
            "before_sleep": _log_retry,
        }


def _create_kwargs(request: Mapping[str, Any]) -> dict[str, Any]:
    """``request`` (a wire body) as ``create()`` arguments: unknown fields go in ``extra_body``."""
    kwargs = {k: v for k, v in request.items() if k in CHAT_PARAMETERS}
    if len(kwargs) < len(request):
        kwargs["extra_body"] = {k: v for k, v in request.items() if k not in CHAT_PARAMETERS}
    return kwargs


def _log_retry(state: RetryCallState) -> None:
    """tenacity's ``before_sleep``: one log record per transport retry."""
    exc = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    status = getattr(exc, "status_code", None)
    what = f"HTTP {status}" if status is not None else type(exc).__name__
    logger.warning(
        "transport retry %d after %s: waiting %.2f s (%s)",
        state.attempt_number,
        what,
        wait,
        redact(str(exc))[:200],
    )


def _waiter(policy: RetryPolicy, gate: RateGate | None) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        after = retry_after(exc) if exc is not None else None
        if after is not None and after <= policy.max_retry_after:
            if gate is not None and isinstance(exc, openai.RateLimitError):
                gate.hold(after)
            return after
        backoff = policy.initial_wait * 2 ** (state.attempt_number - 1)
        return random.uniform(0, min(policy.max_wait, backoff))  # full jitter

    return wait


def reply_from_completion(completion: ChatCompletion, latency: float, retries: int) -> Reply:
    """The `Reply` of a completion (also used for Batch API output lines)."""
    choice = completion.choices[0] if completion.choices else None
    message = choice.message if choice is not None else None
    usage = completion.usage
    cached = 0
    if usage is not None and usage.prompt_tokens_details is not None:
        cached = usage.prompt_tokens_details.cached_tokens or 0
    return Reply(
        text=(message.content or "") if message is not None else "",
        refusal=getattr(message, "refusal", None) if message is not None else None,
        finish_reason=choice.finish_reason if choice is not None else None,
        usage=Usage(
            usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0, cached
        ),
        latency_s=latency,
        retries=retries,
    )
