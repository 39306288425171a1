"""Plans in the shapes real LLMs write (our own text): true defects found, nothing else raised.

``tests/fixtures/llm_style_plans/expected.json`` lists, per plan, the mistakes its text really makes.
Every other error-level issue is a false alarm. Cases today's code gets wrong are strict xfails with
their cause, so they fail (and must be unmarked) when a fix lands. The labels of the real plans
these shapes come from are in ``tests/fixtures/llm_plans_labels.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from corpus import check_text

from planner_agent.plan import PlanIssue
from planner_agent.seedformat import parse_markdown

FOLDER = Path(__file__).parent / "fixtures" / "llm_style_plans"
EXPECTED: dict[str, Any] = json.loads((FOLDER / "expected.json").read_text(encoding="utf-8"))
LABELS = Path(__file__).parent / "fixtures" / "llm_plans_labels.json"

# Why today's code misreads each plan (importer, severity policy); one strict xfail per plan.
FALSE_ALARM_CAUSES: dict[str, str] = {}
# True defects today's code misses.
MISSED: dict[tuple[str, str], str] = {}


def _issues(name: str) -> list[PlanIssue]:
    return check_text((FOLDER / name).read_text(encoding="utf-8"))


def _matches(issue: PlanIssue, defect: dict[str, str]) -> bool:
    return (
        issue.code in defect["code"].split("|")
        and defect["path"] in issue.path
        and defect["message"] in issue.message
    )


def _defect_cases() -> list[Any]:  # one case per required defect
    cases = []
    for name, plan in EXPECTED["plans"].items():
        for defect in (d for d in plan["true_defects"] if d.get("required", True)):
            cause = MISSED.get((name, defect["code"]))
            marks = [pytest.mark.xfail(strict=True, reason=cause)] if cause else []
            cases.append(pytest.param(name, defect, marks=marks, id=f"{name}-{defect['code']}"))
    return cases


@pytest.mark.parametrize(("name", "defect"), _defect_cases())
def test_true_defect_is_found(name: str, defect: dict[str, str]) -> None:
    """Reported at any severity (the benchmark tells errors from warnings)."""
    assert any(_matches(i, defect) for i in _issues(name))


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=[pytest.mark.xfail(strict=True, reason=FALSE_ALARM_CAUSES[n])])
        if n in FALSE_ALARM_CAUSES
        else n
        for n in EXPECTED["plans"]
    ],
)
def test_no_false_alarm(name: str) -> None:
    defects = EXPECTED["plans"][name]["true_defects"]
    issues = _issues(name)
    false = [str(i) for i in issues if i.is_error and not any(_matches(i, d) for d in defects)]
    assert false == []


def test_every_fixture_plan_has_expectations() -> None:
    assert {p.name for p in FOLDER.glob("*.md")} == set(EXPECTED["plans"])


def test_real_plan_labels_are_facts_only() -> None:
    """The labels of real LLM plans: ids, codes, paths and verdicts; no copied text."""
    data = json.loads(LABELS.read_text(encoding="utf-8"))
    assert len(data["plans"]) >= 10
    verdicts = {issue[2] for plan in data["plans"] for issue in plan["issues"]}
    assert verdicts == {"true_defect", "false_alarm"}
    for plan in data["plans"]:
        assert plan["repo"].startswith("TianpeiLuke/") and len(plan["commit"]) == 40
        assert all(0 <= issue[3] < len(data["reasons"]) for issue in plan["issues"])


def test_a_phased_plan_is_read_as_its_step_not_its_extensions_and_examples() -> None:
    """The shape of a real LightGBM plan: a suffixed title, phases, an ``Optimized...`` subclass
    of the builder, a test class and an example pipeline file in the code blocks."""
    parsed = parse_markdown((FOLDER / "gbm_training_phased.md").read_text(encoding="utf-8"))
    plan = parsed.plan
    assert plan.step_name == "GBMTraining"
    assert plan.components.step_builder.class_name == "GBMTrainingStepBuilder"
    assert plan.components.configuration.base_class == "BasePipelineConfig"
    assert plan.components.processing_script.file_path == "src/cursus/steps/scripts/gbm_training.py"
    assert [(u.step, u.output, u.dependency) for u in plan.integration.upstream_steps] == [
        ("TabularPreprocessing", "processed_data", "input_path")
    ]
    assert not any(i.code == "IMPORT006" and "base_class" in i.path for i in parsed.issues)
