"""The markdown importer reads plans the way LLMs and people write them, and says what it filled in.

Each test is one misreading seen on real LLM-written plans (issue #10), written here in its own
phrasing: label words and quotes kept in values, inline lists, "None required", prose read as an
enum value, the step name taken from a versioned title, the wrong code block picked, registry
entries as dict fragments, files as headings, wiring stated in prose or tables, and facts
filled in silently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_plans import CODEBASE, fixture_plan

from planner_agent.checks import CodebaseIndex, check_plan
from planner_agent.cli import main
from planner_agent.errors import PlanImportError
from planner_agent.plan import DependencyType, JobType, SageMakerStepType
from planner_agent.seedformat import ParsedMarkdown, load_plan, parse_markdown, render_markdown

SECTIONS = {
    "overview": "## 1. Step Overview\n- **Purpose**: Calibrate model scores.\n",
    "contract": (
        "### Script Contract\n"
        "- **Input paths**:\n"
        "  - evaluation_data: `/opt/ml/processing/input/eval_data`\n"
        "- **Output paths**:\n"
        "  - calibrated_data: `/opt/ml/processing/output/calibrated`\n"
        "- **Required environment variables**: LABEL_FIELD\n"
    ),
    "spec": (
        "### Step Specification\n"
        "- **Dependencies**:\n"
        "  - evaluation_data (processing_output, required)\n"
        "- **Outputs**:\n"
        "  - calibrated_data (processing_output)\n"
    ),
    "config": "### Configuration\n- **Parameters**:\n  - label_field: str = 'label'\n",
    "builder": "### Step Builder\n- **Class**: `ModelCalibrationStepBuilder`\n",
    "script": "### Processing Script\n- **Main functions**: main\n",
    "files": "## 3. Files to Update\n- `src/pipeline_registry/step_names.py`\n",
    "integration": "## 4. Integration Strategy\n- **Upstream steps**: XGBoostModelEval\n",
    "details": "",
}


def plan_text(title: str = "# Implementation Plan for ModelCalibration", **parts: str) -> str:
    """A small plan in the seed's sections, with some parts replaced."""
    chosen = {**SECTIONS, **parts}
    components = "".join(chosen[k] for k in ("contract", "spec", "config", "builder", "script"))
    return (
        f"{title}\n\n{chosen['overview']}\n## 2. Components to Create\n\n{components}\n"
        f"{chosen['files']}\n{chosen['integration']}\n"
        + (f"## 8. Implementation Details\n\n{chosen['details']}" if chosen["details"] else "")
    )


def _codes(parsed: ParsedMarkdown) -> list[str]:
    return [i.code for i in parsed.issues]


def _errors(parsed: ParsedMarkdown) -> list[str]:
    found = [*parsed.issues, *check_plan(parsed.plan)]
    return sorted({i.code for i in found if i.is_error})


# --------------------------------------------------------------------------- values


def test_label_words_and_quotes_are_not_part_of_a_property_path() -> None:
    spec = (
        "### Step Specification\n"
        "- **Dependencies**:\n"
        "  - evaluation_data (processing_output, required)\n"
        "- **Outputs**:\n"
        "  - calibrated_data: type processing_output, property path "
        "properties.ProcessingOutputConfig.Outputs['calibrated_data'].S3Output.S3Uri\n"
    )
    parsed = parse_markdown(plan_text(spec=spec))
    out = parsed.plan.components.step_specification.outputs[0]
    assert out.output_type is DependencyType.PROCESSING_OUTPUT
    assert out.property_path == (
        "properties.ProcessingOutputConfig.Outputs['calibrated_data'].S3Output.S3Uri"
    )
    assert "PROP001" not in _errors(parsed)


def test_quoted_values_in_sub_bullets_lose_their_quotes() -> None:
    spec = (
        "### Step Specification\n"
        "- **Dependencies**:\n"
        "  - evaluation_data\n"
        '    - Type: "processing_output"\n'
        '    - Data type: "S3Uri"\n'
        "- **Outputs**:\n"
        "  - calibrated_data\n"
        "    - Type: `processing_output`\n"
        "    - Property path: \"properties.ProcessingOutputConfig.Outputs['calibrated_data']"
        '.S3Output.S3Uri"\n'
    )
    parsed = parse_markdown(plan_text(spec=spec))
    spec_plan = parsed.plan.components.step_specification
    assert spec_plan.dependencies[0].data_type.value == "S3Uri"
    assert spec_plan.outputs[0].property_path.startswith("properties.ProcessingOutputConfig")
    assert spec_plan.outputs[0].property_path.endswith("S3Uri")
    assert "ENUM001" not in _codes(parsed) and "PROP001" not in _errors(parsed)


def test_inline_json_and_python_lists_are_lists() -> None:
    spec = (
        "### Step Specification\n"
        "- **Dependencies**:\n"
        "  - evaluation_data\n"
        "    - Type: processing_output\n"
        '    - Compatible sources: ["XGBoostModelEval", "PyTorchModelEval"]\n'
        "    - Semantic keywords: ['evaluation', 'predictions']\n"
        "- **Outputs**:\n"
        "  - calibrated_data\n"
        "    - Type: processing_output\n"
        '    - Aliases: ["calibration_output", "calibrated_scores"]\n'
    )
    parsed = parse_markdown(plan_text(spec=spec))
    spec_plan = parsed.plan.components.step_specification
    assert spec_plan.dependencies[0].compatible_sources == ["XGBoostModelEval", "PyTorchModelEval"]
    assert spec_plan.dependencies[0].semantic_keywords == ["evaluation", "predictions"]
    assert spec_plan.outputs[0].aliases == ["calibration_output", "calibrated_scores"]
    errors = _errors(parsed)
    assert "NAME004" not in errors and "REG011" not in [i.code for i in check_plan(parsed.plan)]


def test_a_qualified_enum_member_in_prose_is_the_stated_type() -> None:
    spec = (
        "### Step Specification\n"
        "- **Dependencies**:\n"
        "  - `evaluation_data`: the scored data (DependencyType.PROCESSING_INPUT)\n"
        "- **Outputs**:\n"
        "  - `calibrated_data`: the calibrated scores (DependencyType.PROCESSING_OUTPUT)\n"
    )
    parsed = parse_markdown(plan_text(spec=spec))
    spec_plan = parsed.plan.components.step_specification
    (enum,) = [i for i in parsed.issues if i.code == "ENUM001"]
    assert (
        enum.path.endswith("dependencies[0].dependency_type") and "PROCESSING_INPUT" in enum.message
    )
    assert spec_plan.dependencies[0].description == "the scored data"
    assert spec_plan.outputs[0].output_type is DependencyType.PROCESSING_OUTPUT
    assert spec_plan.outputs[0].description == "the calibrated scores"


def test_none_required_is_no_environment_variable() -> None:
    for phrase in ("None required", "None (the script reads no settings)", "Not needed", "N/A"):
        contract = SECTIONS["contract"].replace(
            "- **Required environment variables**: LABEL_FIELD",
            f"- **Environment variables**: {phrase}",
        )
        plan = parse_markdown(plan_text(contract=contract)).plan
        assert plan.components.script_contract.required_env_vars == [], phrase
        assert plan.components.script_contract.optional_env_vars == {}, phrase


def test_prose_is_never_a_job_type_variant() -> None:
    spec = SECTIONS["spec"] + (
        "- **Job type variants**: No variants needed because the step runs once per pipeline\n"
    )
    parsed = parse_markdown(plan_text(spec=spec))
    assert parsed.plan.components.step_specification.job_type_variants == []
    assert "ENUM001" not in _codes(parsed)
    spec = SECTIONS["spec"] + "- **Job type variants**: training and calibration\n"
    variants = parse_markdown(plan_text(spec=spec)).plan.components.step_specification
    assert variants.job_type_variants == [JobType.TRAINING, JobType.CALIBRATION]
    spec = SECTIONS["spec"] + "- **Job type variants**: one per data split, decided later\n"
    parsed = parse_markdown(plan_text(spec=spec))
    assert parsed.plan.components.step_specification.job_type_variants == []
    assert "one per data split" in " ".join(parsed.unread)


def test_a_spec_constant_named_after_a_training_step_is_not_a_variant() -> None:
    details = (
        "```python\n"
        "DUMMY_TRAINING_SPEC = StepSpecification(\n"
        '    step_type=get_spec_step_type("DummyTraining"),\n'
        "    node_type=NodeType.INTERNAL,\n"
        "    dependencies=[],\n"
        "    outputs=[],\n"
        ")\n"
        "```\n"
    )
    spec = SECTIONS["spec"]
    plan = parse_markdown(
        plan_text("# Implementation Plan for DummyTraining", spec=spec, details=details)
    ).plan
    assert plan.components.step_specification.job_type_variants == []
    assert plan.step_name == "DummyTraining"


def test_labels_kept_in_defaults_are_dropped() -> None:
    config = (
        "### Configuration\n"
        "- **Parameters**:\n"
        "  - max_depth: int, Default 6 — depth of the trees\n"
        '  - model_dir: str — where the model goes (default: "/opt/ml/model")\n'
        "  - eta (float, default: 0.3)\n"
    )
    params = parse_markdown(plan_text(config=config)).plan.components.configuration
    found = {p.name: (p.type, p.default, p.description) for p in params.step_parameters}
    assert found["max_depth"] == ("int", "6", "depth of the trees")
    assert found["model_dir"] == ("str", '"/opt/ml/model"', "where the model goes")
    assert found["eta"][:2] == ("float", "0.3")


def test_a_file_label_under_a_component_is_its_path() -> None:
    contract = SECTIONS["contract"] + (
        "- **File**: `src/pipeline_script_contracts/model_calibration_contract.py`\n"
    )
    parsed = parse_markdown(plan_text(contract=contract))
    contract_plan = parsed.plan.components.script_contract
    assert contract_plan.file_path == "src/pipeline_script_contracts/model_calibration_contract.py"
    assert contract_plan.input_paths[0].description == ""  # not the closing tick
    assert not parsed.unread


def test_an_env_var_source_is_read_and_rendered_back() -> None:
    contract = SECTIONS["contract"].replace(
        "- **Required environment variables**: LABEL_FIELD\n",
        "- **Required environment variables**:\n"
        "  - LABEL_FIELD (required, source: config.label_field)\n"
        "- **Optional environment variables**:\n"
        '  - RUN_ID (optional, source: builder, default: "")\n',
    )
    parsed = parse_markdown(plan_text(contract=contract))
    contract_plan = parsed.plan.components.script_contract
    assert contract_plan.env_var_sources == {
        "LABEL_FIELD": "config.label_field",
        "RUN_ID": "builder",
    }
    assert contract_plan.required_env_vars == ["LABEL_FIELD"]
    assert contract_plan.optional_env_vars == {"RUN_ID": ""}  # the source is not the default
    assert not parsed.unread
    again = parse_markdown(render_markdown(parsed.plan)).plan.components.script_contract
    assert again.env_var_sources == contract_plan.env_var_sources


def test_a_contract_table_without_a_direction_column_tells_outputs_by_folder() -> None:
    contract = (
        "### Script Contract\n\n"
        "| Logical name | Container path |\n|---|---|\n"
        "| evaluation_data | `/opt/ml/processing/input/eval_data` |\n"
        "| calibrated_data | `/opt/ml/processing/output/calibrated` |\n\n"
        "- **Required environment variables**: LABEL_FIELD\n"
    )
    parsed = parse_markdown(plan_text(contract=contract))
    contract_plan = parsed.plan.components.script_contract
    assert [p.logical_name for p in contract_plan.input_paths] == ["evaluation_data"]
    assert [p.logical_name for p in contract_plan.output_paths] == ["calibrated_data"]
    assert not parsed.unread


# --------------------------------------------------------------------------- step name


def test_a_versioned_title_does_not_rename_the_step() -> None:
    titles = [
        "# Implementation Plan for DummyTraining Step - Version 2",
        "# Implementation Plan: DummyTraining Step (Part 1 of 2)",
        "# Implementation Plan for DummyTraining v3",
        "# DummyTraining Step - Implementation Plan (Revised)",
    ]
    for title in titles:
        parsed = parse_markdown(plan_text(title, builder=""))
        assert parsed.plan.step_name == "DummyTraining", title
        assert parsed.plan.registry_entry.config_class == "DummyTrainingConfig"


REGISTRY_FRAGMENT = (
    "### Registry entry\n"
    "```python\n"
    "# add to STEP_NAMES in src/pipeline_registry/step_names.py\n"
    '"XGBoostCalibration": {\n'
    '    "config_class": "XGBoostCalibrationConfig",\n'
    '    "builder_step_name": "XGBoostCalibrationStepBuilder",\n'
    '    "spec_type": "XGBoostCalibration",\n'
    '    "sagemaker_step_type": "Processing",\n'
    '    "description": "Calibrates XGBoost scores",\n'
    "},\n"
    "```\n"
)


def test_the_registry_entry_names_the_step_before_the_title() -> None:
    parsed = parse_markdown(
        plan_text(
            "# Implementation Plan for Score Calibration Step",
            builder="",
            details=REGISTRY_FRAGMENT,
        )
    )
    plan = parsed.plan
    assert plan.step_name == "XGBoostCalibration"
    assert plan.registry_entry.sagemaker_step_type is SageMakerStepType.PROCESSING
    assert plan.registry_entry.description == "Calibrates XGBoost scores"
    named = [i for i in parsed.issues if i.code == "IMPORT007"]
    assert len(named) == 1 and "ScoreCalibration (title)" in named[0].message
    assert "IMPORT004" not in _codes(parsed)
    errors = _errors(parsed)
    assert not {"NAME002", "NAME003", "NAME010", "REG001", "REG005"} & set(errors), errors


def test_a_registry_fragment_in_a_json_block_is_read() -> None:
    details = (
        "```json\n"
        '"XGBoostCalibration": {"config_class": "XGBoostCalibrationConfig",'
        ' "sagemaker_step_type": "Processing"},\n'
        "```\n"
    )
    parsed = parse_markdown(
        plan_text("# Implementation Plan for XGBoostCalibration", details=details, builder="")
    )
    entry = parsed.plan.registry_entry
    assert entry.step_name == "XGBoostCalibration"
    assert entry.sagemaker_step_type is SageMakerStepType.PROCESSING
    # What the fragment leaves out is derived, and said so.
    derived = {i.path for i in parsed.issues if i.code == "IMPORT006"}
    assert {"registry_entry.builder_step_name", "registry_entry.spec_type"} <= derived


# --------------------------------------------------------------------------- code blocks


CONFIG_BLOCK = (
    "### Configuration class\n"
    "```python\n"
    "class SystemPromptConfig(BaseModel):\n"
    '    role: str = "You are a helpful assistant"\n'
    "    temperature: float = 0.2\n"
    "\n"
    "\n"
    "class ModelCalibrationConfig(ProcessingStepConfigBase):\n"
    '    label_field: str = Field(default="label")\n'
    "    prompt: SystemPromptConfig = Field(default_factory=SystemPromptConfig)\n"
    "```\n"
)
TEST_BLOCKS = (
    "### Unit tests\n"
    "```python\n"
    "class TestModelCalibrationStepBuilder(unittest.TestCase):\n"
    "    def test_create_step(self):\n"
    "        builder = ModelCalibrationStepBuilder(config)\n"
    "```\n"
    "### Builder\n"
    "```python\n"
    "# test/test_model_calibration.py\n"
    "class FakeCalibrationBuilder:\n"
    "    pass\n"
    "\n"
    "def test_main():\n"
    "    main()\n"
    "```\n"
)


def test_a_derived_registry_entry_names_the_classes_the_plan_states() -> None:
    """No STEP_NAMES entry: the derived one must not contradict the plan's own class names
    (REG002/REG003 would then report the importer's guess, not the plan)."""
    config = "### Configuration\n- **Class**: `CalibrationSettingsConfig`\n"
    builder = "### Step Builder\n- **Class**: `CalibrationRunnerStepBuilder`\n"
    parsed = parse_markdown(plan_text(config=config, builder=builder))
    entry = parsed.plan.registry_entry
    assert entry.config_class == "CalibrationSettingsConfig"
    assert entry.builder_step_name == "CalibrationRunnerStepBuilder"
    errors = {i.code for i in check_plan(parsed.plan) if i.is_error}
    assert not errors & {"REG002", "REG003"}
    # The naming rules still say that the classes are not named after the step.
    assert {"NAME011", "NAME012"} <= {i.code for i in check_plan(parsed.plan)}


def test_the_config_class_is_the_one_on_the_config_base() -> None:
    parsed = parse_markdown(plan_text(config="", details=CONFIG_BLOCK))
    config = parsed.plan.components.configuration
    assert config.class_name == "ModelCalibrationConfig"
    assert config.base_class == "ProcessingStepConfigBase"
    names = [p.name for p in [*config.step_parameters, *config.sagemaker_parameters]]
    assert names == ["label_field", "prompt"]  # not the helper's role and temperature
    assert "IMPORT007" not in _codes(parsed)


def test_test_classes_and_test_files_are_not_the_builder_or_the_script() -> None:
    parsed = parse_markdown(plan_text(builder="", script="", details=TEST_BLOCKS))
    plan = parsed.plan
    assert plan.components.step_builder.class_name == "ModelCalibrationStepBuilder"
    assert plan.components.processing_script.file_path == ""
    assert plan.components.processing_script.main_functions == []
    assert "NAME003" not in _errors(parsed)


EXTENSION_BLOCK = (
    "### Performance optimisation\n"
    "```python\n"
    "class OptimizedModelCalibrationStepBuilder(ModelCalibrationStepBuilder):\n"
    "    def _get_processor(self):\n"
    "        return super()._get_processor()\n"
    "```\n"
)


def test_a_subclass_of_the_builder_is_an_extension_not_the_builder() -> None:
    """A real LLM plan's only builder block was ``Optimized...(LightGBMTrainingStepBuilder)``."""
    parsed = parse_markdown(plan_text(builder="", details=EXTENSION_BLOCK))
    assert parsed.plan.components.step_builder.class_name == "ModelCalibrationStepBuilder"
    assert "REG003" not in _errors(parsed) and "NAME003" not in _errors(parsed)


# --------------------------------------------------------------------------- files


def test_files_to_update_written_as_headings() -> None:
    files = (
        "## 3. Files to Update\n"
        "### src/pipeline_registry/step_names.py\n"
        "Add the `ModelCalibration` entry to STEP_NAMES.\n"
        "### `src/pipeline_steps/__init__.py` (export)\n"
        "- import the builder\n"
        "- add it to `__all__`\n"
    )
    parsed = parse_markdown(plan_text(files=files))
    assert parsed.plan.files_to_update == [
        "src/pipeline_registry/step_names.py",
        "src/pipeline_steps/__init__.py",
    ]


# --------------------------------------------------------------------------- filled in


def test_a_sagemaker_type_filled_in_from_the_overview_is_reported() -> None:
    overview = SECTIONS["overview"] + "- **SageMaker step type**: Training\n"
    details = REGISTRY_FRAGMENT.replace('    "sagemaker_step_type": "Processing",\n', "")
    parsed = parse_markdown(plan_text(overview=overview, details=details, builder=""))
    assert parsed.plan.registry_entry.sagemaker_step_type is SageMakerStepType.TRAINING
    filled = [i for i in parsed.issues if i.path == "registry_entry.sagemaker_step_type"]
    assert [i.code for i in filled] == ["IMPORT006"]
    assert "states no sagemaker_step_type; filled in 'Training' from the overview" in (
        filled[0].message
    )
    # Stated nowhere: not guessed, left for REG014 (no codebase) to report.
    parsed = parse_markdown(plan_text(details=details, builder=""))
    assert parsed.plan.registry_entry.sagemaker_step_type is None
    assert "REG014" in {i.code for i in check_plan(parsed.plan)}


# --------------------------------------------------------------------------- wiring

MODEL_SPEC = (
    "### Step Specification\n"
    "- **Dependencies**:\n"
    "  - model_artifacts (model_artifacts, required)\n"
    "- **Outputs**:\n"
    "  - calibrated_data (processing_output)\n"
)


def test_wiring_stated_in_a_sentence_is_read() -> None:
    integration = (
        "## 4. Integration Strategy\n"
        "The step consumes `model_artifacts` from XGBoostTraining's `model_output`.\n"
        "\n"
        "Downstream, Package reads our `calibrated_data` as its `model_input`.\n"
    )
    parsed = parse_markdown(plan_text(spec=MODEL_SPEC, integration=integration))
    links = parsed.plan.integration
    assert [(u.step, u.output, u.dependency) for u in links.upstream_steps] == [
        ("XGBoostTraining", "model_output", "model_artifacts")
    ]
    assert [(d.step, d.output, d.dependency) for d in links.downstream_steps] == [
        ("Package", "calibrated_data", "model_input")
    ]
    assert not parsed.unread


def test_a_link_sentence_after_the_label_is_one_link() -> None:
    integration = (
        "## 4. Integration Strategy\n"
        "- **Upstream steps**: XGBoostTraining provides `model_output`, which feeds "
        "`model_artifacts`\n"
    )
    parsed = parse_markdown(plan_text(spec=MODEL_SPEC, integration=integration))
    links = parsed.plan.integration.upstream_steps
    assert [(u.step, u.output, u.dependency) for u in links] == [
        ("XGBoostTraining", "model_output", "model_artifacts")
    ]
    assert not [i for i in parsed.issues if i.path.startswith("integration")]


def test_the_base_class_in_brackets_after_the_class_is_read() -> None:
    config = (
        "### Configuration\n- **Class**: `ModelCalibrationConfig` (base `BasePipelineConfig`)\n"
    )
    parsed = parse_markdown(plan_text(config=config))
    assert parsed.plan.components.configuration.base_class == "BasePipelineConfig"
    assert not [i for i in parsed.issues if i.path.endswith("configuration.base_class")]


def test_wiring_in_a_table_is_read() -> None:
    integration = (
        "## 4. Integration Strategy\n"
        "| Dependency | Upstream step | Upstream output |\n"
        "|---|---|---|\n"
        "| model_artifacts | XGBoostTraining | `model_output` |\n"
    )
    parsed = parse_markdown(plan_text(spec=MODEL_SPEC, integration=integration))
    assert [(u.step, u.output, u.dependency) for u in parsed.plan.integration.upstream_steps] == [
        ("XGBoostTraining", "model_output", "model_artifacts")
    ]


def test_wiring_read_from_prose_lets_the_wiring_rules_fire() -> None:
    # An output typed processing_output feeding a model_artifacts dependency.
    integration = (
        "## 4. Integration Strategy\n"
        "- It consumes `model_artifacts` from XGBoostTraining's `evaluation_output`.\n"
        "- It also consumes `eval_predictions` from XGBoostModelEval's `eval_output`.\n"
    )
    plan = parse_markdown(plan_text(spec=MODEL_SPEC, integration=integration)).plan
    alone = {i.code for i in check_plan(plan) if i.is_error}
    assert "WIRE001" in alone  # eval_predictions is not a declared dependency
    found = check_plan(plan, codebase=CodebaseIndex.from_path(CODEBASE))
    wire = [i for i in found if i.code == "WIRE003"]
    assert wire and wire[0].path == "integration.upstream_steps[0]"


# --------------------------------------------------------------------------- parts

PART_1 = (
    "# Implementation Plan for ModelCalibration Step - Part 1: Script Contract\n\n"
    + SECTIONS["overview"]
    + "\n## 2. Components to Create\n\n"
    + SECTIONS["contract"]
    + SECTIONS["script"]
)
PART_2 = (
    "# Implementation Plan for ModelCalibration Step - Part 2: Specification\n\n"
    "## 2. Components to Create\n\n"
    + SECTIONS["spec"]
    + "### Configuration\n- **Parameters**:\n  - label_field: str = 'label'\n"
    + SECTIONS["builder"]
    + "\n"
    + SECTIONS["files"]
    + "\n"
    + SECTIONS["integration"]
)


def test_a_plan_in_two_parts_is_read_as_one() -> None:
    parsed = parse_markdown([PART_1, PART_2])
    plan = parsed.plan
    assert plan.step_name == "ModelCalibration"
    assert [p.logical_name for p in plan.components.script_contract.input_paths] == [
        "evaluation_data"
    ]
    assert [d.logical_name for d in plan.components.step_specification.dependencies] == [
        "evaluation_data"
    ]
    assert plan.components.configuration.step_parameters[0].name == "label_field"
    assert not any("repeats an earlier section" in i.message for i in parsed.issues)
    alone = parse_markdown(PART_1)
    assert "ALIGN001" in _errors(alone)
    assert "ALIGN001" not in _errors(parsed)


def test_the_cli_checks_the_parts_of_a_plan_together(tmp_path: Path) -> None:
    first, second = tmp_path / "part1.md", tmp_path / "part2.md"
    first.write_text(PART_1, encoding="utf-8")
    second.write_text(PART_2, encoding="utf-8")

    def check(*paths: Path) -> tuple[int, dict[str, object]]:
        done = subprocess.run(
            [sys.executable, "-m", "planner_agent", "check", *map(str, paths), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        )
        return done.returncode, json.loads(done.stdout)

    code, alone = check(first)
    codes = {i["code"] for i in alone["issues"]}  # type: ignore[union-attr]
    assert code == 2 and "ALIGN001" in codes
    code, together = check(first, second)
    codes = {i["code"] for i in together["issues"]}  # type: ignore[union-attr]
    assert "ALIGN001" not in codes
    errors = [i for i in together["issues"] if i["severity"] == "error"]  # type: ignore[union-attr]
    assert code == (2 if errors else 0)


def test_parts_that_are_json_are_refused(tmp_path: Path) -> None:
    first = tmp_path / "part1.md"
    first.write_text(PART_1, encoding="utf-8")
    other = tmp_path / "plan.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(PlanImportError, match="read as markdown only"):
        load_plan([first, other])
    with pytest.raises(PlanImportError, match="no plan text given"):
        parse_markdown([])


# --------------------------------------------------------------------------- structure


def test_underlined_headings_are_headings() -> None:
    text = (
        "Implementation Plan for ModelCalibration\n"
        "========================================\n\n"
        "Step Overview\n-------------\n"
        "- Purpose: calibrate the scores\n\n"
        "Components to Create\n--------------------\n"
        "### Script Contract\n"
        "- Input paths:\n  - evaluation_data: /opt/ml/processing/input/eval_data\n"
        "\nIntegration Strategy\n--------------------\n"
        "- Upstream steps: XGBoostModelEval (eval_output -> evaluation_data)\n"
    )
    parsed = parse_markdown(text)
    plan = parsed.plan
    assert plan.step_name == "ModelCalibration"
    assert plan.overview.purpose == "calibrate the scores"
    assert plan.components.script_contract.input_paths[0].logical_name == "evaluation_data"
    assert plan.integration.upstream_steps[0].step == "XGBoostModelEval"
    assert not parsed.unread


def test_tab_indented_bullets_nest_like_spaces() -> None:
    contract = (
        "### Script Contract\n"
        "- Input paths:\n"
        "\t- evaluation_data: `/opt/ml/processing/input/eval_data`\n"
        "\t- calibration_config: `/opt/ml/processing/input/config`\n"
        "-\tOutput paths:\n"
        "  \t- calibrated_data: `/opt/ml/processing/output/calibrated`\n"
    )
    parsed = parse_markdown(plan_text(contract=contract))
    contract_plan = parsed.plan.components.script_contract
    assert [p.logical_name for p in contract_plan.input_paths] == [
        "evaluation_data",
        "calibration_config",
    ]
    assert [p.logical_name for p in contract_plan.output_paths] == ["calibrated_data"]


def test_code_blocks_inside_list_items_are_read() -> None:
    details = (
        "- Registry entry:\n\n"
        "  ```python\n"
        '  STEP_NAMES["ModelCalibration"] = {\n'
        '      "config_class": "ModelCalibrationConfig",\n'
        '      "builder_step_name": "ModelCalibrationStepBuilder",\n'
        '      "spec_type": "ModelCalibration",\n'
        '      "sagemaker_step_type": "Processing",\n'
        "  }\n"
        "  ```\n"
    )
    parsed = parse_markdown(plan_text(details=details))
    assert parsed.plan.registry_entry.sagemaker_step_type is SageMakerStepType.PROCESSING
    assert "IMPORT004" not in _codes(parsed)


def test_a_rule_under_a_bullet_is_not_a_heading() -> None:
    overview = "## 1. Step Overview\n- **Purpose**: Calibrate model scores.\n---\n"
    parsed = parse_markdown(plan_text(overview=overview))
    assert parsed.plan.overview.purpose == "Calibrate model scores."
    assert parsed.plan.components.script_contract.input_paths[0].logical_name == "evaluation_data"


# --------------------------------------------------------------------------- config fields


def test_a_remark_after_a_default_and_a_description_after_a_type_are_not_part_of_them() -> None:
    config = (
        "### Configuration\n- **Parameters**:\n"
        "  - max_runtime_seconds: Default 1200 (20 minutes)\n"
        "  - `calibration_method`: str - Method to use for calibration (GAM, isotonic, platt)\n"
        "  - `label`: str = 'a (b)'\n"
    )
    parsed = parse_markdown(plan_text(config=config))
    fields = {
        p.name: p
        for p in (
            *parsed.plan.components.configuration.step_parameters,
            *parsed.plan.components.configuration.sagemaker_parameters,
        )
    }
    runtime, method, label = (
        fields["max_runtime_seconds"],
        fields["calibration_method"],
        fields["label"],
    )
    assert (runtime.default, runtime.description) == ("1200", "20 minutes")
    assert (method.type, method.default) == ("str", None)
    assert method.description == "Method to use for calibration (GAM, isotonic, platt)"
    assert label.default == "'a (b)'"  # a literal whose text has parentheses stays whole
    assert not {"CODE002", "CODE003"} & set(_errors(parsed))


def test_a_lambda_default_factory_is_read_as_the_value_it_makes() -> None:
    details = (
        "```python\nclass ModelCalibrationConfig(ProcessingStepConfigBase):\n"
        "    names: List[str] = Field(\n"
        "        default_factory=lambda: ['dialogue', 'shiptrack'],\n"
        "        description='Input placeholders',\n"
        "    )\n```\n"
    )
    parsed = parse_markdown(plan_text(details=details))
    (names,) = [
        p for p in parsed.plan.components.configuration.step_parameters if p.name == "names"
    ]
    assert names.default == "['dialogue', 'shiptrack']"
    assert "CODE003" not in _errors(parsed)


def test_registry_step_type_without_a_codebase_is_a_warning_and_an_error_with_one() -> None:
    details = REGISTRY_FRAGMENT.replace('    "sagemaker_step_type": "Processing",\n', "")
    parsed = parse_markdown(plan_text(details=details, builder=""))
    issues = check_plan(parsed.plan)
    (unverified,) = [i for i in issues if i.path == "registry_entry.sagemaker_step_type"]
    assert unverified.code == "REG014" and not unverified.is_error
    assert "pass --codebase to verify" in unverified.message
    fixture = CodebaseIndex.from_path(Path(__file__).parent / "fixtures" / "codebase")
    assert fixture.has_step_types
    with_codebase = check_plan(parsed.plan, codebase=fixture.without("ModelCalibration"))
    assert "REG005" in {i.code for i in with_codebase if i.is_error}


def test_a_plan_that_lists_no_files_is_not_told_to_list_the_registry() -> None:
    parsed = parse_markdown(plan_text(files=""))
    assert parsed.plan.files_to_update == []
    assert "ALIGN005" not in {i.code for i in check_plan(parsed.plan)}
    listed = parse_markdown(plan_text(files="## 3. Files to Update\n- `src/x/__init__.py`\n"))
    assert "ALIGN005" in _errors(listed)


# --------------------------------------------------------------------------- revisions


@pytest.mark.parametrize(
    ("title", "revision"),
    [
        ("# Package Step Multi-Modal Expansion Implementation Plan", True),
        ("# Implementation Plan: Package Step Refactoring", True),
        ("# Implementation Plan for Package", False),
    ],
)
def test_a_plan_that_changes_an_existing_step_is_checked_as_a_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], title: str, revision: bool
) -> None:
    """A real LLM plan expanding the existing Payload step got REG008 (name taken) and REG005
    (the entry it did not restate has no step type) against its own repository."""
    plan = fixture_plan("Package").model_copy(deep=True)
    plan.registry_entry.sagemaker_step_type = None  # Not restated: the codebase's entry stands.
    text = render_markdown(plan).replace("# Implementation Plan for Package", title, 1)
    parsed = parse_markdown(text)
    assert parsed.revision is revision
    assert ("IMPORT008" in _codes(parsed)) is revision
    path = tmp_path / "plan.md"
    path.write_text(text, encoding="utf-8")
    code = main(["check", str(path), "--codebase", str(CODEBASE), "--format", "json"])
    issues = json.loads(capsys.readouterr().out)["issues"]
    errors = {i["code"] for i in issues if i["severity"] == "error"}
    if revision:
        assert code == 0 and errors == set()
    else:
        assert code == 2 and {"REG005", "REG008"} <= errors


def test_the_command_line_can_say_what_the_title_does_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = fixture_plan("Package").model_copy(deep=True)
    plan.registry_entry.sagemaker_step_type = None
    path = tmp_path / "plan.md"
    path.write_text(render_markdown(plan), encoding="utf-8")  # a title for a new step
    base = ["check", str(path), "--codebase", str(CODEBASE)]
    assert main([*base, "--revision"]) == 0
    assert "REG008" not in capsys.readouterr().out
    expanded = render_markdown(plan).replace(
        "# Implementation Plan for Package", "# Package Step Expansion Plan", 1
    )
    path.write_text(expanded, encoding="utf-8")
    assert main([*base, "--no-revision"]) == 2
    assert "REG008" in capsys.readouterr().out


def test_a_word_of_the_step_name_is_not_a_revision() -> None:
    text = render_markdown(fixture_plan("Package")).replace(
        "# Implementation Plan for Package", "# Implementation Plan for PackageUpdate", 1
    )
    assert parse_markdown(text).revision is False
