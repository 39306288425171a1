"""One chat-completion request through the ``openai`` client, with transport retries.

Transport retries (429, 408/409, 5xx, timeouts, connection errors) live here and only here:
exponential backoff with jitter via tenacity, honouring ``Retry-After``. The client's own retries
are switched off (``max_retries=0``) so the two layers never multiply. Validation re-asks are the
planner's business and are counted apart.
"""

from __future__ import annotations

import asyncio
import json
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
from ..errors import APIKeyError, TransportError, UnsupportedResponseFormatError
from ..result import Usage

__all__ = ["RateGate", "Reply", "RetryPolicy", "acall", "acomplete", "call", "complete"]

T = TypeVar("T")

_RETRYABLE_STATUS = frozenset({408, 409, 429})
# Phrases a server uses when it does not support the response_format we sent.
_FORMAT_REJECTIONS = ("response_format", "json_schema", "json_object", "structured output")


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
    """The parts of a completion the planner needs."""

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


def _create_kwargs(request: Mapping[str, Any]) -> dict[str, Any]:
    """``request`` (a wire body) as ``create()`` arguments: unknown fields go in ``extra_body``."""
    kwargs = {k: v for k, v in request.items() if k in CHAT_PARAMETERS}
    if len(kwargs) < len(request):
        kwargs["extra_body"] = {k: v for k, v in request.items() if k not in CHAT_PARAMETERS}
    return kwargs


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return max(float(value) / divisor, 0.0)
        except ValueError:
            continue  # an HTTP date: fall back to our own backoff
    return None


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return True
    if isinstance(exc, openai.APIStatusError):
        # The server's own verdict wins, as in the openai client's retries.
        verdict = exc.response.headers.get("x-should-retry")
        if verdict in ("true", "false"):
            return verdict == "true"
        return exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500
    return False


def _waiter(policy: RetryPolicy, gate: RateGate | None) -> Any:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        after = _retry_after(exc) if exc is not None else None
        if after is not None and after <= policy.max_retry_after:
            if gate is not None and isinstance(exc, openai.RateLimitError):
                gate.hold(after)
            return after
        backoff = policy.initial_wait * 2 ** (state.attempt_number - 1)
        return random.uniform(0, min(policy.max_wait, backoff))  # full jitter

    return wait


def _translate(exc: BaseException, retries: int, base_url: str) -> Exception:
    """Map an openai exception to ours (messages say what to do; keys are never included)."""
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return APIKeyError(
            f"The endpoint {base_url} rejected the API key (HTTP {exc.status_code}). Set "
            "OPENAI_API_KEY (or AZURE_OPENAI_API_KEY for Azure) to a valid key, or pass client=."
        )
    if isinstance(exc, openai.BadRequestError) and any(
        p in str(exc.message).lower() for p in _FORMAT_REJECTIONS
    ):
        return UnsupportedResponseFormatError(
            f"The endpoint {base_url} rejected the response_format: {exc.message}",
            status_code=exc.status_code,
        )
    if isinstance(exc, openai.APIStatusError):
        what = f"after {retries} retries" if retries else "(not retryable)"
        return TransportError(
            f"Request to {base_url} failed with HTTP {exc.status_code} {what}: {exc.message}",
            status_code=exc.status_code,
            retries=retries,
        )
    if isinstance(exc, openai.APIConnectionError):
        return TransportError(
            f"Could not reach {base_url} after {retries} retries ({type(exc).__name__}: {exc}). "
            "Check OPENAI_BASE_URL and that the server is running.",
            retries=retries,
        )
    return TransportError(f"Request to {base_url} failed: {type(exc).__name__}: {exc}")


def _not_json(body: object, base_url: str) -> TransportError:
    """A success status whose body is not a completion: usually a base URL that is not the API."""
    start = (body if isinstance(body, str) else repr(body))[:60].strip().replace("\n", " ")
    return TransportError(
        f"The endpoint {base_url} answered with a body that is not a JSON chat completion "
        f"({start!r}...). Check that OPENAI_BASE_URL (or base_url=) is the API root, usually "
        "ending in /v1."
    )


def _completion(value: object, base_url: str) -> ChatCompletion:
    """``value`` if it is a completion with a choice; else a TransportError showing what came."""
    # The client hands back the text of a non-JSON content type (an HTML page, say) as a str,
    # and builds JSON of another shape into a ChatCompletion without checking it.
    if not isinstance(value, ChatCompletion):
        raise _not_json(value, base_url)
    if not value.choices:
        shown = json.dumps(value.model_dump(exclude_unset=True), default=str)[:300]
        raise TransportError(
            f"The endpoint {base_url} answered with no completion choice: {shown}. If that is an "
            "error from the server, fix what it says; otherwise check OPENAI_BASE_URL and the model."
        )
    return value


def _to_reply(completion: Any, latency: float, retries: int) -> Reply:
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


def call(
    make: Callable[[], T], policy: RetryPolicy, gate: RateGate | None, base_url: str
) -> tuple[T, int]:
    """``make()`` (one openai client call) with transport retries: (value, retries taken).

    Waits out the shared rate gate before each try; an openai error that is left after the
    retries is raised as our typed error (`TransportError`, `APIKeyError`...).
    """
    tries = 0
    retrying = Retrying(
        stop=stop_after_attempt(policy.retries + 1),
        wait=_waiter(policy, gate),
        retry=retry_if_exception(_retryable),
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                tries += 1
                if gate is not None and (pause := gate.remaining()):
                    time.sleep(pause)
                value = make()
    except openai.OpenAIError as exc:
        raise _translate(exc, tries - 1, base_url) from None
    return value, tries - 1


async def acall(
    make: Callable[[], Awaitable[T]], policy: RetryPolicy, gate: RateGate | None, base_url: str
) -> tuple[T, int]:
    """Async `call`: ``await make()`` with transport retries."""
    tries = 0
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.retries + 1),
        wait=_waiter(policy, gate),
        retry=retry_if_exception(_retryable),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                tries += 1
                if gate is not None and (pause := gate.remaining()):
                    await asyncio.sleep(pause)
                value = await make()
    except openai.OpenAIError as exc:
        raise _translate(exc, tries - 1, base_url) from None
    return value, tries - 1


def complete(
    client: openai.OpenAI,
    request: Mapping[str, Any],
    policy: RetryPolicy = RetryPolicy(),
    gate: RateGate | None = None,
) -> Reply:
    """Send one chat-completion request, retrying transport failures per ``policy``."""
    base_url, start = str(client.base_url), time.perf_counter()
    kwargs = _create_kwargs(request)
    try:
        value, retries = call(
            lambda: client.chat.completions.create(**kwargs), policy, gate, base_url
        )
    except json.JSONDecodeError as exc:
        raise _not_json(exc.doc, base_url) from None
    return _to_reply(_completion(value, base_url), time.perf_counter() - start, retries)


async def acomplete(
    client: openai.AsyncOpenAI,
    request: Mapping[str, Any],
    policy: RetryPolicy = RetryPolicy(),
    gate: RateGate | None = None,
) -> Reply:
    """Async `complete` for an ``AsyncOpenAI`` client."""
    base_url, start = str(client.base_url), time.perf_counter()
    kwargs = _create_kwargs(request)
    try:
        value, retries = await acall(
            lambda: client.chat.completions.create(**kwargs), policy, gate, base_url
        )
    except json.JSONDecodeError as exc:
        raise _not_json(exc.doc, base_url) from None
    return _to_reply(_completion(value, base_url), time.perf_counter() - start, retries)
