"""The dependency resolver's compatibility score as a pure function, term for term the framework's.

A pipeline connects a consumer's dependency to the producer output with the highest score above
`THRESHOLD`. The score adds six weighted components (type, data type, name similarity, exact-name
bonus, compatible sources, keywords), capped at 1.0; a type mismatch zeroes it. Weights, tables and
name normalisation follow the framework's resolver and semantic matcher, so a check accepts exactly
the producers a real pipeline would (``tests/test_resolver_fidelity.py`` compares them all).

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

from ..conventions import JOB_SUFFIX, snake_case
from ..plan import (
    DataType,
    DependencyPlan,
    DependencyType,
    ImplementationPlan,
    OutputPlan,
    ResolverCandidate,
)

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
SCORE_CAP: Final = 1.0

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

# ---------------------------------------------------------------- name similarity (the matcher's)
# Blend of the four name measures (sums to 1), added in this order.
_SEQUENCE, _TOKENS, _SYNONYMS, _SUBSTRING = 0.30, 0.25, 0.25, 0.20
# A pair of distinct words in one group counts this much of an identical pair.
SYNONYM_CREDIT: Final = 0.8
# Shorter words never count as containing one another for the substring measure.
MIN_CONTAINED_WORD: Final = 3
# Whole words the resolver's normalisation rewrites (nothing else is expanded; no camelCase split).
RESOLVER_ABBREVIATIONS: Final = {
    "config": "configuration",
    "params": "parameters",
    "hyperparams": "hyperparameters",
    "preprocess": "preprocessing",
    "eval": "evaluation",
    "reg": "registration",
    "pkg": "package",
    "packaged": "package",
}
RESOLVER_STOPWORDS: Final = frozenset(
    {"the", "a", "an", "and", "or", "but", "in", "on", "at", "to", "for", "of", "with", "by"}
)
# Two different words are synonyms when one group holds both; a word may sit in several groups.
RESOLVER_SYNONYMS: Final = (
    frozenset({"model", "artifact", "trained", "output"}),
    frozenset({"data", "dataset", "input", "processed", "training"}),
    frozenset({"config", "configuration", "params", "parameters", "hyperparameters", "settings"}),
    frozenset({"payload", "sample", "test", "inference", "example"}),
    frozenset({"output", "result", "artifact", "generated", "produced"}),
    frozenset({"training", "train", "fit", "learn"}),
    frozenset({"preprocessing", "preprocess", "processed", "clean", "transform"}),
)
_SEPARATORS = re.compile(r"[_\-.]")
_NOT_WORD = re.compile(r"[^a-z0-9\s]")


def normalise_name(name: str) -> str:
    """A logical name as the resolver compares it: lower case, ``_ - .`` become spaces, other
    punctuation dropped, whole-word abbreviations expanded, stop words removed.

    >>> normalise_name("Eval_Data-of.ModelArtifacts")
    'evaluation data modelartifacts'
    """
    text = _NOT_WORD.sub("", _SEPARATORS.sub(" ", name.lower()))
    words = (RESOLVER_ABBREVIATIONS.get(w, w) for w in text.split())
    return " ".join(w for w in words if w not in RESOLVER_STOPWORDS)


def _synonyms(a: str, b: str) -> bool:
    return any(a in group and b in group for group in RESOLVER_SYNONYMS)


def _synonym_share(a: set[str], b: set[str]) -> float:
    """Mean credit over every word pair: 1 when equal, `SYNONYM_CREDIT` when synonyms."""
    if not a or not b:
        return 0.0
    equal = sum(1 for x in a for y in b if x == y)
    related = sum(1 for x in a for y in b if x != y and _synonyms(x, y))
    return (equal + SYNONYM_CREDIT * related) / (len(a) * len(b))


def _length_ratio(a: str, b: str) -> float:
    return min(len(a), len(b)) / max(len(a), len(b))


def _containment(a: str, b: str) -> float:
    """Length ratio when one whole name contains the other, else the best such ratio between two
    of their words of at least `MIN_CONTAINED_WORD` characters (0 when none contains another)."""
    if a in b or b in a:
        return _length_ratio(a, b)
    ratios = (
        _length_ratio(x, y)
        for x in a.split()
        for y in b.split()
        if min(len(x), len(y)) >= MIN_CONTAINED_WORD and (x in y or y in x)
    )
    return max(ratios, default=0.0)


@functools.lru_cache(maxsize=16384)
def name_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two logical names: sequence ratio, token overlap, synonyms, substring
    (cached: ranking a codebase's producers compares the same few names again and again).

    >>> name_similarity("eval_data", "Evaluation-Data")
    1.0
    >>> round(name_similarity("model_artifacts", "ModelArtifacts"), 3)
    0.418
    """
    if not a or not b:
        return 0.0
    na, nb = normalise_name(a), normalise_name(b)
    if na == nb:
        return 1.0
    wa, wb = set(na.split()), set(nb.split())
    blend = _SEQUENCE * SequenceMatcher(None, na, nb).ratio()
    blend += _TOKENS * (len(wa & wb) / len(wa | wb) if wa and wb else 0.0)
    blend += _SYNONYMS * _synonym_share(wa, wb)
    return blend + _SUBSTRING * _containment(na, nb)


# ---------------------------------------------------------------- step types
def producer_base_type(step_type: str) -> str:
    """A producer's spec step type without its job-type variant, as compared with
    ``compatible_sources`` (only the spec form ``X_Training``; a pipeline name ``X-Training`` stays).

    >>> producer_base_type("RiskTableMapping_Calibration"), producer_base_type("X-Training")
    ('RiskTableMapping', 'X-Training')
    """
    match = JOB_SUFFIX.match(step_type)
    return match.group("base") if match and match.group("sep") == "_" else step_type


# ------------------------------------- free-text words (requirements, examples); not the score
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
# Words too common in requirements and step descriptions to say what a text is about.
STOPWORDS: Final = frozenset(
    {"and", "any", "are", "for", "from", "into", "its", "per", "step", "steps", "that", "the"}
    | {"then", "this", "uses", "using", "via", "when", "with", "which", "will", "new", "add"}
    # Function words whose 5-letter stems collide with content words ("through"/"throughput").
    | {"through", "each", "also", "must", "should", "can", "has", "have", "not", "but"}
)


def name_tokens(text: str) -> list[str]:
    """Lower-case word tokens (camelCase split as in file names) with abbreviations expanded.

    ``model_artifacts`` becomes ``model`` (the same thing to a reader). For matching free text and
    step names only: the resolver's score normalises names with `normalise_name`.

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


@functools.lru_cache(maxsize=4096)
def word_stems(text: str) -> frozenset[str]:
    """Content words of free text, crudely stemmed (first 5 letters) so word forms match.

    Cached: example metadata and logical names are stemmed again for every request.

    >>> sorted(word_stems("Calibrates the calibration scores"))
    ['calib', 'score']
    """
    words = (t for t in name_tokens(text) if len(t) > 2 and t not in STOPWORDS)
    return frozenset(w[:5] if len(w) > 5 else w.removesuffix("s") for w in words)


# ---------------------------------------------------------------- the score
@dataclass(frozen=True)
class ScoreBreakdown:
    """Each weighted component of one dependency/output score; ``total`` is their sum, capped at
    `SCORE_CAP` (0 if the types clash)."""

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
    def uncapped(self) -> float:
        """The plain sum of the components (0 if the types clash)."""
        if not self.compatible:
            return 0.0
        parts = (self.data_type_score, self.name_score, self.exact_bonus, self.source_score)
        return sum(parts, self.type_score) + self.keyword_score

    @property
    def total(self) -> float:
        """The resolver score; above `THRESHOLD` the output may satisfy the dependency."""
        return min(self.uncapped, SCORE_CAP)

    def explain(self) -> str:
        """One-line summary, e.g. ``0.85 = type 0.40 + data 0.20 + name 0.15 + ...``."""
        capped = f" (sum {self.uncapped:.2f} capped)" if self.uncapped > SCORE_CAP else ""
        return (
            f"{self.total:.2f}{capped} = type {self.type_score:.2f} + data type {self.data_type_score:.2f}"
            f" + name {self.name_score:.2f} + exact {self.exact_bonus:.2f}"
            f" + sources {self.source_score:.2f} + keywords {self.keyword_score:.2f}"
        )


def score(
    dependency: DependencyPlan, output: OutputPlan, producer_step_type: str
) -> ScoreBreakdown:
    """Score how well ``output`` of a step of ``producer_step_type`` satisfies ``dependency``.

    ``compatible_sources`` is compared literally with the producer's step type less its job-type
    variant (`producer_base_type`): an entry written with a job suffix never matches.
    """
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
    elif producer_base_type(producer_step_type) in sources:
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

    def for_plan(self, dependency: str) -> ResolverCandidate:
        """This candidate as the plan records it for ``dependency`` (score to 4 places)."""
        return ResolverCandidate(
            dependency=dependency,
            step=self.producer,
            output=self.output.logical_name,
            score=round(self.score, 4),
        )


def candidate_pool(
    producers: Iterable[tuple[str, OutputPlan]], *own_step_types: str
) -> list[tuple[str, OutputPlan]]:
    """The ``(producer_step_type, output)`` pairs the resolver may pick for a consumer whose own
    step type(s) are ``own_step_types``: every producer but the consumer itself. Other job-type
    variants of the consumer's step stay (``X_Calibration`` may read from ``X_Training``).

    >>> [p for p, _ in candidate_pool([("X_Training", None), ("X", None), ("Y", None)], "X")]
    ['X_Training', 'Y']
    """
    own = set(own_step_types)
    return [(p, o) for p, o in producers if p not in own]


def rank_candidates(
    dependency: DependencyPlan,
    producers: Iterable[tuple[str, OutputPlan]],
    *,
    include_below_threshold: bool = False,
) -> list[Candidate]:
    """Score every ``(producer_step_type, output)`` and return them best first.

    Only candidates above `THRESHOLD` are returned unless ``include_below_threshold``. The framework
    breaks ties (frequent at the 1.0 cap) by the pipeline's step order; without a pipeline, ties are
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

    The plan's own step is never its own producer; its other job-type variants may be.
    """
    spec = plan.components.step_specification
    pool = candidate_pool(producers, plan.step_name, spec.step_type)
    return [
        candidate.for_plan(dependency.logical_name)
        for dependency in spec.dependencies
        for candidate in rank_candidates(dependency, pool)[:top]
    ]
