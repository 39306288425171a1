"""Peak memory of `plan_steps` for N=100 vs N=1,000 small plans (tracemalloc).

    python benchmarks/batch_memory.py [--sizes 100 1000] [--concurrency 32]

For each size prints the peak traced memory above the baseline, what the returned results
retain, and both per plan. The batch itself should add a constant (not per-plan) amount on top
of the results: a ``transient/plan`` figure that falls as N grows. The ScriptedServer runs in a
child process (throughput.Server) so that its request records are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import Server, batch, requirements


def measure(base_url: str, n: int, concurrency: int) -> None:
    items = requirements(n)
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    result = asyncio.run(batch(base_url, "sync", items, concurrency))
    elapsed = time.perf_counter() - started
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.ok == n, result
    peak, retained = peak - baseline, retained - baseline
    transient = peak - retained
    print(
        f"N={n:>5}: peak {peak / 1e6:7.1f} MB | results retain {retained / 1e6:7.1f} MB "
        f"({retained / n / 1e3:5.1f} kB/plan) | peak/plan {peak / n / 1e3:6.1f} kB | "
        f"transient {transient / 1e6:5.1f} MB ({transient / n / 1e3:5.1f} kB/plan) | {elapsed:.1f}s"
    )
    del result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with Server(0.0) as base_url:
        asyncio.run(batch(base_url, "sync", requirements(4), 4))  # imports, encodings, pools
        for n in args.sizes:
            measure(base_url, n, args.concurrency)


if __name__ == "__main__":
    main()
