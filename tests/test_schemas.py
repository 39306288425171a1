"""The published JSON Schemas match the models, the strict/bounded dialects are right, and
``planner-agent schema`` prints each kind in each dialect."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from samples import DEPENDENCY_TYPES

from planner_agent.cli import build_parser, main
from planner_agent.schemas import render_schema, schema_documents, schema_for

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
        assert not {"default", "maxLength", "maxItems", "minItems"} & node.keys()
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
    # A pattern bounds its own length (counted repeats); every other string has maxLength.
    assert strings and all("maxLength" in n or "pattern" in n for n in strings)
    patterns = [n["pattern"] for n in strings if "pattern" in n]
    assert patterns and not [p for p in patterns if "*" in p or "+" in p]  # no unbounded repeat
    keywords = bounded["$defs"]["DraftInput"]["properties"]["semantic_keywords"]
    assert keywords["maxItems"] == 12


def test_enums_are_exact() -> None:
    plan = schema_documents()["implementation_plan.schema.json"]
    dep = plan["$defs"]["DependencyType"]["enum"]
    assert sorted(dep) == sorted(DEPENDENCY_TYPES)
    enums = [n["enum"] for n in _walk(plan) if "enum" in n]
    assert enums and not any("processing_input" in e for e in enums)


def _printed(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["schema", *argv]) == 0
    schema: dict[str, Any] = json.loads(capsys.readouterr().out)
    return schema


@pytest.mark.parametrize("kind", ["draft", "plan"])
def test_schema_command_prints_each_profile_of_each_kind(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pydantic, strict, bounded = (
        _printed(capsys, "--kind", kind, "--profile", p) for p in ("pydantic", "strict", "bounded")
    )
    assert pydantic != strict != bounded != pydantic
    assert pydantic == _printed(capsys, "--kind", kind)  # pydantic is the default
    for node in _walk(strict):
        assert not {"default", "maxLength", "maxItems", "minItems"} & node.keys()
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert set(node["required"]) == set(node["properties"])
    objects = [n for n in _walk(pydantic) if n.get("type") == "object"]
    assert any(set(n.get("required", [])) != set(n["properties"]) for n in objects)  # as made
    arrays = [n for n in _walk(bounded) if n.get("type") == "array"]
    assert arrays and all("maxItems" in n for n in arrays)
    assert not any("maxItems" in n for n in _walk(strict))
    assert strict == schema_for(kind, "strict")  # type: ignore[arg-type]


def test_printed_draft_schemas_are_the_published_files(capsys: pytest.CaptureFixture[str]) -> None:
    for profile, name in (
        ("pydantic", "plan_draft.schema.json"),
        ("strict", "plan_draft.strict.schema.json"),
        ("bounded", "plan_draft.bounded.schema.json"),
    ):
        assert main(["schema", "--profile", profile]) == 0
        assert capsys.readouterr().out == (SCHEMAS / name).read_text(encoding="utf-8")
    assert main(["schema", "--kind", "plan"]) == 0
    published = (SCHEMAS / "implementation_plan.schema.json").read_text(encoding="utf-8")
    assert capsys.readouterr().out == published


def test_write_refuses_to_ignore_kind_and_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "--write", str(tmp_path / "s"), "--profile", "strict"]) == 64
    assert "--profile choose one schema to print" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()
    assert main(["schema", "--write", str(tmp_path / "s")]) == 0
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == sorted(schema_documents())


def test_every_option_has_help() -> None:
    parser = build_parser()
    subparsers = next(
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    ).choices
    for name, command in [("", parser), *subparsers.items()]:
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, f"planner-agent {name} {'/'.join(action.option_strings)}: no help"
