"""Tests for planner_agent.checks._resolver: each score component, the threshold, and fixture rankings."""

from __future__ import annotations

import doctest
import itertools
from difflib import SequenceMatcher

import pytest
from fixture_plans import fixture_index, fixture_plan

from planner_agent.checks import _resolver as resolver
from planner_agent.checks._resolver import (
    THRESHOLD,
    candidate_pool,
    name_similarity,
    name_tokens,
    normalise_name,
    rank_candidates,
    resolver_candidates,
    score,
)
from planner_agent.conventions import strip_job_suffix
from planner_agent.plan import DataType, DependencyPlan, DependencyType, OutputPlan

T = DependencyType
COMPATIBLE = {
    T.MODEL_ARTIFACTS: {T.MODEL_ARTIFACTS},
    T.TRAINING_DATA: {T.PROCESSING_OUTPUT, T.TRAINING_DATA},
    T.PROCESSING_OUTPUT: {T.PROCESSING_OUTPUT, T.TRAINING_DATA},
    T.HYPERPARAMETERS: {T.HYPERPARAMETERS, T.CUSTOM_PROPERTY},
    T.PAYLOAD_SAMPLES: {T.PAYLOAD_SAMPLES, T.PROCESSING_OUTPUT},
    T.CUSTOM_PROPERTY: {T.CUSTOM_PROPERTY},
}


def dep(name: str = "data", kind: T = T.PROCESSING_OUTPUT, **extra: object) -> DependencyPlan:
    return DependencyPlan.model_validate({"logical_name": name, "dependency_type": kind, **extra})


def out(name: str = "data", kind: T = T.PROCESSING_OUTPUT, **extra: object) -> OutputPlan:
    path = f"properties.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri"
    return OutputPlan.model_validate(
        {"logical_name": name, "output_type": kind, "property_path": path, **extra}
    )


def test_doctests() -> None:
    assert doctest.testmod(resolver).failed == 0


@pytest.mark.parametrize(("dep_type", "out_type"), list(itertools.product(T, T)))
def test_type_component_follows_the_compatibility_matrix(dep_type: T, out_type: T) -> None:
    result = score(dep("x", dep_type), out("x", out_type), "P")
    if dep_type == out_type:
        assert result.type_score == 0.40
    elif out_type in COMPATIBLE[dep_type]:
        assert result.type_score == 0.20
    else:
        assert result.type_score == 0 and result.total == 0 and not result.compatible


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (DataType.S3URI, DataType.S3URI, 0.20),
        (DataType.S3URI, DataType.STRING, 0.10),
        (DataType.STRING, DataType.S3URI, 0.10),
        (DataType.INTEGER, DataType.FLOAT, 0.10),
        (DataType.S3URI, DataType.INTEGER, 0.0),
        (DataType.BOOLEAN, DataType.STRING, 0.0),
    ],
)
def test_data_type_component(a: DataType, b: DataType, expected: float) -> None:
    result = score(dep("x", data_type=a), out("x", data_type=b), "P")
    assert result.data_type_score == expected
    assert result.total > 0  # A data-type mismatch lowers the score but never zeroes it.


def test_name_component_uses_best_of_name_and_aliases_and_exact_bonus() -> None:
    plain = score(
        dep("model_input", T.MODEL_ARTIFACTS), out("artifacts_v2", T.MODEL_ARTIFACTS), "P"
    )
    aliased = score(
        dep("model_input", T.MODEL_ARTIFACTS),
        out("artifacts_v2", T.MODEL_ARTIFACTS, aliases=["model_input"]),
        "P",
    )
    assert aliased.name_score == pytest.approx(0.25) and aliased.exact_bonus == 0.05
    assert plain.exact_bonus == 0 and plain.name_score < aliased.name_score


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("eval_data", "evaluation_data"),
        ("Model-Artifacts", "model_artifacts"),
        ("config.params", "configuration_parameters"),
        ("hyperparams_s3", "Hyperparameters-S3"),
        ("pkg_of_the_model", "package model"),
    ],
)
def test_normalisation_makes_spellings_equal(a: str, b: str) -> None:
    assert name_similarity(a, b) == 1.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # The framework expands only its own few abbreviations, splits no camelCase and keeps
        # "artifacts" a word of its own: these spellings differ for the real resolver.
        ("calib_output", "calibration_output"),
        ("preproc_data", "preprocessing_data"),
        ("model_artifacts", "model"),
        ("ModelArtifacts", "model-artifacts"),
    ],
)
def test_normalisation_is_the_frameworks_not_more(a: str, b: str) -> None:
    assert normalise_name(a) != normalise_name(b)
    assert name_similarity(a, b) < 1.0


def _blend(a: str, b: str, tokens: float, synonyms: float, substring: float) -> float:
    sequence = SequenceMatcher(None, normalise_name(a), normalise_name(b)).ratio()
    return 0.30 * sequence + 0.25 * tokens + 0.25 * synonyms + 0.20 * substring


@pytest.mark.parametrize(
    ("a", "b", "tokens", "synonyms", "substring"),
    [
        # Whole name inside the other: the length ratio (4 of 14 characters).
        ("data", "processed_data", 1 / 2, (1 + 0.8) / 2, 4 / 14),
        # No whole containment: the best word containment ("input" in "inputs").
        ("input_path", "inputs", 0.0, 0.0, 5 / 6),
        # Words under 3 characters never contain one another; "abc" in "abcd" counts.
        ("ab_data", "abc", 0.0, 0.0, 0.0),
        ("abc_data", "abcd", 0.0, 0.0, 3 / 4),
        # Synonyms (one group holds both) count 0.8, averaged over every word pair.
        ("model", "artifact", 0.0, 0.8, 0.0),
        ("model_data", "artifact_dataset", 0.0, (0.8 + 0.8) / 4, 4 / 7),
    ],
)
def test_name_similarity_terms(
    a: str, b: str, tokens: float, synonyms: float, substring: float
) -> None:
    assert name_similarity(a, b) == pytest.approx(_blend(a, b, tokens, synonyms, substring))


def test_name_similarity_orders_plausibly() -> None:
    assert name_tokens("XGBoostModelEval") == ["xgboost", "model", "evaluation"]
    assert name_similarity("model_input", "model_output") > name_similarity(
        "model_input", "metrics"
    )
    assert name_similarity("metrics", "performance") > name_similarity("metrics", "payload")
    assert name_similarity("", "x") == 0.0
    assert 0.0 <= name_similarity("processed_data", "data_output") <= 1.0


@pytest.mark.parametrize(
    ("sources", "producer", "expected"),
    [
        (["TabularPreprocessing"], "TabularPreprocessing", 0.10),
        (["TabularPreprocessing"], "TabularPreprocessing_Training", 0.10),
        # The list is compared literally; only the producer's type loses its job suffix, so an
        # entry written with a suffix never matches (as in the framework).
        (["TabularPreprocessing_Calibration"], "TabularPreprocessing_Training", 0.0),
        (["TabularPreprocessing_Training"], "TabularPreprocessing_Training", 0.0),
        (["TabularPreprocessing-Training"], "TabularPreprocessing", 0.0),
        (["RiskTableMapping"], "RiskTableMapping_Calibration", 0.10),
        ([], "Anything", 0.05),
        (["XGBoostTraining"], "TabularPreprocessing", 0.0),
    ],
)
def test_compatible_sources_component(sources: list[str], producer: str, expected: float) -> None:
    assert score(dep(compatible_sources=sources), out(), producer).source_score == expected


def test_keyword_component_is_fraction_found_in_output_name() -> None:
    result = score(dep(semantic_keywords=["eval", "metrics", "auc", "x"]), out("eval_metrics"), "P")
    assert result.keyword_score == pytest.approx(0.05 * 2 / 4)
    assert score(dep(), out(), "P").keyword_score == 0


def test_total_is_the_sum_and_explain_lists_components() -> None:
    result = score(
        dep("processed_data", compatible_sources=["A"], semantic_keywords=["processed"]),
        out("processed_data"),
        "A",
    )
    assert result.uncapped == pytest.approx(0.40 + 0.20 + 0.25 + 0.05 + 0.10 + 0.05)
    assert result.total == 1.0  # Capped, as the framework caps it.
    assert result.explain().startswith("1.00 (sum 1.05 capped) = type 0.40")
    plain = score(dep("processed_data", semantic_keywords=["x"]), out("processed_data"), "A")
    assert plain.total == pytest.approx(0.40 + 0.20 + 0.25 + 0.05 + 0.05)
    assert plain.explain().startswith(f"{plain.total:.2f} = type 0.40")


def test_rank_candidates_threshold_and_order() -> None:
    producers = [
        ("B", out("processed_data")),
        ("A", out("processed_data")),
        ("C", out("zzz", T.MODEL_ARTIFACTS)),
        ("D", out("unrelated", data_type=DataType.INTEGER)),
    ]
    ranked = rank_candidates(dep("processed_data"), producers)
    assert [c.producer for c in ranked] == ["A", "B"]  # Ties ordered by producer name.
    assert all(c.score > THRESHOLD for c in ranked)
    everything = rank_candidates(dep("processed_data"), producers, include_below_threshold=True)
    assert [c.producer for c in everything][-1] == "C" and everything[-1].score == 0


def test_candidate_pool_keeps_other_job_variants_of_the_consumer() -> None:
    producers = [
        ("X_Training", out("processed_data")),
        ("X", out("processed_data")),
        ("X_Calibration", out("processed_data")),
        ("Y", out("processed_data")),
    ]
    pool = candidate_pool(producers, "X_Calibration")
    assert [p for p, _ in pool] == ["X_Training", "X", "Y"]
    assert [p for p, _ in candidate_pool(producers, "X", "X")] == [
        "X_Training",
        "X_Calibration",
        "Y",
    ]


def test_resolver_candidates_may_name_a_variant_of_the_planned_step() -> None:
    plan = fixture_plan("XGBoostTraining")
    producers = [
        ("XGBoostTraining", out("input_path")),
        ("XGBoostTraining_Calibration", out("input_path", T.TRAINING_DATA)),
    ]
    found = resolver_candidates(plan, producers)
    assert {(c.dependency, c.step) for c in found} == {
        ("input_path", "XGBoostTraining_Calibration")
    }


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("TabularPreprocessing_Training", "TabularPreprocessing"),
        ("TabularPreprocessing-Calibration", "TabularPreprocessing"),
        ("TabularPreprocessing_training", "TabularPreprocessing"),
        ("XGBoostTraining", "XGBoostTraining"),
        ("Training", "Training"),
    ],
)
def test_strip_job_suffix(name: str, base: str) -> None:
    assert strip_job_suffix(name) == base


def test_each_real_producer_ranks_first_in_the_fixture_codebase() -> None:
    index = fixture_index()
    checked = 0
    for step in index.steps.values():
        for dependency in step.dependencies():
            if not dependency.compatible_sources:
                continue
            producers = [(t, o) for t, o in index.producers() if strip_job_suffix(t) != step.name]
            ranked = rank_candidates(dependency, producers)
            assert ranked, f"{step.name}.{dependency.logical_name} has no candidate"
            best = strip_job_suffix(ranked[0].producer)
            assert best in dependency.compatible_sources, (step.name, dependency.logical_name)
            checked += 1
    assert checked == 7
