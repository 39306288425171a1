"""Tests for planner_agent.checks: zero issues on correct plans, each rule firing, the mistake catalogue."""

from __future__ import annotations

import dataclasses
import doctest
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fixture_plans import (
    CODEBASE,
    FIXTURE_DRAFTS,
    fixture_index,
    fixture_plan,
    fixture_requirements,
)
from pydantic import ValidationError
from samples import CALIBRATION_REQUIREMENTS, calibration_draft
from test_code_rules import CODE_CASES

from planner_agent import REPAIR_CODES
from planner_agent import checks as rules
from planner_agent.checks import (
    RULES,
    CheckContext,
    CodebaseIndex,
    Rule,
    check_plan,
    enum_issue,
    register_rule,
    rules_table_markdown,
    unregister_rule,
)
from planner_agent.checks._structure import data_flows
from planner_agent.errors import ConfigurationError
from planner_agent.plan import (
    ConfigParameter,
    ContractPath,
    DependencyPlan,
    DependencyType,
    DownstreamLink,
    ImplementationPlan,
    JobType,
    NodeType,
    PlanIssue,
    SageMakerStepType,
    Severity,
    UpstreamLink,
)

PLANS = [*FIXTURE_DRAFTS, "ModelCalibration"]
ST = SageMakerStepType


def base_plan(name: str) -> ImplementationPlan:
    return calibration_draft().to_plan() if name == "ModelCalibration" else fixture_plan(name)


def context(name: str) -> dict[str, Any]:
    """check_plan arguments under which the correct plan for ``name`` has no issue."""
    if name == "ModelCalibration":
        return {"codebase": fixture_index(), "requirements": CALIBRATION_REQUIREMENTS}
    return {"codebase": fixture_index().without(name), "requirements": fixture_requirements(name)}


def resolve(plan: ImplementationPlan, path: str) -> object:
    """Follow an issue path (``a.b[2].c``) into the plan's JSON; KeyError/IndexError if it is wrong."""
    node: Any = plan.to_dict()
    for part in re.findall(r"\[\d+\]|[^.\[\]]+", path):
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    return node


def codes(issues: list[PlanIssue]) -> set[str]:
    return {i.code for i in issues}


# --------------------------------------------------------------------------- correct plans


@pytest.mark.parametrize("name", PLANS)
def test_correct_plans_have_zero_issues(name: str) -> None:
    plan = base_plan(name)
    assert check_plan(plan, **context(name)) == []
    assert check_plan(plan) == []  # Without codebase (default registry) and without requirements.


def test_doctests() -> None:
    from planner_agent.checks import _core, _structure

    for module in (rules, _core, _structure):
        assert doctest.testmod(module).failed == 0


# --------------------------------------------------------------------------- each rule fires

Mutation = Callable[[ImplementationPlan], None]


def _c(plan: ImplementationPlan) -> Any:
    return plan.components


def _set_output_alias(index: int, alias: str) -> Mutation:
    return lambda p: setattr(_c(p).step_specification.outputs[index], "aliases", [alias])


def _rename_everywhere(old: str, new: str) -> Mutation:
    def mutate(plan: ImplementationPlan) -> None:
        for item in [
            *_c(plan).step_specification.dependencies,
            *_c(plan).script_contract.input_paths,
        ]:
            if item.logical_name == old:
                item.logical_name = new

    return mutate


def _upstream(step: str, output: str = "", dependency: str = "") -> Mutation:
    link = UpstreamLink(step=step, output=output, dependency=dependency)
    return lambda p: setattr(p.integration, "upstream_steps", [link])


def _downstream(step: str, output: str, dependency: str) -> Mutation:
    link = DownstreamLink(step=step, output=output, dependency=dependency)
    return lambda p: p.integration.downstream_steps.append(link)


def _source(name: str) -> Mutation:
    return lambda p: _c(p).step_specification.dependencies[0].compatible_sources.append(name)


# (code, plan, mutation, extra check_plan arguments)
RULE_CASES: list[tuple[str, str, Mutation, dict[str, Any]]] = [
    ("NAME001", "Package", lambda p: setattr(p, "step_name", "package_step"), {}),
    ("NAME002", "Package", lambda p: setattr(_c(p).configuration, "class_name", "PackageCfg"), {}),
    ("NAME011", "Package", lambda p: setattr(_c(p).configuration, "class_name", "PkgConfig"), {}),
    ("NAME003", "Package", lambda p: setattr(_c(p).step_builder, "class_name", "PackageStep"), {}),
    (
        "NAME012",
        "Package",
        lambda p: setattr(_c(p).step_builder, "class_name", "PkgStepBuilder"),
        {},
    ),
    ("NAME004", "Package", _set_output_alias(0, "packaged model!"), {}),
    ("NAME005", "Package", _rename_everywhere("model_input", "ModelInput"), {}),
    (
        "NAME006",
        "Package",
        lambda p: _c(p).script_contract.optional_env_vars.update({"label-field": "x"}),
        {},
    ),
    (
        "NAME013",
        "Package",
        lambda p: _c(p).script_contract.optional_env_vars.update(labelField="x"),
        {},
    ),
    (
        "NAME007",
        "Package",
        lambda p: _c(p).script_contract.expected_arguments.update(job_type="x"),
        {},
    ),
    ("NAME008", "Package", lambda p: setattr(_c(p).configuration, "file_path", "src/pkg.py"), {}),
    ("NAME009", "Package", lambda p: setattr(_c(p).script_contract, "entry_point", "package"), {}),
    ("NAME010", "Package", lambda p: setattr(_c(p).step_specification, "step_type", "Pack"), {}),
    (
        "ALIGN001",
        "Package",
        lambda p: setattr(_c(p).script_contract.input_paths[0], "logical_name", "model"),
        {},
    ),
    (
        "ALIGN002",
        "Package",
        lambda p: setattr(_c(p).script_contract.output_paths[0], "logical_name", "out"),
        {},
    ),
    ("ALIGN003", "Package", _set_output_alias(0, "packaged_model"), {}),
    (
        "ALIGN004",
        "XGBoostModelEval",
        lambda p: [_set_output_alias(i, "results")(p) for i in (0, 1)],
        {},
    ),
    ("ALIGN005", "Package", lambda p: setattr(p, "files_to_update", p.files_to_update[1:]), {}),
    ("ALIGN006", "Package", lambda p: setattr(p, "files_to_update", p.files_to_update[:2]), {}),
    (
        "CONF001",
        "Package",
        lambda p: _c(p).script_contract.env_var_sources.update(MODEL_NAME="config.model_nam"),
        {},
    ),
    (
        "CONF003",
        "Package",
        lambda p: _c(p).script_contract.required_env_vars.append("MODEL_NAME"),
        {},
    ),
    (
        "ARG001",
        "Package",
        lambda p: _c(p).script_contract.expected_arguments.update({"--include-examples": ""}),
        {},
    ),
    (
        "ARG002",
        "Package",
        lambda p: setattr(_c(p).processing_script, "algorithm", "Reads --include-examples"),
        {},
    ),
    (
        "CONF002",
        "Package",
        lambda p: _c(p).configuration.sagemaker_parameters.append(
            ConfigParameter(name="instance_type")
        ),
        {},
    ),
    (
        "PATH001",
        "XGBoostTraining",
        lambda p: setattr(
            _c(p).script_contract.input_paths[0], "container_path", "/opt/ml/processing/input/data"
        ),
        {},
    ),
    (
        "PATH002",
        "Package",
        lambda p: setattr(
            _c(p).script_contract.output_paths[0], "container_path", "/opt/ml/output/model"
        ),
        {},
    ),
    (
        "PATH003",
        "Package",
        lambda p: setattr(
            _c(p).script_contract.output_paths[0],
            "container_path",
            "/opt/ml/processing/output/model.tar.gz",
        ),
        {},
    ),
    (
        "PATH006",
        "Package",
        lambda p: (
            setattr(
                _c(p).script_contract.input_paths[0],
                "container_path",
                "/opt/ml/processing/input/model/model.tar.gz",
            ),
            _c(p).step_builder.special_handling.append("Mounts os.path.dirname of the model"),
        ),
        {},
    ),
    (
        "PATH007",
        "Package",
        lambda p: setattr(
            _c(p).script_contract.input_paths[0],
            "container_path",
            "/opt/ml/processing/input/model/model.tar.gz",
        ),
        {},
    ),
    (
        "PATH004",
        "Package",
        lambda p: setattr(
            _c(p).script_contract.output_paths[0],
            "container_path",
            "/opt/ml/processing/input/model/out",
        ),
        {},
    ),
    (
        "PATH005",
        "XGBoostModelEval",
        lambda p: setattr(
            _c(p).script_contract.output_paths[1],
            "container_path",
            "/opt/ml/processing/output/eval",
        ),
        {},
    ),
    (
        "PROP001",
        "Package",
        lambda p: setattr(
            _c(p).step_specification.outputs[0],
            "property_path",
            "Properties.ProcessingOutputConfig.Outputs['packaged_model'].S3Output.S3Uri",
        ),
        {},
    ),
    (
        "PROP002",
        "XGBoostTraining",
        lambda p: setattr(
            _c(p).step_specification.outputs[1],
            "property_path",
            "properties.ProcessingOutputConfig.Outputs['evaluation_output'].S3Output.S3Uri",
        ),
        {},
    ),
    (
        "PROP003",
        "Package",
        lambda p: setattr(
            _c(p).step_specification.outputs[0],
            "property_path",
            "properties.ProcessingOutputConfig.Outputs['model'].S3Output.S3Uri",
        ),
        {},
    ),
    ("REG001", "Package", lambda p: setattr(p.registry_entry, "step_name", "Packaging"), {}),
    (
        "REG002",
        "Package",
        lambda p: setattr(p.registry_entry, "config_class", "PackagingConfig"),
        {},
    ),
    (
        "REG003",
        "Package",
        lambda p: setattr(p.registry_entry, "builder_step_name", "PackageStep"),
        {},
    ),
    ("REG004", "Package", lambda p: setattr(p.registry_entry, "spec_type", "Packaging"), {}),
    ("REG005", "Package", lambda p: setattr(p.registry_entry, "sagemaker_step_type", None), {}),
    (
        "REG006",
        "Package",
        lambda p: setattr(p.registry_entry, "sagemaker_step_type", ST.TRAINING),
        {},
    ),
    (
        "REG007",
        "Package",
        lambda p: setattr(_c(p).step_builder, "special_handling", ["Returns a TrainingStep"]),
        {},
    ),
    ("REG008", "Package", lambda p: None, {"codebase": CODEBASE}),
    ("REG009", "Package", _source("XgboostTraining"), {}),
    ("REG012", "Package", _source("FeatureEngineering"), {}),
    ("REG013", "XGBoostTraining", _source("TabularPreprocessing_Training"), {}),
    (
        "REG014",
        "Package",
        lambda p: setattr(p.registry_entry, "sagemaker_step_type", None),
        {"codebase": None},
    ),
    ("REG010", "Registration", _upstream("MIMSPackaging"), {}),
    ("REG011", "XGBoostTraining", _source("any preprocessing step"), {}),
    (
        "NODE001",
        "Registration",
        lambda p: setattr(_c(p).step_specification, "node_type", NodeType.INTERNAL),
        {},
    ),
    (
        "JOB001",
        "TabularPreprocessing",
        lambda p: setattr(_c(p).step_specification, "job_type_variants", []),
        {},
    ),
    (
        "JOB002",
        "TabularPreprocessing",
        lambda p: setattr(
            _c(p).configuration, "step_parameters", _c(p).configuration.step_parameters[:-1]
        ),
        {},
    ),
    (
        "SPEC001",
        "Package",
        lambda p: None,
        {"requirements": "Add a Package step that bundles the trained model."},
    ),
    ("WIRE001", "Package", _upstream("XGBoostTraining", "model_output", "model"), {}),
    ("WIRE002", "Package", _upstream("XGBoostTraining", "model", "model_input"), {}),
    (
        "WIRE003",
        "XGBoostModelEval",
        _upstream("CradleDataLoading", "data_output", "model_input"),
        {},
    ),
    (
        "WIRE004",
        "ModelCalibration",
        _upstream("XGBoostTraining", "evaluation_output", "evaluation_data"),
        {},
    ),
    ("WIRE005", "Package", _downstream("Registration", "model", "packaged_model"), {}),
    ("WIRE006", "XGBoostModelEval", _downstream("Registration", "metrics_output", "metrics"), {}),
    (
        "WIRE007",
        "XGBoostModelEval",
        _downstream("Registration", "metrics_output", "packaged_model"),
        {},
    ),
    *CODE_CASES,
]


@pytest.mark.parametrize(
    ("code", "name", "mutate", "extra"), RULE_CASES, ids=[c[0] for c in RULE_CASES]
)
def test_each_rule_fires(code: str, name: str, mutate: Mutation, extra: dict[str, Any]) -> None:
    plan = base_plan(name).model_copy(deep=True)
    mutate(plan)
    issues = check_plan(plan, **{**context(name), **extra})
    fired = [i for i in issues if i.code == code]
    assert fired, f"{code} did not fire; got {[str(i) for i in issues]}"
    for issue in fired:
        assert issue.severity is RULES[code].severity
        resolve(plan, issue.path)
        assert issue.message and issue.path in str(issue)
    assert "RULE000" not in codes(issues)


def test_every_rule_has_a_case() -> None:
    covered = {c[0] for c in RULE_CASES} | {"RULE000", "ENUM001", *REPAIR_CODES}
    assert covered == set(RULES)


def test_messages_give_the_expected_value() -> None:
    plan = base_plan("Package").model_copy(deep=True)
    _c(plan).step_builder.class_name = "PackageStep"
    _c(plan).step_specification.outputs[
        0
    ].property_path = "properties.ProcessingOutputConfig.Outputs.packaged_model.S3Output.S3Uri"
    _c(plan).configuration.sagemaker_parameters.append(
        ConfigParameter(name="processing_instance_type")
    )
    messages = {i.code: i.message for i in check_plan(plan)}
    assert "not 'Step'" in messages["NAME003"] and "'PackageStepBuilder'" in messages["NAME003"]
    assert "not with a dot" in messages["PROP002"]
    assert "Outputs['packaged_model']" in messages["PROP002"]
    assert "did you mean 'processing_instance_type_" in messages["CONF002"]


def test_case_near_miss_without_codebase_suggests_the_registry_name() -> None:
    plan = base_plan("Package").model_copy(deep=True)
    _source("PytorchTraining")(plan)
    (issue,) = check_plan(plan)
    assert issue.code == "REG009" and "did you mean 'PyTorchTraining'" in issue.message


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("XGBoostModelEvalStepBuilder", "XGBoostModelEval"),
        ("PytorchTrainingStep", "PyTorchTraining"),
    ],
)
def test_class_name_instead_of_step_name_suggests_the_step(written: str, meant: str) -> None:
    plan = base_plan("Package").model_copy(deep=True)
    _source(written)(plan)
    (issue,) = check_plan(plan)
    assert issue.code == "REG009" and f"did you mean {meant!r}" in issue.message


def test_unknown_step_lists_known_steps() -> None:
    plan = base_plan("Package").model_copy(deep=True)
    _source("FooBarStep")(plan)
    (issue,) = check_plan(plan, codebase=fixture_index().without("Package"))
    assert "known: CradleDataLoading, Registration" in issue.message


@pytest.mark.parametrize(
    "name", ["TabularPreprocessing_Training", "TabularPreprocessing-Calibration"]
)
def test_job_variant_names_resolve_to_their_base_step(name: str) -> None:
    plan = base_plan("XGBoostTraining").model_copy(deep=True)
    _upstream(name)(plan)
    assert check_plan(plan, **context("XGBoostTraining")) == []
    # In compatible_sources the resolver compares literally: a warning naming the base step.
    plan = base_plan("XGBoostTraining").model_copy(deep=True)
    _source(name)(plan)
    (issue,) = check_plan(plan, **context("XGBoostTraining"))
    assert issue.code == "REG013" and issue.severity is Severity.WARNING
    assert "'TabularPreprocessing'" in issue.message


def test_legacy_alias_names_the_canonical_step() -> None:
    plan = base_plan("Registration").model_copy(deep=True)
    _source("MIMSPackaging")(plan)
    (issue,) = check_plan(plan)
    assert issue.code == "REG010" and issue.severity is Severity.WARNING
    assert "'Package'" in issue.message


def test_older_registry_without_step_types_does_not_require_one() -> None:
    index = fixture_index().without("Package")
    legacy = dataclasses.replace(index, registry=dict.fromkeys(index.registry))
    plan = base_plan("Package").model_copy(deep=True)
    plan.registry_entry.sagemaker_step_type = None
    assert "REG005" not in codes(check_plan(plan, codebase=legacy))
    assert "REG005" in codes(check_plan(plan, codebase=index))


def test_an_input_file_is_an_error_unless_the_builder_mounts_its_directory() -> None:
    plan = base_plan("Package").model_copy(deep=True)
    _c(plan).script_contract.input_paths[0].container_path = "/opt/ml/processing/input/m/a.tar.gz"
    index = fixture_index().without("Package")
    both = {"PATH006", "PATH007"}
    assert codes(check_plan(plan)) & both == {"PATH007"}
    assert codes(check_plan(plan, codebase=index)) & both == {"PATH007"}
    # The plan says its builder mounts the directory: a warning.
    said = plan.model_copy(deep=True)
    _c(said).step_builder.special_handling.append("Mount the model file's parent directory")
    assert codes(check_plan(said)) & both == {"PATH006"}
    # A codebase whose own contract names an input file (older DummyTraining builders mount the
    # file's directory) is evidence that its builders can: a warning too.
    other = next(s for s in index.steps.values() if s.contract and s.contract.input_paths)
    assert other.contract is not None
    contract = other.contract.model_copy(deep=True)
    contract.input_paths[0].container_path = "/opt/ml/processing/input/model/model.tar.gz"
    steps = {**index.steps, other.name: dataclasses.replace(other, contract=contract)}
    mounts = dataclasses.replace(index, steps=steps)
    (issue,) = [i for i in check_plan(plan, codebase=mounts) if i.code in both]
    assert issue.code == "PATH006" and "codebase's own contracts" in issue.message


def test_collisions_only_with_a_real_codebase() -> None:
    plan = base_plan("XGBoostTraining")
    assert "REG008" not in codes(check_plan(plan))  # DEFAULT_REGISTRY is only typical.
    clash = plan.model_copy(update={"step_name": "xgboosttraining"})
    assert "REG008" in codes(check_plan(clash, codebase=fixture_index()))


@pytest.mark.parametrize(
    ("text", "flows"),
    [
        ("training, validation and testing data", {"training", "validation", "testing"}),
        ("train/val/test splits", {"training", "validation", "testing"}),
        ("the calibration data and the training data", {"calibration", "training"}),
        ("calibrates the scores of a trained model", set()),
        ("a training job reads data", set()),
    ],
)
def test_data_flows(text: str, flows: set[str]) -> None:
    assert {f.value for f in data_flows(text)} == flows


def test_custom_layout_plans_are_checked_against_the_codebase_layout(tmp_path: Any) -> None:
    from planner_agent.conventions import Layout
    from planner_agent.draft import PlanDraft

    layout = Layout(steps_dir="lib/steps", contracts_dir="lib/contracts")
    index = dataclasses.replace(fixture_index(), layout=layout)
    plan = PlanDraft.model_validate(FIXTURE_DRAFTS["Package"][1]).to_plan(layout)
    assert check_plan(plan, codebase=index.without("Package")) == []
    assert "NAME008" in codes(check_plan(plan))  # Default layout expects src/pipeline_*.


# --------------------------------------------------------------------------- enum issues


def _enum_issues(data: dict[str, Any]) -> list[PlanIssue]:
    """What plan import does: turn enum validation errors into ENUM001 issues."""
    try:
        ImplementationPlan.model_validate(data)
    except ValidationError as exc:
        issues = []
        for error in exc.errors():
            if error["type"] == "enum":
                path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
                issues.append(enum_issue(path.lstrip("."), error["input"], DependencyType))
        return issues
    return []


def test_enum_issue_lists_valid_values_and_denies_processing_input() -> None:
    issue = enum_issue(
        "components.step_specification.dependencies[0].dependency_type",
        "processing_input",
        DependencyType,
    )
    assert issue.code == "ENUM001" and issue.is_error
    assert all(t.value in issue.message for t in DependencyType)
    assert "there is no `processing_input`" in issue.message
    job = enum_issue("x", "train", JobType)
    assert "training, validation, testing, calibration" in job.message
    assert "processing_input" not in job.message


# --------------------------------------------------------------------------- check_plan API


def _flag_step(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[PlanIssue]:
    if plan.step_name == "Package":
        yield PlanIssue(
            code="USER001", severity=Severity.WARNING, path="step_name", message="no packages"
        )


USER_RULE = Rule("USER001", Severity.WARNING, "house", "Our team avoids Package steps.", _flag_step)


def test_user_registered_rule_runs_and_can_be_disabled() -> None:
    plan = base_plan("Package")
    register_rule(USER_RULE)
    try:
        assert codes(check_plan(plan)) == {"USER001"}
        assert check_plan(plan, disable=["USER001"]) == []
        assert "| USER001 | warning | house |" in rules_table_markdown()
        with pytest.raises(ValueError, match="already registered"):
            register_rule(USER_RULE)
    finally:
        unregister_rule("USER001")
    assert "USER001" not in RULES and check_plan(plan) == []


def test_extra_rules_and_replacing_the_rule_set() -> None:
    plan = base_plan("Package").model_copy(deep=True)
    _c(plan).configuration.class_name = "Bad"
    plan.registry_entry.config_class = "Bad"  # Consistent, so only the suffix rule fires.
    assert codes(check_plan(plan, extra_rules=[USER_RULE])) == {"USER001", "NAME002"}
    assert codes(check_plan(plan, rules=[USER_RULE])) == {"USER001"}
    assert check_plan(plan, disable=["NAME002"]) == []
    with pytest.raises(ConfigurationError, match="duplicate rule codes"):
        check_plan(plan, extra_rules=[RULES["NAME002"]])
    with pytest.raises(ConfigurationError, match="unknown rule codes"):
        check_plan(plan, disable=["NAME999"])


def test_a_crashing_rule_becomes_rule000() -> None:
    def boom(plan: ImplementationPlan, ctx: CheckContext) -> list[PlanIssue]:
        raise KeyError("oops")

    broken = Rule("USER002", Severity.ERROR, "house", "Always crashes.", boom)
    issues = check_plan(base_plan("Package"), extra_rules=[broken])
    (issue,) = issues
    assert issue.code == "RULE000" and "USER002" in issue.message and "KeyError" in issue.message


def test_codebase_accepted_as_a_path_and_issues_sorted() -> None:
    plan = base_plan("Package").model_copy(deep=True)
    for i, path in enumerate(_c(plan).script_contract.input_paths):
        path.container_path = f"/data/in{i}"
    _c(plan).script_contract.optional_env_vars["bad-name"] = ""
    issues = check_plan(plan, codebase=str(CODEBASE))
    severities = [i.severity for i in issues]
    assert severities == sorted(severities, key=lambda s: s is Severity.WARNING)
    assert "REG008" in codes(issues)  # The path was indexed: Package exists there.
    paths = [i.path for i in issues if i.code == "PATH001"]
    assert paths == sorted(paths)


def test_rules_table_has_one_row_per_rule() -> None:
    table = rules_table_markdown().splitlines()
    assert table[0] == "| code | severity | family | what it checks / how to fix |"
    assert len(table) == 2 + len(RULES)
    order = [row.split("|")[1].strip() for row in table[2:]]
    assert order[0] == "NAME001" and order[-1] == "RULE000"


# --------------------------------------------------------------------------- mistake catalogue


def _first_path(plan: ImplementationPlan) -> Any:
    contract = _c(plan).script_contract
    return (contract.input_paths or contract.output_paths)[0]


def _wrong_pattern(plan: ImplementationPlan) -> None:
    output = _c(plan).step_specification.outputs[0]
    if plan.registry_entry.sagemaker_step_type is ST.TRAINING:
        output.property_path = (
            f"properties.ProcessingOutputConfig.Outputs['{output.logical_name}'].S3Output.S3Uri"
        )
    else:
        output.property_path = (
            f"properties.ProcessingOutputConfig.Outputs.{output.logical_name}.S3Output.S3Uri"
        )


def _incompatible_downstream(plan: ImplementationPlan) -> None:
    output = _c(plan).step_specification.outputs[0]
    if output.output_type is DependencyType.MODEL_ARTIFACTS:
        link = DownstreamLink(
            step="Registration", output=output.logical_name, dependency="performance_metrics"
        )
    else:
        link = DownstreamLink(step="Package", output=output.logical_name, dependency="model_input")
    plan.integration.downstream_steps.append(link)


def _swap_step_type(plan: ImplementationPlan) -> None:
    training = plan.registry_entry.sagemaker_step_type is ST.TRAINING
    plan.registry_entry.sagemaker_step_type = ST.PROCESSING if training else ST.TRAINING


def _wrong_node_type(plan: ImplementationPlan) -> None:
    spec = _c(plan).step_specification
    spec.node_type = (
        NodeType.SINGULAR if spec.node_type is not NodeType.SINGULAR else NodeType.SOURCE
    )


def _unasked_dependency(plan: ImplementationPlan) -> None:
    _c(plan).step_specification.dependencies.append(
        DependencyPlan(
            logical_name="payload_samples_input",
            dependency_type=DependencyType.PAYLOAD_SAMPLES,
            semantic_keywords=["payload", "samples", "latency", "throughput"],
        )
    )


def _has(part: str) -> Callable[[ImplementationPlan], bool]:
    def applies(plan: ImplementationPlan) -> bool:
        spec, contract = _c(plan).step_specification, _c(plan).script_contract
        return bool(
            {
                "outputs": spec.outputs,
                "deps": spec.dependencies,
                "inputs": contract.input_paths,
                "contract_outputs": contract.output_paths,
                "processing": plan.registry_entry.sagemaker_step_type is not ST.TRAINING,
                "any": True,
            }[part]
        )

    return applies


# (catalogue number, label, applies to the plan, mutation, expected code)
MISTAKES: list[tuple[int, str, Callable[[ImplementationPlan], bool], Mutation, str]] = [
    (
        2,
        "property path without prefix",
        _has("outputs"),
        lambda p: setattr(
            _c(p).step_specification.outputs[0],
            "property_path",
            _c(p).step_specification.outputs[0].property_path.removeprefix("properties."),
        ),
        "PROP001",
    ),
    (
        2,
        "capital Properties.",
        _has("outputs"),
        lambda p: setattr(
            _c(p).step_specification.outputs[0],
            "property_path",
            "P" + _c(p).step_specification.outputs[0].property_path[1:],
        ),
        "PROP001",
    ),
    (2, "dotted Outputs / wrong step-type pattern", _has("outputs"), _wrong_pattern, "PROP002"),
    (
        2,
        "quotes another name",
        lambda p: _has("outputs")(p) and _has("processing")(p),
        lambda p: setattr(
            _c(p).step_specification.outputs[0],
            "property_path",
            "properties.ProcessingOutputConfig.Outputs['data'].S3Output.S3Uri",
        ),
        "PROP003",
    ),
    (
        3,
        "contract input without dependency",
        _has("inputs"),
        lambda p: setattr(_c(p).script_contract.input_paths[0], "logical_name", "renamed_input"),
        "ALIGN001",
    ),
    (
        3,
        "contract output without spec output",
        _has("contract_outputs"),
        lambda p: setattr(_c(p).script_contract.output_paths[0], "logical_name", "renamed_output"),
        "ALIGN002",
    ),
    (4, "case near-miss step", _has("any"), _upstream("XgboostTraining"), "REG009"),
    (
        4,
        "unknown step in compatible_sources",
        _has("deps"),
        _source("FancyNewStep"),
        "REG009|REG012",
    ),
    (4, "legacy step name", _has("any"), _upstream("ModelRegistration"), "REG010"),
    (
        5,
        "downstream dependency not declared",
        _has("outputs"),
        _downstream("Registration", "", "not_declared"),
        "WIRE006",
    ),
    (5, "downstream incompatible type", _has("outputs"), _incompatible_downstream, "WIRE007"),
    (
        6,
        "builder named <Step>Step",
        _has("any"),
        lambda p: setattr(_c(p).step_builder, "class_name", p.step_name + "Step"),
        "NAME003",
    ),
    (
        6,
        "config not ending in Config",
        _has("any"),
        lambda p: setattr(_c(p).configuration, "class_name", p.step_name + "Settings"),
        "NAME002",
    ),
    (
        7,
        "registry entry without sagemaker_step_type",
        _has("any"),
        lambda p: setattr(p.registry_entry, "sagemaker_step_type", None),
        "REG005",
    ),
    (7, "sagemaker_step_type inconsistent with paths", _has("any"), _swap_step_type, "REG006"),
    (
        8,
        "container path outside the prefixes",
        _has("any"),
        lambda p: setattr(_first_path(p), "container_path", "/data/" + _first_path(p).logical_name),
        "PATH001|PATH002",
    ),
    (
        8,
        "file where a directory belongs",
        _has("any"),
        lambda p: setattr(
            _first_path(p), "container_path", _first_path(p).container_path + "/data.csv"
        ),
        "PATH003|PATH006|PATH007",
    ),
    (
        9,
        "required env var without config field",
        _has("any"),
        lambda p: _c(p).script_contract.required_env_vars.append("UNCONFIGURED_SETTING"),
        "CONF001|CONF003",
    ),
    (10, "node_type inconsistent", _has("any"), _wrong_node_type, "NODE001"),
    (12, "dependency nobody asked for", _has("any"), _unasked_dependency, "SPEC001"),
    (
        14,
        "SageMaker parameter not on the base config",
        _has("any"),
        lambda p: _c(p).configuration.sagemaker_parameters.append(
            ConfigParameter(name="instance_type", default="'ml.m5.xlarge'")
        ),
        "CONF002",
    ),
]
MULTI_FLOW = " It must handle the training and validation data separately."


def test_mistake_catalogue_is_detected_on_every_correct_plan() -> None:
    """Apply each checkable mistake (1-12, 14; 13 is truncation, a parse-level failure) to each plan."""
    detected, missed = 0, []
    for name in PLANS:
        base, ctx = base_plan(name), context(name)
        trials: list[tuple[str, bool]] = []
        # 1: an invalid enum value only survives as an import issue (ENUM001).
        data = base.to_dict()
        first = (
            data["components"]["step_specification"]["outputs"]
            or data["components"]["step_specification"]["dependencies"]
        )
        first[0]["output_type" if "output_type" in first[0] else "dependency_type"] = (
            "processing_input"
        )
        trials.append(("1 processing_input", any(i.code == "ENUM001" for i in _enum_issues(data))))
        for number, label, applies, mutate, expected in MISTAKES:
            plan = base.model_copy(deep=True)
            if not applies(plan):
                continue
            mutate(plan)
            issues = check_plan(plan, **ctx)
            for issue in issues:
                resolve(plan, issue.path)  # Every path points into the plan.
            trials.append((f"{number} {label}", bool(codes(issues) & set(expected.split("|")))))
        # 11: several data flows in the requirements, no variants planned.
        plan = base.model_copy(deep=True)
        _c(plan).step_specification.job_type_variants = []
        issues = check_plan(plan, **{**ctx, "requirements": ctx["requirements"] + MULTI_FLOW})
        trials.append(("11 data flows without variants", "JOB001" in codes(issues)))
        detected += sum(ok for _, ok in trials)
        missed += [f"{name}: {label}" for label, ok in trials if not ok]
    total = detected + len(missed)
    print(f"mutation detection rate: {detected}/{total} = {detected / total:.0%}")
    assert not missed, missed


def test_sagemaker_parameters_are_checked_against_the_codebases_own_base_config(
    tmp_path: Any,
) -> None:
    """A field later releases added (max_runtime_seconds) is accepted without a codebase, and an
    error with one whose base config class lacks it; a stub base class is no evidence."""
    plan = base_plan("Package").model_copy(deep=True)
    config = plan.components.configuration
    config.sagemaker_parameters.append(
        ConfigParameter(name="max_runtime_seconds", type="int", default="1200")
    )
    assert "CONF002" not in codes(check_plan(plan))
    index = fixture_index().without("Package")
    assert index.fields_of(config.base_class) is not None  # the fixture defines the chain
    (issue,) = [i for i in check_plan(plan, codebase=index) if i.code == "CONF002"]
    assert issue.is_error and "'max_runtime_seconds'" in issue.message
    assert "in the codebase" in issue.message
    # Once the codebase's base class has the field, it is accepted.
    grown = dataclasses.replace(
        index,
        config_fields={
            **index.config_fields,
            config.base_class: (
                index.config_fields[config.base_class][0],
                index.config_fields[config.base_class][1] | {"max_runtime_seconds"},
            ),
        },
    )
    assert "CONF002" not in codes(check_plan(plan, codebase=grown))
    # A stub (a base class without fields) or a chain the codebase does not define: the reference.
    (tmp_path / "config_base.py").write_text(
        "class BasePipelineConfig:\n    pass\n\n\n"
        "class ProcessingStepConfigBase(BasePipelineConfig):\n    pass\n",
        encoding="utf-8",
    )
    stub = CodebaseIndex.from_path(tmp_path)
    assert stub.fields_of("ProcessingStepConfigBase") is None
    assert stub.fields_of("SomethingElseConfig") is None
    assert "CONF002" not in codes(check_plan(plan, codebase=stub))


def test_a_source_folder_path_does_not_hide_a_step_type_that_contradicts_the_paths() -> None:
    """``/opt/ml/code/...`` is in every kind of job: the other paths still say Processing."""
    plan = base_plan("Package").model_copy(deep=True)
    contract = plan.components.script_contract
    contract.input_paths.append(
        ContractPath(logical_name="hyperparameters_s3_uri", container_path="/opt/ml/code/hp")
    )
    plan.registry_entry.sagemaker_step_type = SageMakerStepType.TRAINING
    (issue,) = [i for i in check_plan(plan) if i.code == "REG006"]
    assert issue.is_error and "'Processing'" in issue.message
    plan.registry_entry.sagemaker_step_type = SageMakerStepType.PROCESSING
    assert "REG006" not in codes(check_plan(plan))
