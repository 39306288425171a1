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
import random
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    APIKeyError,
    TransportError,
    UnsupportedResponseFormatError,
    register_secret,
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
            raise _not_json(exc.doc, self.base_url) from None
        except UnicodeDecodeError as exc:
            raise _not_json(exc.object, self.base_url) from None
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
            raise _not_json(exc.doc, self.base_url) from None
        except UnicodeDecodeError as exc:
            raise _not_json(exc.object, self.base_url) from None
        return self._reply(value, start, retries)

    def _reply(self, value: object, start: float, retries: int) -> Reply:
        completion = _completion(value, self.base_url)
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
            raise _translate(exc, tries - 1, self.base_url, self.policy) from exc
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
            raise _translate(exc, tries - 1, self.base_url, self.policy) from exc
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
            "retry": retry_if_exception(lambda exc: _retryable(exc, self.policy)),
            "reraise": True,
        }


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


def _retryable(exc: BaseException, policy: RetryPolicy) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return True
    if isinstance(exc, openai.APIStatusError):
        after = _retry_after(exc)
        if after is not None and after > policy.max_retry_after:
            return False  # waiting that long is the caller's decision: say when, do not sleep
        # The server's own verdict wins, as in the openai client's retries.
        verdict = exc.response.headers.get("x-should-retry")
        if verdict in ("true", "false"):
            return verdict == "true"
        return exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500
    return False


def _waiter(policy: RetryPolicy, gate: RateGate | None) -> Callable[[RetryCallState], float]:
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


def _translate(exc: BaseException, retries: int, base_url: str, policy: RetryPolicy) -> Exception:
    """Map an openai exception to ours (messages say what to do; keys are never included)."""
    request_id = getattr(exc, "request_id", None)
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return APIKeyError(
            f"The endpoint {base_url} rejected the API key (HTTP {exc.status_code}). Set "
            "OPENAI_API_KEY (or AZURE_OPENAI_API_KEY for Azure) to a valid key, or pass client=.",
            request_id=request_id,
        )
    if isinstance(exc, openai.BadRequestError) and any(
        p in str(exc.message).lower() for p in _FORMAT_REJECTIONS
    ):
        return UnsupportedResponseFormatError(
            f"The endpoint {base_url} rejected the response_format: {exc.message}",
            status_code=exc.status_code,
            request_id=request_id,
        )
    if isinstance(exc, openai.APIStatusError):
        after = _retry_after(exc)
        if after is not None and after > policy.max_retry_after:
            when = datetime.now(UTC) + timedelta(seconds=after)
            return TransportError(
                f"{base_url} answered HTTP {exc.status_code} and asks to wait {after:g} s before "
                f"retrying (until {when:%Y-%m-%d %H:%M:%S} UTC), longer than the "
                f"{policy.max_retry_after:g} s this planner waits: retry after that time. "
                f"Server said: {exc.message}",
                status_code=exc.status_code,
                retries=retries,
                request_id=request_id,
            )
        what = f"after {retries} retries" if retries else "(not retryable)"
        return TransportError(
            f"Request to {base_url} failed with HTTP {exc.status_code} {what}: {exc.message}",
            status_code=exc.status_code,
            retries=retries,
            request_id=request_id,
        )
    if isinstance(exc, openai.APIConnectionError):
        return TransportError(
            f"Could not reach {base_url} after {retries} retries ({type(exc).__name__}: {exc}). "
            "Check OPENAI_BASE_URL and that the server is running.",
            retries=retries,
        )
    return TransportError(f"Request to {base_url} failed: {type(exc).__name__}: {exc}")


def check_api_key(key: str | None) -> None:
    """`APIKeyError` for a key that cannot be right, before anything is sent.

    >>> check_api_key("sk-abc\\n")
    Traceback (most recent call last):
    ...
    planner_agent.errors.APIKeyError: The API key ends or starts with whitespace (a newline copied from a file?). Remove it from OPENAI_API_KEY (or AZURE_OPENAI_API_KEY, or the client's api_key).
    """
    if not key:
        return
    where = "OPENAI_API_KEY (or AZURE_OPENAI_API_KEY, or the client's api_key)"
    if key != key.strip():
        raise APIKeyError(
            "The API key ends or starts with whitespace (a newline copied from a file?). "
            f"Remove it from {where}."
        )
    if not key.isascii() or not key.isprintable():
        raise APIKeyError(
            "The API key contains characters an HTTP header cannot carry (non-ASCII or control "
            f"characters): check {where} for a stray character."
        )


def _not_json(body: object, base_url: str) -> TransportError:
    """A success status whose body is not a completion: usually a base URL that is not the API."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
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
