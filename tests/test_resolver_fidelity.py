"""Our resolver score against the framework's own, on every pair of its real specifications.

``fixtures/resolver_scores.json`` holds, for each dependency of the framework's specifications and
each output of every other specification, the inputs of the score and the score the framework's
resolver gave (regenerate with ``benchmarks/resolver_fidelity.py --framework PATH``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from planner_agent.checks._resolver import (
    THRESHOLD,
    candidate_pool,
    rank_candidates,
    score,
)
from planner_agent.conventions import strip_job_suffix
from planner_agent.plan import DataType, DependencyPlan, DependencyType, OutputPlan

FIXTURE = Path(__file__).parent / "fixtures" / "resolver_scores.json"
TOLERANCE = 0.005


@cache
def _fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text("utf-8"))
    return data


def _row(kind: str, row: list[Any]) -> dict[str, Any]:
    return dict(zip(_fixture()[f"{kind}_columns"], row, strict=True))


@cache
def _plans() -> tuple[list[DependencyPlan], list[OutputPlan], list[str]]:
    deps = []
    for raw in _fixture()["dependencies"]:
        row = _row("dependency", raw)
        deps.append(
            DependencyPlan(
                logical_name=row["logical_name"],
                dependency_type=DependencyType(row["dependency_type"]),
                data_type=DataType(row["data_type"]),
                semantic_keywords=row["semantic_keywords"],
                compatible_sources=row["compatible_sources"],
            )
        )
    outs, producers = [], []
    for raw in _fixture()["outputs"]:
        row = _row("output", raw)
        producers.append(row["producer_step_type"])
        outs.append(
            OutputPlan(
                logical_name=row["logical_name"],
                output_type=DependencyType(row["output_type"]),
                data_type=DataType(row["data_type"]),
                aliases=row["aliases"],
                property_path="properties.Fixture",
            )
        )
    return deps, outs, producers


def _label(d: int, o: int) -> str:
    dep, out = (
        _row("dependency", _fixture()["dependencies"][d]),
        _row("output", _fixture()["outputs"][o]),
    )
    return f"{dep['consumer_step_type']}.{dep['logical_name']} <- {out['producer_step_type']}.{out['logical_name']}"


def test_the_fixture_is_the_frameworks_whole_pool() -> None:
    data = _fixture()
    source = data["source"]
    assert (source["specifications"], source["dependencies"]) == (71, 124)
    assert len(data["dependencies"]) == 124 and len(data["outputs"]) == source["outputs"]
    assert data["pair_columns"] == ["dependency", "output", "real_score", "real_accept"]
    # Each dependency meets each output of every other specification once.
    seen = {(d, o) for d, o, _, _ in data["pairs"]}
    assert len(seen) == len(data["pairs"]) > 10_000
    assert sum(1 for p in data["pairs"] if p[2] > 0) > 9_000
    assert all(p[3] == int(p[2] > THRESHOLD) or abs(p[2] - THRESHOLD) < 1e-6 for p in data["pairs"])


def test_every_pair_scores_as_the_framework_scores_it() -> None:
    deps, outs, producers = _plans()
    wrong, flipped = [], []
    for d, o, real, accept in _fixture()["pairs"]:
        ours = score(deps[d], outs[o], producers[o]).total
        if abs(ours - real) > TOLERANCE:
            wrong.append(f"{_label(d, o)}: real {real:.4f}, ours {ours:.4f}")
        if (ours > THRESHOLD) != bool(accept):
            flipped.append(
                f"{_label(d, o)}: real {real:.4f} ({'accept' if accept else 'reject'}), ours {ours:.4f}"
            )
    assert wrong == [], f"{len(wrong)} scores differ: {wrong[:10]}"
    assert flipped == [], f"{len(flipped)} accept/reject decisions differ: {flipped[:10]}"


def test_our_best_candidate_is_among_the_real_co_best_for_every_dependency() -> None:
    deps, outs, producers = _plans()
    pool: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for d, o, real, _ in _fixture()["pairs"]:
        pool[d].append((o, real))
    missed = []
    for d, scored in pool.items():
        consumer = _row("dependency", _fixture()["dependencies"][d])["consumer_step_type"]
        ours = candidate_pool([(producers[o], outs[o]) for o, _ in scored], consumer)
        best = rank_candidates(deps[d], ours, include_below_threshold=True)[0]
        real_of = {id(outs[o]): real for o, real in scored}
        if real_of[id(best.output)] < max(real for _, real in scored) - 1e-6:
            missed.append(_label(d, next(o for o, _ in scored if outs[o] is best.output)))
    assert len(pool) == 124
    assert missed == []


@pytest.mark.parametrize(
    ("consumer", "dependency", "best_output"),
    [
        # Real pipelines wire a step's calibration variant from its training variant; the framework
        # ranks another variant of the consumer's own step among the best.
        ("RiskTableMapping_Calibration", "model_artifacts_input", "model_artifacts_output"),
        ("MissingValueImputation_Testing", "model_artifacts_input", "model_artifacts_output"),
    ],
)
def test_another_job_variant_of_the_consumers_step_is_among_the_best(
    consumer: str, dependency: str, best_output: str
) -> None:
    deps, outs, producers = _plans()
    (d,) = [
        i
        for i, raw in enumerate(_fixture()["dependencies"])
        if _row("dependency", raw)["consumer_step_type"] == consumer and raw[2] == dependency
    ]
    scored = {o: real for dd, o, real, _ in _fixture()["pairs"] if dd == d}
    pool = candidate_pool([(producers[o], outs[o]) for o in scored], consumer)
    assert all(p != consumer for p, _ in pool)
    ranked = rank_candidates(deps[d], pool)
    assert ranked[0].score == pytest.approx(max(scored.values()), abs=1e-6)
    co_best = [c for c in ranked if c.score == ranked[0].score]
    assert any(
        strip_job_suffix(c.producer) == strip_job_suffix(consumer) != c.producer
        and c.output.logical_name == best_output
        for c in co_best
    )
