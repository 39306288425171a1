"""Library overhead per plan, excluding the LLM wait, and output tokens: structured vs markdown.

Prints the median/p95 time of the library's own work for one plan (prompt assembly with token
counting, reply parsing and derivation, repair pass and checks, markdown rendering), with
encodings loaded, and the ratio of output tokens of our structured reply to the same plan
rendered in the seed's markdown.
Targets: median < 20 ms; ratio <= 0.5.

    python benchmarks/overhead.py [--runs 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import Planner
from planner_agent.llm._parse import parse_json_reply
from planner_agent.seedformat._writer import render_markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    planner = Planner(model="gpt-4o-mini")  # named model: nothing connects
    reply = json.dumps(calibration_draft_dict())
    planner.prompt(CALIBRATION_REQUIREMENTS)  # load encodings and static prompt once

    stages: dict[str, list[float]] = {
        "prompt": [],
        "parse": [],
        "check": [],
        "render": [],
        "total": [],
    }
    draft = calibration_draft_dict()
    # A new plan each run, every code block different (the step name is in each): defeats
    # per-plan and per-block caching (the markdown of a plan the checks saw reuses their
    # rendering, as a result's markdown does).
    replies = [
        json.dumps({**draft, "step_name": f"{draft['step_name']}{i}"}) for i in range(args.runs)
    ]
    for i in range(args.runs):
        requirements = f"{CALIBRATION_REQUIREMENTS} (variant {i})"  # defeat any per-text caching
        t0 = time.perf_counter()
        prompt = planner.prompt(requirements)
        t1 = time.perf_counter()
        parsed = parse_json_reply(replies[i])
        t2 = time.perf_counter()
        assert parsed.plan is not None
        planner.examine(parsed.plan, requirements)  # the repair pass, then the checks
        t3 = time.perf_counter()
        markdown = render_markdown(parsed.plan)
        t4 = time.perf_counter()
        for name, value in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True):
            stages[name].append(value * 1000)
        assert prompt.tokens > 0 and markdown

    print(f"library overhead per plan over {args.runs} runs (ms):")
    for name, values in stages.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"  {name:<7} median {statistics.median(values):7.2f}   p95 {p95:7.2f}")
    median_total = statistics.median(stages["total"])
    print(
        f"median total {median_total:.2f} ms (target < 20 ms): {'OK' if median_total < 20 else 'MISSED'}"
    )

    structured = planner.counter.count(reply)
    rendered = planner.counter.count(render_markdown(parse_json_reply(reply).plan))  # type: ignore[arg-type]
    ratio = structured / rendered
    print(
        f"output tokens: structured reply {structured}, seed markdown {rendered}, "
        f"ratio {ratio:.2f} (target <= 0.50): {'OK' if ratio <= 0.5 else 'MISSED'}"
    )
    print(f"prompt tokens: {prompt.tokens} ({prompt.counter_label})")


if __name__ == "__main__":
    main()
