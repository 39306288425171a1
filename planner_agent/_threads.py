"""Daemon threads that run a sync ``OpenAI`` client's blocking calls for the async batch engine."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Threads"]

T = TypeVar("T")


class Threads:
    """Daemon threads for a sync client's blocking calls.

    Started once, as ``Thread.start()`` takes milliseconds under load; daemon, so in-flight
    requests never hold up the exit after Ctrl-C the way executor threads (joined at exit) do.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in one of the threads."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if not self.threads:
            for number in range(self.size):
                thread = threading.Thread(
                    target=self._work, name=f"planner-agent-{number}", daemon=True
                )
                thread.start()
                self.threads.append(thread)
        self.queue.put((loop, future, fn, args))
        return await future

    def _work(self) -> None:
        while (task := self.queue.get()) is not None:
            loop, future, fn, args = task
            if future.cancelled():  # cancelled while queued: never sent
                continue
            try:
                outcome: tuple[bool, Any] = (True, fn(*args))
            except BaseException as exc:
                outcome = (False, exc)
            with contextlib.suppress(RuntimeError):  # loop closed: nobody is waiting any more
                loop.call_soon_threadsafe(_deliver, future, *outcome)

    def close(self) -> None:
        """Let every thread finish its current call and exit."""
        for _ in self.threads:
            self.queue.put(None)
        self.threads = []


def _deliver(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # cancelled meanwhile: drop the late answer
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
