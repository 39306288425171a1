"""Throughput of `plan_steps`: N plans at concurrency C against a server with latency L.

    python benchmarks/throughput.py [--n 200] [--concurrency 32] [--latency 0.2] [--client sync]

Prints efficiency = (N*L/C) / measured wall time (1.0 = the server latency is the only cost)
and the library's CPU time per plan. The ScriptedServer runs in a child process so its CPU and
memory are not counted; it serves each connection in its own thread, so it does not cap
concurrency at these sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--client", choices=("sync", "async", "both"), default="both")
    parser.add_argument("--backlog", type=int, default=128, help="the server's listen backlog")
    parser.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return

    n, c, latency = args.n, args.concurrency, args.latency
    ideal = n * latency / c
    waves = math.ceil(n / c) * latency  # no schedule can beat whole waves of C requests
    print(f"N={n} C={c} L={latency}s: ideal N*L/C = {ideal:.3f}s, whole waves = {waves:.3f}s")
    kinds = ("sync", "async") if args.client == "both" else (args.client,)
    os.environ["BENCH_BACKLOG"] = str(args.backlog)
    with Server(latency) as base_url:
        for kind in kinds:
            # Warm-up: imports and encodings; then one planner per batch, as in real use.
            asyncio.run(batch(base_url, kind, requirements(4), c))
            items = requirements(n)
            cpu, wall = time.process_time(), time.perf_counter()
            result = asyncio.run(batch(base_url, kind, items, c))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            assert result.ok == n, result
            print(
                f"{kind:>5} client: {wall:.3f}s wall | efficiency {ideal / wall:.3f} "
                f"(vs whole waves {waves / wall:.3f}) | CPU {cpu / n * 1000:.2f} ms/plan | "
                f"{result.requests} requests"
            )


if __name__ == "__main__":
    main()
