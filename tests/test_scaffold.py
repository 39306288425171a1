"""Tests for planner_agent.scaffold: writing a planned step into a repository.

The main fixture, ``tests/fixtures/scaffold_repo``, is a miniature framework with the public shapes
of a four-layer one (configs and builders in separate folders, the registry literal in
``step_names_original.py``); every test scaffolds into a copy of it in a temp folder. The
scaffolded modules are imported in a subprocess (the fixture's ``src`` on ``sys.path``), so this
process never imports the fixture's packages.
"""

from __future__ import annotations

import ast
import codecs
import difflib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from samples import calibration_draft_dict, training_draft_dict

from planner_agent.checks import CodebaseIndex
from planner_agent.draft import PlanDraft
from planner_agent.plan import ImplementationPlan
from planner_agent.result import PlanResult
from planner_agent.scaffold import ScaffoldError, ScaffoldResult, scaffold_step
from planner_agent.seedformat import step_files

FIXTURES = Path(__file__).parent / "fixtures"
SCAFFOLD_REPO = FIXTURES / "scaffold_repo"
STEPS = "src/minipipe/steps"
REGISTRY = "src/minipipe/registry/step_names_original.py"
CREATED = {
    f"{STEPS}/contracts/model_calibration_contract.py": "contract",
    f"{STEPS}/specs/model_calibration_spec.py": "spec",
    f"{STEPS}/configs/config_model_calibration_step.py": "config",
    f"{STEPS}/builders/builder_model_calibration_step.py": "builder",
    f"{STEPS}/scripts/model_calibration.py": "script",
    "tests/test_model_calibration_step.py": "test",
}
EDITED = {
    REGISTRY: "registry",
    f"{STEPS}/contracts/__init__.py": "init",
    f"{STEPS}/specs/__init__.py": "init",
    f"{STEPS}/configs/__init__.py": "init",
    f"{STEPS}/builders/__init__.py": "init",
}
BASE_FIELDS = (
    "author='me', bucket='b', role='r', region='NA', service_name='svc', pipeline_version='1'"
)


def _copy(source: Path, target: Path) -> Path:
    for path in sorted(source.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        out = target / path.relative_to(source)
        if path.is_dir():
            out.mkdir(parents=True, exist_ok=True)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(path.read_bytes())
    return target


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return _copy(SCAFFOLD_REPO, tmp_path / "repo")


def _draft(**changes: Any) -> dict[str, Any]:
    return {**calibration_draft_dict(), **changes}


def _plan(**changes: Any) -> ImplementationPlan:
    return PlanDraft.model_validate(_draft(**changes)).to_plan()


def _edited(plan: ImplementationPlan, change: Any) -> ImplementationPlan:
    data = plan.to_dict()
    change(data)
    return ImplementationPlan.model_validate(data)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _run(repo: Path, code: str, *args: str) -> str:
    """Run ``code`` in a fresh interpreter with the repository's ``src`` importable."""
    prelude = f"import sys; sys.path.insert(0, {str(repo / 'src')!r})\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=repo,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _created_step(repo: Path, step: str, inputs: dict[str, str], /, **seen: str) -> dict[str, Any]:
    """The SageMaker step the scaffolded builder of ``step`` creates (offline) from ``inputs``:
    each of ``seen``'s expressions over it (``step``; ``steps`` is `sagemaker.workflow.steps`),
    and under ``"resolved"`` each output's property path evaluated on its properties."""
    shown = ", ".join(f"{key!r}: {expression}" for key, expression in seen.items())
    out = _run(
        repo,
        f"""
        import json
        import boto3
        from sagemaker.workflow import steps
        from sagemaker.workflow.pipeline_context import PipelineSession
        from minipipe.steps.builders import {step}StepBuilder as Builder
        from minipipe.steps.configs import {step}Config as Config

        session = PipelineSession(
            boto_session=boto3.Session(region_name="us-east-1"), default_bucket="b"
        )
        config = Config({BASE_FIELDS}, source_dir="src/minipipe/steps/scripts")
        builder = Builder(
            config, sagemaker_session=session, role="arn:aws:iam::123456789012:role/pipeline"
        )
        step = builder.create_step(inputs={inputs!r})
        seen = {{{shown}}}
        seen["resolved"] = {{
            name: eval(out.property_path, {{}}, {{"properties": step.properties}}).expr
            for name, out in builder.spec.outputs.items()
        }}
        print(json.dumps(seen))
        """,
    )
    loaded: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return loaded


# --------------------------------------------------------------------------- writing the step


def test_writes_every_component_in_the_repository_layout(repo: Path) -> None:
    result = scaffold_step(_plan(), repo)
    assert isinstance(result, ScaffoldResult) and not result.dry_run
    assert {f.path: f.kind for f in result.files} == {**CREATED, **EDITED}
    assert {f.path: f.action for f in result.files} == {
        **dict.fromkeys(CREATED, "create"),
        **dict.fromkeys(EDITED, "edit"),
    }
    for file in result.files:
        text = (repo / file.path).read_text("utf-8")
        compile(text, file.path, "exec")  # every written file compiles
    contract = (repo / f"{STEPS}/contracts/model_calibration_contract.py").read_text()
    assert "from ...core.base.contract_base import ScriptContract" in contract
    builder = (repo / f"{STEPS}/builders/builder_model_calibration_step.py").read_text()
    assert "from ..specs.model_calibration_spec import MODEL_CALIBRATION_SPEC" in builder
    assert "from ..configs.config_model_calibration_step import ModelCalibrationConfig" in builder
    assert "from ...core.base.builder_base import StepBuilderBase" in builder
    assert "notebook_root" not in builder  # the framework's base takes none
    assert "code=self.config.get_script_path()," in builder
    data = json.loads(json.dumps(result.to_dict()))
    assert data["files"][0] == result.files[0].to_dict()
    assert {f["kind"] for f in data["files"]} == {*CREATED.values(), *EDITED.values()}
    assert data["diff"] == result.diff and "ModelCalibration" in result.summary()


def test_the_scaffolded_step_imports_aligns_and_configures(repo: Path) -> None:
    scaffold_step(_plan(), repo)
    out = _run(
        repo,
        f"""
        import inspect, json, tempfile
        from minipipe.registry.step_names import get_spec_step_type
        from minipipe.steps.contracts import MODEL_CALIBRATION_CONTRACT as contract
        from minipipe.steps.specs import MODEL_CALIBRATION_SPEC as spec
        from minipipe.steps.configs import ModelCalibrationConfig
        from minipipe.steps.scripts import model_calibration as script

        alignment = spec.validate_contract_alignment()
        config = ModelCalibrationConfig({BASE_FIELDS})
        folders = {{n: tempfile.mkdtemp() for n in ("evaluation_data", "calibration_output",
                                                    "calibrated_data")}}
        code = script.main(
            {{"evaluation_data": folders["evaluation_data"]}},
            {{n: folders[n] for n in ("calibration_output", "calibrated_data")}},
            {{"CALIBRATION_METHOD": "isotonic"}},
            None,
        )
        print(json.dumps({{
            "registered": get_spec_step_type("ModelCalibration"),
            "step_type": spec.step_type,
            "node_type": spec.node_type.value,
            "valid": alignment.is_valid,
            "errors": alignment.errors,
            "entry_point": contract.entry_point,
            "config": config.model_dump(),
            "main": list(inspect.signature(script.main).parameters),
            "exit": code,
        }}))
        """,
    )
    seen = json.loads(out)
    assert seen["registered"] == seen["step_type"] == "ModelCalibration"
    assert seen["node_type"] == "internal"
    assert seen["valid"] is True and seen["errors"] == []
    assert seen["entry_point"] == "model_calibration.py"
    assert seen["main"] == ["input_paths", "output_paths", "environ_vars", "job_args"]
    assert seen["exit"] == 0
    config = seen["config"]
    # The planned defaults: the step's parameters and the SageMaker parameters.
    assert config["calibration_method"] == "isotonic"
    assert config["score_field"] == "prob_class_1"
    assert config["processing_volume_size"] == 500
    assert config["processing_instance_type_large"] == "ml.m5.4xlarge"
    assert config["use_large_processing_instance"] is False


def test_the_script_reads_every_contract_path_and_variable(repo: Path) -> None:
    scaffold_step(_plan(), repo)
    tree = ast.parse((repo / f"{STEPS}/scripts/model_calibration.py").read_text())
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    read = {
        (node.value.id, node.slice.value)
        for node in ast.walk(main)
        if isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and isinstance(node.slice, ast.Constant)
    }
    assert {
        ("input_paths", "evaluation_data"),
        ("output_paths", "calibration_output"),
        ("output_paths", "calibrated_data"),
        ("environ_vars", "CALIBRATION_METHOD"),
    } <= read
    gets = [ast.unparse(n) for n in ast.walk(main) if isinstance(n, ast.Call)]
    assert "environ_vars.get('SCORE_FIELD', 'prob_class_1')" in gets


def _generated_tests(repo: Path) -> str:
    """Run the scaffolded test file with pytest in a fresh interpreter; its summary line."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore", "tests"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=repo,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_generated_unit_tests_pass(repo: Path) -> None:
    scaffold_step(_plan(), repo)
    summary = _generated_tests(repo)
    # Without sagemaker the builder's import test is skipped.
    assert summary.startswith(("4 passed, 1 skipped", "5 passed")), summary


def test_job_type_variants_get_one_specification_file_each(repo: Path) -> None:
    result = scaffold_step(_plan(job_type_variants=["training", "calibration"]), repo)
    specs = result.paths("spec")
    assert specs == [
        f"{STEPS}/specs/model_calibration_training_spec.py",
        f"{STEPS}/specs/model_calibration_calibration_spec.py",
    ]
    training = (repo / specs[0]).read_text()
    assert "MODEL_CALIBRATION_TRAINING_SPEC = StepSpecification(" in training
    assert "MODEL_CALIBRATION_CALIBRATION_SPEC" not in training
    out = _run(
        repo,
        """
        import json
        from minipipe.steps import specs
        found = {
            name: [s.step_type, s.validate_contract_alignment().is_valid]
            for name, s in vars(specs).items() if name.startswith("MODEL_CALIBRATION")
        }
        print(json.dumps(found))
        """,
    )
    assert json.loads(out) == {
        "MODEL_CALIBRATION_TRAINING_SPEC": ["ModelCalibration_Training", True],
        "MODEL_CALIBRATION_CALIBRATION_SPEC": ["ModelCalibration_Calibration", True],
    }


def test_a_plan_result_is_accepted_like_its_plan(repo: Path, tmp_path: Path) -> None:
    plan = _plan()
    wrapped = PlanResult(plan=plan, issues=[], attempts=[], model="m", mode="json")
    other = _copy(SCAFFOLD_REPO, tmp_path / "other")
    assert scaffold_step(wrapped, repo, dry_run=True).diff.replace(str(repo), "") == (
        scaffold_step(plan, other, dry_run=True).diff.replace(str(other), "")
    )
    # An index already built (the planner's, a benchmark's) serves as the codebase too.
    indexed = scaffold_step(plan, CodebaseIndex.from_path(other), dry_run=True)
    assert indexed.diff == scaffold_step(plan, other, dry_run=True).diff
    with pytest.raises(ScaffoldError, match="needs an ImplementationPlan or a PlanResult"):
        scaffold_step(plan.to_dict(), repo)  # type: ignore[arg-type]


def test_the_default_layout_shares_one_folder_for_configs_and_builders(tmp_path: Path) -> None:
    repo = _copy(FIXTURES / "codebase", tmp_path / "codebase")
    result = scaffold_step(_plan(), repo)
    assert result.paths("registry") == ["src/pipeline_registry/step_names.py"]
    assert result.paths("config") == ["src/pipeline_steps/config_model_calibration_step.py"]
    assert result.paths("builder") == ["src/pipeline_steps/builder_model_calibration_step.py"]
    init = (repo / "src/pipeline_steps/__init__.py").read_text()
    # This package exports builders only: the config is not added there, and a note says so.
    assert "from .builder_model_calibration_step import ModelCalibrationStepBuilder" in init
    assert "ModelCalibrationConfig" not in init
    assert any("exports no config modules" in note for note in result.notes)
    config = (repo / "src/pipeline_steps/config_model_calibration_step.py").read_text()
    assert "from .config_base import ProcessingStepConfigBase" in config  # the repo's practice
    for file in result.files:
        compile((repo / file.path).read_text(), file.path, "exec")
    assert scaffold_step(_plan(), repo).files == ()
    # The generated tests import through the namespace package `src` (the specs' `..pipeline_deps`
    # imports need it); this package __init__ imports the builders, so without sagemaker the
    # config test is skipped too.
    summary = _generated_tests(repo)
    assert summary.startswith(("3 passed, 2 skipped", "5 passed")), summary


# --------------------------------------------------------------------------- dry run, idempotence


def test_dry_run_returns_the_diff_and_writes_nothing(repo: Path, tmp_path: Path) -> None:
    before = _snapshot(repo)
    dry = scaffold_step(_plan(), repo, dry_run=True)
    assert _snapshot(repo) == before
    assert dry.dry_run and dry.changed and "would create 6 and edit 5" in dry.summary()
    assert "--- /dev/null\n+++ b/src/minipipe/steps/contracts/model_calibration_contract.py" in (
        dry.diff
    )
    assert f"--- a/{REGISTRY}\n+++ b/{REGISTRY}" in dry.diff
    real = scaffold_step(_plan(), repo)
    assert real.diff == dry.diff and real.files == dry.files


def test_running_twice_changes_nothing_the_second_time(repo: Path) -> None:
    first = scaffold_step(_plan(), repo)
    after_first = _snapshot(repo)
    second = scaffold_step(_plan(), repo)
    assert _snapshot(repo) == after_first
    assert second.files == () and second.diff == "" and not second.changed
    assert sorted(second.unchanged) == sorted(f.path for f in first.files)
    assert scaffold_step(_plan(), repo, dry_run=True).diff == ""


# --------------------------------------------------------------------------- AST-aware edits


def _registry(repo: Path) -> dict[str, Any]:
    tree = ast.parse((repo / REGISTRY).read_text("utf-8-sig"))
    node = next(
        n.value
        for n in tree.body
        if isinstance(n, ast.Assign | ast.AnnAssign)
        and "STEP_NAMES" in ast.unparse(n.targets[0] if isinstance(n, ast.Assign) else n.target)
    )
    assert node is not None
    value: dict[str, Any] = ast.literal_eval(node)
    return value


def test_the_registry_edit_inserts_the_entry_and_keeps_the_rest(repo: Path) -> None:
    before = (repo / REGISTRY).read_text()
    entries = _registry(repo)
    scaffold_step(_plan(), repo)
    after = (repo / REGISTRY).read_text()
    plan = _plan()
    assert _registry(repo) == {
        **entries,
        "ModelCalibration": {
            "config_class": "ModelCalibrationConfig",
            "builder_step_name": "ModelCalibrationStepBuilder",
            "spec_type": "ModelCalibration",
            "sagemaker_step_type": "Processing",
            "description": plan.registry_entry.description,
        },
    }
    # Only lines were added (one block of 7), the original text is kept, comments included.
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    assert [(op[0], op[4] - op[3]) for op in changes] == [("insert", 7)]
    assert after.splitlines()[changes[0][3]] == '    "ModelCalibration": {'
    assert "    },  # evaluation\n" in after


def _inserted_only(before: bytes, after: bytes) -> list[int]:
    """How many lines each changed region of ``after`` adds; fails if any line was changed."""
    matcher = difflib.SequenceMatcher(a=before.split(b"\n"), b=after.split(b"\n"), autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    assert {op[0] for op in changes} == {"insert"}, changes
    return [op[4] - op[3] for op in changes]


def test_edits_keep_crlf_line_endings(repo: Path) -> None:
    edited = [REGISTRY, f"{STEPS}/contracts/__init__.py", f"{STEPS}/specs/__init__.py"]
    for rel in edited:
        path = repo / rel
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = {rel: (repo / rel).read_bytes() for rel in edited}
    result = scaffold_step(_plan(), repo)
    assert set(edited) <= set(result.paths())
    for rel in edited:
        after = (repo / rel).read_bytes()
        assert after.count(b"\n") == after.count(b"\r\n") > before[rel].count(b"\n"), rel
        assert b"\r\r" not in after, rel
        inserted = _inserted_only(before[rel], after)
        # The registry gets the 7-line entry; an __init__ its import line and __all__ name.
        assert inserted == ([7] if rel == REGISTRY else [1, 1]), (rel, inserted)
    assert _registry(repo)["ModelCalibration"]["config_class"] == "ModelCalibrationConfig"
    assert scaffold_step(_plan(), repo).files == ()  # a second run sees its own CRLF edits


def test_edits_keep_a_utf8_bom(repo: Path) -> None:
    edited = [REGISTRY, f"{STEPS}/configs/__init__.py"]
    for rel in edited:
        path = repo / rel
        path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
    before = {rel: (repo / rel).read_bytes() for rel in edited}
    scaffold_step(_plan(), repo)
    for rel in edited:
        after = (repo / rel).read_bytes()
        assert after.startswith(codecs.BOM_UTF8) and after.count(codecs.BOM_UTF8) == 1, rel
        assert b"\r" not in after and _inserted_only(before[rel], after), rel
    assert "ModelCalibration" in _registry(repo)
    assert scaffold_step(_plan(), repo).files == ()


REGISTRY_SHAPES = {
    "no trailing comma": (
        'STEP_NAMES = {\n    "Base": {"config_class": "BasePipelineConfig", "spec_type": "Base"}\n}\n'
    ),
    "comments after the last entry": (
        "STEP_NAMES = {\n"
        '    "Base": {"config_class": "BasePipelineConfig", "spec_type": "Base"},  # base, x\n'
        "    # more steps below, one day\n"
        "}\n"
    ),
    "one line": 'STEP_NAMES = {"Base": {"config_class": "BasePipelineConfig", "spec_type": "Base"}}\n',
    "closing brace after the last entry": (
        'STEP_NAMES = {\n    "Base": {"config_class": "BasePipelineConfig", "spec_type": "Base"}}\n'
    ),
    "non-ASCII text before": (
        '"""Registre des étapes — déjà utilisé."""\n\nSTEP_NAMES = {\n'
        '    "Base": {"description": "Étape de base «ok» 🧪", "spec_type": "Base"},\n}\n'
    ),
    "annotated, empty": "STEP_NAMES: dict[str, dict[str, str]] = {}\n",
}


@pytest.mark.filterwarnings("ignore::planner_agent.checks.CodebaseWarning")
@pytest.mark.parametrize("shape", sorted(REGISTRY_SHAPES))
def test_the_registry_edit_handles_each_literal_shape(repo: Path, shape: str) -> None:
    (repo / REGISTRY).write_text(REGISTRY_SHAPES[shape], "utf-8")
    before = _registry(repo)
    scaffold_step(_plan(), repo, force=True)  # force: the fixture's steps are not registered now
    after = _registry(repo)
    assert {k: v for k, v in after.items() if k != "ModelCalibration"} == before
    assert after["ModelCalibration"]["config_class"] == "ModelCalibrationConfig"
    assert scaffold_step(_plan(), repo, force=True).files == ()


def test_init_edits_keep_comments_order_and_sorting(repo: Path) -> None:
    scaffold_step(_plan(), repo)
    contracts = (repo / f"{STEPS}/contracts/__init__.py").read_text()
    assert contracts == (
        '"""Script contracts of the minipipe steps."""\n\n'
        "from ...core.base.contract_base import ScriptContract\n"
        "from .model_calibration_contract import MODEL_CALIBRATION_CONTRACT\n"
        "from .tabular_preprocessing_contract import TABULAR_PREPROCESSING_CONTRACT\n"
        "from .xgboost_model_eval_contract import XGBOOST_MODEL_EVAL_CONTRACT\n\n"
        "__all__ = [  # noqa: RUF022 (grouped, as real packages do)\n"
        '    "ScriptContract",\n'
        "    # Step contracts\n"
        '    "MODEL_CALIBRATION_CONTRACT",\n'
        '    "TABULAR_PREPROCESSING_CONTRACT",\n'
        '    "XGBOOST_MODEL_EVAL_CONTRACT",\n'
        "]\n"
    )


IMPORTS = (
    "from ...core.base.contract_base import ScriptContract\n"
    "from .tabular_preprocessing_contract import TABULAR_PREPROCESSING_CONTRACT\n"
    "from .xgboost_model_eval_contract import XGBOOST_MODEL_EVAL_CONTRACT\n"
)
M, T, X = (
    "MODEL_CALIBRATION_CONTRACT",
    "TABULAR_PREPROCESSING_CONTRACT",
    "XGBOOST_MODEL_EVAL_CONTRACT",
)
INIT_SHAPES: dict[str, tuple[str, list[str] | None]] = {
    "one line, single quotes": (
        IMPORTS + f"\n__all__ = ['ScriptContract', '{T}', '{X}']\n",
        ["ScriptContract", M, T, X],  # sorted among the contracts
    ),
    "tuple, unsorted, no trailing comma": (
        IMPORTS + f'\n__all__ = (\n    "{X}",\n    "ScriptContract",\n    "{T}"\n)\n',
        [X, "ScriptContract", T, M],  # after the last contract
    ),
    "__all__ above the imports": (
        f'__all__ = [\n    "{T}",\n    "{X}",\n]\n\n' + IMPORTS,
        [M, T, X],
    ),
    "no __all__": (IMPORTS, None),
}


@pytest.mark.parametrize("shape", sorted(INIT_SHAPES))
def test_init_edits_handle_each_shape(repo: Path, shape: str) -> None:
    text, expected = INIT_SHAPES[shape]
    init = repo / f"{STEPS}/contracts/__init__.py"
    init.write_text(text)
    scaffold_step(_plan(), repo)
    after = init.read_text()
    tree = ast.parse(after)
    imported = [
        (n.module, [a.name for a in n.names]) for n in tree.body if isinstance(n, ast.ImportFrom)
    ]
    assert imported == [
        ("core.base.contract_base", ["ScriptContract"]),
        ("model_calibration_contract", [M]),
        ("tabular_preprocessing_contract", [T]),
        ("xgboost_model_eval_contract", [X]),
    ]
    listed = [list(ast.literal_eval(n.value)) for n in tree.body if isinstance(n, ast.Assign)]
    assert listed == ([] if expected is None else [expected])
    if "single quotes" in shape:
        assert f"'{M}'" in after
    assert scaffold_step(_plan(), repo).files == ()


# --------------------------------------------------------------------------- refusals


def _refused(repo: Path, plan: ImplementationPlan, match: str, **kwargs: Any) -> ScaffoldError:
    before = _snapshot(repo)
    with pytest.raises(ScaffoldError, match=match) as caught:
        scaffold_step(plan, repo, **kwargs)
    assert _snapshot(repo) == before, "a refused scaffold wrote something"
    return caught.value


def test_an_existing_file_with_other_content_is_refused_unless_force(repo: Path) -> None:
    contract = repo / f"{STEPS}/contracts/model_calibration_contract.py"
    contract.write_text("MINE = 1\n")
    error = _refused(repo, _plan(), "already exists with other content")
    assert error.path == f"{STEPS}/contracts/model_calibration_contract.py"
    result = scaffold_step(_plan(), repo, force=True)
    assert ("contract", "edit") in {(f.kind, f.action) for f in result.files}
    assert "MODEL_CALIBRATION_CONTRACT = ScriptContract(" in contract.read_text()


def test_a_step_registered_with_another_entry_is_refused_unless_force(repo: Path) -> None:
    scaffold_step(_plan(), repo)
    changed = _plan(description="Another calibration")
    _refused(repo, changed, "already in the registry .* with a different entry")
    scaffold_step(changed, repo, force=True)
    text = (repo / REGISTRY).read_text()
    assert text.count('"ModelCalibration":') == 1
    assert _registry(repo)["ModelCalibration"]["description"] == "Another calibration"


def test_a_plan_with_error_level_issues_is_refused_unless_force(repo: Path) -> None:
    def break_property_path(data: dict[str, Any]) -> None:
        output = data["components"]["step_specification"]["outputs"][0]
        output["property_path"] = "Properties.ProcessingOutputConfig.Outputs.calibration_output"

    plan = _edited(_plan(), break_property_path)
    error = _refused(repo, plan, "error-level issue")
    assert error.issues and all(i.is_error for i in error.issues)
    assert {i.code for i in error.issues} & {"PROP001", "PROP002"}
    result = scaffold_step(plan, repo, force=True)
    assert result.changed and any(i.is_error for i in result.issues)


UNSAFE = {
    "step name with a separator": ("step_name", "../ModelCalibration", "not PascalCase"),
    "entry point with a folder": ("entry_point", "../../evil.py", "not a plain file name"),
    "absolute entry point": ("entry_point", "/tmp/evil.py", "not a plain file name"),
    "absolute contract path": ("contract_path", "/etc/x_contract.py", "is absolute"),
    "contract path with ..": ("contract_path", "src/../../x_contract.py", "contains '..'"),
    "windows drive": ("contract_path", "C:/x/model_calibration_contract.py", "is absolute"),
    "not a module name": ("contract_path", "src/contracts/evil-name.py", "not <identifier>.py"),
    "config class": ("config_class", "Model/Config", "not a Python identifier"),
    "files_to_update with ..": ("files_to_update", "../../etc/passwd", "contains '..'"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_untrusted_plan_names_and_paths_are_refused(repo: Path, tmp_path: Path, case: str) -> None:
    field, value, message = UNSAFE[case]

    def change(data: dict[str, Any]) -> None:
        comps = data["components"]
        if field == "step_name":
            data["step_name"] = value
        elif field == "entry_point":
            comps["script_contract"]["entry_point"] = value
        elif field == "contract_path":
            comps["script_contract"]["file_path"] = value
        elif field == "config_class":
            comps["configuration"]["class_name"] = value
        else:
            data["files_to_update"].append(value)

    outside = _snapshot(tmp_path)
    _refused(repo, _edited(_plan(), change), message)
    assert _snapshot(tmp_path) == outside  # nothing beside the repository either


def test_a_symlinked_folder_pointing_outside_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    scripts = repo / f"{STEPS}/scripts"
    for file in scripts.iterdir():
        (outside / file.name).write_bytes(file.read_bytes())
        file.unlink()
    scripts.rmdir()
    scripts.symlink_to(outside, target_is_directory=True)
    before = _snapshot(outside)
    error = _refused(repo, _plan(), "outside the repository")
    assert error.path == f"{STEPS}/scripts/model_calibration.py"
    assert _snapshot(outside) == before


def test_a_symlinked_file_pointing_outside_is_refused(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("KEEP = True\n")
    (repo / "tests").mkdir()
    (repo / "tests/test_model_calibration_step.py").symlink_to(secret)
    _refused(repo, _plan(), "outside the repository", force=True)
    assert secret.read_text() == "KEEP = True\n"


def test_a_file_where_a_folder_belongs_is_refused(repo: Path) -> None:
    (repo / "tests").write_text("not a folder\n")
    _refused(repo, _plan(), "is a file")


@pytest.mark.filterwarnings("ignore::planner_agent.checks.CodebaseWarning")
def test_a_registry_that_is_not_a_dict_literal_is_refused(repo: Path) -> None:
    (repo / REGISTRY).write_text("STEP_NAMES = dict(Base={'spec_type': 'Base'})\n")
    # The index reads dict(...) (it holds only Base), so the plan check fails too: force past it.
    error = _refused(
        repo, _plan(), r"step_names_original\.py: line 1: STEP_NAMES = dict\(", force=True
    )
    assert "is not a dict literal" in str(error)
    assert "registry/step_names.py: line 5: STEP_NAMES = {name: dict(entry)" in str(error)


def test_an_all_that_is_not_a_literal_is_refused_unless_force(repo: Path) -> None:
    init = repo / f"{STEPS}/specs/__init__.py"
    text = init.read_text()
    head, _, _ = text.partition("__all__")
    init.write_text(head + '__all__ = sorted(n for n in dir() if n.endswith("_SPEC"))\n')
    _refused(repo, _plan(), r"specs/__init__\.py: line \d+: __all__ is not a list or tuple")
    result = scaffold_step(_plan(), repo, force=True)
    assert "from .model_calibration_spec import MODEL_CALIBRATION_SPEC" in init.read_text()
    assert any("__all__ is not a list or tuple literal" in note for note in result.notes)


def test_a_failure_part_way_restores_what_was_there(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(repo)
    real_replace = os.replace
    calls = []

    def flaky(src: Any, dst: Any) -> None:
        calls.append(dst)
        if len(calls) == 8:  # after the six new files and the registry were renamed
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(ScaffoldError, match=r"No space left on device.*restored what was there"):
        scaffold_step(_plan(), repo)
    monkeypatch.undo()
    assert len(calls) > 8  # the restore rewrote the registry (atomic_write renames too)
    assert _snapshot(repo) == before  # created files gone, the registry's old text back
    assert not (repo / "tests").exists()  # the folder created for the test file is gone
    assert not [p for p in repo.rglob("*") if p.name.endswith(".pa-tmp")]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_builder_creates_a_sagemaker_processing_step(repo: Path) -> None:
    pytest.importorskip("sagemaker")
    scaffold_step(_plan(), repo)
    seen = _created_step(
        repo,
        "ModelCalibration",
        {"evaluation_data": "s3://b/eval"},
        is_processing_step="isinstance(step, steps.ProcessingStep)",
        name="step.name",
        inputs="{i.input_name: i.destination for i in step.inputs}",
        outputs="[o.output_name for o in step.outputs]",
        env="step.processor.env",
        code="step.code",
    )
    assert seen == {
        "is_processing_step": True,
        "name": "ModelCalibration",
        "inputs": {"evaluation_data": "/opt/ml/processing/input/eval_data"},
        "outputs": ["calibration_output", "calibrated_data"],
        "env": {"CALIBRATION_METHOD": "isotonic", "SCORE_FIELD": "prob_class_1"},
        "code": "src/minipipe/steps/scripts/model_calibration.py",
        "resolved": {
            name: {
                "Get": f"Steps.ModelCalibration.ProcessingOutputConfig.Outputs['{name}']"
                ".S3Output.S3Uri"
            }
            for name in ("calibration_output", "calibrated_data")
        },
    }


def _training_plan() -> ImplementationPlan:
    """An XGBoost training step fed by the fixture's TabularPreprocessing."""
    return PlanDraft.model_validate(training_draft_dict()).to_plan()


def test_a_training_step_gets_the_training_contract_base(repo: Path) -> None:
    result = scaffold_step(_training_plan(), repo)
    contract = (repo / f"{STEPS}/contracts/risk_model_training_contract.py").read_text()
    assert "from .training_script_contract import TrainingScriptContract\n" in contract
    assert "RISK_MODEL_TRAINING_CONTRACT = TrainingScriptContract(" in contract
    assert not any("TrainingScriptContract" in note for note in result.notes)
    out = _run(
        repo,
        """
        import json
        from minipipe.steps.contracts import RISK_MODEL_TRAINING_CONTRACT as contract
        from minipipe.steps.specs import RISK_MODEL_TRAINING_SPEC as spec
        print(json.dumps([type(contract).__name__, spec.validate_contract_alignment().is_valid]))
        """,
    )
    assert json.loads(out) == ["TrainingScriptContract", True]
    summary = _generated_tests(repo)  # the step's own unit tests pass against the training base
    assert summary.startswith(("4 passed, 1 skipped", "5 passed")), summary


@pytest.mark.filterwarnings("ignore::planner_agent.checks.CodebaseWarning")
def test_without_a_training_base_the_contract_is_a_script_contract(repo: Path) -> None:
    (repo / f"{STEPS}/contracts/training_script_contract.py").unlink()
    result = scaffold_step(_training_plan(), repo)
    contract = (repo / f"{STEPS}/contracts/risk_model_training_contract.py").read_text()
    assert "from ...core.base.contract_base import ScriptContract\n" in contract
    assert "RISK_MODEL_TRAINING_CONTRACT = ScriptContract(" in contract
    assert any("no TrainingScriptContract" in note for note in result.notes)
    out = _run(
        repo,
        """
        from minipipe.steps.specs import RISK_MODEL_TRAINING_SPEC as spec
        print(spec.validate_contract_alignment().is_valid)
        """,
    )
    assert out.strip() == "True"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_builder_creates_a_sagemaker_training_step(repo: Path) -> None:
    pytest.importorskip("sagemaker")
    scaffold_step(_training_plan(), repo)
    seen = _created_step(
        repo,
        "RiskModelTraining",
        {"input_path": "s3://b/train"},
        is_training_step="isinstance(step, steps.TrainingStep)",
        estimator="type(step.estimator).__name__",
        entry_point="step.estimator.entry_point",
        channels="sorted(step.inputs)",
    )
    assert seen == {
        "is_training_step": True,
        "estimator": "XGBoost",
        "entry_point": "risk_model_training.py",
        "channels": ["input_path"],
        "resolved": {
            "model_output": {"Get": "Steps.RiskModelTraining.ModelArtifacts.S3ModelArtifacts"},
            "evaluation_output": {"Get": "Steps.RiskModelTraining.OutputDataConfig.S3OutputPath"},
        },
    }


def _without_imports(text: str) -> list[str]:
    """The text's lines after its first (the file it names), relative import statements left out."""
    tree = ast.parse(text)
    dropped = {
        line
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level > 0
        for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }
    return [line for i, line in enumerate(text.split("\n"), 1) if i > 1 and i not in dropped]


@pytest.mark.parametrize("variants", [[], ["training", "calibration"]])
def test_in_another_layout_only_the_imports_differ_from_the_plan(
    repo: Path, variants: list[str]
) -> None:
    plan = _plan(job_type_variants=variants)
    result = scaffold_step(plan, repo)
    rendered = step_files(plan)
    written = [f for f in result.files if f.kind in ("contract", "spec", "config", "builder")]
    written += [f for f in result.files if f.kind == "script"]
    expected = [f for f in rendered if f.kind != "script"] + [
        f for f in rendered if f.kind == "script"
    ]
    assert [f.kind for f in written] == [f.kind for f in expected]
    for file, planned in zip(written, expected, strict=True):
        text = (repo / file.path).read_text()
        assert text.startswith(f"# {file.path}\n")
        assert _without_imports(text) == _without_imports(planned.text), file.path
