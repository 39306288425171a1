"""The :class:`ScriptedTransport`: the shared request handler behind an httpx mock transport."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import httpx2  # what the installed openai client (3.x) is built on: httpx2, not httpx
import openai

from ._routes import _CLIENT_DEFAULTS, _ScriptedDouble
from ._wire import _Response
from .replies import Reply, Responder


class ScriptedTransport(_ScriptedDouble):
    """An in-process OpenAI-compatible endpoint: :class:`ScriptedServer` without the socket.

    Same script, replies, records, Files + Batch API and failures as the server, served
    through ``httpx2.MockTransport`` to the real ``openai`` client passed as ``http_client``.
    A reply's ``delay`` is slept (``asyncio.sleep`` for async clients); if it exceeds the
    client's read timeout, the request times out as it would over a socket.

    >>> import openai
    >>> from planner_agent.testing import Reply, ScriptedTransport
    >>> double = ScriptedTransport([Reply("hello"), Reply.error(429, "slow down")])
    >>> client = double.client()
    >>> ask = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    >>> client.chat.completions.create(**ask).choices[0].message.content
    'hello'
    >>> try:
    ...     client.chat.completions.create(**ask)
    ... except openai.RateLimitError as exc:
    ...     print(exc.status_code, exc.message)
    429 Error code: 429 - ...
    >>> [r.messages[0]["content"] for r in double.requests]
    ['hi', 'hi']
    """

    base_url = "http://scripted.invalid/v1"
    """The base URL of :meth:`client` (``.invalid``: nothing can ever resolve it)."""

    def __init__(
        self,
        script: Sequence[Reply] | Responder,
        *,
        model_name: str = "scripted-model",
        batch_polls_before_complete: int = 0,
        batch_garbage_lines: int = 0,
    ) -> None:
        super().__init__(
            script,
            model_name=model_name,
            batch_polls_before_complete=batch_polls_before_complete,
            batch_garbage_lines=batch_garbage_lines,
        )
        self.transport = httpx2.MockTransport(self._serve)
        """The sync transport, for an ``httpx2.Client`` you build yourself."""
        self.async_transport = httpx2.MockTransport(self._aserve)
        """The async transport, for an ``httpx2.AsyncClient`` you build yourself."""
        self._clients: list[openai.OpenAI] = []

    def client(self, **kw: Any) -> openai.OpenAI:
        """An ``openai.OpenAI`` served by this double (api_key "test-key", max_retries 0; ``kw`` wins).

        Its ``http_client`` is openai's default one over :attr:`transport`.
        """
        http_client = openai.DefaultHttpxClient(transport=self.transport)
        client = openai.OpenAI(
            **{"base_url": self.base_url, **_CLIENT_DEFAULTS, "http_client": http_client, **kw}
        )
        self._clients.append(client)
        return client

    def async_client(self, **kw: Any) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` configured like :meth:`client`, over :attr:`async_transport`."""
        http_client = openai.DefaultAsyncHttpxClient(transport=self.async_transport)
        return openai.AsyncOpenAI(
            **{"base_url": self.base_url, **_CLIENT_DEFAULTS, "http_client": http_client, **kw}
        )

    def close(self) -> None:
        """Close the :meth:`client` clients (idempotent); the records stay."""
        clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def __enter__(self) -> ScriptedTransport:
        """Return ``self``, so a test can use either double in a ``with`` block."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the :meth:`client` clients."""
        self.close()

    # -- the wire ----------------------------------------------------------------------------

    def _answer(self, request: httpx2.Request) -> tuple[_Response, float, bool]:
        """The response, how long to wait before it, and whether the wait is a read timeout."""
        headers = {name.lower(): value for name, value in request.headers.items()}
        target = request.url.raw_path.decode("ascii")
        response = self._handle(request.method, target, headers, request.content)
        timeout = request.extensions.get("timeout", {}).get("read")
        if timeout is not None and response.delay > timeout:
            return response, timeout, True
        return response, response.delay, False

    def _serve(self, request: httpx2.Request) -> httpx2.Response:
        response, wait, timed_out = self._answer(request)
        if wait:
            time.sleep(wait)
        if timed_out:
            raise _read_timeout(request)
        return _to_httpx(response)

    async def _aserve(self, request: httpx2.Request) -> httpx2.Response:
        response, wait, timed_out = self._answer(request)
        if wait:
            await asyncio.sleep(wait)  # concurrent requests of one async client overlap
        if timed_out:
            raise _read_timeout(request)
        return _to_httpx(response)


def _read_timeout(request: httpx2.Request) -> httpx2.ReadTimeout:
    # What the client raises when a server sends nothing within its read timeout.
    message = "ScriptedTransport: the reply's delay exceeds the read timeout"
    return httpx2.ReadTimeout(message, request=request)


def _to_httpx(response: _Response) -> httpx2.Response:
    return httpx2.Response(response.status, headers=dict(response.headers), content=response.body)
