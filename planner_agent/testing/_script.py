"""The script and the record: which :class:`Reply` answers a chat request, and its JSON.

Shared by HTTP chat requests and batch lines, whichever wire (socket or mock transport)
carried them; thread-safe.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from ._wire import _error_body
from .replies import RecordedRequest, Reply, Responder, Usage

_NOT_RETRYABLE: Final[Mapping[str, str]] = MappingProxyType({"x-should-retry": "false"})


def _message_chars(messages: list[dict[str, Any]]) -> int:
    total = 0
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            texts = (p.get("text") for p in content if isinstance(p, dict))
            total += sum(len(t) for t in texts if isinstance(t, str))
    return total


class _Script:
    """The replies (or responder), the recorded requests and the id counter of one double.

    ``name`` prefixes every message of the double's own making, so a failing test names
    the double it used.
    """

    def __init__(self, script: Sequence[Reply] | Responder, *, name: str, model_name: str) -> None:
        self.responder: Responder | None = script if callable(script) else None
        self.replies: tuple[Reply, ...] = () if callable(script) else tuple(script)
        for number, reply in enumerate(self.replies):
            if not isinstance(reply, Reply):
                raise TypeError(
                    f"script item {number} is a {type(reply).__name__}, not a Reply: use "
                    "Reply(...), Reply.json(...) or Reply.error(...), or pass a responder callable"
                )
        self.name = name
        self.model_name = model_name
        self.lock = threading.Lock()
        self.responder_errors: list[BaseException] = []
        self._requests: list[RecordedRequest] = []
        self._next_reply = 0
        self._exhausted = 0
        self._ids = itertools.count(1)

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        with self.lock:
            return list(self._requests)

    def exhausted(self) -> int:
        with self.lock:
            return self._exhausted

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-scripted-{next(self._ids)}"

    def next_reply(self, request: RecordedRequest) -> Reply:
        """The reply for ``request``: the next scripted one, or the responder's."""
        if self.responder is not None:
            try:
                reply = self.responder(request)
                if not isinstance(reply, Reply):
                    raise TypeError(f"the responder returned {reply!r}, not a Reply")
                return reply
            except Exception as exc:
                with self.lock:
                    self.responder_errors.append(exc)
                return self.own_failure(f"responder raised {exc!r}")
        with self.lock:
            if self._next_reply < len(self.replies):
                self._next_reply += 1
                return self.replies[self._next_reply - 1]
            self._exhausted += 1
        n = len(self.replies)
        return self.own_failure(f"script exhausted after {n} requests; add replies to the script")

    def own_failure(self, message: str) -> Reply:
        """A 500 for a mistake in the test's script: not retryable, so it surfaces at once."""
        return Reply.error(500, f"{self.name}: {message}", headers=_NOT_RETRYABLE)

    def render(self, request: RecordedRequest, reply: Reply) -> tuple[int, dict[str, Any]]:
        """The status and JSON body (chat completion or error) that ``reply`` stands for."""
        if not 200 <= reply.status < 300:
            text = reply.error_message or f"{self.name}: scripted HTTP {reply.status}"
            return reply.status, _error_body(reply.status, text)
        content = None if reply.refusal is not None else reply.content
        usage = reply.usage or Usage(_message_chars(request.messages) // 4, len(content or "") // 4)
        message = {"role": "assistant", "content": content, "refusal": reply.refusal}
        choice = {"index": 0, "message": message, "finish_reason": reply.finish_reason}
        return reply.status, {
            "id": self.new_id("chatcmpl"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model or self.model_name,
            "choices": [choice],
            "usage": usage.to_openai(),
        }
