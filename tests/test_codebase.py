"""Tests for planner_agent.checks._codebase: the static index of a pipeline repository."""

from __future__ import annotations

import importlib.util
import shutil
import warnings
from pathlib import Path

import pytest
from fixture_plans import BROKEN_CODEBASE, CODEBASE, fixture_index, fixture_plan

from planner_agent.checks._codebase import (
    CodebaseIndex,
    CodebaseWarning,
    index_codebase,
    rank_examples,
)
from planner_agent.checks._scan import scan
from planner_agent.conventions import Layout
from planner_agent.errors import CodebaseError
from planner_agent.plan import DependencyType, NodeType, SageMakerStepType
from planner_agent.prompt._knowledge import Example

FIXTURE_STEPS = [
    "CradleDataLoading",
    "TabularPreprocessing",
    "XGBoostTraining",
    "XGBoostModelEval",
    "Package",
    "Registration",
]


def test_indexes_the_fixture_registry_contracts_specs_and_classes() -> None:
    index = fixture_index()
    assert list(index.steps) == FIXTURE_STEPS
    assert index.warnings == ()
    assert index.registry["XGBoostTraining"] is SageMakerStepType.TRAINING
    assert index.registry["Registration"] is SageMakerStepType.MIMS_MODEL_REGISTRATION_PROCESSING
    for name, step in index.steps.items():
        assert step.config_class == f"{name}Config"
        assert step.builder_class == f"{name}StepBuilder"
        assert step.contract is not None and step.specs
        assert step.registry_entry is not None and step.description
    training = index.steps["XGBoostTraining"]
    assert training.contract is not None
    assert [p.container_path for p in training.contract.input_paths] == [
        "/opt/ml/input/data",
        "/opt/ml/input/config",
    ]
    spec = training.specs[0]
    assert spec.node_type is NodeType.INTERNAL
    assert spec.outputs[0].aliases == ["model_input"]
    assert spec.dependencies[1].required is False
    # Dict-form dependencies and a string enum value are read too.
    package = index.steps["Package"].specs[0]
    assert [d.dependency_type for d in package.dependencies] == [
        DependencyType.MODEL_ARTIFACTS,
        DependencyType.CUSTOM_PROPERTY,
    ]
    assert index.steps["Registration"].specs[0].node_type is NodeType.SINK


def test_job_variants_are_specs_of_one_step() -> None:
    step = fixture_index().steps["TabularPreprocessing"]
    assert [s.step_type for s in step.specs] == [
        "TabularPreprocessing_Training",
        "TabularPreprocessing_Validation",
        "TabularPreprocessing_Testing",
        "TabularPreprocessing_Calibration",
    ]
    assert step.job_types == ["training", "validation", "testing", "calibration"]
    assert [o.logical_name for o in step.outputs()] == ["processed_data"]


@pytest.mark.parametrize(
    "name",
    ["TabularPreprocessing", "TabularPreprocessing_Training", "TabularPreprocessing-Calibration"],
)
def test_find_step_handles_job_suffixes(name: str) -> None:
    step = fixture_index().find_step(name)
    assert step is not None and step.name == "TabularPreprocessing"


def test_find_step_unknown_is_none() -> None:
    assert fixture_index().find_step("PytorchTraining") is None


def test_producers_include_every_variant() -> None:
    producers = {(t, o.logical_name) for t, o in fixture_index().producers()}
    assert ("TabularPreprocessing_Testing", "processed_data") in producers
    assert ("XGBoostTraining", "model_output") in producers
    assert len(producers) == 11


def test_fixture_plans_match_the_indexed_components() -> None:
    index = fixture_index()
    for name in FIXTURE_STEPS:
        plan, step = fixture_plan(name), index.steps[name]
        assert step.contract is not None
        contract = plan.components.script_contract
        assert contract.input_paths == step.contract.input_paths
        assert contract.output_paths == step.contract.output_paths
        assert contract.required_env_vars == step.contract.required_env_vars
        spec = plan.components.step_specification
        indexed = step.specs[0]
        assert [(d.logical_name, d.dependency_type) for d in spec.dependencies] == [
            (d.logical_name, d.dependency_type) for d in indexed.dependencies
        ]
        assert [(o.logical_name, o.property_path) for o in spec.outputs] == [
            (o.logical_name, o.property_path) for o in indexed.outputs
        ]
        assert spec.node_type is indexed.node_type
        assert plan.registry_entry.model_dump(exclude={"description"}) == (
            step.registry_entry.model_dump(exclude={"description"}) if step.registry_entry else None
        )


def test_registry_digest_one_line_per_step() -> None:
    digest = fixture_index().registry_digest()
    lines = digest.splitlines()
    assert len(lines) == 6
    assert lines[2].startswith(
        "XGBoostTraining (Training): model_output [model_artifacts] (aliases model_input)"
    )
    assert "job types training, validation, testing, calibration" in lines[1]
    short = fixture_index().registry_digest(max_steps=2).splitlines()
    assert short[-1] == "... and 4 more steps" and len(short) == 3


def test_examples_are_compact_units_per_step() -> None:
    examples = fixture_index().examples()
    assert [e.name for e in examples] == FIXTURE_STEPS
    evaluation = examples[3]
    assert isinstance(evaluation, Example)
    assert evaluation.sagemaker_step_type == "Processing"
    assert "xgboost" in evaluation.keywords and "evaluation" in evaluation.keywords
    assert "`model_input` -> `/opt/ml/processing/input/model`" in evaluation.body
    assert "output `metrics_output`" in evaluation.body
    assert evaluation.text.startswith("### XGBoostModelEval (Processing)")
    assert len(evaluation.text) < 1500  # Economical: not whole files.


def test_rank_examples_is_lexical_deterministic_and_prefers_step_type() -> None:
    examples = fixture_index().examples()
    ranked = rank_examples("evaluate the trained model and compute metrics", examples, 2)
    assert ranked[0].name == "XGBoostModelEval"
    assert rank_examples("evaluate the trained model", examples, 2) == rank_examples(
        "evaluate the trained model", examples, 2
    )
    assert rank_examples("a new step", examples, 1)[0].name == "CradleDataLoading"  # All tie.
    training = rank_examples("a new step", examples, 1, prefer_step_type=SageMakerStepType.TRAINING)
    assert training[0].name == "XGBoostTraining"
    assert rank_examples("anything", examples, 0) == []
    assert len(rank_examples("anything", examples, 10)) == 6


def test_missing_path_raises_codebase_error(tmp_path: Path) -> None:
    with pytest.raises(CodebaseError, match="does not exist"):
        CodebaseIndex.from_path(tmp_path / "nope")
    file = tmp_path / "file.py"
    file.write_text("x = 1\n")
    with pytest.raises(CodebaseError, match="not a directory"):
        index_codebase(file)


def test_unreadable_files_say_why(tmp_path: Path) -> None:
    steps = tmp_path / "src" / "pipeline_steps"
    steps.mkdir(parents=True)
    (steps / "builder_gone_step.py").symlink_to(tmp_path / "nowhere.py")
    (steps / "builder_ok_step.py").write_text("x = 1\n")
    with pytest.warns(CodebaseWarning):
        index = CodebaseIndex.from_path(tmp_path)
    assert any(
        w.endswith("builder_gone_step.py: skipped, does not exist") for w in index.warnings
    ), index.warnings
    assert not any("builder_ok_step.py" in w for w in index.warnings)


def test_broken_files_are_skipped_with_warnings() -> None:
    with pytest.warns(CodebaseWarning) as caught:
        index = CodebaseIndex.from_path(BROKEN_CODEBASE)
    text = "\n".join(index.warnings)
    assert "syntax_error_contract.py: skipped, cannot be parsed" in text
    assert "binary_spec.py: skipped, is a binary file" in text
    assert "nul_bytes_config.py: skipped, is a binary file" in text
    assert "dependency 'extra_input' skipped" in text  # Invalid enum value in user code.
    assert "unknown sagemaker_step_type 'NotAStepType'" in text
    assert len(caught) == len(index.warnings)
    good = index.steps["GoodStep"]
    assert good.contract is not None
    assert [d.logical_name for d in good.specs[0].dependencies] == ["data_input"]
    assert index.registry["OddStep"] is None


def test_user_code_is_never_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CodebaseWarning)
        CodebaseIndex.from_path(BROKEN_CODEBASE)
    assert not (tmp_path / "INDEXER_EXECUTED_USER_CODE").exists()


def _copy_to_custom_roots(tmp_path: Path) -> Path:
    """The fixture codebase with every folder renamed (``src/pipeline_steps`` -> ``lib/steps``, ...)."""
    src = CODEBASE / "src"
    moves = {
        "pipeline_registry": "lib/registry",
        "pipeline_script_contracts": "lib/contracts",
        "pipeline_step_specs": "lib/specs",
        "pipeline_steps": "lib/steps",
        "pipeline_scripts": "lib/scripts",
    }
    for old, new in moves.items():
        shutil.copytree(src / old, tmp_path / new)
    return tmp_path


def test_custom_roots_through_layout(tmp_path: Path) -> None:
    root = _copy_to_custom_roots(tmp_path)
    layout = Layout(
        contracts_dir="lib/contracts",
        specs_dir="lib/specs",
        steps_dir="lib/steps",
        scripts_dir="lib/scripts",
        registry_file="lib/registry/step_names.py",
    )
    index = CodebaseIndex.from_path(root, layout=layout)
    assert list(index.steps) == FIXTURE_STEPS and index.layout is layout
    assert index.steps["Package"].contract is not None
    assert index.steps["Package"].contract.file_path == "lib/contracts/package_contract.py"


def test_find_files_by_content_when_folders_differ(tmp_path: Path) -> None:
    root = _copy_to_custom_roots(tmp_path)
    (root / "lib" / "notes.py").write_text("NOTHING = 1\n")
    index = CodebaseIndex.from_path(root)  # Default layout: none of its folders exist.
    assert list(index.steps) == FIXTURE_STEPS
    assert index.steps["XGBoostModelEval"].config_class == "XGBoostModelEvalConfig"
    assert sum(len(s.specs) for s in index.steps.values()) == 9


def test_spec_only_repository_without_registry(tmp_path: Path) -> None:
    shutil.copytree(CODEBASE / "src" / "pipeline_step_specs", tmp_path / "specs")
    with pytest.warns(CodebaseWarning, match="no STEP_NAMES registry"):
        index = CodebaseIndex.from_path(tmp_path)
    assert set(index.steps) == set(FIXTURE_STEPS)
    assert not index.has_step_types


def test_without_removes_steps() -> None:
    index = fixture_index().without("Package")
    assert "Package" not in index.steps and "Package" not in index.registry
    assert "Package" in fixture_index().steps


def _load_benchmark() -> object:
    path = Path(__file__).parents[1] / "benchmarks" / "index_codebase.py"
    spec = importlib.util.spec_from_file_location("index_codebase_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_indexes_the_benchmarks_generated_500_step_repository(tmp_path: Path) -> None:
    """The repository benchmarks/index_codebase.py times is indexed completely and cleanly."""
    benchmark = _load_benchmark()
    benchmark.generate_repo(tmp_path, 500)  # type: ignore[attr-defined]
    index = CodebaseIndex.from_path(tmp_path)
    assert len(index.steps) == 500 and index.warnings == ()
    assert len(index.steps["Step0005Processing"].specs) == 4


def test_contract_values_must_be_stated_as_literals(tmp_path: Path) -> None:
    contracts = tmp_path / "src" / "pipeline_script_contracts"
    contracts.mkdir(parents=True)
    (contracts / "x_contract.py").write_text(
        "X_CONTRACT = ScriptContract(\n"
        '    entry_point="x.py",\n'
        '    expected_input_paths={"data": "/opt/ml/processing/input/data"},\n'
        '    expected_output_paths={OUT: "/opt/ml/processing/output"},\n'
        '    required_env_vars=("A", "B"),\n'
        ")\n"
    )
    found = scan(tmp_path, Layout())
    contract = found.contracts["X_CONTRACT"]
    assert [p.logical_name for p in contract.input_paths] == ["data"]
    assert contract.output_paths == []  # A name as a key is not a literal: nothing is guessed.
    assert contract.required_env_vars == ["A", "B"]  # Tuples read like lists.
