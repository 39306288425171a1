"""Check: scaffold planned steps into a checkout of the real framework and let it verify them.

Run: ``python benchmarks/scaffold_real.py PATH`` where PATH holds the framework's ``src/cursus``
(for example the ``src`` of the public ``TianpeiLuke/cursus`` at ``release/1.x``, extracted with
``git archive``; the framework needs ``sagemaker``, ``boto3`` and ``pydantic``). PATH's ``src`` is
copied to a temp folder and left as it was. Two planned steps are scaffolded into the copy: a
processing step fed by ``XGBoostModelEval``'s ``eval_output`` and an XGBoost training step fed by
``TabularPreprocessing``'s ``processed_data``. Then, in a fresh interpreter with the copy on
``sys.path``, each step must: import (its package exports too), be registered, have a
specification that passes the framework's ``validate_contract_alignment()``, construct its
config, have its builder create a real SageMaker step (offline session) whose output property
paths resolve, and be wired to the planned upstream producer by the framework's own
``UnifiedDependencyResolver``; the step's generated unit tests must pass. Prints what it saw;
exits 1 when anything fails. Offline; not run in CI (it needs the framework's checkout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from planner_agent.draft import PlanDraft
from planner_agent.plan import ImplementationPlan
from planner_agent.scaffold import ScaffoldResult, scaffold_step
from planner_agent.seedformat import step_files
from planner_agent.testing import sample_draft

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' training step
from samples import training_draft_dict

BASE_FIELDS = dict(
    author="me", bucket="b", role="arn:aws:iam::123456789012:role/r", region="NA",
    service_name="svc", pipeline_version="1.0.0", project_root_folder="cursus",
)  # fmt: skip


def plans() -> list[tuple[ImplementationPlan, str, dict[str, str]]]:
    """(plan, upstream step, the input to give the builder) for each step scaffolded."""
    processing = PlanDraft.model_validate(sample_draft("ScoreBinning")).to_plan()
    training = training_draft_dict()
    training["sagemaker_settings"] = [  # the versions of the XGBoost estimator
        {"name": "framework_version", "value": "'1.7-1'"},
        {"name": "py_version", "value": "'py3'"},
    ]
    trained = PlanDraft.model_validate(training).to_plan()
    return [
        (processing, "XGBoostModelEval", {"evaluation_data": "s3://b/eval"}),
        (trained, "TabularPreprocessing", {"input_path": "s3://b/train"}),
    ]


CHECK = """
import importlib, json, logging, sys, warnings
logging.disable(logging.CRITICAL)
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
step, upstream = sys.argv[2], sys.argv[3]
modules, inputs, fields = (json.loads(a) for a in sys.argv[4:7])
seen = {}

def load(kind):
    module, name = modules[kind]
    return getattr(importlib.import_module(module), name)

contract, spec, config_class, builder_class = (load(k) for k in ("contract", "spec", "config", "builder"))
seen["contract_base"] = type(contract).__name__
for package, name in (("cursus.steps.specs", modules["spec"][1]),
                      ("cursus.steps.builders", modules["builder"][1])):
    seen.setdefault("exported", []).append(hasattr(importlib.import_module(package), name))
from cursus.registry.step_names import get_spec_step_type
seen["registered_spec_type"] = get_spec_step_type(step)
alignment = spec.validate_contract_alignment()
seen["alignment"] = [alignment.is_valid, list(alignment.errors)]
config = config_class(**fields)

import boto3
from sagemaker.workflow.pipeline_context import PipelineSession
session = PipelineSession(boto_session=boto3.Session(region_name="us-east-1"), default_bucket="b")
builder = builder_class(config, sagemaker_session=session, role=fields["role"])
created = builder.create_step(inputs=inputs)
seen["step"] = [type(created).__name__, created.name]
if hasattr(created, "code"):
    seen["code"] = created.code
else:
    seen["estimator"] = [type(created.estimator).__name__, created.estimator.entry_point]
seen["resolved_paths"] = {
    name: eval(out.property_path, {}, {"properties": created.properties}).expr
    for name, out in spec.outputs.items()
}

from cursus.core.deps.factory import create_pipeline_components
resolver = create_pipeline_components("scaffold-check")["resolver"]
producer = importlib.import_module(modules["upstream_spec"][0])
resolver.register_specification(upstream, getattr(producer, modules["upstream_spec"][1]))
resolver.register_specification(step, spec)
wired = resolver.resolve_step_dependencies(step, [upstream, step])
seen["wired"] = {dep: [ref.step_name, ref.output_spec.logical_name] for dep, ref in wired.items()}
print(json.dumps(seen))
"""


def _dotted(rel: str) -> str:
    return ".".join(Path(rel).with_suffix("").parts[1:])  # under src/


def _check(root: Path, result: ScaffoldResult, plan: ImplementationPlan, upstream: str,
           inputs: dict[str, str]) -> tuple[dict[str, Any], list[str]]:  # fmt: skip
    comps = plan.components
    names = {
        "contract": result.paths("contract")[0],
        "spec": result.paths("spec")[0],
        "config": result.paths("config")[0],
        "builder": result.paths("builder")[0],
    }
    upstream_spec = {
        "XGBoostModelEval": ("cursus.steps.specs.xgboost_model_eval_spec", "MODEL_EVAL_SPEC"),
        "TabularPreprocessing": (
            "cursus.steps.specs.tabular_preprocessing_spec",
            "TABULAR_PREPROCESSING_SPEC",
        ),
    }[upstream]
    defined: dict[str, str] = {f.kind: f.names[0] for f in step_files(plan) if f.names}
    modules = {kind: [_dotted(rel), defined[kind]] for kind, rel in names.items()}
    modules["upstream_spec"] = list(importable(root, upstream_spec))
    fields = {**BASE_FIELDS, "source_dir": str(root / "src/cursus/steps/scripts")}
    env = {**os.environ, "SAGEMAKER_SUPPRESS_V2_WARNING": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(root / "src"), plan.step_name, upstream,
         json.dumps(modules), json.dumps(inputs), json.dumps(fields)],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    problems: list[str] = []
    if done.returncode != 0:
        return {}, [f"the check failed: {(done.stdout + done.stderr).strip()[-3000:]}"]
    seen: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not all(seen["exported"]):
        problems.append("not exported from its package")
    if seen["registered_spec_type"] != plan.step_name:
        problems.append(f"registry gives {seen['registered_spec_type']!r}")
    if seen["alignment"] != [True, []]:
        problems.append(f"validate_contract_alignment(): {seen['alignment']}")
    planned = {
        d.logical_name: [u.step, u.output]
        for d in comps.step_specification.dependencies
        for u in plan.integration.upstream_steps
        if u.dependency == d.logical_name
    }
    if seen["wired"] != planned:
        problems.append(f"the resolver wired {seen['wired']}, the plan says {planned}")
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore",
         result.paths("test")[0]],
        capture_output=True, text=True, timeout=600, cwd=root, env=env,
    )  # fmt: skip
    seen["unit_tests"] = tests.stdout.strip().splitlines()[-1] if tests.stdout.strip() else ""
    if tests.returncode != 0:
        problems.append(f"the generated unit tests failed: {tests.stdout[-1500:]}")
    return seen, problems


def importable(root: Path, target: tuple[str, str]) -> tuple[str, str]:
    """``target`` when its module file exists in the copy."""
    path = root / "src" / Path(*target[0].split("."))
    if not path.with_suffix(".py").is_file():
        raise SystemExit(f"{root} has no {target[0]}: is it the framework's checkout?")
    return target


def main(checkout: str) -> int:
    """Scaffold the planned steps into a copy of ``checkout``; 0 when the framework accepts them."""
    source = Path(checkout) / "src" / "cursus"
    if not source.is_dir():
        print(f"{checkout} has no src/cursus", file=sys.stderr)
        return 2
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(
            source, root / "src" / "cursus", ignore=shutil.ignore_patterns("__pycache__")
        )
        for plan, upstream, inputs in plans():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = scaffold_step(plan, root)
            elapsed = time.perf_counter() - start
            print(f"{plan.step_name}: {len(result.files)} files in {elapsed:.2f} s")
            for file in result.files:
                print(f"  {file.action:<6} {file.kind:<8} {file.path}")
            seen, problems = _check(root, result, plan, upstream, inputs)
            for key, value in seen.items():
                print(f"  {key}: {json.dumps(value)}")
            for problem in problems:
                print(f"  FAILED: {problem}")
            failures += bool(problems)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                again = scaffold_step(plan, root)
            print(f"  second run: {len(again.files)} files changed")
            failures += bool(again.files)
    print("ok" if not failures else f"{failures} step(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
