"""Real steps of two public pipeline repositories, as plans and as stub repositories.

``tests/fixtures/real_steps.json`` holds facts (names, paths, types, keywords, field names) of every
step of ``TianpeiLuke/cursus`` (release/1.x) and ``TianpeiLuke/nlp-pipeline`` (before 8807b6d), as
``benchmarks/extract_real_steps.py`` read them from the real code. This module turns each step into
the plan a person would write for it (`plan_data`, the plan's JSON), and renders a repository of stub
files in the real layout (`write_repo`) for checks with a codebase. The plan's phrasings are in
``corpus_phrasings.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from layout_trees import RELEASE, SIBLING

from planner_agent.checks import check_plan, sort_issues
from planner_agent.conventions import DEFAULT_LAYOUT, snake_case
from planner_agent.plan import PlanIssue, SageMakerStepType
from planner_agent.seedformat import load_plan

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = FIXTURES / "real_steps.json"
JOB_TYPES = ("training", "validation", "testing", "calibration")
KNOWN_TYPES = {t.value for t in SageMakerStepType}

# The real repositories' folders (what layout detection should find in a stub repository).
REAL_LAYOUTS: dict[str, dict[str, str]] = {"cursus": RELEASE, "nlp": SIBLING}


@dataclass(frozen=True)
class Deviation:
    """Real code that breaks its own conventions: issues of one of ``codes`` whose message
    contains ``needle`` on step ``step`` are true findings, not false alarms."""

    step: str
    codes: tuple[str, ...]
    needle: str
    reason: str


_STEP_CONFIG = "the config class is <Step>StepConfig while the registry names <Step>Config"
_NEAR_MISS = (
    "compatible_sources spells a step differently from the registry; the real resolver compares "
    "the list literally, so this source never matches"
)
REAL_DEVIATIONS: tuple[Deviation, ...] = (
    *(
        Deviation(f"{repo}:{step}", ("NAME002", "REG002"), "StepConfig", _STEP_CONFIG)
        for repo in ("cursus", "nlp")
        for step in ("PyTorchModel", "XGBoostModel")
    ),
    # Registry and class agree on the unconventional name: the naming convention (a warning).
    *(
        Deviation(
            f"{repo}:BatchTransform",
            ("NAME011",),
            "BatchTransformStepConfig",
            "registry and class say BatchTransformStepConfig, not BatchTransformConfig",
        )
        for repo in ("cursus", "nlp")
    ),
    Deviation(
        "nlp:CradleDataLoading",
        ("NAME011",),
        "CradleDataLoadConfig",
        "registry and class say CradleDataLoadConfig for the step CradleDataLoading",
    ),
    *(
        Deviation(f"{repo}:BatchTransform", ("REG009",), f"'{name}'", _NEAR_MISS)
        for repo in ("cursus", "nlp")
        for name in ("XgboostModel", "PytorchModel")
    ),
    Deviation("nlp:DummyTraining", ("REG009",), "'PytorchTraining'", _NEAR_MISS),
    *(
        Deviation(
            f"nlp:{step}",
            ("NAME010",),
            "Pytorch",
            "the spec asks get_spec_step_type for "
            "'Pytorch...', which the registry does not know (the module fails to import)",
        )
        for step in ("PyTorchTraining", "PyTorchModel")
    ),
    Deviation(
        "nlp:PyTorchTraining",
        ("ALIGN002",),
        "checkpoints",
        "the contract declares an output the specification does not",
    ),
    Deviation(
        "nlp:PyTorchTraining",
        ("PROP002",),
        "TrainingJobOutput",
        "a property path SageMaker's training step does not have",
    ),
    Deviation(
        "nlp:RiskTableMapping",
        ("ALIGN001",),
        "risk_tables",
        "the contract declares an input the specification does not",
    ),
    Deviation(
        "nlp:RiskTableMapping",
        ("PATH005",),
        "risk_tables",
        "two contract outputs share one container path",
    ),
    Deviation(
        "nlp:DummyTraining",
        ("PATH003", "PATH006", "PATH007"),
        "/opt/ml/processing/input/",
        "processing inputs named as files; the later release made them directories",
    ),
)


def is_true_finding(step_id: str, issue: PlanIssue) -> bool:
    """Whether an error on a real step is one of the listed deviations of the real code."""
    return any(
        d.step == step_id and issue.code in d.codes and d.needle in issue.message
        for d in REAL_DEVIATIONS
    )


@dataclass(frozen=True)
class RealStep:
    """One real step's facts (the JSON object of the corpus)."""

    facts: dict[str, Any]

    @property
    def repo(self) -> str:
        """``cursus`` or ``nlp``."""
        return "nlp" if self.facts["repo"].endswith("nlp-pipeline") else "cursus"

    @property
    def name(self) -> str:
        return str(self.facts["step_name"])

    @property
    def id(self) -> str:
        return f"{self.repo}:{self.name}"

    @property
    def spec(self) -> dict[str, Any]:
        """The primary specification (the job-less one, else the training variant)."""
        return dict(self.facts["specs"][0])

    @property
    def job_types(self) -> list[str]:
        found = [s["step_type"].rsplit("_", 1) for s in self.facts["specs"]]
        return [j.lower() for _, j in (f for f in found if len(f) == 2) if j.lower() in JOB_TYPES]

    @property
    def step_type(self) -> str | None:
        """The SageMaker step type: the registry's, else the one the builder creates."""
        value = self.facts["sagemaker_step_type"]
        return None if value is None else str(value)


@cache
def real_steps() -> tuple[RealStep, ...]:
    data = json.loads(CORPUS.read_text(encoding="utf-8"))
    return tuple(RealStep(facts) for facts in data["steps"])


def step_by_id(step_id: str) -> RealStep:
    return next(s for s in real_steps() if s.id == step_id)


def base_step(step_type: str) -> str:
    """``X`` for ``X_Training`` and the other job-type variants."""
    base, _, job = step_type.rpartition("_")
    return base if base and job.lower() in JOB_TYPES else step_type


def _downstream(step: RealStep) -> list[dict[str, str]]:
    """Steps of the same repository whose best producer (real resolver) is this step, up to 3."""
    links = []
    for other in real_steps():
        if other.repo != step.repo or other.name == step.name:
            continue
        if base_step(other.spec["step_type"]) != other.name:
            continue  # Its spec names another step type (nlp's Pytorch* specs): nothing to link.
        for link in other.facts["upstream"]:
            if link["step"].lower() == step.name.lower():
                links.append(
                    {"step": other.name, "output": link["output"], "dependency": link["dependency"]}
                )
    return links[:3]


def registered(repo: str, name: str) -> str:
    """The registry's spelling of a producer the resolver named by its spec's step type
    (nlp-pipeline's PyTorch specs say ``PytorchTraining``; a plan names the registered step)."""
    return next(
        (s.name for s in real_steps() if s.repo == repo and s.name.lower() == name.lower()), name
    )


def requirements(step: RealStep) -> str:
    """A requirements text naming what the step reads (for SPEC001 and JOB001)."""
    spec = step.spec
    reads = ", ".join(
        f"{d['logical_name']} ({' '.join(d['semantic_keywords'][:4])})"
        for d in spec["dependencies"]
    )
    text = f"Add the {step.name} step: {step.facts['registry'].get('description', '')}."
    if reads:
        text += f" It reads {reads}."
    if step.job_types:
        text += " One specification per job type: " + ", ".join(step.job_types) + "."
    return text


def plan_data(
    step: RealStep, *, real_paths: bool = False, registry_type: bool = True
) -> dict[str, Any]:
    """The plan (its JSON) a person would write for ``step``.

    ``real_paths``: the component files as the repository has them (else the default layout's
    conventional names). ``registry_type``: state the SageMaker step type in the registry entry even
    where the repository's registry omits it (nlp-pipeline's has none).
    """
    facts, spec, name = step.facts, step.spec, step.name
    snake = snake_case(name)
    contract = facts["contract"] or {
        "entry_point": f"{snake}.py",
        "inputs": {},
        "outputs": {},
        "required_env_vars": [],
        "optional_env_vars": {},
        "expected_arguments": {},
        "file": None,
        "script_file": None,
    }
    registry = facts["registry"]
    config = facts["config"] or {
        "class_name": registry.get("config_class", f"{name}Config"),
        "base_class": "BasePipelineConfig",
        "fields": [],
        "file": None,
    }
    layout = DEFAULT_LAYOUT
    files = {
        "contract": layout.contract_file(snake),
        "spec": layout.spec_file(snake),
        "config": layout.config_file(snake),
        "builder": layout.builder_file(snake),
        "script": f"{layout.scripts_dir}/{contract['entry_point']}",
    }
    updates = list(layout.standard_updates())
    if real_paths:
        dirs = REAL_LAYOUTS[step.repo]
        files = {
            "contract": contract["file"] or f"{dirs['contracts']}/{snake}_contract.py",
            "spec": spec["file"],
            "config": config["file"] or f"{dirs['configs']}/config_{snake}_step.py",
            "builder": facts["builder"].get("file")
            or f"{dirs['builders']}/builder_{snake}_step.py",
            "script": contract["script_file"] or f"{dirs['scripts']}/{contract['entry_point']}",
        }
        updates = [
            dirs["registry"],
            *sorted(
                {f"{dirs[k]}/__init__.py" for k in ("builders", "configs", "specs", "contracts")}
            ),
        ]
    step_type = step.step_type if registry_type else registry.get("sagemaker_step_type")
    deps, outputs = spec["dependencies"], spec["outputs"]
    return {
        "step_name": name,
        "overview": {
            "purpose": registry.get("description", ""),
            "inputs": [d["logical_name"] for d in deps],
            "outputs": [o["logical_name"] for o in outputs],
        },
        "components": {
            "script_contract": {
                "file_path": files["contract"],
                "entry_point": contract["entry_point"],
                "input_paths": [
                    {"logical_name": k, "container_path": v} for k, v in contract["inputs"].items()
                ],
                "output_paths": [
                    {"logical_name": k, "container_path": v} for k, v in contract["outputs"].items()
                ],
                "required_env_vars": list(contract["required_env_vars"]),
                "optional_env_vars": dict(contract["optional_env_vars"]),
                "expected_arguments": dict(contract["expected_arguments"]),
            },
            "step_specification": {
                "file_path": files["spec"],
                "step_type": base_step(spec["step_type"]),
                "node_type": spec["node_type"],
                "dependencies": [
                    {
                        k: d[k]
                        for k in (
                            "logical_name",
                            "dependency_type",
                            "required",
                            "compatible_sources",
                            "semantic_keywords",
                            "data_type",
                        )
                    }
                    for d in deps
                ],
                "outputs": [
                    {
                        k: o[k]
                        for k in (
                            "logical_name",
                            "output_type",
                            "property_path",
                            "aliases",
                            "data_type",
                        )
                    }
                    for o in outputs
                ],
                "job_type_variants": step.job_types,
            },
            "configuration": {
                "file_path": files["config"],
                "class_name": config["class_name"],
                "base_class": config["base_class"],
                "step_parameters": [
                    {"name": f["name"], "type": f["type"], "default": f.get("default")}
                    for f in config["fields"]
                    if f["required"] or "default" in f
                ],
            },
            "step_builder": {
                "file_path": files["builder"],
                "class_name": facts["builder"]["class_name"],
            },
            "processing_script": {"file_path": files["script"]},
        },
        "files_to_update": updates,
        "integration": {
            "upstream_steps": [
                {
                    "step": registered(step.repo, u["step"]),
                    "output": u["output"],
                    "dependency": u["dependency"],
                }
                for u in facts["upstream"]
            ],
            "downstream_steps": _downstream(step),
        },
        "registry_entry": {
            "step_name": name,
            "config_class": registry.get("config_class", ""),
            "builder_step_name": registry.get("builder_step_name", ""),
            "spec_type": registry.get("spec_type", name),
            "sagemaker_step_type": step_type,
            "description": registry.get("description", ""),
        },
    }


def check_text(
    text: str | list[str], *, codebase: Any = None, requirements: str | None = None
) -> list[PlanIssue]:
    """What ``planner-agent check`` reports for plan text (or the texts of a plan's parts): the
    reader's issues and the rules'."""
    loaded = load_plan(text)
    found = check_plan(
        loaded.plan, codebase=codebase, requirements=requirements, revision=loaded.revision
    )
    return sort_issues([*loaded.issues, *found])


def check_data(
    data: dict[str, Any], *, codebase: Any = None, requirements: str | None = None
) -> list[PlanIssue]:
    """The rules on the plan's JSON itself (no markdown reader involved)."""
    return check_plan(data, codebase=codebase, requirements=requirements)
