"""The importer reads the entries of real steps the way people write them: a dependency or output
as ``- Logical name: `x``` with its facts as sub-bullets, the specification and the config as
tables (a ``Dependency``/``Output`` column names the entry; ``(required)`` means no default), and
config fields the class declares itself stay step parameters; a registry entry may be a
``Field | Value`` table."""

from __future__ import annotations

from typing import Any

import pytest
from corpus import plan_data, step_by_id
from corpus_phrasings import PHRASINGS

from planner_agent.checks import check_plan
from planner_agent.seedformat import parse_markdown

STEPS = ["cursus:XGBoostModelEval", "cursus:TabularPreprocessing", "nlp:PyTorchTraining"]


def _entries(spec: Any, key: str) -> list[tuple[str, str]]:
    type_key = "dependency_type" if key == "dependencies" else "output_type"
    if isinstance(spec, dict):
        return [(e["logical_name"], e[type_key]) for e in spec[key]]
    return [(e.logical_name, getattr(e, type_key).value) for e in getattr(spec, key)]


@pytest.mark.parametrize("phrasing", ["labelled", "tables"])
@pytest.mark.parametrize("step_id", STEPS)
def test_dependencies_and_outputs_are_read(step_id: str, phrasing: str) -> None:
    data = plan_data(step_by_id(step_id))
    parsed = parse_markdown(PHRASINGS[phrasing](data))
    spec, stated = parsed.plan.components.step_specification, data["components"]
    for key in ("dependencies", "outputs"):
        assert _entries(spec, key) == _entries(stated["step_specification"], key)
    names = [n for key in ("dependencies", "outputs") for n, _ in _entries(spec, key)]
    unread = [i.message for i in parsed.issues if i.code == "IMPORT003"]
    assert not [m for m in unread if any(f"`{n}`" in m for n in names)]


@pytest.mark.parametrize("step_id", STEPS[:2])  # steps with required config fields
def test_a_required_cell_is_no_default(step_id: str) -> None:
    data = plan_data(step_by_id(step_id))
    plan = parse_markdown(PHRASINGS["tables"](data)).plan
    params = data["components"]["configuration"]["step_parameters"]
    required = [p["name"] for p in params if p["default"] is None]
    read = {p.name: p.default for p in plan.components.configuration.step_parameters}
    assert required and all(read[name] is None for name in required)
    assert not [i for i in check_plan(plan) if i.code == "CODE003"]


def test_fields_the_class_declares_stay_step_parameters() -> None:
    data = plan_data(step_by_id("cursus:DataUploading"))
    plan = parse_markdown(PHRASINGS["code"](data)).plan
    config = plan.components.configuration
    assert config.base_class == "BasePipelineConfig"
    step = [p.name for p in config.step_parameters]
    assert {"instance_type", "instance_count", "volume_size_in_gb"} <= set(step)
    assert config.sagemaker_parameters == []  # none of them is a BasePipelineConfig field
    assert not [i for i in check_plan(plan) if i.is_error]


@pytest.mark.parametrize("step_id", STEPS)
def test_a_registry_table_is_read(step_id: str) -> None:
    data = plan_data(step_by_id(step_id))
    parsed = parse_markdown(PHRASINGS["tables"](data))
    entry = parsed.plan.registry_entry.model_dump(mode="json", exclude={"description"})
    stated = {k: v for k, v in data["registry_entry"].items() if k != "description"}
    assert entry == stated
    assert not [i for i in parsed.issues if i.path.startswith("registry_entry")]
