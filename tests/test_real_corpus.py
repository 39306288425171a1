"""Real steps of two public repositories: no false alarms, every catalogued mistake found, layouts.

The corpus (``tests/fixtures/real_steps.json``) holds the facts of every step of
``TianpeiLuke/cursus`` (release/1.x) and ``TianpeiLuke/nlp-pipeline`` (before 8807b6d). Each step is
checked as a plan in several phrasings (``corpus_phrasings``), without and with a codebase (a stub
repository rendered from the facts in the real layout, ``corpus_repo``).

Real code that breaks its own conventions is listed in ``corpus.REAL_DEVIATIONS``; those issues
are true findings. Any other error-level issue is a false alarm. Where today's code raises false
alarms, the cases are marked ``xfail(strict=True)`` with their cause (``CAUSES``): when a fix lands
they pass, the strict xfail fails, and the cause must be removed here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from corpus import (
    REAL_DEVIATIONS,
    REAL_LAYOUTS,
    RealStep,
    check_data,
    check_text,
    is_true_finding,
    plan_data,
    real_steps,
    step_by_id,
)
from corpus_mistakes import MISTAKES, detected, mistakes
from corpus_phrasings import PHRASINGS
from corpus_repo import write_repo

from planner_agent.checks import CodebaseIndex
from planner_agent.plan import PlanIssue

PHRASING_NAMES = ["object", *PHRASINGS]


@dataclass(frozen=True)
class Cause:
    """A known cause of false alarms and the cases it hits."""

    reason: str
    applies: Callable[[RealStep, str], bool]


# Known causes of false alarms, each as a strict xfail naming it. None is left: the last one
# (RedshiftDataLoading, a type the framework's validator accepts) was fixed in the enum.
CAUSES: list[Cause] = []
# With the stub repository as codebase.
CODEBASE_CAUSES: list[Cause] = []


def _cases(causes: list[Cause], phrasings: list[str]) -> list[Any]:
    cases = []
    for step in real_steps():
        for phrasing in phrasings:
            hit = [c.reason for c in causes if c.applies(step, phrasing)]
            marks = [pytest.mark.xfail(strict=True, reason=" | ".join(hit))] if hit else []
            cases.append(pytest.param(step.id, phrasing, marks=marks, id=f"{step.id}-{phrasing}"))
    return cases


def false_alarms(step_id: str, issues: list[PlanIssue]) -> list[str]:
    return [str(i) for i in issues if i.is_error and not is_true_finding(step_id, i)]


# --------------------------------------------------------------------------- (a) no false alarms


def test_corpus_covers_both_repositories() -> None:
    steps = real_steps()
    assert {s.repo for s in steps} == {"cursus", "nlp"}
    assert len([s for s in steps if s.repo == "cursus"]) >= 40
    assert all(s.spec["step_type"] for s in steps)


@pytest.mark.parametrize(("step_id", "phrasing"), _cases(CAUSES, PHRASING_NAMES))
def test_real_step_has_no_false_alarm(step_id: str, phrasing: str) -> None:
    data = plan_data(step_by_id(step_id))
    issues = check_data(data) if phrasing == "object" else check_text(PHRASINGS[phrasing](data))
    assert false_alarms(step_id, issues) == []


@pytest.mark.parametrize(
    "deviation", REAL_DEVIATIONS, ids=lambda d: f"{d.step}-{'|'.join(d.codes)}-{d.needle}"
)
def test_listed_deviations_of_real_code_are_found(deviation: Any) -> None:
    """Each listed deviation is reported (at any severity) today; none may get lost."""
    issues = check_data(plan_data(step_by_id(deviation.step)))
    assert any(i.code in deviation.codes and deviation.needle in i.message for i in issues)


# --------------------------------------------------------------------------- (c) with a codebase


@pytest.fixture(scope="module")
def stub_indexes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CodebaseIndex]:
    root = tmp_path_factory.mktemp("real_repos")
    with warnings.catch_warnings():  # The indexer's notes on real forms are measured elsewhere.
        warnings.simplefilter("ignore")
        return {r: CodebaseIndex.from_path(write_repo(r, root / r)) for r in ("cursus", "nlp")}


def test_stub_repositories_index_the_cursus_steps(stub_indexes: dict[str, CodebaseIndex]) -> None:
    index = stub_indexes["cursus"]
    for step in (s for s in real_steps() if s.repo == "cursus"):
        found = index.find_step(step.name)
        assert found is not None and found.specs, step.name


@pytest.mark.parametrize("repo", ["cursus", "nlp"])  # nlp's is the default layout
def test_real_layout_is_detected(repo: str, stub_indexes: dict[str, CodebaseIndex]) -> None:
    dirs, layout = REAL_LAYOUTS[repo], stub_indexes[repo].layout
    assert Path(layout.contract_file("x")).parent.as_posix() == dirs["contracts"]
    assert Path(layout.spec_file("x")).parent.as_posix() == dirs["specs"]
    assert Path(layout.config_file("x")).parent.as_posix() == dirs["configs"]
    assert Path(layout.builder_file("x")).parent.as_posix() == dirs["builders"]
    assert layout.registry_file == dirs["registry"]


@pytest.mark.parametrize(("step_id", "phrasing"), _cases(CODEBASE_CAUSES, ["object", "rendered"]))
def test_real_step_with_its_repository_has_no_false_alarm(
    step_id: str, phrasing: str, stub_indexes: dict[str, CodebaseIndex]
) -> None:
    step = step_by_id(step_id)
    data = plan_data(step, real_paths=True, registry_type=step.repo == "cursus")
    index = stub_indexes[step.repo].without(step.name)
    if phrasing == "object":
        issues = check_data(data, codebase=index)
    else:
        issues = check_text(PHRASINGS[phrasing](data), codebase=index)
    assert false_alarms(step_id, issues) == []


# --------------------------------------------------------------------------- (b) recall


@pytest.fixture(scope="module")
def trials(stub_indexes: dict[str, CodebaseIndex]) -> dict[str, list[tuple[RealStep, Any]]]:
    """Mistake label -> (step, trial) for every real step the mistake applies to."""
    found: dict[str, list[tuple[RealStep, Any]]] = {}
    for step in real_steps():
        for label, trial in mistakes(step, stub_indexes[step.repo].without(step.name)):
            found.setdefault(label, []).append((step, trial))
    return found


LABELS = [
    "1 processing_input",
    *[f"{n} {label}" for n, label, *_ in MISTAKES],
    "11 data flows without variants",
    "#10 upstream output the producer lacks",
    "#10 upstream of an incompatible type",
    "#10 near-miss spelling in compatible_sources",
    "#10 argument key written with dashes",
]


@pytest.mark.parametrize("label", LABELS)
def test_catalogued_mistake_is_detected_in_every_real_step(
    label: str,
    trials: dict[str, list[tuple[RealStep, Any]]],
    stub_indexes: dict[str, CodebaseIndex],
) -> None:
    """The mistake (catalogue of tests/test_rules.py, or issue #10), injected into each real step
    it applies to, raises an issue of its code that the clean plan does not have. No miss is
    left (the last, SPEC001 on BedrockProcessing, was fixed in session 6); a new one fails here."""
    cases = trials[label]
    missed = [s.id for s, t in cases if not detected(s, t, stub_indexes[s.repo].without(s.name))]
    assert missed == []
    assert cases, "the mistake applies to no step"
