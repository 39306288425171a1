"""One decisions reply, or small focused questions? Measured on the quality corpus.

    python benchmarks/focused_questions.py [--limit N]

Both ways use the embedded model's own prompt (the local profile: short knowledge, the closest
step's decisions as the example) and the bounded ``StepDecisions`` schema, so the prompt cache
serves the same prefix to every call:

- **one call**: the whole decisions object, as `Planner` asks for it;
- **focused**: three calls, each with a schema of a few of its fields (the step: name, type,
  description, job types; then its inputs; then its outputs and env vars), merged into one object.

Each merged reply goes through the same expansion, repair pass and checks as a plan. Prints, per
item and on average, seconds, completion tokens, error-level issues and how the plan compares with
the real step (``quality.py``'s measures), then the ratio of the two ways' times.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import CORPUS, compare

from planner_agent.decisions import StepDecisions
from planner_agent.planner import Planner

#: The focused questions: the fields each asks for, and what it says.
QUESTIONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("step_name", "sagemaker_step_type", "description", "job_type_variants"),
        "Answer only this: the new step's name, SageMaker step type, one sentence on what it "
        "does, and its job types.",
    ),
    (("inputs",), "Answer only this: the inputs the new step reads, each with its producer."),
    (
        ("outputs", "env_vars"),
        "Answer only this: the outputs the new step writes and the environment variables its "
        "script reads.",
    ),
)


def _part(schema: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The decisions schema restricted to ``fields`` (definitions kept)."""
    part = copy.deepcopy(schema)
    part["properties"] = {k: v for k, v in schema["properties"].items() if k in fields}
    part["required"] = [k for k in schema.get("required", []) if k in fields]
    part["title"] = "StepDecisionsPart"
    return part


def _ask(
    planner: Planner, messages: list[dict[str, str]], schema: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    request = planner.request_for(messages, planner.output_mode)
    request["response_format"]["json_schema"]["schema"] = schema
    reply = planner.connection.client.chat.completions.create(**request)
    usage = reply.usage.completion_tokens if reply.usage else 0
    data: dict[str, Any] = json.loads(reply.choices[0].message.content or "{}")
    return data, usage


def one_call(planner: Planner, text: str) -> tuple[dict[str, Any], int]:
    """The whole decisions object in one request (what `Planner` sends)."""
    return _ask(planner, planner.prompt(text).messages, planner.schema())


def focused(planner: Planner, text: str) -> tuple[dict[str, Any], int]:
    """The decisions object from three focused requests, merged."""
    messages = planner.prompt(text).messages
    merged: dict[str, Any] = {}
    tokens = 0
    for fields, question in QUESTIONS:
        asked = [*messages, {"role": "user", "content": question}]
        data, used = _ask(planner, asked, _part(planner.schema(), fields))
        merged.update({k: v for k, v in data.items() if k in fields})
        tokens += used
    return merged, tokens


def measure(planner: Planner, way: Any, name: str, real: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    data, tokens = way(planner, real["requirements"])
    seconds = time.perf_counter() - started
    plan, issues = planner.examine(StepDecisions.model_validate(data).to_plan(), "")
    errors = sum(1 for i in issues if i.is_error)
    row = {"step": name, "seconds": seconds, "completion": tokens, "errors": errors}
    row.update(compare(plan, real))
    return row


def _mean(rows: list[dict[str, Any]], key: str) -> float:
    values = [float(r[key]) for r in rows if r[key] is not None]
    return statistics.mean(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    steps = json.loads(CORPUS.read_text(encoding="utf-8"))["steps"]
    items = list(steps.items())[: args.limit]
    planner = Planner(transport_retries=0)  # the embedded model, nothing configured
    if planner.reply.name != "decisions":
        raise SystemExit("run with nothing configured: the embedded model answers decisions")
    one_call(planner, items[0][1]["requirements"])  # warm the server and the shared prefix
    rows: dict[str, list[dict[str, Any]]] = {"one call": [], "focused": []}
    # One way over the whole corpus, then the other: the server's single slot caches the last
    # prompt, so each item's first request shares only the static prefix in both ways.
    for label, way in (("one call", one_call), ("focused", focused)):
        for name, real in items:
            row = measure(planner, way, name, real)
            rows[label].append(row)
            print(
                f"{name:<28}{label:<10}{row['seconds']:>6.1f} s {row['completion']:>5} tok "
                f"{row['errors']:>3} err  names {row['names'] or 0:.2f}  "
                f"type {'yes' if row['step_type'] else 'no'}",
                flush=True,
            )
    print()
    for label, done in rows.items():
        print(
            f"{label:<10} median {statistics.median(r['seconds'] for r in done):5.1f} s, "
            f"{_mean(done, 'completion'):5.0f} completion tokens, "
            f"zero errors {sum(r['errors'] == 0 for r in done)}/{len(done)}, "
            f"names {_mean(done, 'names'):.2f}, paths {_mean(done, 'paths'):.2f}, "
            f"type {_mean(done, 'step_type'):.2f}, env {_mean(done, 'env_vars'):.2f}, "
            f"upstream {_mean(done, 'upstream'):.2f}"
        )
    one = statistics.median(r["seconds"] for r in rows["one call"])
    three = statistics.median(r["seconds"] for r in rows["focused"])
    print(f"focused / one call, median seconds: {three / one:.2f}")


if __name__ == "__main__":
    main()
