"""Tests for planner_agent.seedformat._reader: round trips and lenient import of hand-written plans."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixture_plans import FIXTURE_DRAFTS, fixture_plan
from test_render import PLANS

from planner_agent.checks import CodebaseIndex, CodebaseWarning, check_plan
from planner_agent.errors import PlanImportError
from planner_agent.plan import (
    DataType,
    DependencyType,
    ImplementationPlan,
    JobType,
    NodeType,
    ResolverCandidate,
    SageMakerStepType,
    Severity,
)
from planner_agent.seedformat import (
    ParsedMarkdown,
    looks_like_plan,
    parse_markdown,
    render_markdown,
    step_files,
)

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"


def _fixture(name: str) -> ParsedMarkdown:
    return parse_markdown((FIXTURES / name).read_text(encoding="utf-8"))


def _codes(parsed: ParsedMarkdown) -> list[str]:
    return [i.code for i in parsed.issues]


def _issue(parsed: ParsedMarkdown, code: str, path: str | None = None) -> str:
    found = [i for i in parsed.issues if i.code == code and (path is None or i.path == path)]
    assert found, f"no {code} at {path}: {[str(i) for i in parsed.issues]}"
    return found[0].message


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", sorted(PLANS))
def test_round_trip(name: str) -> None:
    plan = PLANS[name]
    parsed = parse_markdown(render_markdown(plan))
    assert parsed.issues == []
    assert parsed.unread == []
    assert parsed.plan == plan


@pytest.mark.parametrize("name", sorted(FIXTURE_DRAFTS))
def test_round_trip_of_the_fixture_codebase_plans(name: str) -> None:
    plan = fixture_plan(name)
    parsed = parse_markdown(render_markdown(plan))
    assert (parsed.plan, parsed.issues, parsed.unread) == (plan, [], [])


@pytest.mark.parametrize("name", sorted(PLANS))
def test_round_trip_is_stable(name: str) -> None:
    text = render_markdown(PLANS[name])
    assert render_markdown(parse_markdown(text).plan) == text


def test_round_trip_inside_a_markdown_fence() -> None:
    plan = PLANS["sample"]
    parsed = parse_markdown("```markdown\n" + render_markdown(plan) + "```\n")
    assert parsed.plan == plan


def _without_bullets(text: str, start: str, end: str) -> str:
    return text[: text.index(start)] + text[text.index(end) :]


def test_code_blocks_supply_what_the_bullets_lack() -> None:
    plan = PLANS["job_variants"]
    text = render_markdown(plan)
    text = _without_bullets(text, "- Step Specification:", "- Configuration:")
    text = _without_bullets(text, "  - Input paths:", "- Configuration:")
    parsed = parse_markdown(text)
    spec = parsed.plan.components.step_specification
    assert spec == plan.components.step_specification.model_copy(
        update={"file_path": spec.file_path}
    )
    # Each variant's block names its own file; the first one stands for the specification, and
    # the plan read back renders the same files.
    assert spec.file_path == "src/pipeline_step_specs/model_calibration_training_spec.py"
    assert spec.job_type_variants == [JobType.TRAINING, JobType.CALIBRATION]
    assert [f.path for f in step_files(parsed.plan)] == [f.path for f in step_files(plan)]
    contract = parsed.plan.components.script_contract
    assert [p.logical_name for p in contract.input_paths] == ["evaluation_data"]
    assert contract.optional_env_vars == {"SCORE_FIELD": "prob_class_1"}
    assert not [i for i in parsed.issues if i.is_error]


def test_bullets_win_over_code_blocks_and_the_difference_is_reported() -> None:
    text = render_markdown(PLANS["sample"]).replace(
        "- evaluation_data: /opt/ml/processing/input/eval_data —",
        "- evaluation_data: /opt/ml/processing/input/scores —",
    )
    parsed = parse_markdown(text)
    path = parsed.plan.components.script_contract.input_paths[0].container_path
    assert path == "/opt/ml/processing/input/scores"
    message = _issue(parsed, "IMPORT005", "components.script_contract.input_paths")
    assert "/opt/ml/processing/input/eval_data" in message


# --------------------------------------------------------------------------- fixtures


def test_fixture_with_tables() -> None:
    parsed = _fixture("tables.md")
    plan = parsed.plan
    assert plan.step_name == "RiskScoreCalibration"
    contract = plan.components.script_contract
    assert [(p.logical_name, p.container_path) for p in contract.input_paths] == [
        ("evaluation_data", "/opt/ml/processing/input/eval_data")
    ]
    assert [p.logical_name for p in contract.output_paths] == [
        "calibration_output",
        "calibrated_data",
    ]
    assert contract.required_env_vars == ["CALIBRATION_METHOD"]
    assert contract.optional_env_vars == {"SCORE_FIELD": "prob_class_1"}
    spec = plan.components.step_specification
    dep = spec.dependencies[0]
    assert dep.compatible_sources == ["XGBoostModelEval", "PyTorchModelEval"]
    assert dep.semantic_keywords == ["evaluation", "predictions", "scores", "eval"]
    assert spec.outputs[0].property_path.endswith("Outputs['calibration_output'].S3Output.S3Uri")
    assert spec.outputs[0].aliases == ["calibration_model"]
    params = plan.components.configuration.step_parameters
    assert [(p.name, p.default) for p in params] == [
        ("calibration_method", "'isotonic'"),
        ("score_field", "'prob_class_1'"),
    ]
    assert plan.components.processing_script.main_functions == [
        "load_data",
        "fit_calibrator",
        "apply_calibration",
        "main",
    ]
    assert plan.files_to_update[0] == "src/pipeline_registry/step_names.py"
    assert [(u.step, u.output, u.dependency) for u in plan.integration.upstream_steps] == [
        ("XGBoostModelEval", "eval_output", "evaluation_data")
    ]
    assert plan.integration.downstream_steps[0].dependency == "calibration_model"
    assert plan.registry_entry.sagemaker_step_type is SageMakerStepType.PROCESSING
    # Only the introduction paragraph is left unread; nothing is an error. The class names,
    # the entry point, the node type and the spec's step_type the plan leaves out are derived,
    # and said so.
    assert len(parsed.unread) == 1 and parsed.unread[0].startswith("text before the first section")
    assert _codes(parsed) == ["IMPORT003", *["IMPORT006"] * 6]
    derived = {i.path: i.message for i in parsed.issues if i.code == "IMPORT006"}
    assert derived["components.configuration.class_name"] == (
        "not stated in the plan; derived 'RiskScoreCalibrationConfig'"
    )
    assert derived["components.script_contract.entry_point"] == (
        "not stated in the plan; derived 'risk_score_calibration.py'"
    )
    assert derived["components.step_specification.node_type"] == (
        "not stated in the plan; derived 'internal'"
    )
    assert set(derived) == {
        "components.script_contract.entry_point",
        "components.step_specification.node_type",
        "components.step_specification.step_type",
        "components.configuration.class_name",
        "components.configuration.base_class",
        "components.step_builder.class_name",
    }


def test_fixture_with_code_block_dicts_only() -> None:
    parsed = _fixture("code_dicts_only.md")
    plan = parsed.plan
    assert plan.step_name == "CurrencyNormalization"
    contract = plan.components.script_contract
    assert contract.file_path == "src/pipeline_script_contracts/currency_normalization_contract.py"
    assert contract.entry_point == "currency_normalization.py"
    assert [p.logical_name for p in contract.input_paths] == ["data_input", "exchange_rates"]
    assert contract.optional_env_vars == {"MONEY_COLUMNS": "amount,price"}
    assert contract.framework_requirements == {"pandas": ">=1.5"}
    spec = plan.components.step_specification  # from the JSON block
    assert [d.dependency_type for d in spec.dependencies] == [
        DependencyType.PROCESSING_OUTPUT,
        DependencyType.CUSTOM_PROPERTY,
    ]
    assert spec.dependencies[1].required is False
    assert spec.outputs[0].aliases == ["processed_data"]
    config = plan.components.configuration
    assert config.base_class == "ProcessingStepConfigBase"
    assert [(p.name, p.type, p.default) for p in config.step_parameters] == [
        ("target_currency", "str", "'USD'"),
        ("money_columns", "list[str]", "[]"),
        ("rounding", "int", None),
    ]
    assert [(p.name, p.default) for p in config.sagemaker_parameters] == [
        ("processing_instance_count", "2")
    ]
    assert plan.registry_entry.sagemaker_step_type is SageMakerStepType.PROCESSING
    assert plan.components.step_builder.class_name == "CurrencyNormalizationStepBuilder"
    missing = _issue(parsed, "IMPORT001")
    assert "1. Step Overview" in missing and "7. Testing and Validation Plan" in missing
    assert any("bash block not read" in u for u in parsed.unread)
    assert not [i for i in parsed.issues if i.is_error]


def test_fixture_truncated_inside_a_code_block() -> None:
    parsed = _fixture("truncated.md")
    message = _issue(parsed, "IMPORT002")
    assert "truncated" in message and "3. Step Specification Implementation" in message
    spec = parsed.plan.components.step_specification
    # The bullets name the dependency; its type and keywords come from the cut-off code block.
    dep = spec.dependencies[0]
    assert dep.logical_name == "model_input"
    assert dep.dependency_type is DependencyType.MODEL_ARTIFACTS
    assert dep.compatible_sources == ["XGBoostTraining", "PyTorchTraining"]
    assert dep.semantic_keywords == ["model", "artifacts", "trained", "output"]
    output = spec.outputs[0]
    assert output.output_type is DependencyType.PAYLOAD_SAMPLES
    assert output.property_path.endswith("Outputs['payload_sample'].S3Output.S3Uri")
    assert spec.node_type is NodeType.INTERNAL
    contract = parsed.plan.components.script_contract
    assert contract.input_paths[0].container_path == "/opt/ml/processing/input/model"
    assert contract.output_paths[0].container_path == "/opt/ml/processing/payload"
    assert contract.required_env_vars == ["CONTENT_TYPES"]
    assert contract.optional_env_vars == {"DEFAULT_NUMERIC_VALUE": "0.0"}
    params = parsed.plan.components.configuration.step_parameters
    assert [(p.name, p.type, p.default) for p in params] == [
        ("content_types", "str", '"text/csv"'),
        ("default_numeric_value", "float", "0.0"),
    ]
    sagemaker = parsed.plan.components.configuration.sagemaker_parameters
    assert [(p.name, p.type, p.default) for p in sagemaker] == [
        ("processing_instance_count", "int", "1")
    ]
    assert [(u.step, u.output, u.dependency) for u in parsed.plan.integration.upstream_steps] == [
        ("XGBoostTraining", "model_output", "model_input")
    ]
    assert any("could not be read" in u for u in parsed.unread)
    assert not [i for i in parsed.issues if i.is_error]


def test_fixture_with_processing_input_and_misaligned_contract() -> None:
    parsed = _fixture("processing_input.md")
    errors = [i for i in parsed.issues if i.is_error]
    assert {i.code for i in errors} == {"ENUM001"}
    message = _issue(
        parsed, "ENUM001", "components.step_specification.dependencies[0].dependency_type"
    )
    assert "'processing_input' is not a valid DependencyType" in message
    assert re.search(r"no [`']processing_input[`']", message)
    assert "read as 'processing_output'" in message
    for value in DependencyType:
        assert value.value in message
    node = _issue(parsed, "ENUM001", "components.step_specification.node_type")
    assert "'Internal'" in node and "internal" in node
    spec = parsed.plan.components.step_specification
    assert spec.dependencies[0].dependency_type is DependencyType.PROCESSING_OUTPUT  # substituted
    assert spec.node_type is NodeType.INTERNAL
    assert spec.job_type_variants == [JobType.TRAINING, JobType.VALIDATION]
    # The contract keeps its extra input: that is an alignment finding for the checks.
    contract = parsed.plan.components.script_contract
    assert [p.logical_name for p in contract.input_paths] == [
        "model_input",
        "hyperparameters_s3_uri",
    ]
    assert [d.logical_name for d in spec.dependencies] == ["model_input"]
    assert not any("hyperparameters_s3_uri" in i.message for i in parsed.issues)
    assert contract.required_env_vars == ["ID_FIELD", "LABEL_FIELD"]
    assert contract.optional_env_vars == {"METRIC_LIST": "auc,f1"}
    # Wrong names are kept as written for the checks (PytorchTraining, processing_instance_type).
    assert spec.dependencies[0].compatible_sources == ["XGBoostTraining", "PytorchTraining"]
    sagemaker = parsed.plan.components.configuration.sagemaker_parameters
    assert [p.name for p in sagemaker] == ["processing_instance_type"]
    assert parsed.plan.registry_entry.sagemaker_step_type is None
    # ...and the checks, not the parser, report them.
    found = {(i.code, i.path) for i in check_plan(parsed.plan)}
    assert ("ALIGN001", "components.script_contract.input_paths[1].logical_name") in found
    assert "no STEP_NAMES entry" in _issue(parsed, "IMPORT006", "registry_entry")


def test_fixture_with_legacy_layout() -> None:
    parsed = _fixture("legacy_layout.md")
    plan = parsed.plan
    assert plan.step_name == "FeatureSelection"
    comps = plan.components
    assert comps.configuration.file_path == "src/pipeline_steps/config_feature_selection.py"
    assert comps.step_builder.file_path == "src/pipeline_steps/builder_feature_selection.py"
    assert comps.step_builder.class_name == "FeatureSelectionStep"  # as written (a naming error)
    assert plan.registry_entry.builder_step_name == "FeatureSelectionStep"
    assert plan.registry_entry.sagemaker_step_type is None  # the legacy registry has none
    contract = comps.script_contract
    assert [(p.logical_name, p.container_path) for p in contract.output_paths] == [
        ("selected_data", "/opt/ml/processing/output/data"),
        ("selected_features", "/opt/ml/processing/output/features"),
    ]
    assert contract.required_env_vars == ["N_FEATURES"]
    assert contract.optional_env_vars == {"METHOD": "mutual_info"}
    spec = comps.step_specification
    assert spec.dependencies[0].compatible_sources == ["TabularPreprocessing"]
    assert [o.logical_name for o in spec.outputs] == ["selected_data", "selected_features"]
    params = comps.configuration.step_parameters
    assert [(p.name, p.type, p.default) for p in params] == [
        ("n_features", "int", "50"),
        ("method", "str", '"mutual_info"'),
    ]
    sagemaker = comps.configuration.sagemaker_parameters
    assert [(p.name, p.default) for p in sagemaker] == [
        ("processing_instance_type", "ml.m5.xlarge")
    ]
    assert plan.overview.purpose == "Select the most informative features before training."
    assert [u.step for u in plan.integration.upstream_steps] == ["TabularPreprocessing"]
    assert plan.integration.downstream_steps[0].dependency == "input_path"
    # Line numbers refer to the file, even though it is wrapped in a ```markdown fence.
    lines = (FIXTURES / "legacy_layout.md").read_text(encoding="utf-8").splitlines()
    risks = lines.index("## Risks and Open Questions") + 1
    assert f"section 'Risks and Open Questions' (line {risks}," in " ".join(parsed.unread)
    assert "Risks and Open Questions" in _issue(parsed, "IMPORT003")
    missing = _issue(parsed, "IMPORT001")
    assert "6. Error Handling Strategy" in missing and "1. Step Overview" not in missing
    # Property paths were not stated: derived and reported.
    assert _issue(parsed, "IMPORT006", "components.step_specification.outputs[0].property_path")
    assert not [i for i in parsed.issues if i.is_error]


# --------------------------------------------------------------------------- leniency


MINIMAL = """# Implementation Plan for DataSplit

## Overview
* **Purpose:** split data
* **Inputs:** raw data

## Components
1. Script Contract: `src/pipeline_script_contracts/data_split_contract.py`
   * Input paths:
     * `input_data` -> `/opt/ml/processing/input/data`
   * Output paths:
     * train (/opt/ml/processing/output/train)
     * test = /opt/ml/processing/output/test
2. Step Specification: `src/pipeline_step_specs/data_split_spec.py`
   * Dependencies:
     * input_data: DependencyType.PROCESSING_OUTPUT, required, from TabularPreprocessing
   * Outputs:
     * train: processing_output at properties.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri
"""


def test_bullet_variants() -> None:
    parsed = parse_markdown(MINIMAL)
    plan = parsed.plan
    contract = plan.components.script_contract
    assert [
        (p.logical_name, p.container_path) for p in contract.input_paths + contract.output_paths
    ] == [
        ("input_data", "/opt/ml/processing/input/data"),
        ("train", "/opt/ml/processing/output/train"),
        ("test", "/opt/ml/processing/output/test"),
    ]
    dep = plan.components.step_specification.dependencies[0]
    assert dep.dependency_type is DependencyType.PROCESSING_OUTPUT
    assert dep.required is True
    assert dep.compatible_sources == ["TabularPreprocessing"]
    output = plan.components.step_specification.outputs[0]
    assert (
        output.property_path == "properties.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
    )
    assert plan.overview.purpose == "split data"
    assert plan.overview.inputs == ["raw data"]
    assert plan.registry_entry.step_name == "DataSplit"
    assert plan.components.configuration.class_name == "DataSplitConfig"
    assert "IMPORT001" in _codes(parsed)


def test_missing_sections_and_unknown_labels_are_reported() -> None:
    text = MINIMAL + "\n## 9. Rollout\n- Phase one\n\n## 6. Error handling\n- Retries: three\n"
    parsed = parse_markdown(text)
    assert any("Rollout" in u for u in parsed.unread)
    assert any("Retries: three" in u for u in parsed.unread)
    missing = _issue(parsed, "IMPORT001")
    assert "6. Error Handling Strategy" not in missing and "3. Files to Update" in missing
    assert all(i.severity is Severity.WARNING for i in parsed.issues)


def test_invalid_enum_values_in_bullets_become_enum_issues() -> None:
    text = (
        MINIMAL.replace("DependencyType.PROCESSING_OUTPUT", "processing_input")
        + "   * Job type variants: training, train\n"
        + "   * Outputs:\n     * test (processing_output, S3URI, required)\n"
    )
    parsed = parse_markdown(text)
    paths = [i.path for i in parsed.issues if i.code == "ENUM001"]
    assert "components.step_specification.dependencies[0].dependency_type" in paths
    assert "components.step_specification.job_type_variants[1]" in paths
    spec = parsed.plan.components.step_specification
    assert spec.job_type_variants == [JobType.TRAINING, JobType.TRAINING]
    assert spec.outputs[-1].data_type is DataType.S3URI  # case-insensitive match is fine


def test_headings_with_other_wording_and_levels() -> None:
    text = (
        "# ModelCalibration Step - Implementation Plan\n\n"
        "### Step Overview\n- Purpose: p\n"
        "### 4) Integration\n- Upstream steps: XGBoostModelEval (eval_output → evaluation_data)\n"
        "### Testing\n- Unit tests: t1\n"
    )
    parsed = parse_markdown(text)
    assert parsed.plan.overview.purpose == "p"
    assert parsed.plan.integration.upstream_steps[0].dependency == "evaluation_data"
    assert parsed.plan.testing.unit_tests == ["t1"]


def test_title_forms() -> None:
    for title, name in [
        ("# Implementation Plan for [Model Calibration]", "ModelCalibration"),
        ("# Implementation Plan: `XGBoostModelEval` step", "XGBoostModelEval"),
        ("# Implementation Plan for the Payload Step", "Payload"),
    ]:
        plan = parse_markdown(f"{title}\n## 1. Step Overview\n- Purpose: x\n").plan
        assert plan.step_name == name


@pytest.mark.parametrize(
    "text",
    ["", "just notes\n- a list\n", "# Shopping list\n- eggs\n", '{"step_name": "X"}'],
)
def test_text_without_a_plan_is_rejected(text: str) -> None:
    assert not looks_like_plan(text)
    with pytest.raises(PlanImportError, match="not a seed-format implementation plan"):
        parse_markdown(text)


def test_repeated_section_is_reported() -> None:
    parsed = parse_markdown(MINIMAL + "\n## Overview\n- Purpose: again\n")
    assert parsed.plan.overview.purpose == "split data"
    assert "repeats an earlier section" in _issue(parsed, "IMPORT003")


def test_unclosed_block_that_is_not_python() -> None:
    text = MINIMAL + "\n## Implementation Details\n```python\nclass Broken(:\n    pass\n"
    parsed = parse_markdown(text)
    assert "IMPORT002" in _codes(parsed)
    assert isinstance(parsed.plan, ImplementationPlan)


# --------------------------------------------------------------------------- resolver candidates


def _with_candidates(plan: ImplementationPlan, *scores: float) -> ImplementationPlan:
    """``plan`` with one resolver candidate per score for its first dependency."""
    deps = plan.components.step_specification.dependencies
    dependency = deps[0].logical_name if deps else "evaluation_data"
    candidates = [
        ResolverCandidate(dependency=dependency, step=step, output=output, score=score)
        for (step, output), score in zip(
            [("XGBoostModelEval", "eval_output"), ("PyTorchModelEval", "eval-output.v2")],
            scores,
            strict=False,
        )
    ]
    integration = plan.integration.model_copy(update={"resolver_candidates": candidates})
    return plan.model_copy(update={"integration": integration})


def _integration(plan: ImplementationPlan, candidates: str, *, at_start: bool = False) -> str:
    """The rendered ``plan`` with ``candidates`` after the DAG updates (or first in section 4)."""
    text = render_markdown(plan)
    if at_start:
        heading = "## 4. Integration Strategy\n"
        return text.replace(heading, heading + "\n" + candidates + "\n")
    end = text.index("## 5. ")
    return text[:end] + candidates + "\n" + text[end:]


@pytest.mark.parametrize("name", sorted(PLANS))
def test_round_trip_with_resolver_candidates(name: str) -> None:
    plan = _with_candidates(PLANS[name], 0.82, 0.5)
    text = render_markdown(plan)
    assert "- Resolver candidates:" in text
    parsed = parse_markdown(text)
    assert (parsed.issues, parsed.unread) == ([], [])
    assert parsed.plan == plan
    assert render_markdown(parsed.plan) == text


def test_round_trip_of_candidates_with_awkward_names() -> None:
    candidates = [
        ResolverCandidate(dependency="model input (raw)", step="Eval", output="a.b-c", score=1.0),
        ResolverCandidate(dependency="x <- y", step="S_2", output="out", score=0.05),
    ]
    plan = PLANS["awkward_values"]
    plan = plan.model_copy(
        update={
            "integration": plan.integration.model_copy(update={"resolver_candidates": candidates})
        }
    )
    parsed = parse_markdown(render_markdown(plan))
    assert (parsed.plan, parsed.issues, parsed.unread) == (plan, [], [])


def test_resolver_scores_round_trip_at_two_decimals() -> None:
    parsed = parse_markdown(render_markdown(_with_candidates(PLANS["sample"], 0.8267)))
    assert [c.score for c in parsed.plan.integration.resolver_candidates] == [0.83]


def test_resolver_candidate_variants() -> None:
    text = _integration(
        PLANS["sample"],
        "- **Resolver candidates**:\n"
        "  * `evaluation_data` ← `XGBoostModelEval.eval_output`\n"
        "  * evaluation_data <- ModelEval.output (0.5)\n"
        "  * XGBoostModelEval.metrics -> evaluation_data, score: 0.41\n"
        "  * evaluation_data <-- Other.out (score=1) — the best match\n"
        "  * evaluation_data comes from somewhere\n",
    )
    parsed = parse_markdown(text)
    assert [
        (c.dependency, c.step, c.output, c.score)
        for c in parsed.plan.integration.resolver_candidates
    ] == [
        ("evaluation_data", "XGBoostModelEval", "eval_output", 0.0),
        ("evaluation_data", "ModelEval", "output", 0.5),
        ("evaluation_data", "XGBoostModelEval", "metrics", 0.41),
        ("evaluation_data", "Other", "out", 1.0),
    ]
    derived = _issue(parsed, "IMPORT006", "integration.resolver_candidates[0].score")
    assert "no score stated" in derived and "assumed 0.00" in derived
    assert "comes from somewhere" in _issue(parsed, "IMPORT003", "integration.resolver_candidates")
    assert parsed.unread == [
        f"4. Integration Strategy, line {_line(text, 'comes from')}: "
        "evaluation_data comes from somewhere"
    ]


def test_resolver_candidates_inline_and_empty() -> None:
    inline = _integration(
        PLANS["sample"], "- Resolver candidates: a <- S.o (score 0.10), b <- T.p\n"
    )
    candidates = parse_markdown(inline).plan.integration.resolver_candidates
    assert [(c.dependency, c.step, c.output, c.score) for c in candidates] == [
        ("a", "S", "o", 0.1),
        ("b", "T", "p", 0.0),
    ]
    empty = parse_markdown(_integration(PLANS["sample"], "- Resolver candidates: (none)\n"))
    assert empty.plan == PLANS["sample"] and empty.issues == []


def test_resolver_candidates_from_tables() -> None:
    table = (
        "| Dependency | {step} | Output | Score |\n|---|---|---|---|\n"
        "| evaluation_data | XGBoostModelEval | eval_output | 0.82 |\n"
        "| evaluation_data | Other | out | high |\n"
    )
    expected = [
        ResolverCandidate(
            dependency="evaluation_data", step="XGBoostModelEval", output="eval_output", score=0.82
        )
    ]
    labelled = _integration(
        PLANS["sample"], "- Resolver candidates:\n\n" + table.format(step="Step") + "\n"
    )
    unlabelled = _integration(PLANS["sample"], table.format(step="Producer"), at_start=True)
    for variant in (labelled, unlabelled):
        parsed = parse_markdown(variant)
        assert parsed.plan.integration.resolver_candidates == expected
        assert parsed.plan.integration.dag_updates == PLANS["sample"].integration.dag_updates
        message = _issue(parsed, "IMPORT003", "integration.resolver_candidates")
        assert "Other | out | high" in message
        assert [i.code for i in parsed.issues] == ["IMPORT003"]


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_code_blocks_read_like_the_codebase_index_reads_the_same_code(tmp_path: Path) -> None:
    code = (
        "MODEL_CALIBRATION_TRAINING_SPEC = StepSpecification(\n"
        '    step_type=get_spec_step_type_with_job_type("ModelCalibration", "training"),\n'
        "    node_type=NodeType.INTERNAL,\n"
        "    dependencies=[\n"
        "        DependencySpec(\n"
        '            logical_name="evaluation_data",\n'
        "            dependency_type=DependencyType.PROCESSING_OUTPUT,\n"
        '            compatible_sources=("XGBoostModelEval",),\n'
        "        ),\n"
        "    ],\n"
        "    outputs={\n"
        '        "calibration_model": OutputSpec(\n'
        '            logical_name="calibration_model",\n'
        "            output_type=DependencyType.MODEL_ARTIFACTS,\n"
        "            property_path=\"properties.ProcessingOutputConfig.Outputs['calibration_model']"
        '.S3Output.S3Uri",\n'
        "        ),\n"
        "    },\n"
        ")\n"
    )
    specs = tmp_path / "src" / "pipeline_step_specs"
    specs.mkdir(parents=True)
    (specs / "model_calibration_training_spec.py").write_text(code)
    with pytest.warns(CodebaseWarning, match="no STEP_NAMES registry"):
        indexed = CodebaseIndex.from_path(tmp_path).steps["ModelCalibration"].specs[0]
    parsed = parse_markdown(
        f"# Implementation Plan for ModelCalibration\n\n## Implementation Details\n\n"
        f"```python\n{code}```\n"
    ).plan.components.step_specification
    assert indexed.step_type == "ModelCalibration_Training"
    assert parsed.job_type_variants == [JobType.TRAINING]
    assert parsed.node_type is indexed.node_type is NodeType.INTERNAL
    assert parsed.dependencies == indexed.dependencies
    assert parsed.outputs == indexed.outputs
