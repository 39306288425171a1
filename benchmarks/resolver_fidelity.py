"""Resolver fidelity: our compatibility score against the framework's own, pair by pair.

    python benchmarks/resolver_fidelity.py [--show 10]
    python benchmarks/resolver_fidelity.py --framework PATH [--commit SHA] [--ref NAME]

Without ``--framework`` it scores every pair of ``tests/fixtures/resolver_scores.json`` with
``planner_agent.checks._resolver`` and prints: the pairs, the maximum and mean absolute score
difference, the accept/reject disagreements at the 0.5 threshold, and for how many dependencies our
best candidate (from our candidate pool) is among the real resolver's co-best.

With ``--framework PATH`` (a cursus source tree: the folder holding ``src/cursus`` or ``cursus``)
it regenerates the fixture: it loads every ``steps/specs/*_spec.py`` of the framework and records,
for each dependency of each specification and each output of every other specification (the pool
the real resolver considers: every other node), the real resolver's score. Only pydantic is needed:
the framework's package ``__init__`` files (which pull in the SageMaker SDK) are bypassed by
registering bare package objects for ``cursus``, ``cursus.core`` and ``cursus.steps``. This mode
runs without planner_agent installed (e.g. in a separate venv holding only pydantic).
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import types
from collections import defaultdict
from pathlib import Path
from typing import Any

try:
    from planner_agent.checks._resolver import THRESHOLD, candidate_pool, rank_candidates, score
    from planner_agent.plan import DataType, DependencyPlan, DependencyType, OutputPlan
except ModuleNotFoundError:  # Regenerating in the framework's own venv needs none of it.
    THRESHOLD = 0.5

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "resolver_scores.json"
DEPENDENCY_COLUMNS = [
    "consumer_spec",
    "consumer_step_type",
    "logical_name",
    "dependency_type",
    "data_type",
    "semantic_keywords",
    "compatible_sources",
]
OUTPUT_COLUMNS = [
    "producer_spec",
    "producer_step_type",
    "logical_name",
    "output_type",
    "data_type",
    "aliases",
]
PAIR_COLUMNS = ["dependency", "output", "real_score", "real_accept"]


# ---------------------------------------------------------------- regenerate from the framework
def _load_framework(path: Path) -> tuple[Any, list[tuple[str, Any]]]:
    """The real resolver and every (spec module stem, StepSpecification) of the checkout."""
    package = next(
        (
            p
            for p in (path / "src" / "cursus", path / "cursus", path)
            if (p / "core" / "deps").is_dir()
        ),
        None,
    )
    if package is None:
        raise SystemExit(f"no cursus package (core/deps) under {path}")
    for name, sub in (("cursus", package), ("cursus.core", package / "core")):
        module = types.ModuleType(name)
        module.__path__ = [str(sub)]
        sys.modules[name] = module
    steps = types.ModuleType("cursus.steps")
    steps.__path__ = [str(package / "steps")]
    sys.modules["cursus.steps"] = steps
    resolver_module = importlib.import_module("cursus.core.deps.dependency_resolver")
    matcher_module = importlib.import_module("cursus.core.deps.semantic_matcher")
    registry_module = importlib.import_module("cursus.core.deps.specification_registry")
    base = importlib.import_module("cursus.core.base.specification_base")
    resolver = resolver_module.UnifiedDependencyResolver(
        registry_module.SpecificationRegistry(), matcher_module.SemanticMatcher()
    )
    specs: list[tuple[str, Any]] = []
    for file in sorted((package / "steps" / "specs").glob("*_spec.py")):
        module = importlib.import_module(f"cursus.steps.specs.{file.stem}")
        found = [
            v for _, v in sorted(vars(module).items()) if isinstance(v, base.StepSpecification)
        ]
        specs.extend((file.stem, spec) for spec in {id(s): s for s in found}.values())
    return resolver, specs


def _value(enum_or_text: Any) -> str:
    return str(getattr(enum_or_text, "value", enum_or_text))


def _commit(path: Path, given: str | None) -> str:
    if given:
        return given
    done = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def regenerate(path: Path, commit: str | None, ref: str) -> dict[str, Any]:
    """Every (dependency, other spec's output) pair of the framework with the real score.

    Keyword, source and alias lists are sorted (the framework may hold them in sets; their order
    never changes a score), so regenerating from the same commit writes the same file.
    """
    resolver, specs = _load_framework(path)
    dependencies: list[list[Any]] = []
    outputs: list[list[Any]] = []
    owner: list[int] = []  # outputs[i] belongs to specs[owner[i]]
    dep_rows: list[tuple[int, Any]] = []
    for index, (stem, spec) in enumerate(specs):
        for dep in spec.dependencies.values():
            dep_rows.append((index, dep))
            dependencies.append(
                [
                    stem,
                    spec.step_type,
                    dep.logical_name,
                    _value(dep.dependency_type),
                    _value(dep.data_type),
                    sorted(dep.semantic_keywords),
                    sorted(dep.compatible_sources),
                ]
            )
        for out in spec.outputs.values():
            owner.append(index)
            outputs.append(
                [
                    stem,
                    spec.step_type,
                    out.logical_name,
                    _value(out.output_type),
                    _value(out.data_type),
                    sorted(out.aliases),
                ]
            )
    out_specs = [o for _, spec in specs for o in spec.outputs.values()]
    pairs: list[list[Any]] = []
    for d, (consumer, dep) in enumerate(dep_rows):
        for o, out in enumerate(out_specs):
            if owner[o] == consumer:
                continue  # The resolver skips only the consumer's own node.
            real = resolver._calculate_compatibility(dep, out, specs[owner[o]][1])
            pairs.append([d, o, round(real, 6), int(real > THRESHOLD)])
    return {
        "source": {
            "repository": "TianpeiLuke/cursus",
            "ref": ref,
            "commit": _commit(path, commit),
            "specifications": len(specs),
            "dependencies": len(dependencies),
            "outputs": len(outputs),
            "selection": "all pairs: each dependency x each output of every other specification",
        },
        "threshold": THRESHOLD,
        "dependency_columns": DEPENDENCY_COLUMNS,
        "dependencies": dependencies,
        "output_columns": OUTPUT_COLUMNS,
        "outputs": outputs,
        "pair_columns": PAIR_COLUMNS,
        "pairs": pairs,
    }


def write_fixture(data: dict[str, Any], target: Path) -> None:
    """JSON with one row per line, so a regenerated fixture diffs line by line."""

    def rows(values: list[Any]) -> str:
        return "[\n" + ",\n".join(json.dumps(v, separators=(",", ":")) for v in values) + "\n]"

    parts = [
        f"{json.dumps(key)}: {rows(value) if key in {'dependencies', 'outputs', 'pairs'} else json.dumps(value)}"
        for key, value in data.items()
    ]
    target.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")


# ---------------------------------------------------------------- score the fixture with ours
def _plans(data: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    deps = [
        DependencyPlan(
            logical_name=row[2],
            dependency_type=DependencyType(row[3]),
            data_type=DataType(row[4]),
            semantic_keywords=row[5],
            compatible_sources=row[6],
        )
        for row in data["dependencies"]
    ]
    outs = [
        OutputPlan(
            logical_name=row[2],
            output_type=DependencyType(row[3]),
            data_type=DataType(row[4]),
            aliases=row[5],
            property_path="properties.Fixture",
        )
        for row in data["outputs"]
    ]
    return deps, outs


def compare(data: dict[str, Any], show: int) -> None:
    """Print how far our scores are from the real ones recorded in ``data``."""
    deps, outs = _plans(data)
    producer = [row[1] for row in data["outputs"]]
    diffs: list[float] = []
    real_only: list[str] = []
    ours_only: list[str] = []
    by_dep: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for d, o, real, accept in data["pairs"]:
        ours = score(deps[d], outs[o], producer[o]).total
        diffs.append(abs(ours - real))
        label = f"{data['dependencies'][d][1]}.{deps[d].logical_name} <- {producer[o]}.{outs[o].logical_name}: real {real:.4f}, ours {ours:.4f}"
        if accept and ours <= THRESHOLD:
            real_only.append(label)
        elif not accept and ours > THRESHOLD:
            ours_only.append(label)
        by_dep[d].append((o, real))
    agree = 0
    for d, scored in by_dep.items():
        real_best = max(real for _, real in scored)
        real_of = dict(scored)
        pool = candidate_pool(
            [(producer[o], outs[o]) for o, _ in scored], data["dependencies"][d][1]
        )
        ranked = rank_candidates(deps[d], pool, include_below_threshold=True)
        if ranked:
            best = next(o for o, _ in scored if outs[o] is ranked[0].output)
            agree += abs(real_of[best] - real_best) < 1e-6
    print(
        f"pairs: {len(diffs)} ({sum(1 for p in data['pairs'] if p[2] > 0)} with a real score above 0)"
    )
    scored = [diff for diff, pair in zip(diffs, data["pairs"], strict=True) if pair[2] > 0]
    print(
        f"max |ours - real|: {max(diffs):.3g}; mean: {sum(diffs) / len(diffs):.3g}"
        f" (over pairs the real resolver scores above 0: {sum(scored) / len(scored):.3g})"
    )
    print(
        f"real accepts, ours rejects: {len(real_only)}; ours accepts, real rejects: {len(ours_only)}"
    )
    print(f"best candidate among the real co-best: {agree} of {len(by_dep)} dependencies")
    for label in (real_only + ours_only)[:show]:
        print("  ", label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--framework", type=Path, help="a cursus source tree: regenerate the fixture"
    )
    parser.add_argument("--commit", help="the framework commit to record (default: git rev-parse)")
    parser.add_argument("--ref", default="release/1.x", help="the framework branch to record")
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    parser.add_argument("--show", type=int, default=10, help="disagreements to list")
    args = parser.parse_args()
    if args.framework:
        data = regenerate(args.framework, args.commit, args.ref)
        write_fixture(data, args.fixture)
        size = args.fixture.stat().st_size
        print(f"wrote {args.fixture} ({len(data['pairs'])} pairs, {size / 1e6:.2f} MB)")
    else:
        compare(json.loads(args.fixture.read_text("utf-8")), args.show)


if __name__ == "__main__":
    main()
