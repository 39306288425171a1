"""The code rules: rendered blocks compile, config field types and defaults are Python."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from samples import CALIBRATION_REQUIREMENTS, calibration_draft, calibration_draft_dict

from planner_agent import REPAIR_CODES, ImplementationPlan, Planner, PlanResult, render_markdown
from planner_agent.checks import check_plan
from planner_agent.plan import ConfigParameter
from planner_agent.testing import Reply, ScriptedServer, ScriptedTransport

MODEL = "gpt-4o-mini"


def _param(**fields: Any) -> Callable[[ImplementationPlan], None]:
    def mutate(plan: ImplementationPlan) -> None:
        plan.components.configuration.step_parameters.append(ConfigParameter(**fields))

    return mutate


#: Cases for tests/test_rules.py (code, fixture plan, mutation, check_plan arguments).
CODE_CASES: list[tuple[str, str, Callable[[ImplementationPlan], None], dict[str, Any]]] = [
    ("CODE001", "Package", _param(name="x", type="int", default="(yield)"), {}),
    ("CODE002", "Package", _param(name="x", type="String", default="'a'"), {}),
    ("CODE003", "Package", _param(name="x", type="str", default="ID"), {}),
    (
        "TEXT001",
        "Package",
        lambda p: setattr(p.components.processing_script, "algorithm", "40%"),
        {},
    ),
    (
        "TEXT002",
        "Package",
        lambda p: p.components.step_builder.special_handling.append(
            "read contract variable `NAME` from config field `name`"
        ),
        {},
    ),
]


def _plan(draft: dict[str, Any], **keywords: Any) -> PlanResult:
    double = ScriptedTransport([Reply.json(draft)])
    planner = Planner(client=double.client(), model=MODEL, max_attempts=1, **keywords)
    return planner.plan(CALIBRATION_REQUIREMENTS)


def _with_params(*params: dict[str, Any]) -> dict[str, Any]:
    draft = calibration_draft_dict()
    draft["config_parameters"] = list(params)
    return draft


def test_a_block_that_does_not_compile_is_named_with_its_line() -> None:
    draft = _with_params({"name": "batch", "type": "int", "default": "(yield)"})
    with ScriptedServer([Reply.json(draft), Reply.json(calibration_draft_dict())]) as server:
        result = Planner(client=server.client(), model=MODEL, max_attempts=2).plan(
            CALIBRATION_REQUIREMENTS
        )
        reask = server.requests[1].messages[-1]["content"]
    first = result.attempts[0].issues
    found = [i for i in first if i.code == "CODE001"]
    assert len(found) == 1
    assert found[0].path == "components.configuration"
    message = found[0].message
    assert "configuration class block does not compile" in message
    assert "'yield' outside function" in message and "batch: int = (yield)" in message
    assert "[CODE001]" in reask and result.ok


def test_types_that_are_not_python_are_errors_without_repair() -> None:
    draft = _with_params(
        {"name": "id_field", "type": "String", "default": "'ID'"},
        {"name": "words", "type": "list of words", "default": None},
        {"name": "ok_field", "type": "Optional[List[str]]", "default": "None"},
    )
    result = _plan(draft, disable_rules=REPAIR_CODES)
    errors = {(i.code, i.path) for i in result.errors}
    at = "components.configuration.step_parameters"
    assert errors == {("CODE002", f"{at}[2].type"), ("CODE002", f"{at}[3].type")}


def test_defaults_must_be_literals_of_their_type() -> None:
    draft = _with_params(
        {"name": "id_field", "type": "str", "default": "ID"},
        {"name": "rows", "type": "int", "default": "'many'"},
        {"name": "flag", "type": "bool", "default": "1"},
        {"name": "ratio", "type": "float", "default": "1"},
        {"name": "tags", "type": "list[str]", "default": "[]"},
        {"name": "maybe", "type": "int | None", "default": "None"},
        {"name": "anything", "type": "Any", "default": "{'a': 1}"},
    )
    result = _plan(draft, disable_rules=REPAIR_CODES)
    at = "components.configuration.step_parameters"
    found = {i.path: i.message for i in result.errors if i.code == "CODE003"}
    assert set(found) == {f"{at}[2].default", f"{at}[3].default", f"{at}[4].default"}
    assert "quote it: 'ID'" in found[f"{at}[2].default"]
    # with the repair pass, the mechanical one is fixed and the others stay errors
    repaired = _plan(draft)
    left = {i.path for i in repaired.errors if i.code == "CODE003"}
    assert left == {f"{at}[3].default", f"{at}[4].default"}


def test_correct_plans_and_imported_code_pass_the_code_rules() -> None:
    from fixture_plans import FIXTURE_DRAFTS, fixture_plan

    for name in FIXTURE_DRAFTS:
        issues = check_plan(fixture_plan(name))
        assert not [i for i in issues if i.code.startswith("CODE")], name
    # a factory default and typing names, as real config classes write them
    plan = fixture_plan("Package").model_copy(deep=True)
    _param(name="extra", type="Dict[str, Any]", default="dict()")(plan)
    _param(name="since", type="datetime_like", default=None)(plan)
    codes = {(i.code, i.path.rsplit(".", 1)[-1]) for i in check_plan(plan)}
    assert codes & {("CODE001", "configuration"), ("CODE003", "default")} == set()
    assert ("CODE002", "type") in codes  # a name the rendered class cannot import


def test_prose_that_says_nothing_is_reported() -> None:
    draft = calibration_draft_dict()
    draft["algorithm"] = "40%"
    draft["builder_special_handling"] = ["Use <StepName>StepBuilder for the builder"]
    result = _plan(draft)
    assert [(i.code, i.path) for i in result.errors] == [
        ("TEXT001", "components.processing_script.algorithm")
    ]
    assert [i.code for i in result.warnings] == ["TEXT002"]
    draft["algorithm"] = "Fit isotonic regression on 40% of the rows"
    draft["builder_special_handling"] = ["Map <= 3 labels; pass --job-type <job_type>"]
    assert _plan(draft).issues == []
    transform = calibration_draft_dict()
    transform.update(sagemaker_step_type="Transform", algorithm="-", env_vars=[])
    assert "TEXT001" not in {i.code for i in _plan(transform).issues}


def test_a_plan_changed_after_its_check_is_rendered_and_checked_anew() -> None:
    # The checks and the markdown share one rendering per plan; a plan is mutable, so an edit
    # after the check must show in the markdown and in the next check.
    plan = calibration_draft().to_plan()
    assert not [i for i in check_plan(plan) if i.code == "CODE001"]
    before = render_markdown(plan)
    plan.components.processing_script.algorithm = "Bin the scores into 20 buckets"
    _param(name="batch", type="int", default="(yield)")(plan)
    after = render_markdown(plan)
    assert "Bin the scores into 20 buckets" in after and "Bin the scores" not in before
    assert "batch: int = (yield)" in after
    found = [i.path for i in check_plan(plan) if i.code == "CODE001"]
    assert found == ["components.configuration"]
