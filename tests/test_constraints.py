"""Constrained decoding: name patterns and enums in the strict and bounded draft schemas, the
registry's step names with a codebase, and the regex/keyword subset llama.cpp's converters support."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import conventions, plan_step
from planner_agent.llm._constraints import (
    CONSTRAINED_FIELDS,
    KEBAB_CASE,
    PASCAL_CASE,
    PYTHON_TYPES,
    SNAKE_CASE,
    STEP_REFERENCE,
    UPPER_SNAKE,
    grammar_problems,
    pattern_problems,
    with_step_names,
)
from planner_agent.schemas import schema_documents, schema_for
from planner_agent.testing import Reply, ScriptedServer

FIXTURE_CODEBASE = Path(__file__).parent / "fixtures" / "codebase"


def _field(schema: dict[str, Any], definition: str, prop: str) -> dict[str, Any]:
    owner = schema if schema.get("title") == definition else schema["$defs"][definition]
    node: dict[str, Any] = owner["properties"][prop]
    return node


def _leaves(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The string schemas of a property: itself, its anyOf branches or its items'."""
    if node.get("type") == "array":
        return _leaves(node["items"])
    if "anyOf" in node:
        return [leaf for b in node["anyOf"] for leaf in _leaves(b)]
    return [node] if node.get("type") == "string" else []


@pytest.mark.parametrize("dialect", ["strict", "bounded"])
def test_every_name_field_is_constrained(dialect: str) -> None:
    # Each constrained field belongs to the draft's schema or to the decisions' (the small reply).
    schemas = [schema_for("draft", dialect), schema_for("decisions", dialect)]
    for definition, prop in CONSTRAINED_FIELDS:
        (schema,) = [s for s in schemas if definition in (s["title"], *s.get("$defs", {}))]
        leaves = _leaves(_field(schema, definition, prop))
        assert leaves, f"{definition}.{prop} has no string schema: the reply model changed"
        for leaf in leaves:
            assert "pattern" in leaf or "enum" in leaf, f"{definition}.{prop} unconstrained"
            assert "maxLength" not in leaf  # the pattern bounds it; llama.cpp ignores maxLength


def test_enums_for_step_dependency_job_and_python_types() -> None:
    schema = schema_for("draft", "bounded")
    defs = schema["$defs"]
    assert "Processing" in defs["SageMakerStepType"]["enum"]
    assert "processing_output" in defs["DependencyType"]["enum"]
    assert {"training", "calibration"} <= set(defs["JobType"]["enum"])
    assert _field(schema, "DraftEnvVar", "type")["enum"] == list(PYTHON_TYPES)
    assert _field(schema, "DraftParameter", "type")["enum"] == list(PYTHON_TYPES)


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (
            SNAKE_CASE,
            ["processed_data", "model_input", "x1"],
            ["ProcessedData", "1data", "a-b", ""],
        ),
        (UPPER_SNAKE, ["LABEL_FIELD", "ID_FIELD2"], ["label_field", "Label", "_X"]),
        (KEBAB_CASE, ["job-type", "mode"], ["job_type", "JobType"]),
        (
            PASCAL_CASE,
            ["XGBoostTraining", "Package"],
            ["xgboost_training", "any preprocessing step", "A", "TabularPreprocessing_Training"],
        ),
        (
            STEP_REFERENCE,
            ["XGBoostTraining", "TabularPreprocessing_Training", "Package"],
            ["xgboost_training", "any preprocessing step", "A", "Tabular_preprocessing"],
        ),
    ],
)
def test_patterns_accept_names_and_reject_others(
    pattern: str, good: list[str], bad: list[str]
) -> None:
    assert not pattern_problems(pattern)
    assert all(re.fullmatch(pattern, name) for name in good)
    assert not any(re.fullmatch(pattern, name) for name in bad)
    assert not any(re.fullmatch(pattern, "a" * 70 + name) for name in good)  # bounded length


@pytest.mark.parametrize(
    ("pattern", "convention"),
    [
        (SNAKE_CASE, conventions.SNAKE_CASE),
        (UPPER_SNAKE, conventions.UPPER_SNAKE_CASE),
        (KEBAB_CASE, conventions.KEBAB_CASE),
        (PASCAL_CASE, conventions.PASCAL_CASE),
    ],
)
def test_the_grammar_writes_only_names_the_naming_checks_accept(
    pattern: str, convention: re.Pattern[str]
) -> None:
    rng = random.Random(7)
    names = ["label_", "a__b", "A_", "LABEL__FIELD", "job--type", "mode-", "Step_Training"]
    names += ["".join(rng.choices("aZ0_-", k=rng.randint(1, 8))) for _ in range(3000)]
    allowed = [n for n in names if re.fullmatch(pattern, n)]
    assert allowed  # the sample reaches the pattern's names
    assert [n for n in allowed if not convention.match(n)] == []


def test_published_schemas_use_only_what_llama_cpp_grammars_enforce() -> None:
    for name, schema in schema_documents().items():
        assert grammar_problems(schema) == [], name


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("[a-z]+", "must start with ^"),
        ("^(?=x)[a-z]$", "'(?'"),
        (r"^\d+$", "an escape"),
        ("^[a-z]($", "unclosed"),
        ("^a)$", "unbalanced"),
        ("^[a-z]^$", "unsupported character or anchor"),
    ],
)
def test_pattern_check_names_what_llama_cpp_cannot_convert(pattern: str, problem: str) -> None:
    assert any(problem in p for p in pattern_problems(pattern))


def test_grammar_check_finds_unsupported_keywords() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}},
        "anyOf": [{"type": "object"}],
    }
    problems = grammar_problems(schema)
    assert any("uniqueItems" in p and "/properties/a" in p for p in problems)
    assert any("properties mixed with anyOf" in p for p in problems)


@pytest.mark.parametrize("dialect", ["strict", "bounded"])
def test_a_good_draft_is_valid_and_bad_names_are_not(dialect: str) -> None:
    schema = schema_for("draft", dialect)
    jsonschema.validate(calibration_draft_dict(), schema)  # no false alarm on a good draft
    bad = calibration_draft_dict()
    bad["outputs"][0]["logical_name"] = "CalibratedModel"
    with pytest.raises(jsonschema.ValidationError, match="does not match"):
        jsonschema.validate(bad, schema)


def test_step_names_allow_registry_names_and_new_steps() -> None:
    schema = with_step_names(schema_for("draft", "bounded"), ["XGBoostTraining", "Package", "a b"])
    source = _field(schema, "DraftInput", "source_step")
    enums = [leaf["enum"] for leaf in _leaves(source) if "enum" in leaf]
    assert enums == [["Package", "XGBoostTraining"]]  # identifiers only, sorted, first branch
    draft = calibration_draft_dict()
    for step in ("XGBoostTraining", "NewUpstreamStep", None):  # a new step of the same batch too
        draft["inputs"][0]["source_step"] = step
        jsonschema.validate(draft, schema)
    draft["inputs"][0]["source_step"] = "xgboost training step"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(draft, schema)
    assert grammar_problems(schema) == []


def test_too_many_registry_names_fall_back_to_the_pattern() -> None:
    names = [f"Step{i}" for i in range(500)]
    schema = with_step_names(schema_for("draft", "strict"), names)
    assert schema == schema_for("draft", "strict")


def test_a_planner_with_a_codebase_sends_its_registry_names() -> None:
    with ScriptedServer([Reply.json(calibration_draft_dict())]) as server:
        plan_step(
            CALIBRATION_REQUIREMENTS,
            client=server.client(),
            model="gpt-4o-mini",
            codebase=FIXTURE_CODEBASE,
        )
        body = server.requests[0].body
    assert body is not None
    schema = body["response_format"]["json_schema"]["schema"]
    consumer = _field(schema, "DraftConsumer", "step")
    enums = [leaf["enum"] for leaf in _leaves(consumer) if "enum" in leaf]
    assert enums and "XGBoostTraining" in enums[0]
    assert _field(schema, "DraftEnvVar", "name")["pattern"] == UPPER_SNAKE
