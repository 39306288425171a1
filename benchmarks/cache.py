"""The result cache: a second run of the same batch makes no request and takes well under 1 s/100.

    python benchmarks/cache.py [--n 200] [--concurrency 32]

Runs the batch twice with the same ``cache=`` directory against an in-process ScriptedServer and
prints, for each run, the chat requests the server received, wall seconds and seconds per 100
plans. The second run still builds every prompt (to compute its request key) and reads, checks
and rebuilds every cached result; the fixed cost of building the planner is printed apart.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import MODEL, requirements

from planner_agent.batch import plan_steps
from planner_agent.planner import Planner
from planner_agent.testing import Reply, ScriptedServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    from samples import calibration_draft_dict

    reply = Reply.json(calibration_draft_dict())
    items = requirements(args.n)
    with ScriptedServer(lambda _: reply) as server, tempfile.TemporaryDirectory() as cache:
        client = server.client()
        plan_steps(requirements(2), client=client, model=MODEL, progress=False)  # warm-up
        started = time.perf_counter()
        Planner(client=client, model=MODEL)
        setup = time.perf_counter() - started
        print(f"N={args.n}; building a planner takes {setup * 1000:.1f} ms (once per batch)")
        for label in ("first run ", "second run"):
            before = server.chat_requests
            started = time.perf_counter()
            result = plan_steps(items, client=client, model=MODEL, cache=cache,
                                concurrency=args.concurrency, progress=False)  # fmt: skip
            wall = time.perf_counter() - started
            made = server.chat_requests - before
            assert result.ok + result.cached == args.n, result
            print(
                f"{label}: {made:>4} requests | {result.cached:>4} cached | {wall:6.3f}s | "
                f"{wall / args.n * 100:.3f}s per 100 plans "
                f"({max(wall - setup, 0.0) / args.n * 100:.3f}s without the planner setup)"
            )


if __name__ == "__main__":
    main()
