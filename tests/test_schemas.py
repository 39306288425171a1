"""The published JSON Schemas match the models, and the strict/bounded dialects are right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from samples import DEPENDENCY_TYPES

from planner_agent.schemas import render_schema, schema_documents

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def test_schema_files_match_models() -> None:
    for name, schema in schema_documents().items():
        path = SCHEMAS / name
        assert path.exists(), f"{name} missing: run `planner-agent schema --write schemas`"
        assert path.read_text(encoding="utf-8") == render_schema(schema), (
            f"schemas/{name} drifted from the models: run `planner-agent schema --write schemas`"
        )


def _walk(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for key, value in node.items():
            if key in ("properties", "$defs"):  # name -> schema maps, not schemas
                for sub in value.values():
                    found += _walk(sub)
            else:
                found += _walk(value)
    elif isinstance(node, list):
        for item in node:
            found += _walk(item)
    return found


def test_strict_schema_is_in_the_openai_subset() -> None:
    strict = schema_documents()["plan_draft.strict.schema.json"]
    for node in _walk(strict):
        assert not {"default", "maxLength", "maxItems", "minItems", "pattern"} & node.keys()
        if "$ref" in node:
            assert set(node) == {"$ref"}
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert set(node["required"]) == set(node["properties"])
    # optional-in-the-model fields become nullable, not optional
    source_step = strict["$defs"]["DraftInput"]["properties"]["source_step"]
    assert {"type": "null"} in source_step["anyOf"]


def test_bounded_schema_bounds_every_list_and_free_string() -> None:
    bounded = schema_documents()["plan_draft.bounded.schema.json"]
    nodes = _walk(bounded)
    arrays = [n for n in nodes if n.get("type") == "array"]
    strings = [n for n in nodes if n.get("type") == "string" and "enum" not in n]
    assert arrays and all("maxItems" in n for n in arrays)
    assert strings and all("maxLength" in n for n in strings)
    keywords = bounded["$defs"]["DraftInput"]["properties"]["semantic_keywords"]
    assert keywords["maxItems"] == 12


def test_enums_are_exact() -> None:
    plan = schema_documents()["implementation_plan.schema.json"]
    dep = plan["$defs"]["DependencyType"]["enum"]
    assert sorted(dep) == sorted(DEPENDENCY_TYPES)
    enums = [n["enum"] for n in _walk(plan) if "enum" in n]
    assert enums and not any("processing_input" in e for e in enums)
