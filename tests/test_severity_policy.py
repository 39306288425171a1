"""The severity policy: errors need evidence, conventions warn, a codebase's own conventions win.

Each false alarm of issue #10 is reproduced with the facts of real, working steps of the public
framework (names, paths, env-var mappings) and must not be an error; each real mistake still is.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fixture_plans import CODEBASE, fixture_index, fixture_plan

from planner_agent.checks import RULES, CodebaseIndex, check_plan
from planner_agent.checks._policy import CONVENTION, POLICY, REPAIR, policy_table_markdown
from planner_agent.cli import main
from planner_agent.draft import PlanDraft
from planner_agent.plan import (
    DependencyType,
    ImplementationPlan,
    PlanIssue,
    Severity,
    UpstreamLink,
)
from planner_agent.seedformat import parse_markdown, render_markdown
from planner_agent.seedformat._builder_code import builder_block

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _codes(issues: list[PlanIssue]) -> dict[str, Severity]:
    return {i.code: i.severity for i in issues}


def _errors(issues: list[PlanIssue]) -> list[str]:
    return [str(i) for i in issues if i.is_error]


def _plan(name: str) -> ImplementationPlan:
    return fixture_plan(name).model_copy(deep=True)


# --------------------------------------------------------------------------- the policy table


def test_every_rule_is_classified_and_conventions_only_warn() -> None:
    assert set(POLICY) == set(RULES)
    for code, (kind, why) in POLICY.items():
        expected = {CONVENTION: Severity.WARNING, REPAIR: Severity.INFO}.get(kind, Severity.ERROR)
        assert RULES[code].severity is expected, f"{code} is a {kind}: {why}"
        assert (kind == REPAIR) == (RULES[code].family == "repair"), f"{code} is a {kind}"


def test_readme_policy_table_is_generated() -> None:
    table = README.split("<!-- policy:begin -->\n", 1)[1].split("\n<!-- policy:end -->", 1)[0]
    severities = {c: r.severity.value for c, r in RULES.items()}
    assert table.strip() == policy_table_markdown(severities).strip()
    # Placed right after the rules table section.
    assert README.index("### The rules") < README.index("### Severity policy")
    assert README.index("### Severity policy") < README.index("## The embedded local model")


# --------------------------------------------------------------------------- step names


def test_a_sagemaker_step_class_is_a_label_with_or_without_a_codebase() -> None:
    plan = _plan("XGBoostModelEval")
    plan.integration.upstream_steps.append(UpstreamLink(step="ProcessingStep"))
    for codebase in (None, fixture_index().without("XGBoostModelEval")):
        issues = check_plan(plan, codebase=codebase)
        assert _errors(issues) == []
        (label,) = [i for i in issues if i.path.startswith("integration.upstream_steps")]
        assert label.code == "REG011" and "SageMaker step class" in label.message


@pytest.mark.parametrize("name", ["DataLoad", "FeatureEngineering", "MyOwnStep"])
def test_names_outside_the_reference_only_warn_without_codebase(name: str) -> None:
    plan = _plan("XGBoostModelEval")
    plan.integration.upstream_steps.append(UpstreamLink(step=name))
    plan.components.step_specification.dependencies[0].compatible_sources.append(name)
    issues = check_plan(plan)
    assert _errors(issues) == []
    warned = [i for i in issues if i.code == "REG012"]
    assert len(warned) == 2
    assert all("pass --codebase to verify" in i.message for i in warned)


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("XgboostTraining", "XGBoostTraining"),
        ("TabularPreprocesing", "TabularPreprocessing"),
        ("PytorchModel", "PyTorchModel"),
    ],
)
def test_near_misses_are_errors_naming_the_known_step(written: str, meant: str) -> None:
    plan = _plan("Package")
    plan.components.step_specification.dependencies[0].compatible_sources.append(written)
    (issue,) = check_plan(plan)
    assert issue.code == "REG009" and issue.is_error
    assert f"did you mean {meant!r}" in issue.message


def test_with_codebase_unknown_links_are_errors_unknown_sources_warnings() -> None:
    index = fixture_index().without("Package")
    plan = _plan("Package")
    plan.integration.upstream_steps.append(UpstreamLink(step="FeatureEngineering"))
    plan.components.step_specification.dependencies[0].compatible_sources.append("DataLoad")
    issues = check_plan(plan, codebase=index)
    by_path = {i.path: (i.code, i.severity) for i in issues}
    last = len(plan.integration.upstream_steps) - 1
    assert by_path[f"integration.upstream_steps[{last}].step"] == ("REG009", Severity.ERROR)
    source = "components.step_specification.dependencies[0].compatible_sources[1]"
    assert by_path[source] == ("REG012", Severity.WARNING)


def _codebase_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(CODEBASE, root)
    return root


def test_labels_the_codebase_uses_widely_are_its_convention(tmp_path: Path) -> None:
    root = _codebase_copy(tmp_path)
    specs = root / "src" / "pipeline_step_specs"
    for spec, sources in (
        ("registration_spec.py", '["Package"'),
        ("xgboost_model_eval_spec.py", '["XGBoostTraining"'),
    ):
        text = (specs / spec).read_text(encoding="utf-8")
        assert sources in text
        (specs / spec).write_text(
            text.replace(sources, sources + ', "ModelTraining"'), encoding="utf-8"
        )
    index = CodebaseIndex.from_path(root).without("Package")
    plan = _plan("Package")
    plan.components.step_specification.dependencies[0].compatible_sources.append("ModelTraining")
    assert check_plan(plan, codebase=index) == []
    # A label only one step uses is still reported.
    plan.components.step_specification.dependencies[0].compatible_sources.append("ModelStep")
    assert _codes(check_plan(plan, codebase=index)) == {"REG012": Severity.WARNING}


def test_job_suffix_in_compatible_sources_warns() -> None:
    plan = _plan("XGBoostModelEval")
    plan.components.step_specification.dependencies[0].compatible_sources = [
        "XGBoostTraining_Training"
    ]
    (issue,) = check_plan(plan)
    assert (issue.code, issue.severity) == ("REG013", Severity.WARNING)
    assert "'XGBoostTraining'" in issue.message


# --------------------------------------------------------------------------- registry era


def _older_era(index: CodebaseIndex) -> CodebaseIndex:
    """The index as an older registry writes it: ``"builder_step_name": "<Name>Step"``."""
    steps = {}
    for name, step in index.steps.items():
        entry = step.registry_entry
        if entry is not None:
            entry = entry.model_copy(update={"builder_step_name": f"{name}Step"})
        steps[name] = dataclasses.replace(step, registry_entry=entry)
    return dataclasses.replace(index, steps=steps)


def test_builder_naming_follows_the_registry_era() -> None:
    index = fixture_index().without("Package")
    older = _older_era(index)
    plan = _plan("Package")
    assert check_plan(plan, codebase=index) == []
    # The class form is accepted in an older registry too: it is what the public repository
    # moved to (the next step it registered, DummyTraining, used it in a registry of Step names).
    assert check_plan(plan, codebase=older) == []
    plan.registry_entry.builder_step_name = "PackageStep"
    assert check_plan(plan, codebase=older) == []
    assert "REG003" in _codes(check_plan(plan, codebase=index))
    plan.registry_entry.builder_step_name = "PackagingStep"  # neither form
    (issue,) = check_plan(plan, codebase=older)
    assert issue.code == "REG003" and "'PackageStepBuilder'" in issue.message


def test_config_and_builder_names_the_real_code_deviates_from_only_warn() -> None:
    plan = _plan("Package")
    plan.components.configuration.class_name = "PackageStepConfig"
    plan.registry_entry.config_class = "PackageStepConfig"
    assert _codes(check_plan(plan)) == {"NAME011": Severity.WARNING}
    plan.registry_entry.config_class = "PackageConfig"  # Now the plan contradicts itself.
    assert _codes(check_plan(plan))["REG002"] is Severity.ERROR


def test_init_exports_are_asked_for_only_where_the_codebase_has_them(tmp_path: Path) -> None:
    plan = _plan("Package")
    plan.files_to_update = plan.files_to_update[:1]  # Only the registry.
    index = fixture_index().without("Package")
    (issue,) = check_plan(plan, codebase=index)
    assert (issue.code, issue.severity) == ("ALIGN006", Severity.WARNING)
    root = _codebase_copy(tmp_path)
    for init in ("pipeline_steps", "pipeline_step_specs", "pipeline_script_contracts"):
        (root / "src" / init / "__init__.py").write_text('"""Discovered."""\n', encoding="utf-8")
    discovering = CodebaseIndex.from_path(root).without("Package")
    assert check_plan(plan, codebase=discovering) == []
    # The same repository, indexed again after it starts exporting: the new index is read anew.
    init = root / "src" / "pipeline_steps" / "__init__.py"
    init.write_text("from .builder_package_step import *\n", encoding="utf-8")
    exporting = CodebaseIndex.from_path(root).without("Package")
    (issue,) = check_plan(plan, codebase=exporting)
    assert issue.code == "ALIGN006" and "src/pipeline_steps/__init__.py" in issue.message


def test_registry_file_is_still_required() -> None:
    plan = _plan("Package")
    plan.files_to_update = ["src/cursus/steps/builders/__init__.py"]
    issues = check_plan(plan)
    assert _codes(issues)["ALIGN005"] is Severity.ERROR
    # Without a codebase any registry file shows the intent (real repositories name it differently).
    plan.files_to_update = ["src/cursus/registry/step_names_original.py"]
    assert "ALIGN005" not in _codes(check_plan(plan))


# --------------------------------------------------------------------------- env var sources


def test_real_env_var_mappings_are_not_errors() -> None:
    plan = _plan("TabularPreprocessing")
    contract, config = plan.components.script_contract, plan.components.configuration
    config.step_parameters = [p for p in config.step_parameters if p.name != "label_field"]
    config.step_parameters.append(
        config.step_parameters[0].model_copy(update={"name": "label_name"})
    )
    contract.required_env_vars.append("MODS_WORKFLOW_EXECUTION_ID")
    # Unstated, these are convention warnings, not errors.
    issues = check_plan(plan)
    assert _errors(issues) == [] and {"CONF003"} == set(_codes(issues))
    contract.env_var_sources = {
        "LABEL_FIELD": "config.label_name",
        "MODS_WORKFLOW_EXECUTION_ID": "builder",
    }
    assert check_plan(plan) == []


def test_a_stated_source_that_does_not_exist_is_an_error() -> None:
    plan = _plan("TabularPreprocessing")
    plan.components.script_contract.env_var_sources = {"LABEL_FIELD": "config.label_nam"}
    (issue,) = check_plan(plan)
    assert issue.code == "CONF001" and issue.is_error
    assert issue.path == "components.script_contract.env_var_sources.LABEL_FIELD"
    assert "'label_nam'" in issue.message
    plan.components.script_contract.env_var_sources = {"LABEL_FIELD": "the label"}
    (issue,) = check_plan(plan)
    assert issue.code == "CONF001" and "'config.<field>' or 'builder'" in issue.message


def test_nested_source_checks_the_config_field() -> None:
    plan = _plan("XGBoostModelEval")
    plan.components.script_contract.required_env_vars.append("LABEL_FIELD")
    plan.components.script_contract.env_var_sources["LABEL_FIELD"] = (
        "config.hyperparameters.label_name"
    )
    assert "CONF001" in _codes(check_plan(plan))
    params = plan.components.configuration.step_parameters
    params.append(params[0].model_copy(update={"name": "hyperparameters"}))
    assert "CONF001" not in _codes(check_plan(plan))


def test_draft_asks_for_the_source_only_when_it_differs() -> None:
    data: dict[str, Any] = json.loads(json.dumps(_draft_data("TabularPreprocessing")))
    for env in data["env_vars"]:
        if env["name"] == "LABEL_FIELD":
            env["source"] = "config.label_name"
    data["env_vars"].append({"name": "MODS_WORKFLOW_EXECUTION_ID", "source": "builder"})
    plan = PlanDraft.model_validate(data).to_plan()
    contract, config = plan.components.script_contract, plan.components.configuration
    names = [p.name for p in config.step_parameters]
    assert "label_name" in names and "label_field" not in names
    assert "mods_workflow_execution_id" not in names
    assert contract.env_var_sources == {
        "LABEL_FIELD": "config.label_name",
        "MODS_WORKFLOW_EXECUTION_ID": "builder",
    }
    assert "TRAIN_RATIO" not in contract.env_var_sources  # Default: the lower-case field.
    assert check_plan(plan) == []


def _draft_data(name: str) -> dict[str, Any]:
    from fixture_plans import FIXTURE_DRAFTS

    data: dict[str, Any] = FIXTURE_DRAFTS[name][1]
    return data


# --------------------------------------------------------------------------- container paths


@pytest.mark.parametrize(
    "path",
    [
        "/opt/ml/input/config/hyperparameters.json",
        "/opt/ml/input/data/config/hyperparameters.json",
        "/opt/ml/code/hyperparams/hyperparameters.json",
    ],
)
def test_files_sagemaker_provides_are_not_flagged(path: str) -> None:
    plan = _plan("XGBoostTraining")
    plan.components.script_contract.input_paths[1].container_path = path
    assert check_plan(plan) == []


def test_file_paths_elsewhere() -> None:
    plan = _plan("XGBoostTraining")
    plan.components.script_contract.input_paths[1].container_path = "/opt/ml/input/config/my.json"
    assert _codes(check_plan(plan)) == {"PATH007": Severity.ERROR}
    plan = _plan("Package")
    plan.components.script_contract.output_paths[
        0
    ].container_path = "/opt/ml/processing/output/model.tar.gz"
    (issue,) = check_plan(plan)
    assert issue.code == "PATH003" and issue.is_error
    assert "'/opt/ml/processing/output'" in issue.message


# --------------------------------------------------------------------------- script arguments


def test_dashed_argument_keys_are_errors_with_the_fix() -> None:
    plan = _plan("TabularPreprocessing")
    args = plan.components.script_contract.expected_arguments
    args["--include-examples"] = "true"
    (issue,) = check_plan(plan)
    assert issue.code == "ARG001" and issue.is_error
    assert issue.path == "components.script_contract.expected_arguments.--include-examples"
    assert "use 'include-examples'" in issue.message


def test_flags_the_script_uses_must_be_declared() -> None:
    plan = _plan("TabularPreprocessing")
    script = plan.components.processing_script
    script.main_functions = ["main(): parses --job-type and --include-examples; see --help"]
    (issue,) = check_plan(plan)
    assert issue.code == "ARG002" and issue.path.endswith("processing_script.main_functions[0]")
    assert "'include-examples'" in issue.message
    plan.components.script_contract.expected_arguments["include-examples"] = "false"
    assert check_plan(plan) == []


# --------------------------------------------------------------------------- CLI


def test_cli_check_passes_a_plan_with_names_outside_the_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan("XGBoostModelEval")
    plan.integration.upstream_steps.append(UpstreamLink(step="FeatureEngineering"))
    path = tmp_path / "plan.json"
    path.write_text(plan.to_json(), encoding="utf-8")
    assert main(["check", str(path), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert "REG012" in out and "pass --codebase to verify" in out
    assert main(["check", str(path), "--codebase", str(CODEBASE), "--format", "json"]) != 0
    assert "REG009" in capsys.readouterr().out


# --------------------------------------------------------------------------- seed format


def test_env_var_sources_round_trip_through_the_seed_format() -> None:
    plan = _plan("TabularPreprocessing")
    contract = plan.components.script_contract
    contract.required_env_vars.append("MODS_WORKFLOW_EXECUTION_ID")
    contract.optional_env_vars["REGION"] = "NA"
    contract.env_var_sources = {
        "MODS_WORKFLOW_EXECUTION_ID": "builder",
        "REGION": "config.region",
    }
    text = render_markdown(plan)
    assert "MODS_WORKFLOW_EXECUTION_ID (required, source: builder)" in text
    parsed = parse_markdown(text)
    assert (parsed.plan, parsed.issues) == (plan, [])


def test_env_var_source_written_by_hand_is_read() -> None:
    plan = _plan("TabularPreprocessing")
    text = render_markdown(plan).replace(
        "LABEL_FIELD (required)", "LABEL_FIELD (required; Source: `config.label_name`)"
    )
    parsed = parse_markdown(text)
    assert parsed.plan is not None
    contract = parsed.plan.components.script_contract
    assert contract.env_var_sources == {"LABEL_FIELD": "config.label_name"}
    assert "LABEL_FIELD" in contract.required_env_vars


def test_generated_builder_requires_only_config_fed_variables() -> None:
    plan = _plan("TabularPreprocessing")
    contract = plan.components.script_contract
    contract.required_env_vars.append("MODS_WORKFLOW_EXECUTION_ID")
    contract.env_var_sources = {
        "MODS_WORKFLOW_EXECUTION_ID": "builder",
        "LABEL_FIELD": "config.label_name",
    }
    code = builder_block(plan)
    compile(code, "builder", "exec")
    (required,) = re.findall(r"for attr in (\[.*?\]):", code)
    assert ast.literal_eval(required) == ["label_name", "train_ratio"]


def test_payload_samples_input_may_live_anywhere_under_processing() -> None:
    plan = _plan("Registration")
    dependency = plan.components.step_specification.dependencies[1]
    path = plan.components.script_contract.input_paths[1]
    path.container_path = (
        "/opt/ml/processing/mims_payload"  # As the framework's registration reads it.
    )
    assert "PATH001" in _codes(check_plan(plan))  # Only payload samples get the exception.
    dependency.dependency_type = DependencyType.PAYLOAD_SAMPLES
    assert "PATH001" not in _codes(check_plan(plan))


def test_training_script_flags_are_hyperparameters_not_arguments() -> None:
    plan = _plan("XGBoostTraining")
    plan.components.processing_script.algorithm = "Reads --eta and --num-round"
    assert check_plan(plan) == []


def test_a_source_for_an_unknown_env_var_is_an_error() -> None:
    plan = _plan("TabularPreprocessing")
    plan.components.script_contract.env_var_sources = {"LABEL_FEILD": "config.label_field"}
    (issue,) = check_plan(plan)
    assert issue.code == "CONF001" and "did you mean 'LABEL_FIELD'" in issue.message
