"""Throughput of `plan_steps`: N plans at concurrency C against a server with latency L.

    python benchmarks/throughput.py [--n 200] [--concurrency 32] [--latency 0.2 1.0]
                                    [--client sync|async|both] [--repeat 3]

Prints, per latency and client, the median wall time of ``--repeat`` runs and two efficiencies:
against the ideal N*L/C, and against ceil(N/C)*L, the best any schedule can do when at most C
requests are in flight (for N=200, C=32 that is 7 waves, so N*L/C can never be reached: 6.25/7 =
0.89 is the ceiling of the first figure). "beyond waves" is the time the library, the openai
client and the interpreter added to that bound. "bare client" sends the same requests through
the openai client alone, C at a time (threads for the sync client, tasks for the async one):
"vs bare" = bare / measured is the share of that client's own throughput planning keeps. Last
comes the CPU time per plan of this process.

The ScriptedServer runs in a child process so its CPU and memory are not counted; it serves each
connection in its own thread, so it does not cap concurrency at these sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # samples.py: a draft that passes every check

MODEL = "gpt-4o-mini"


def requirements(n: int) -> list[str]:
    from samples import CALIBRATION_REQUIREMENTS

    return [f"{CALIBRATION_REQUIREMENTS}\nItem tag: item-{i:05d}." for i in range(n)]


def serve(latency: float) -> None:
    """Child process: answer every chat request with a valid draft after ``latency`` seconds."""
    from samples import calibration_draft_dict

    from planner_agent import testing
    from planner_agent.testing import Reply, ScriptedServer

    # socketserver's listen backlog of 5 drops bursts of simultaneous connects (an AsyncOpenAI
    # client opens C at once): SYN retries and resets then cost seconds. --backlog 5 shows it.
    testing._HTTPServer.request_queue_size = int(os.environ.get("BENCH_BACKLOG", "128"))
    reply = Reply.json(calibration_draft_dict(), delay=latency)
    with ScriptedServer(lambda _: reply) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


class Server:
    """A ScriptedServer in a child process (``with Server(latency) as base_url: ...``)."""

    def __init__(self, latency: float) -> None:
        self.latency = latency

    def __enter__(self) -> str:
        cmd = [sys.executable, __file__, "--serve", str(self.latency)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def client(base_url: str, kind: str) -> Any:
    import openai

    cls = openai.AsyncOpenAI if kind == "async" else openai.OpenAI
    return cls(base_url=base_url, api_key="bench", max_retries=0)


async def batch(base_url: str, kind: str, items: list[str], concurrency: int, **kw: Any) -> Any:
    from planner_agent.batch import aplan_steps

    api = client(base_url, kind)
    try:
        return await aplan_steps(
            items, client=api, model=MODEL, concurrency=concurrency, progress=False, **kw
        )
    finally:
        closed = api.close()
        if asyncio.iscoroutine(closed):
            await closed


def measure(base_url: str, kind: str, n: int, c: int) -> tuple[float, float]:
    """One timed batch of ``n`` plans: (wall seconds, library CPU seconds per plan)."""
    # Warm-up: imports and encodings; then one planner per batch, as in real use.
    asyncio.run(batch(base_url, kind, requirements(4), c))
    items = requirements(n)
    cpu, wall = time.process_time(), time.perf_counter()
    result = asyncio.run(batch(base_url, kind, items, c))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.ok == n and result.requests == n, result
    return wall, cpu / n


def bare(base_url: str, kind: str, n: int, c: int) -> float:
    """The same N requests through the bare openai client, C at a time, nothing else: the floor
    this machine and client set. As in `batch`, a fresh client is made (and timed) per run;
    the requests are built beforehand."""
    import openai

    from planner_agent import Planner
    from planner_agent._conversation import Conversation

    planner = Planner(client=openai.OpenAI(base_url=base_url, api_key="bench"), model=MODEL)
    requests = [Conversation(planner, text).first_request() for text in requirements(n)]

    async def run_tasks() -> None:
        api, queue = client(base_url, "async"), iter(requests)

        async def worker() -> None:
            for request in queue:
                await api.chat.completions.create(**request)

        await asyncio.gather(*(worker() for _ in range(c)))
        await api.close()

    def run_threads() -> None:
        api, queue, lock = client(base_url, "sync"), iter(requests), threading.Lock()

        def worker() -> None:
            while True:
                with lock:
                    request = next(queue, None)
                if request is None:
                    return
                api.chat.completions.create(**request)

        threads = [threading.Thread(target=worker) for _ in range(c)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        api.close()

    def once() -> None:
        if kind == "async":
            asyncio.run(run_tasks())
        else:
            run_threads()

    once()  # warm-up
    wall = time.perf_counter()
    once()
    return time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.2, 1.0])
    parser.add_argument("--client", choices=("sync", "async", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the median is shown")
    parser.add_argument("--backlog", type=int, default=128, help="the server's listen backlog")
    parser.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return

    n, c = args.n, args.concurrency
    kinds = ("sync", "async") if args.client == "both" else (args.client,)
    os.environ["BENCH_BACKLOG"] = str(args.backlog)
    print(f"N={n} C={c}, median of {args.repeat} runs per row")
    print(
        "latency | client | wall s (min-max)      | vs N*L/C | vs waves | beyond waves | "
        "bare client s | vs bare | CPU/plan"
    )
    for latency in args.latency:
        ideal = n * latency / c
        waves = math.ceil(n / c) * latency  # no schedule can beat whole waves of C requests
        with Server(latency) as base_url:
            for kind in kinds:
                runs = [measure(base_url, kind, n, c) for _ in range(args.repeat)]
                walls = sorted(wall for wall, _ in runs)
                wall = statistics.median(walls)
                cpu = statistics.median(cpu for _, cpu in runs)
                floor = statistics.median(bare(base_url, kind, n, c) for _ in range(args.repeat))
                print(
                    f"{latency:6.2f}s | {kind:>6} | {wall:6.3f} ({walls[0]:.3f}-{walls[-1]:.3f}) "
                    f"| {ideal / wall:8.3f} | {waves / wall:8.3f} | {wall - waves:9.3f} s "
                    f"| {floor:13.3f} | {floor / wall:7.3f} | {cpu * 1000:.2f} ms"
                )


if __name__ == "__main__":
    main()
