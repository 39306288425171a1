"""Scripted OpenAI-compatible endpoints for offline tests.

:class:`ScriptedServer` listens on ``127.0.0.1`` (ephemeral port) in a daemon thread and
answers chat-completion requests from a *script*: either a sequence of :class:`Reply`
objects consumed in order, or a responder callable ``(RecordedRequest) -> Reply``.
Every request is recorded (API keys redacted). It also serves ``GET /v1/models`` and a
minimal Files + Batch API whose batches complete immediately (or after a few polls)::

    from planner_agent.testing import Reply, ScriptedServer

    with ScriptedServer([Reply("hello"), Reply.error(429, "slow down")]) as server:
        client = server.client()
        out = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert out.choices[0].message.content == "hello"
        assert server.requests[0].messages[0]["content"] == "hi"

:class:`ScriptedTransport` is the same endpoint without a socket: it serves the same script,
routes and records through an ``httpx2`` mock transport handed to the ``openai`` client::

    from planner_agent.testing import ScriptedTransport, plan_responder

    double = ScriptedTransport(plan_responder())
    result = Planner(client=double.client(), model="gpt-4.1-mini").plan(requirements)

Batch lines are answered by the same script and recorded with path :data:`BATCH_LINE_PATH`
(``"/v1/batches:line"``) and their ``custom_id``; :attr:`ScriptedServer.chat_requests`
counts only HTTP chat-completion requests (both doubles have the same inspection API).
"""

from __future__ import annotations

from .plans import plan_responder, sample_draft
from .replies import BATCH_LINE_PATH, RecordedRequest, Reply, Responder, Usage
from .server import ScriptedServer
from .server import _HTTPServer as _HTTPServer  # benchmarks/throughput.py tunes its backlog
from .transport import ScriptedTransport

__all__ = [
    "BATCH_LINE_PATH",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptedServer",
    "ScriptedTransport",
    "Usage",
    "plan_responder",
    "sample_draft",
]
