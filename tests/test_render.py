"""Tests for planner_agent.seedformat._writer: the seed's markdown format, generated code blocks."""

from __future__ import annotations

import ast
import copy
import doctest
import re
from pathlib import Path

import pytest
from samples import calibration_draft_dict
from seed_format import HEADINGS, LABELS, SEED, read_seed_format

from planner_agent.draft import PlanDraft
from planner_agent.plan import (
    ConfigParameter,
    DownstreamLink,
    ImplementationPlan,
    JobType,
    UpstreamLink,
)
from planner_agent.scaffold import scaffold_step
from planner_agent.seedformat import (
    _builder_code,
    _code_text,
    _config_code,
    _script_code,
    _spec_code,
    step_files,
)
from planner_agent.seedformat import _writer as render
from planner_agent.seedformat._writer import SECTION_TITLES, render_markdown


def _draft(**changes: object) -> ImplementationPlan:
    data = calibration_draft_dict()
    data.update(changes)
    return PlanDraft.model_validate(data).to_plan()


def variant_plans() -> dict[str, ImplementationPlan]:
    """A variety of plans: the sample, job variants, a spec-only dependency, a training step,
    empty lists, a CreateModel step, and one with awkward values (multi-line text, quotes,
    commas, missing names, no sagemaker_step_type)."""
    base = calibration_draft_dict()
    spec_only = copy.deepcopy(base["inputs"][0])
    spec_only.update(
        logical_name="model_input",
        container_path=None,
        read_by_script=False,
        dependency_type="model_artifacts",
        required=False,
        compatible_sources=["XGBoostTraining", "PyTorchTraining"],
        source_step=None,
    )
    plans = {
        "sample": _draft(),
        "job_variants": _draft(job_type_variants=["training", "calibration"]),
        "spec_only_dependency": _draft(inputs=[base["inputs"][0], spec_only]),
        "training": _draft(
            step_name="LightGBMTraining",
            sagemaker_step_type="Training",
            inputs=[
                {
                    "logical_name": "input_path",
                    "container_path": "/opt/ml/input/data",
                    "dependency_type": "training_data",
                    "compatible_sources": ["TabularPreprocessing"],
                    "semantic_keywords": ["data", "training", "train", "dataset"],
                    "source_step": "TabularPreprocessing",
                    "source_output": "processed_data",
                }
            ],
            outputs=[
                {
                    "logical_name": "model_output",
                    "container_path": "/opt/ml/model",
                    "output_type": "model_artifacts",
                    "aliases": ["ModelArtifacts", "model_data"],
                    "consumers": [{"step": "XGBoostModel", "dependency": "model_data"}],
                },
                {
                    "logical_name": "evaluation_output",
                    "container_path": "/opt/ml/output/data",
                    "output_type": "processing_output",
                },
            ],
            script_arguments=[{"name": "job-type", "value": "training"}],
            sagemaker_settings=[{"name": "training_instance_type", "value": "'ml.m5.12xlarge'"}],
            config_parameters=[
                {"name": "num_leaves", "type": "int", "default": "31"},
                {"name": "objective", "type": "str", "description": "LightGBM objective"},
            ],
        ),
        "empty_lists": _draft(
            inputs=[],
            outputs=[],
            env_vars=[],
            framework_requirements=[],
            architectural_considerations=[],
            design_principles_alignment=[],
            builder_special_handling=[],
            main_functions=[],
            dag_updates=[],
            testing={},
            error_handling={},
            algorithm="",
            purpose="",
            position_in_pipeline="",
            description="",
        ),
        "create_model": _draft(
            step_name="LightGBMModel",
            sagemaker_step_type="CreateModel",
            outputs=[
                {
                    "logical_name": "model",
                    "container_path": "/opt/ml/processing/output/model",
                    "output_type": "custom_property",
                    "data_type": "String",
                }
            ],
        ),
    }
    odd = _draft()
    contract = odd.components.script_contract
    spec = odd.components.step_specification
    config = odd.components.configuration
    odd.overview.purpose = "Line one\nLine two (with: colon)"
    odd.overview.inputs = []
    contract.optional_env_vars = {"LABELS": 'a, b ("c")', "EMPTY": ""}
    contract.expected_arguments = {"job-type": "calibration", "--flag": ""}
    contract.input_paths[0].description = "(parenthesised) desc — with dash"
    spec.dependencies[0].required = False
    spec.dependencies[0].compatible_sources = []
    spec.outputs[0].aliases = ["a, b", "c"]
    config.step_parameters.append(
        ConfigParameter(name="threshold", type="float | None", description="essential")
    )
    config.step_parameters.append(ConfigParameter(name="class", type="list of str", default="x y"))
    config.sagemaker_parameters.append(ConfigParameter(name="volume", type="int", default="1"))
    odd.registry_entry.sagemaker_step_type = None
    odd.integration.upstream_steps += [
        UpstreamLink(step="TabularPreprocessing"),
        UpstreamLink(step="RiskTableMapping", dependency="evaluation_data"),
    ]
    odd.integration.downstream_steps = [
        DownstreamLink(step="Package", output="calibration_output", dependency="calibration_model")
    ]
    odd.error_handling.script_robustness = "multi\nline"
    odd.files_to_update.append("templates/pipeline_template.py (add the step)")
    odd.components.step_builder.special_handling = ["Select: spec by job type", "None"]
    plans["awkward_values"] = odd
    return plans


PLANS = variant_plans()


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)\n```", text, re.DOTALL)


@pytest.mark.skipif(
    not SEED.is_file(), reason="the seed prompt (../shared) is not beside this checkout"
)
def test_the_copied_format_matches_the_seed() -> None:
    assert read_seed_format() == (HEADINGS, LABELS)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_every_seed_heading_and_label_is_rendered(name: str) -> None:
    plan = PLANS[name]
    text = render_markdown(plan)
    lines = text.splitlines()
    for heading in HEADINGS:
        assert heading.replace("[Step Name]", plan.step_name) in lines, heading
    for label in LABELS:
        assert any(line.startswith(label) for line in lines), label
    # The seven numbered sections come in the seed's order.
    positions = [text.index(f"## {title}") for title in SECTION_TITLES]
    assert positions == sorted(positions)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_code_blocks_are_valid_python(name: str) -> None:
    plan = PLANS[name]
    blocks = _code_blocks(render_markdown(plan))
    # One block per file: a job-type variant's specification is a block of its own.
    assert len(blocks) == 5 + max(len(plan.components.step_specification.job_type_variants), 1)
    for block in blocks:
        ast.parse(block)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_rendering_is_deterministic(name: str) -> None:
    assert render_markdown(PLANS[name]) == render_markdown(PLANS[name].model_copy(deep=True))


def test_sample_bullets() -> None:
    text = render_markdown(PLANS["sample"])
    assert text.startswith("# Implementation Plan for ModelCalibration\n")
    assert "- Script Contract: src/pipeline_script_contracts/model_calibration_contract.py" in text
    assert "    - evaluation_data: /opt/ml/processing/input/eval_data — Predictions" in text
    assert '    - SCORE_FIELD (optional, default: "prob_class_1")' in text
    assert "    - CALIBRATION_METHOD (required)" in text
    assert "- Upstream steps:\n  - XGBoostModelEval: eval_output -> evaluation_data\n" in text
    assert "- Downstream steps: (none)\n" in text
    assert "  - Job type variants: (none)\n" in text
    assert "      - Compatible sources: XGBoostModelEval\n" in text
    assert (
        "      - Property path: "
        "properties.ProcessingOutputConfig.Outputs['calibration_output'].S3Output.S3Uri"
    ) in text
    assert "- Unit tests:\n  - Calibration monotonic\n  - Contract/spec alignment\n" in text


def test_multi_line_text_renders_as_continuation_lines() -> None:
    text = render_markdown(PLANS["awkward_values"])
    assert "- Purpose: Line one\n  Line two (with: colon)\n" in text
    assert "  - RiskTableMapping: ? -> evaluation_data\n" in text
    assert "  - TabularPreprocessing\n" in text


def _block(text: str, marker: str) -> str:
    return next(b for b in _code_blocks(text) if marker in b)


def test_registry_block_has_sagemaker_step_type_when_known() -> None:
    registry = _block(render_markdown(PLANS["sample"]), "STEP_NAMES")
    entry = ast.literal_eval(registry[registry.index("{") :])
    assert entry["ModelCalibration"] == {
        "config_class": "ModelCalibrationConfig",
        "builder_step_name": "ModelCalibrationStepBuilder",
        "spec_type": "ModelCalibration",
        "sagemaker_step_type": "Processing",
        "description": "Calibrates model scores with isotonic regression",
    }
    legacy = _block(render_markdown(PLANS["awkward_values"]), "STEP_NAMES")
    assert "sagemaker_step_type" not in legacy


def test_contract_block_has_every_field() -> None:
    contract = _block(render_markdown(PLANS["training"]), "ScriptContract(")
    call = next(n for n in ast.walk(ast.parse(contract)) if isinstance(n, ast.Call))
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert kwargs["entry_point"] == "lightgbm_training.py"
    assert kwargs["expected_input_paths"] == {"input_path": "/opt/ml/input/data"}
    assert kwargs["expected_arguments"] == {"job-type": "training"}
    assert set(kwargs) == {
        "entry_point",
        "expected_input_paths",
        "expected_output_paths",
        "required_env_vars",
        "optional_env_vars",
        "expected_arguments",
        "framework_requirements",
        "description",
    }


def test_spec_block_uses_enum_members_and_one_spec_per_job_type() -> None:
    text = render_markdown(PLANS["job_variants"])
    spec = _block(text, "MODEL_CALIBRATION_TRAINING_SPEC = StepSpecification(")
    assert spec.startswith("# src/pipeline_step_specs/model_calibration_training_spec.py\n")
    assert "MODEL_CALIBRATION_CALIBRATION_SPEC" not in spec
    calibration = _block(text, "MODEL_CALIBRATION_CALIBRATION_SPEC = StepSpecification(")
    assert calibration.startswith("# src/pipeline_step_specs/model_calibration_calibration_spec.py")
    assert 'step_type="ModelCalibration_Calibration"' in calibration
    assert 'step_type="ModelCalibration_Training"' in spec
    assert "dependency_type=DependencyType.PROCESSING_OUTPUT" in spec
    assert "node_type=NodeType.INTERNAL" in spec
    assert 'compatible_sources=["XGBoostModelEval"]' in spec
    assert 'aliases=["calibration_model"]' in spec
    single = _block(render_markdown(PLANS["sample"]), "StepSpecification(")
    assert (
        'MODEL_CALIBRATION_SPEC = StepSpecification(\n    step_type=get_spec_step_type("ModelCalibration")'
        in single
    )
    builder = _block(render_markdown(PLANS["job_variants"]), "StepBuilderBase)")
    assert '"training": MODEL_CALIBRATION_TRAINING_SPEC' in builder
    assert "config.job_type" in builder


def test_config_block_is_pydantic_with_essential_fields_without_default() -> None:
    config = _block(render_markdown(PLANS["training"]), "class LightGBMTrainingConfig")
    cls = next(n for n in ast.walk(ast.parse(config)) if isinstance(n, ast.ClassDef))
    assert [ast.unparse(b) for b in cls.bases] == ["BasePipelineConfig"]
    fields = {
        s.target.id: s.value
        for s in cls.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    }
    objective = fields["objective"]  # essential: Field(description=...) with no default
    assert isinstance(objective, ast.Call)
    assert [k.arg for k in objective.keywords] == ["description"]
    assert ast.unparse(fields["num_leaves"]) == "31"
    assert ast.unparse(fields["training_instance_type"]) == "'ml.m5.12xlarge'"


def test_script_and_builder_skeletons() -> None:
    text = render_markdown(PLANS["sample"])
    script = ast.parse(_block(text, "def main("))
    functions = [n for n in script.body if isinstance(n, ast.FunctionDef)]
    names = [n.name for n in functions]
    assert names == ["load_data", "fit_calibrator", "apply_calibration", "parse_args", "main"]
    main = functions[-1]
    assert [a.arg for a in main.args.args] == [
        "input_paths",
        "output_paths",
        "environ_vars",
        "job_args",
    ]
    builder = ast.parse(_block(text, "StepBuilderBase)"))
    cls = next(n for n in builder.body if isinstance(n, ast.ClassDef))
    assert cls.name == "ModelCalibrationStepBuilder"
    methods = [n.name for n in cls.body if isinstance(n, ast.FunctionDef)]
    assert {"_get_inputs", "_get_outputs", "create_step"} <= set(methods)
    training = _block(render_markdown(PLANS["training"]), "StepBuilderBase)")
    assert "TrainingStep(" in training and "ProcessingStep(" not in training
    # The builder passes the framework base's keywords only, and the script to the step.
    processing = _block(text, "StepBuilderBase)")
    assert "notebook_root" not in processing and "notebook_root" not in training
    assert "code=self.config.get_script_path()," in processing
    config = _block(text, "class ModelCalibrationConfig")
    assert "processing_entry_point: str = 'model_calibration.py'" in config


def test_doctests() -> None:
    for module in (render, _code_text, _spec_code, _config_code, _script_code, _builder_code):
        assert doctest.testmod(module).failed == 0


def test_awkward_names_still_give_valid_python() -> None:
    plan = PLANS["sample"].model_copy(deep=True)
    plan.step_name = "Model Calibration-2"
    plan.components.configuration.class_name = "Model Calibration Config"
    plan.components.configuration.step_parameters = [
        ConfigParameter(name="for", type="not a type", default="ml.m5 large"),
        ConfigParameter(name="2nd-field", type="int", default='"quoted"'),
    ]
    plan.components.processing_script.main_functions = ["load data()", "main", "1st step"]
    plan.components.processing_script.algorithm = 'uses """triple quotes""" and \\ backslashes'
    plan.components.step_specification.job_type_variants = [JobType.TESTING]
    for block in _code_blocks(render_markdown(plan)):
        ast.parse(block)


# --------------------------------------------------------------------------- one rendering

# A repository in the default layout: the base names where the plan's code blocks import them.
DEFAULT_LAYOUT_REPO = {
    "src/pipeline_registry/step_names.py": (
        "STEP_NAMES = {}\n\n\ndef get_spec_step_type(name):\n"
        '    return STEP_NAMES[name]["spec_type"]\n'
    ),
    "src/pipeline_deps/base_specifications.py": "".join(
        f"class {n}:\n    pass\n\n\n"
        for n in ("DependencySpec", "DependencyType", "NodeType", "OutputSpec", "StepSpecification")
    ),
    "src/pipeline_script_contracts/base_script_contract.py": "class ScriptContract:\n    pass\n",
    "src/pipeline_script_contracts/training_script_contract.py": (
        "class TrainingScriptContract:\n    pass\n"
    ),
    "src/pipeline_steps/config_base.py": "class BasePipelineConfig:\n    pass\n",
    "src/pipeline_steps/config_processing_step_base.py": (
        "class ProcessingStepConfigBase:\n    pass\n"
    ),
    "src/pipeline_steps/builder_step_base.py": "class StepBuilderBase:\n    pass\n",
}


@pytest.mark.filterwarnings("ignore::planner_agent.checks.CodebaseWarning")
@pytest.mark.parametrize("name", sorted(PLANS))
def test_each_code_block_is_the_scaffolded_file(name: str, tmp_path: Path) -> None:
    plan = PLANS[name]
    for rel, text in DEFAULT_LAYOUT_REPO.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    # force: this bare repository has none of the plan's upstream steps (the check's errors).
    result = scaffold_step(plan, tmp_path, force=True)
    blocks = _code_blocks(render_markdown(plan))[1:]  # the registry block is an edit, not a file
    written = {
        f.path: (tmp_path / f.path).read_text()
        for f in result.files
        if f.kind not in ("registry", "init", "test")
    }
    shown = {block.split("\n", 1)[0].removeprefix("# "): block + "\n" for block in blocks}
    assert shown == written
    assert [f.text for f in step_files(plan)] == [block + "\n" for block in blocks]
