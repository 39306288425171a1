"""The index reads the real repositories' forms: step types built by helpers, registries merged
from dicts in several modules; what it cannot read is a `CodebaseWarning` naming the file."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from layout_trees import SIBLING, STEPS, sibling_tree, spec_text, write_file

from planner_agent.checks import CodebaseIndex, CodebaseWarning

VARIANT_FORMS = [
    '"{name}_{Job}"',
    'get_spec_step_type_with_job_type("{name}", "{job}")',
    # The older sibling repository's variants: the helper's base plus a suffix.
    'get_spec_step_type("{name}") + "_{Job}"',
    'get_spec_step_type("{name}") + "_" + "{Job}"',
    "f\"{{get_spec_step_type('{name}')}}_{Job}\"",
]


def _index(root: Path) -> CodebaseIndex:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CodebaseWarning)  # a clean index warns about nothing
        return CodebaseIndex.from_path(root)


# --------------------------------------------------------------------------- step types


@pytest.mark.parametrize("form", VARIANT_FORMS)
def test_variant_step_types_built_by_helpers_are_read(tmp_path: Path, form: str) -> None:
    index = _index(sibling_tree(tmp_path, variant_form=form))
    step = index.steps["TabularPreprocessing"]
    assert [s.step_type for s in step.specs] == [
        "TabularPreprocessing",
        "TabularPreprocessing_Training",
        "TabularPreprocessing_Validation",
    ]
    assert step.job_types == ["training", "validation"]
    producers = {name for name, _ in index.producers()}
    assert "TabularPreprocessing_Validation" in producers


def test_a_step_type_stated_once_as_a_module_constant_is_read(tmp_path: Path) -> None:
    sibling_tree(tmp_path)
    text = '_BASE = get_spec_step_type("XGBoostModelEval")\n' + spec_text(
        "XGBOOST_MODEL_EVAL_TESTING_SPEC", '_BASE + "_Testing"', "Processing", "eval_output"
    )
    write_file(tmp_path, f"{SIBLING['specs']}/xgboost_model_eval_testing_spec.py", text)
    step = _index(tmp_path).steps["XGBoostModelEval"]
    assert step.job_types == ["testing"]


@pytest.mark.parametrize(
    "expression",
    ['make_step_type("ModelCalibration")', "f\"{get_spec_step_type('X'):>10}\"", "UNDEFINED"],
)
def test_an_unreadable_step_type_is_a_warning_naming_the_file(
    tmp_path: Path, expression: str
) -> None:
    sibling_tree(tmp_path)
    rel = f"{SIBLING['specs']}/model_calibration_spec.py"
    write_file(tmp_path, rel, spec_text("MODEL_CALIBRATION_SPEC", expression, "Processing"))
    with pytest.warns(CodebaseWarning) as caught:
        index = CodebaseIndex.from_path(tmp_path)
    message = next(str(w.message) for w in caught if rel in str(w.message))
    assert "MODEL_CALIBRATION_SPEC skipped: step_type" in message
    assert expression.split("(")[0] in message  # the form is shown
    assert index.steps["ModelCalibration"].specs == ()  # the registry still knows the step


# --------------------------------------------------------------------------- registries

ENTRY = (
    '{{"config_class": "{n}Config", "builder_step_name": "{n}StepBuilder", '
    '"spec_type": "{n}", "sagemaker_step_type": "Processing", "description": "{n}"}}'
)


def _entries(*names: str) -> str:
    return "{" + ", ".join(f'"{n}": ' + ENTRY.format(n=n) for n in names) + "}"


def _registry_repo(root: Path, files: dict[str, str]) -> Path:
    """The sibling tree with its registry replaced by ``files`` (relative to the registry
    package ``src/pipeline_registry``)."""
    sibling_tree(root)
    (root / SIBLING["registry"]).unlink()
    for name, text in files.items():
        write_file(root, f"src/pipeline_registry/{name}", text)
    return root


def test_a_registry_merged_from_dicts_in_several_modules_is_read(tmp_path: Path) -> None:
    names = list(STEPS)
    _registry_repo(
        tmp_path,
        {
            "base_steps.py": f"BASE_STEPS = {_entries(*names[:3])}\n",
            "extra_steps.py": f"EXTRA = {_entries(names[3])}\n",
            "step_names.py": (
                "from .base_steps import BASE_STEPS\n"
                "from src.pipeline_registry.extra_steps import EXTRA as _EXTRA\n"
                f"_LOCAL = {_entries('Merged')}\n"
                f"STEP_NAMES = {{**BASE_STEPS, **_EXTRA, **_LOCAL, 'Inline': {ENTRY.format(n='Inline')}}}\n"
                f"STEP_NAMES.update({_entries('Updated')})\n"
                f"STEP_NAMES['Item'] = {ENTRY.format(n='Item')}\n"
                f"STEP_NAMES |= {_entries('OrAssigned')}\n"
            ),
        },
    )
    index = _index(tmp_path)
    added = ["Merged", "Inline", "Updated", "Item", "OrAssigned"]
    assert list(index.registry) == [*names, *added]
    assert index.steps["Updated"].registry_entry is not None
    assert index.steps["Item"].registry_entry.config_class == "ItemConfig"  # type: ignore[union-attr]
    # The registry file is where most entries are written.
    assert index.layout.registry_file == "src/pipeline_registry/step_names.py"


@pytest.mark.parametrize(
    "expression",
    ["dict(BASE, **EXTRA)", "BASE | EXTRA", "{**copy.deepcopy(BASE), **EXTRA.copy()}"],
)
def test_merge_forms(tmp_path: Path, expression: str) -> None:
    _registry_repo(
        tmp_path,
        {
            "parts.py": f"BASE = {_entries(*list(STEPS)[:3])}\nEXTRA = {_entries('Extra')}\n",
            "step_names.py": f"import copy\nfrom .parts import BASE, EXTRA\nSTEP_NAMES = {expression}\n",
        },
    )
    index = _index(tmp_path)
    assert list(index.registry) == [*list(STEPS)[:3], "Extra"]
    # Most entries are in parts.py: that is where a new entry goes.
    assert index.layout.registry_file == "src/pipeline_registry/parts.py"


def test_entries_given_by_name_or_with_shared_fields_are_read(tmp_path: Path) -> None:
    _registry_repo(
        tmp_path,
        {
            "step_names.py": (
                '_COMMON = {"sagemaker_step_type": "Processing", "description": "shared"}\n'
                '_X = {**_COMMON, "config_class": "XConfig", "builder_step_name": "XStepBuilder"}\n'
                'STEP_NAMES = {"X": _X, "Y": {**_COMMON, "config_class": "YConfig"}}\n'
            )
        },
    )
    index = _index(tmp_path)
    x, y = index.steps["X"].registry_entry, index.steps["Y"].registry_entry
    assert x is not None and x.config_class == "XConfig" and x.description == "shared"
    assert y is not None and y.sagemaker_step_type is not None
    assert y.sagemaker_step_type.value == "Processing"


def test_an_unreadable_part_is_a_warning_and_the_rest_is_read(tmp_path: Path) -> None:
    _registry_repo(
        tmp_path,
        {
            "step_names.py": (
                f"BASE = {_entries('Kept')}\n"
                "STEP_NAMES = {**BASE, **load_plugins()}\n"
                'STEP_NAMES["Computed"] = {"config_class": name_of("Computed")}\n'
            )
        },
    )
    with pytest.warns(CodebaseWarning) as caught:
        index = CodebaseIndex.from_path(tmp_path)
    messages = [str(w.message) for w in caught]
    assert list(index.registry) == ["Kept"]
    assert any(
        m.startswith("src/pipeline_registry/step_names.py: line 2: load_plugins()")
        for m in messages
    )
    assert any("entry 'Computed' is not a literal" in m for m in messages)


def test_a_registry_built_only_by_a_call_is_a_warning(tmp_path: Path) -> None:
    # A call beside a literal elsewhere (the release's step_names.py) is no loss: no warning
    # (test_layout checks the release tree indexes cleanly); alone, nothing is read: say so.
    _registry_repo(tmp_path, {"step_names.py": "STEP_NAMES = get_step_names()\n"})
    with pytest.warns(CodebaseWarning) as caught:
        index = CodebaseIndex.from_path(tmp_path)
    messages = [str(w.message) for w in caught]
    assert any("step_names.py: line 1: get_step_names()" in m for m in messages)
    assert any("no STEP_NAMES registry found" in m for m in messages)
    assert not index.has_step_types


def test_names_that_refer_to_each_other_do_not_loop(tmp_path: Path) -> None:
    _registry_repo(
        tmp_path,
        {
            "step_names.py": "from .a import A\nSTEP_NAMES = {**A}\n",
            "a.py": "from .step_names import STEP_NAMES as A\n",
        },
    )
    with pytest.warns(CodebaseWarning, match="step_names.py"):
        index = CodebaseIndex.from_path(tmp_path)
    assert dict(index.registry) == dict.fromkeys(index.steps)


def test_a_spec_named_like_a_registry_step_but_for_case_is_a_warning(tmp_path: Path) -> None:
    # The older sibling's PyTorch specs ask get_spec_step_type("PytorchTraining") of a registry
    # that spells it PyTorchTraining: the framework would fail; the index says so.
    sibling_tree(tmp_path)
    rel = f"{SIBLING['specs']}/xgboost_training_spec.py"
    (tmp_path / rel).write_text(
        spec_text("XGBOOST_TRAINING_SPEC", 'get_spec_step_type("XgboostTraining")', "Training")
    )
    with pytest.warns(
        CodebaseWarning, match=f"{rel}: step_type 'XgboostTraining'.*'XGBoostTraining'"
    ):
        index = CodebaseIndex.from_path(tmp_path)
    assert index.steps["XGBoostTraining"].specs == ()
    assert [s.step_type for s in index.steps["XgboostTraining"].specs] == ["XgboostTraining"]
