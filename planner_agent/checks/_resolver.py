"""The dependency resolver's compatibility score as a pure function.

A pipeline connects a consumer's dependency to the producer output with the highest score above
`THRESHOLD`. The score adds six weighted components (type, data type, name similarity, exact-name
bonus, compatible sources, keywords); a type mismatch zeroes it. The weights and tables below are the
architecture's, kept in one place so checks and tests agree with the real resolver.

>>> from planner_agent.plan import DependencyPlan, OutputPlan, DependencyType
>>> dep = DependencyPlan(logical_name="model_input", dependency_type=DependencyType.MODEL_ARTIFACTS)
>>> out = OutputPlan(logical_name="model_output", output_type=DependencyType.MODEL_ARTIFACTS,
...                  property_path="properties.ModelArtifacts.S3ModelArtifacts")
>>> score(dep, out, "XGBoostTraining").total > THRESHOLD
True
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Final

from ..conventions import snake_case
from ..plan import (
    DataType,
    DependencyPlan,
    DependencyType,
    ImplementationPlan,
    JobType,
    OutputPlan,
    ResolverCandidate,
)

__all__ = [
    "THRESHOLD",
    "Candidate",
    "ScoreBreakdown",
    "name_similarity",
    "name_tokens",
    "rank_candidates",
    "resolver_candidates",
    "score",
    "strip_job_suffix",
    "word_stems",
]

THRESHOLD: Final = 0.5
TYPE_EQUAL: Final = 0.40
TYPE_COMPATIBLE: Final = 0.20
DATA_TYPE_EQUAL: Final = 0.20
DATA_TYPE_COMPATIBLE: Final = 0.10
NAME_WEIGHT: Final = 0.25
EXACT_NAME_BONUS: Final = 0.05
SOURCE_LISTED: Final = 0.10
SOURCE_LIST_EMPTY: Final = 0.05
KEYWORD_WEIGHT: Final = 0.05

_T = DependencyType
# dependency type -> output types that may satisfy it.
COMPATIBLE_TYPES: Final[dict[DependencyType, frozenset[DependencyType]]] = {
    _T.MODEL_ARTIFACTS: frozenset({_T.MODEL_ARTIFACTS}),
    _T.TRAINING_DATA: frozenset({_T.PROCESSING_OUTPUT, _T.TRAINING_DATA}),
    _T.PROCESSING_OUTPUT: frozenset({_T.PROCESSING_OUTPUT, _T.TRAINING_DATA}),
    _T.HYPERPARAMETERS: frozenset({_T.HYPERPARAMETERS, _T.CUSTOM_PROPERTY}),
    _T.PAYLOAD_SAMPLES: frozenset({_T.PAYLOAD_SAMPLES, _T.PROCESSING_OUTPUT}),
    _T.CUSTOM_PROPERTY: frozenset({_T.CUSTOM_PROPERTY}),
}
COMPATIBLE_DATA_TYPES: Final = frozenset(
    {
        frozenset({DataType.S3URI, DataType.STRING}),
        frozenset({DataType.INTEGER, DataType.FLOAT}),
    }
)

# Blend of the name-similarity measures (sums to 1).
_SEQUENCE, _TOKENS, _SYNONYMS, _SUBSTRING = 0.30, 0.25, 0.25, 0.20
ABBREVIATIONS: Final = {
    "eval": "evaluation",
    "calib": "calibration",
    "preproc": "preprocessing",
    "preprocess": "preprocessing",
    "hyperparams": "hyperparameters",
    "params": "parameters",
    "config": "configuration",
    "cfg": "configuration",
    "val": "validation",
    "train": "training",
    "test": "testing",
    "pred": "predictions",
    "preds": "predictions",
    "artifact": "artifacts",
}
# Tokens in one group count as the same word for the synonym measure.
SYNONYM_GROUPS: Final = (
    frozenset({"model", "artifacts", "models"}),
    frozenset({"data", "dataset", "datasets", "input"}),
    frozenset({"output", "outputs", "result", "results"}),
    frozenset({"evaluation", "metrics", "performance", "scores"}),
    frozenset({"preprocessing", "processed", "processing", "prepared"}),
    frozenset({"hyperparameters", "parameters", "configuration", "settings"}),
    frozenset({"payload", "samples", "payloads"}),
    frozenset({"package", "packaged", "packaging"}),
    frozenset({"calibration", "calibrated"}),
    frozenset({"predictions", "inference"}),
)
_SYNONYM_OF: Final = {word: group for group in SYNONYM_GROUPS for word in group}
_JOB_SUFFIX = re.compile(
    r"^(?P<base>.+?)[_-](?P<job>" + "|".join(j.value for j in JobType) + r")$", re.IGNORECASE
)


def strip_job_suffix(step_name: str) -> str:
    """``TabularPreprocessing_Training`` / ``TabularPreprocessing-Training`` -> ``TabularPreprocessing``.

    >>> strip_job_suffix("TabularPreprocessing-Training")
    'TabularPreprocessing'
    """
    match = _JOB_SUFFIX.match(step_name)
    return match.group("base") if match else step_name


def name_tokens(text: str) -> list[str]:
    """Lower-case word tokens (camelCase split as in file names) with abbreviations expanded.

    ``model_artifacts`` normalises to ``model`` (the two mean the same thing to the resolver).

    >>> name_tokens("calib_ModelArtifacts-eval")
    ['calibration', 'model', 'evaluation']
    """
    words = [w for w in snake_case(text).split("_") if w]
    tokens = [ABBREVIATIONS.get(w, w) for w in words]
    merged: list[str] = []
    for token in tokens:
        if token == "artifacts" and merged and merged[-1] == "model":
            continue
        merged.append(token)
    return merged


# Words too common in requirements and step descriptions to say what a text is about.
STOPWORDS: Final = frozenset(
    {"and", "any", "are", "for", "from", "into", "its", "per", "step", "steps", "that", "the"}
    | {"then", "this", "uses", "using", "via", "when", "with", "which", "will", "new", "add"}
)


@functools.lru_cache(maxsize=4096)
def word_stems(text: str) -> frozenset[str]:
    """Content words of free text, crudely stemmed (first 5 letters) so word forms match.

    Cached: example metadata and logical names are stemmed again for every request.

    >>> sorted(word_stems("Calibrates the calibration scores"))
    ['calib', 'score']
    """
    words = (t for t in name_tokens(text) if len(t) > 2 and t not in STOPWORDS)
    return frozenset(w[:5] if len(w) > 5 else w.removesuffix("s") for w in words)


def name_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two logical names: sequence ratio, token overlap, synonyms, substring.

    >>> name_similarity("model_artifacts", "ModelArtifacts")
    1.0
    """
    ta, tb = name_tokens(a), name_tokens(b)
    na, nb = "_".join(ta), "_".join(tb)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    sequence = SequenceMatcher(None, na, nb).ratio()
    sa, sb = set(ta), set(tb)
    overlap = len(sa & sb) / len(sa | sb)
    synonyms = sum(1 for t in sa if any(_same_word(t, u) for u in sb)) / max(len(sa), len(sb))
    substring = 1.0 if min(len(na), len(nb)) >= 3 and (na in nb or nb in na) else 0.0
    blend = _SEQUENCE * sequence + _TOKENS * overlap + _SYNONYMS * synonyms + _SUBSTRING * substring
    return min(1.0, blend)


def _same_word(a: str, b: str) -> bool:
    return a == b or (a in _SYNONYM_OF and b in _SYNONYM_OF[a])


@dataclass(frozen=True)
class ScoreBreakdown:
    """Each weighted component of one dependency/output score; ``total`` is their sum (0 if types clash)."""

    type_score: float
    data_type_score: float
    name_score: float
    exact_bonus: float
    source_score: float
    keyword_score: float

    @property
    def compatible(self) -> bool:
        """False when the output type can never satisfy the dependency type."""
        return self.type_score > 0

    @property
    def total(self) -> float:
        """The resolver score; above `THRESHOLD` the output may satisfy the dependency."""
        if not self.compatible:
            return 0.0
        parts = (self.data_type_score, self.name_score, self.exact_bonus)
        return round(self.type_score + sum(parts) + self.source_score + self.keyword_score, 6)

    def explain(self) -> str:
        """One-line summary, e.g. ``0.85 = type 0.40 + data 0.20 + name 0.15 + ...``."""
        return (
            f"{self.total:.2f} = type {self.type_score:.2f} + data type {self.data_type_score:.2f}"
            f" + name {self.name_score:.2f} + exact {self.exact_bonus:.2f}"
            f" + sources {self.source_score:.2f} + keywords {self.keyword_score:.2f}"
        )


def score(
    dependency: DependencyPlan, output: OutputPlan, producer_step_type: str
) -> ScoreBreakdown:
    """Score how well ``output`` of a step of ``producer_step_type`` satisfies ``dependency``."""
    dep_type, out_type = dependency.dependency_type, output.output_type
    if dep_type == out_type:
        type_score = TYPE_EQUAL
    elif out_type in COMPATIBLE_TYPES[dep_type]:
        type_score = TYPE_COMPATIBLE
    else:
        type_score = 0.0
    if dependency.data_type == output.data_type:
        data_score = DATA_TYPE_EQUAL
    elif frozenset({dependency.data_type, output.data_type}) in COMPATIBLE_DATA_TYPES:
        data_score = DATA_TYPE_COMPATIBLE
    else:
        data_score = 0.0
    names = [output.logical_name, *output.aliases]
    similarity = max(name_similarity(dependency.logical_name, n) for n in names)
    exact = EXACT_NAME_BONUS if dependency.logical_name in names else 0.0
    sources = dependency.compatible_sources
    if not sources:
        source_score = SOURCE_LIST_EMPTY
    elif strip_job_suffix(producer_step_type) in {strip_job_suffix(s) for s in sources}:
        source_score = SOURCE_LISTED
    else:
        source_score = 0.0
    keywords = dependency.semantic_keywords
    found = sum(1 for k in keywords if k.lower() in output.logical_name.lower())
    keyword_score = KEYWORD_WEIGHT * found / len(keywords) if keywords else 0.0
    return ScoreBreakdown(
        type_score=type_score,
        data_type_score=data_score,
        name_score=NAME_WEIGHT * similarity,
        exact_bonus=exact,
        source_score=source_score,
        keyword_score=keyword_score,
    )


@dataclass(frozen=True)
class Candidate:
    """A producer output scored against one dependency."""

    producer: str
    output: OutputPlan
    breakdown: ScoreBreakdown

    @property
    def score(self) -> float:
        """The total score."""
        return self.breakdown.total


def rank_candidates(
    dependency: DependencyPlan,
    producers: Iterable[tuple[str, OutputPlan]],
    *,
    include_below_threshold: bool = False,
) -> list[Candidate]:
    """Score every ``(producer_step_type, output)`` and return them best first.

    Only candidates above `THRESHOLD` are returned unless ``include_below_threshold``; ties are
    ordered by producer and output name so the result is deterministic.
    """
    candidates = [Candidate(p, o, score(dependency, o, p)) for p, o in producers]
    if not include_below_threshold:
        candidates = [c for c in candidates if c.score > THRESHOLD]
    return sorted(candidates, key=lambda c: (-c.score, c.producer, c.output.logical_name))


def resolver_candidates(
    plan: ImplementationPlan, producers: Iterable[tuple[str, OutputPlan]], *, top: int = 3
) -> list[ResolverCandidate]:
    """The ``top`` producer outputs above the threshold for each of ``plan``'s dependencies.

    The plan's own step is never its own producer.
    """
    pool = [(p, o) for p, o in producers if strip_job_suffix(p) != plan.step_name]
    found: list[ResolverCandidate] = []
    for dependency in plan.components.step_specification.dependencies:
        for candidate in rank_candidates(dependency, pool)[:top]:
            found.append(
                ResolverCandidate(
                    dependency=dependency.logical_name,
                    step=candidate.producer,
                    output=candidate.output.logical_name,
                    score=round(candidate.score, 4),
                )
            )
    return found
