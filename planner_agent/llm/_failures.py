"""What a failed call means: worth a retry or not, how long the server asks to wait, and which
of our typed errors it becomes (messages say what to do; API keys never appear in them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import openai
from openai.types.chat import ChatCompletion

from ..errors import APIKeyError, TransportError, UnsupportedResponseFormatError

__all__ = [
    "check_api_key",
    "completion_or_error",
    "is_retryable",
    "not_json",
    "retry_after",
    "translate",
]

_RETRYABLE_STATUS = frozenset({408, 409, 429})
# Phrases a server uses when it does not support the response_format we sent.
_FORMAT_REJECTIONS = ("response_format", "json_schema", "json_object", "structured output")


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked to wait (``retry-after-ms`` / ``retry-after``), if it said."""
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


def is_retryable(exc: BaseException, max_retry_after: float) -> bool:
    """Whether a failed call is worth another try (the server's own verdict wins)."""
    if isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return True
    if isinstance(exc, openai.APIStatusError):
        after = retry_after(exc)
        if after is not None and after > max_retry_after:
            return False  # waiting that long is the caller's decision: say when, do not sleep
        # The server's own verdict wins, as in the openai client's retries.
        verdict = exc.response.headers.get("x-should-retry")
        if verdict in ("true", "false"):
            return verdict == "true"
        return exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500
    return False


def translate(exc: BaseException, retries: int, base_url: str, max_retry_after: float) -> Exception:
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
        after = retry_after(exc)
        if after is not None and after > max_retry_after:
            when = datetime.now(UTC) + timedelta(seconds=after)
            return TransportError(
                f"{base_url} answered HTTP {exc.status_code} and asks to wait {after:g} s before "
                f"retrying (until {when:%Y-%m-%d %H:%M:%S} UTC), longer than the "
                f"{max_retry_after:g} s this planner waits: retry after that time. "
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


def not_json(body: object, base_url: str) -> TransportError:
    """A success status whose body is not a completion: usually a base URL that is not the API."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    start = (body if isinstance(body, str) else repr(body))[:60].strip().replace("\n", " ")
    return TransportError(
        f"The endpoint {base_url} answered with a body that is not a JSON chat completion "
        f"({start!r}...). Check that OPENAI_BASE_URL (or base_url=) is the API root, usually "
        "ending in /v1."
    )


def completion_or_error(value: object, base_url: str) -> ChatCompletion:
    """``value`` if it is a completion with a choice; else a TransportError showing what came."""
    # The client hands back the text of a non-JSON content type (an HTML page, say) as a str,
    # and builds JSON of another shape into a ChatCompletion without checking it.
    if not isinstance(value, ChatCompletion):
        raise not_json(value, base_url)
    if not value.choices:
        shown = json.dumps(value.model_dump(exclude_unset=True), default=str)[:300]
        raise TransportError(
            f"The endpoint {base_url} answered with no completion choice: {shown}. If that is an "
            "error from the server, fix what it says; otherwise check OPENAI_BASE_URL and the model."
        )
    return value
