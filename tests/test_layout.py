"""Layout: separate config and builder folders, detection from a codebase, and user overrides."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import pytest
from layout_trees import RELEASE, SIBLING, STEPS, layout_of, release_tree, sibling_tree

from planner_agent import Layout, Planner
from planner_agent.checks import CodebaseIndex, check_plan
from planner_agent.conventions import DEFAULT_LAYOUT
from planner_agent.draft import PlanDraft
from planner_agent.errors import ConfigurationError
from planner_agent.scaffold import scaffold_step
from planner_agent.settings import Settings
from planner_agent.testing import Reply, ScriptedServer, sample_draft

MODEL = "gpt-4o-mini"
NEW_STEP = "ScoreCalibration"


def _folders(layout: Layout) -> Layout:
    """The layout without its ``init_files`` (compared separately)."""
    return dataclasses.replace(layout, init_files=None)


# --------------------------------------------------------------------------- Layout itself


def test_steps_dir_fills_configs_and_builders_for_older_code() -> None:
    both = Layout(steps_dir="lib/steps", contracts_dir="lib/contracts")
    assert both.configs_dir == both.builders_dir == both.steps_dir == "lib/steps"
    apart = Layout(steps_dir="lib/steps", builders_dir="lib/builders")
    assert (apart.configs_dir, apart.builders_dir) == ("lib/steps", "lib/builders")
    assert both.config_file("x") == "lib/steps/config_x_step.py"
    assert apart.builder_file("x") == "lib/builders/builder_x_step.py"


def test_standard_updates_list_each_package_once() -> None:
    assert DEFAULT_LAYOUT.standard_updates() == (
        "src/pipeline_registry/step_names.py",
        "src/pipeline_steps/__init__.py",
        "src/pipeline_step_specs/__init__.py",
        "src/pipeline_script_contracts/__init__.py",
    )
    split = layout_of(RELEASE)
    assert split.standard_updates() == (
        "src/cursus/registry/step_names_original.py",
        "src/cursus/steps/configs/__init__.py",
        "src/cursus/steps/builders/__init__.py",
        "src/cursus/steps/specs/__init__.py",
        "src/cursus/steps/contracts/__init__.py",
    )
    assert Layout(init_files=()).standard_updates() == (DEFAULT_LAYOUT.registry_file,)


@pytest.mark.parametrize(
    ("field", "value"),
    [("configs_dir", ""), ("specs_dir", "/abs/specs"), ("steps_dir", "../up"), ("scripts_dir", 3)],
)
def test_bad_layout_values_are_configuration_errors(field: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=field):
        Layout(**{field: value})  # type: ignore[arg-type]


def test_layout_fields_are_keyword_only() -> None:
    # The old positional order had one steps folder; a silent shift would misplace every file.
    with pytest.raises(TypeError):
        Layout("a", "b", "c")  # type: ignore[misc]


def test_settings_reject_a_layout_of_another_type() -> None:
    with pytest.raises(ConfigurationError, match="layout"):
        Settings(layout="src/steps")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- detection


def test_detects_the_four_layer_release_layout(tmp_path: Path) -> None:
    index = CodebaseIndex.from_path(release_tree(tmp_path))
    assert set(index.steps) == set(STEPS)
    assert _folders(index.detected_layout) == layout_of(RELEASE)
    assert index.layout is index.detected_layout  # nothing given: the detected layout is used
    # step_names.py builds STEP_NAMES by a call; the literal is in step_names_original.py.
    assert index.layout.registry_file.endswith("registry/step_names_original.py")
    assert index.layout.standard_updates() == layout_of(RELEASE).standard_updates()
    assert len(index.steps["TabularPreprocessing"].specs) == 3


def test_detects_the_older_sibling_layout(tmp_path: Path) -> None:
    index = CodebaseIndex.from_path(sibling_tree(tmp_path))
    assert _folders(index.layout) == layout_of(SIBLING) == DEFAULT_LAYOUT
    assert index.layout.configs_dir == index.layout.builders_dir == "src/pipeline_steps"
    assert index.layout.standard_updates() == DEFAULT_LAYOUT.standard_updates()


def test_a_later_copy_of_the_release_beside_the_sibling_layout_does_not_win(
    tmp_path: Path,
) -> None:
    # The sibling repository's last four-layer commit holds both trees; its own folders count.
    sibling_tree(tmp_path)
    release_tree(tmp_path)
    index = CodebaseIndex.from_path(tmp_path)
    assert _folders(index.layout) == layout_of(SIBLING)
    assert all(
        s.file_path.startswith("src/pipeline_step_specs/")
        for s in index.steps["ModelCalibration"].specs
    )


def test_most_common_folder_wins_and_strays_do_not_move_it(tmp_path: Path) -> None:
    release_tree(tmp_path)
    stray = tmp_path / "src/cursus/core/base/config_base.py"
    stray.parent.mkdir(parents=True)
    stray.write_text("class BasePipelineConfig:\n    pass\n")
    index = CodebaseIndex.from_path(tmp_path)
    assert index.layout.configs_dir == RELEASE["configs"]
    assert "BasePipelineConfig" in index.config_classes


def test_a_component_folder_without_init_is_not_a_file_to_update(tmp_path: Path) -> None:
    release_tree(tmp_path)
    (tmp_path / RELEASE["builders"] / "__init__.py").unlink()
    updates = CodebaseIndex.from_path(tmp_path).layout.standard_updates()
    assert f"{RELEASE['configs']}/__init__.py" in updates
    assert f"{RELEASE['builders']}/__init__.py" not in updates


def test_scripts_folder_is_where_the_entry_points_are(tmp_path: Path) -> None:
    release_tree(tmp_path)
    scripts = tmp_path / RELEASE["scripts"]
    scripts.rename(scripts.with_name("processing"))
    assert CodebaseIndex.from_path(tmp_path).layout.scripts_dir == "src/cursus/steps/processing"


# --------------------------------------------------------------------------- using it


def _plan_with(repo: Path, **planner_options: object) -> tuple[Planner, object]:
    with ScriptedServer([Reply.json(sample_draft(NEW_STEP))]) as server:
        planner = Planner(client=server.client(), model=MODEL, codebase=repo, **planner_options)  # type: ignore[arg-type]
        result = planner.plan(f"Calibrate the scores of a trained model ({NEW_STEP}).")
    return planner, result


def test_the_planner_plans_files_in_the_detected_layout(tmp_path: Path) -> None:
    planner, result = _plan_with(release_tree(tmp_path))
    plan = result.plan  # type: ignore[attr-defined]
    assert planner.layout is planner.codebase.layout  # type: ignore[union-attr]
    c = plan.components
    assert c.script_contract.file_path == f"{RELEASE['contracts']}/score_calibration_contract.py"
    assert c.step_specification.file_path == f"{RELEASE['specs']}/score_calibration_spec.py"
    assert c.configuration.file_path == f"{RELEASE['configs']}/config_score_calibration_step.py"
    assert c.step_builder.file_path == f"{RELEASE['builders']}/builder_score_calibration_step.py"
    assert c.processing_script.file_path == f"{RELEASE['scripts']}/score_calibration.py"
    assert RELEASE["registry"] in plan.files_to_update
    codes = {i.code for i in result.issues}  # type: ignore[attr-defined]
    assert not codes & {"NAME008", "ALIGN005"}, result.issues  # type: ignore[attr-defined]


def test_name008_and_files_to_update_point_to_the_detected_folders(tmp_path: Path) -> None:
    release_tree(tmp_path)
    plan = PlanDraft.model_validate(sample_draft(NEW_STEP)).to_plan()  # default layout
    issues = check_plan(plan, codebase=tmp_path)
    messages = {i.path: i.message for i in issues if i.code == "NAME008"}
    assert (
        f"{RELEASE['builders']}/builder_score_calibration_step.py"
        in messages["components.step_builder.file_path"]
    )
    assert (
        f"{RELEASE['configs']}/config_score_calibration_step.py"
        in messages["components.configuration.file_path"]
    )
    align = [i.message for i in issues if i.code == "ALIGN005"]
    assert align and RELEASE["registry"] in align[0]
    # Without the codebase the default layout is right for the same plan.
    assert not {i.code for i in check_plan(plan)} & {"NAME008", "ALIGN005"}


def test_a_layout_given_overrides_the_detected_one(tmp_path: Path) -> None:
    release_tree(tmp_path)
    mine = Layout(
        contracts_dir=RELEASE["contracts"],
        specs_dir=RELEASE["specs"],
        steps_dir="src/cursus/steps/mine",
        scripts_dir=RELEASE["scripts"],
        registry_file=RELEASE["registry"],
    )
    planner, result = _plan_with(tmp_path, layout=mine)
    assert planner.layout is mine and planner.codebase.layout is mine  # type: ignore[union-attr]
    assert _folders(planner.codebase.detected_layout) == layout_of(RELEASE)  # type: ignore[union-attr]
    plan = result.plan  # type: ignore[attr-defined]
    assert plan.components.step_builder.file_path.startswith("src/cursus/steps/mine/")
    # A prebuilt index takes the layout given too, so the plan and its checks agree.
    index = CodebaseIndex.from_path(tmp_path)
    with ScriptedServer([]) as server:
        other = Planner(client=server.client(), model=MODEL, codebase=index, layout=mine)
    assert other.codebase is not None and other.codebase.layout is mine
    assert index.layout is index.detected_layout  # the caller's index is not changed


def test_scaffolding_writes_where_the_index_layout_says(tmp_path: Path) -> None:
    # One detection: the scaffold places files by the index's layout (given or detected).
    index = CodebaseIndex.from_path(release_tree(tmp_path))
    plan = PlanDraft.model_validate(sample_draft(NEW_STEP)).to_plan()  # default-layout paths
    moved = dataclasses.replace(
        index, layout=dataclasses.replace(index.layout, builders_dir="src/cursus/steps/mine")
    )
    for repo, builders in ((index, RELEASE["builders"]), (moved, "src/cursus/steps/mine")):
        paths = {f.kind: f.path for f in scaffold_step(plan, repo, dry_run=True).files}
        assert paths["builder"] == f"{builders}/builder_score_calibration_step.py"
        assert paths["config"] == f"{RELEASE['configs']}/config_score_calibration_step.py"
        assert paths["registry"] == RELEASE["registry"]


def test_the_release_tree_indexes_without_warnings(tmp_path: Path) -> None:
    # Its step_names.py builds STEP_NAMES by a call: no loss, the literal is read elsewhere.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        index = CodebaseIndex.from_path(release_tree(tmp_path))
    assert index.warnings == () and set(index.registry) == set(STEPS)


def test_the_prompt_tells_the_model_the_codebase_layout(tmp_path: Path) -> None:
    # A markdown reply writes the paths itself: the prompt says where this codebase keeps files.
    planner = Planner(model=MODEL, codebase=release_tree(tmp_path))
    text = "\n".join(m["content"] for m in planner.prompt("Calibrate scores.").messages)
    assert f"builders in `{RELEASE['builders']}`" in text
    assert f"registry `{RELEASE['registry']}`" in text
