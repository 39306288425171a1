"""Run a coroutine to completion from blocking code, even inside a running event loop.

The one sync-over-async runner: `Planner.plan` with an async client and `plan_steps` use it. In a
notebook (a loop already running) the coroutine runs on its own loop in a worker thread, and
Ctrl-C is forwarded to it as cancellation, so the coroutine can clean up (write what finished)
before `KeyboardInterrupt` is raised here.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``factory()``'s coroutine run to completion; its result or its exception."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())  # asyncio turns Ctrl-C into cancellation, then re-raises it
    # A running loop (a notebook cell): run in a worker thread, and forward Ctrl-C to it.
    loop = asyncio.new_event_loop()
    box: dict[str, Any] = {}
    started, finished = threading.Event(), threading.Event()

    def target() -> None:
        try:
            box["task"] = loop.create_task(factory())
            started.set()
            box["result"] = loop.run_until_complete(box["task"])
        except BaseException as exc:
            box["error"] = exc
        finally:
            loop.close()
            started.set()
            finished.set()

    threading.Thread(target=target, name="planner-agent-batch", daemon=True).start()
    try:
        # Not Thread.join: interrupted by Ctrl-C it may mark a live thread as finished (3.11).
        while not finished.wait(0.1):
            pass
    except KeyboardInterrupt:
        started.wait()
        if "task" in box:
            with contextlib.suppress(RuntimeError):  # the loop already closed: nothing to stop
                loop.call_soon_threadsafe(box["task"].cancel)
        finished.wait()  # until summary.json of what finished is written
        raise
    if "error" in box:
        raise box["error"]
    result: T = box["result"]
    return result
