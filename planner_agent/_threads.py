"""Daemon threads that run blocking client calls for asyncio code (one pool, grown on demand)."""

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
    """Daemon threads for blocking calls made from asyncio (a sync client's requests).

    One mechanism for every caller (``aplan`` with a sync client, the batch engine, the Batch API
    path). The pool grows to the number of calls in flight and its threads are reused: starting
    a thread takes milliseconds under load. Daemon, so in-flight requests never hold up the exit
    after Ctrl-C the way executor threads (joined at exit) do.
    """

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._pending = 0  # calls queued or running

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in one of the threads."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            self._pending += 1
            if self._pending > len(self.threads):  # every thread is busy: one more
                thread = threading.Thread(
                    target=self._work, name=f"planner-agent-{len(self.threads)}", daemon=True
                )
                thread.start()
                self.threads.append(thread)
        self.queue.put((loop, future, fn, args))
        return await future

    def _work(self) -> None:
        while (task := self.queue.get()) is not None:
            loop, future, fn, args = task
            try:
                if future.cancelled():  # cancelled while queued: never sent
                    continue
                try:
                    outcome: tuple[bool, Any] = (True, fn(*args))
                except BaseException as exc:
                    outcome = (False, exc)
                with contextlib.suppress(RuntimeError):  # loop closed: nobody is waiting
                    loop.call_soon_threadsafe(_deliver, future, *outcome)
            finally:
                with self._lock:
                    self._pending -= 1

    def close(self) -> None:
        """Let every thread finish its current call and exit (later calls start new ones)."""
        with self._lock:
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
