"""Plan quality against real steps: plans a corpus of requirement texts and compares each plan
with the real step it describes.

    python benchmarks/quality.py [--limit N] [--steps A,B] [--json OUT] [--max-attempts N]
                                 [--timeout SECONDS]

The corpus (``benchmarks/quality_corpus.json``) holds 12 requirement texts, written in a user's
voice for this benchmark, for real steps of the public ``TianpeiLuke/cursus`` repository (branch
``release/1.x``) — none of the 14 steps kept for independent evaluation — with the facts of each
real step taken from its contract, specifications and registry entry.

It plans with whatever the environment configures, exactly as ``plan_step`` would: the embedded
local model when nothing is set, else ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` / ``PLANNER_MODEL``.
For each item it prints seconds, prompt and completion tokens, error-level issues left, and how the
plan compares with the real step: logical names (share of the real step's input/output names the
plan uses), container paths (share of the real contract's paths the plan uses), the SageMaker
step type (equal or not), required environment variables (share found) and upstream steps (share
of the plan's producers that the real step accepts). Then the means.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from planner_agent import ImplementationPlan, PlannerError
from planner_agent.planner import Planner

CORPUS = Path(__file__).resolve().parent / "quality_corpus.json"


@dataclass
class Row:
    """One planned item and its comparison with the real step (None: not applicable)."""

    step: str
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    errors: int
    names: float | None
    paths: float | None
    step_type: bool
    env_vars: float | None
    upstream: float | None
    failure: str = ""


def _share(wanted: set[str], got: set[str]) -> float | None:
    return len(wanted & got) / len(wanted) if wanted else None


def compare(plan: ImplementationPlan, real: dict[str, Any]) -> dict[str, Any]:
    """How ``plan`` compares with the facts of the real step ``real``."""
    spec = plan.components.step_specification
    contract = plan.components.script_contract
    planned_names = {d.logical_name for d in spec.dependencies} | {
        o.logical_name for o in spec.outputs
    }
    real_names = {p["logical_name"] for p in [*real["inputs"], *real["outputs"]]}
    planned_paths = {p.container_path for p in [*contract.input_paths, *contract.output_paths]}
    real_paths = {
        p["container_path"] for p in [*real["inputs"], *real["outputs"]] if p["container_path"]
    }
    planned_env = set(contract.required_env_vars) | set(contract.optional_env_vars)
    producers = {s for d in spec.dependencies for s in d.compatible_sources}
    producers |= {link.step for link in plan.integration.upstream_steps}
    accepted = set(real["upstream_steps"])
    upstream = len(producers & accepted) / len(producers) if producers else None
    if not producers and not accepted:
        upstream = 1.0
    return {
        "names": _share(real_names, planned_names),
        "paths": _share(real_paths, planned_paths),
        "step_type": plan.registry_entry.sagemaker_step_type.value == real["sagemaker_step_type"],
        "env_vars": _share(set(real["required_env_vars"]), planned_env),
        "upstream": upstream,
    }


def _mean(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    return f"{statistics.mean(present):.2f}" if present else "-"


def _cell(value: float | bool | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.2f}"


def table(rows: list[Row]) -> str:
    """The rows as a plain-text table, then the means."""
    head = f"{'step':<28}{'s':>7}{'prompt':>8}{'compl':>7}{'err':>5}"
    head += f"{'names':>7}{'paths':>7}{'type':>6}{'env':>6}{'up':>6}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.failure:
            lines.append(f"{r.step:<28}{r.seconds:>7.1f}  failed: {r.failure[:70]}")
            continue
        lines.append(
            f"{r.step:<28}{r.seconds:>7.1f}{r.prompt_tokens:>8}{r.completion_tokens:>7}"
            f"{r.errors:>5}{_cell(r.names):>7}{_cell(r.paths):>7}{_cell(r.step_type):>6}"
            f"{_cell(r.env_vars):>6}{_cell(r.upstream):>6}"
        )
    done = [r for r in rows if not r.failure]
    if done:
        seconds = [r.seconds for r in done]
        lines.append("-" * len(head))
        lines.append(
            f"{'mean (' + str(len(done)) + ' plans)':<28}{statistics.mean(seconds):>7.1f}"
            f"{statistics.mean(r.prompt_tokens for r in done):>8.0f}"
            f"{statistics.mean(r.completion_tokens for r in done):>7.0f}"
            f"{statistics.mean(r.errors for r in done):>5.1f}"
            f"{_mean([r.names for r in done]):>7}{_mean([r.paths for r in done]):>7}"
            f"{_mean([float(r.step_type) for r in done]):>6}"
            f"{_mean([r.env_vars for r in done]):>6}{_mean([r.upstream for r in done]):>6}"
        )
        clean = sum(1 for r in done if r.errors == 0)
        lines.append(
            f"median seconds {statistics.median(seconds):.1f}; zero error-level issues "
            f"{clean}/{len(done)}; failed {len(rows) - len(done)}"
        )
    return "\n".join(lines)


def run(steps: dict[str, Any], max_attempts: int | None, timeout: float) -> list[Row]:
    """Plan every item with one `Planner` (its prompt cache is shared) and compare.

    No transport retries: a local server works through a timed-out request before the retry.
    """
    kwargs: dict[str, Any] = {} if max_attempts is None else {"max_attempts": max_attempts}
    planner = Planner(timeout=timeout, transport_retries=0, **kwargs)
    rows: list[Row] = []
    for name, real in steps.items():
        started = time.perf_counter()
        try:
            result = planner.plan(real["requirements"])
        except PlannerError as exc:
            row = Row(name, time.perf_counter() - started, 0, 0, 0, None, None, False, None, None)
            row.failure = f"{type(exc).__name__}: {exc}"
        else:
            row = Row(
                name,
                time.perf_counter() - started,
                result.usage.prompt_tokens,
                result.usage.completion_tokens,
                sum(1 for i in result.issues if i.is_error),
                **compare(result.plan, real),
            )
        rows.append(row)
        print(table([row]).splitlines()[2], file=sys.stderr, flush=True)  # the row as it ends
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="plan only the first N items")
    parser.add_argument("--steps", default="", help="comma-separated corpus step names")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    parser.add_argument("--max-attempts", type=int, default=None)
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds per request (shared CPUs are slow)"
    )
    args = parser.parse_args()
    steps: dict[str, Any] = json.loads(CORPUS.read_text(encoding="utf-8"))["steps"]
    if args.steps:
        wanted = [s.strip() for s in args.steps.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in steps]
        if unknown:
            parser.error(f"unknown corpus steps {unknown}; known: {', '.join(steps)}")
        steps = {s: steps[s] for s in wanted}
    if args.limit is not None:
        steps = dict(list(steps.items())[: args.limit])
    rows = run(steps, args.max_attempts, args.timeout)
    print(table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n")


if __name__ == "__main__":
    main()
