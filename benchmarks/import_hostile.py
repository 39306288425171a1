"""Benchmark: the importers on the inputs of issue #13, each against a normal input of its size.

    python benchmarks/import_hostile.py [--scale 0.1] [--only NAME]

For each hostile input (plan markdown, plan JSON, a model's reply, a codebase file) prints the
wall time and the peak memory traced by ``tracemalloc`` (measured in a second run, as tracing slows
the code down), each with its ratio to a normal input of the same size read the same way, and the
outcome: ``ok``, the ``IMPORT`` codes found, or the exception raised. Linear work shows as ratios
near 1; a ratio that grows with ``--scale`` is super-linear work. Sizes are those of the issue at
``--scale 1`` (the 11.7 MB plan takes a minute of normal parsing); smaller scales run faster.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner_agent.checks import CodebaseIndex
from planner_agent.draft import PlanDraft
from planner_agent.llm._parse import parse_json_reply
from planner_agent.seedformat import load_plan, parse_markdown, render_markdown
from planner_agent.testing import sample_draft

ROOT = Path(__file__).resolve().parent.parent
PLAN = PlanDraft.model_validate(sample_draft("ModelCalibration")).to_plan()
MARKDOWN = render_markdown(PLAN)
PARAMETER = "    - label_field: str = 'label' — Label column\n"
OVERVIEW = "## 1. Step Overview\n"


@dataclass(frozen=True)
class Case:
    """A hostile input and a normal one of the same size, read by the same function."""

    name: str
    hostile: str
    normal: str
    read: Callable[[str], Any]


def _code_lines(chars: int) -> list[str]:
    lines, size = [], 0
    while size < chars:
        lines.append(f'VALUE_{len(lines)} = {{"key": [1, 2, 3], "name": "value {len(lines)}"}}')
        size += len(lines[-1]) + 1
    return lines


def _block(lang: str, code: str, heading: str = "9. Extra") -> str:
    return f"\n### {heading}\n\n```{lang}\n{code}\n```\n"


def _prose(chars: int) -> str:
    return ("ordinary words of a description " * (chars // 32 + 1))[:chars]


def _line(anchor: str, start: str, value: str) -> tuple[str, str]:
    """The plan with the line ``start + value`` after ``anchor``, and with prose as the value."""
    hostile = MARKDOWN.replace(anchor, anchor + start + value + "\n", 1)
    return hostile, MARKDOWN.replace(anchor, anchor + start + _prose(len(value)) + "\n", 1)


def _markdown_cases(scale: float) -> list[Case]:
    size = int(293_000 * scale)
    lines = _code_lines(size - len(MARKDOWN) - 150 * 24)
    bad = ["this is ) not python ((" for _ in range(150)]
    fine = ["x = 'this is fine, ok!'" for _ in range(150)]  # as long as a bad line
    big = int(11_700_000 * scale)
    one = _block("python", "\n".join(_code_lines(big)))
    many = "".join(
        _block("python", "\n".join(_code_lines(4000)), f"Block {i}") for i in range(big // 4000)
    )
    cases = [
        Case(
            f"markdown {size / 1e3:.0f} KB, Python block ending in 150 bad lines",
            MARKDOWN + _block("python", "\n".join([*lines, *bad])),
            MARKDOWN + _block("python", "\n".join([*lines, *fine])),
            parse_markdown,
        ),
        Case(
            f"markdown {big / 1e6:.1f} MB, one code block",
            MARKDOWN + one,
            MARKDOWN + many,
            parse_markdown,
        ),
    ]
    minus = int(200_000 * scale)
    long_lines = {
        "bullet '- p: {[]: 1}' (config parameter)": (PARAMETER, "    - p: ", "{[]: 1}"),
        f"bullet of {minus:,} '-' before a digit": (PARAMETER, "    - p: ", "-" * minus + "1"),
        f"heading of {minus:,} '#'": (OVERVIEW, "### ", "#" * minus + "x"),
        f"label before {minus:,} spaces": (OVERVIEW, "  - evaluation_data ", " " * minus + "x"),
        f"upstream step of {minus:,} letters": ("- Upstream steps:\n", "  - p: ", "a" * minus),
    }
    for name, (anchor, start, value) in long_lines.items():
        cases.append(Case(name, *_line(anchor, start, value), parse_markdown))
    nested = int(100_000 * scale)
    cases.append(
        Case(
            f"```json block of {nested:,} '['",
            MARKDOWN + _block("json", "[" * nested),
            MARKDOWN + _block("json", "[" + "1," * (nested // 2 - 1) + "1]"),
            parse_markdown,
        )
    )
    return cases


def _json_cases(scale: float) -> list[Case]:
    nested = int(100_000 * scale)
    plain = PLAN.to_json()

    def padded(size: int) -> str:  # the plan, its purpose grown to make ``size`` characters
        overview = PLAN.overview
        purpose = overview.purpose + "x" * max(0, size - len(plain))
        return PLAN.model_copy(
            update={"overview": overview.model_copy(update={"purpose": purpose})}
        ).to_json()

    long_int = plain[:-1] + ', "extra": ' + "9" * 5000 + "}"
    draft = PlanDraft.model_validate(sample_draft("ModelCalibration"))
    hostile_reply = '{"step_name": ' + "[" * nested
    grown = "x" * max(0, len(hostile_reply) - len(draft.model_dump_json()))
    reply = draft.model_copy(update={"purpose": draft.purpose + grown}).model_dump_json()
    return [
        Case(f"plan JSON of {nested:,} '['", "[" * nested, padded(nested), load_plan),
        Case("plan JSON with a 5,000-digit integer", long_int, padded(len(long_int)), load_plan),
        Case(f"model reply: JSON of {nested:,} '['", hostile_reply, reply, parse_json_reply),
    ]


def _index(source: str) -> Any:
    """Index a copy of the fixture codebase with ``source`` as one more specification file."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(ROOT / "tests" / "fixtures" / "codebase", repo)
        (repo / "src" / "pipeline_step_specs" / "extra_spec.py").write_text(source, "utf-8")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            index = CodebaseIndex.from_path(repo)
        return index, [str(w.message) for w in caught]


def _codebase_cases(scale: float) -> list[Case]:
    minus = int(200_000 * scale)
    hostile = "x = " + "-" * minus + "1\n"
    normal = "\n".join(_code_lines(len(hostile))) + "\n"  # as long, give or take a line
    return [Case(f"codebase file 'x = ' + {minus:,} '-'", hostile, normal, _index)]


def _outcome(result: Any) -> str:
    if getattr(result, "errors", None):  # a model's reply: the errors are sent back in a re-ask
        return "parse errors for a re-ask"
    issues = getattr(result, "issues", None)
    if issues is not None:
        codes = sorted({i.code for i in issues if i.code.startswith("IMPORT")})
        return ",".join(codes) or "ok"
    if isinstance(result, tuple):  # an index and its warnings
        skipped = [w for w in result[1] if "extra_spec.py" in w]
        return "skipped with a warning" if skipped else "ok"
    return "ok"


def _run(read: Callable[[str], Any], text: str, trace: bool) -> tuple[float, str]:
    """(seconds, or peak bytes when ``trace``; outcome)."""
    gc.collect()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = _outcome(read(text))
    except Exception as exc:  # the point: which inputs still raise, and what
        outcome = type(exc).__name__
    elapsed = time.perf_counter() - started
    if not trace:
        return elapsed, outcome
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return float(peak), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="input sizes (1 = the issue's)")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    cases = [*_markdown_cases(args.scale), *_json_cases(args.scale), *_codebase_cases(args.scale)]
    for read, text in ((parse_markdown, MARKDOWN), (load_plan, PLAN.to_json())):
        read(text)  # first calls compile patterns and import lazily: not what is measured
    parse_json_reply(PlanDraft.model_validate(sample_draft("ModelCalibration")).model_dump_json())
    print(f"{'input':<58} {'seconds':>8} {'x normal':>9} {'peak MB':>8} {'x normal':>9}  outcome")
    for case in cases:
        if args.only not in case.name:
            continue
        seconds, outcome = _run(case.read, case.hostile, trace=False)
        normal_seconds, _ = _run(case.read, case.normal, trace=False)
        peak, _ = _run(case.read, case.hostile, trace=True)
        normal_peak, _ = _run(case.read, case.normal, trace=True)
        print(
            f"{case.name[:58]:<58} {seconds:>8.2f} {seconds / normal_seconds:>9.2f}"
            f" {peak / 1e6:>8.1f} {peak / normal_peak:>9.2f}  {outcome}",
            flush=True,
        )


if __name__ == "__main__":
    main()
