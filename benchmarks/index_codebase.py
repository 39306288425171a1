"""Benchmark: index a generated 500-step pipeline repository and print the time.

Run: ``python benchmarks/index_codebase.py [steps]``. The generated repository follows the default
``src/pipeline_*`` layout with a registry, a contract, a spec, a config and a builder per step (every
fifth step has four job-type variant specs), i.e. roughly five files per step.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from planner_agent.checks._codebase import CodebaseIndex

JOB_TYPES = ("training", "validation", "testing", "calibration")

CONTRACT = """from .base_script_contract import ScriptContract

{upper}_CONTRACT = ScriptContract(
    entry_point="{snake}.py",
    expected_input_paths={{"data_input": "/opt/ml/processing/input/data"}},
    expected_output_paths={{"processed_data": "/opt/ml/processing/output/data"}},
    required_env_vars=["LABEL_FIELD"],
    optional_env_vars={{"ID_FIELD": "id"}},
    expected_arguments={{"job-type": "training"}},
    description="Contract of step {index}",
)
"""

SPEC = """from ..pipeline_deps.base_specifications import DependencySpec, DependencyType, NodeType, OutputSpec, StepSpecification
from ..pipeline_registry.step_names import get_spec_step_type_with_job_type
from ..pipeline_script_contracts.{snake}_contract import {upper}_CONTRACT

{constant} = StepSpecification(
    step_type=get_spec_step_type_with_job_type("{name}", {job}),
    node_type=NodeType.INTERNAL,
    script_contract={upper}_CONTRACT,
    dependencies=[
        DependencySpec(
            logical_name="data_input",
            dependency_type=DependencyType.PROCESSING_OUTPUT,
            compatible_sources=["{source}"],
            semantic_keywords=["data", "input", "tabular", "step{index}"],
        )
    ],
    outputs=[
        OutputSpec(
            logical_name="processed_data",
            output_type=DependencyType.PROCESSING_OUTPUT,
            property_path="properties.ProcessingOutputConfig.Outputs['processed_data'].S3Output.S3Uri",
        )
    ],
)
"""

CONFIG = """from .config_base import ProcessingStepConfigBase


class {name}Config(ProcessingStepConfigBase):
    label_field: str
    id_field: str = "id"
"""

BUILDER = """from .builder_step_base import StepBuilderBase
from .config_{snake}_step import {name}Config


class {name}StepBuilder(StepBuilderBase):
    def __init__(self, config: {name}Config, **kwargs):
        super().__init__(config=config, **kwargs)
"""


def generate_repo(root: Path, steps: int = 500) -> None:
    """Write a synthetic ``steps``-step repository under ``root``."""
    dirs = {
        k: root / "src" / f"pipeline_{k}"
        for k in ("registry", "script_contracts", "step_specs", "steps")
    }
    for folder in dirs.values():
        folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for index in range(steps):
        name, snake = f"Step{index:04d}Processing", f"step{index:04d}_processing"
        upper, source = snake.upper(), f"Step{max(index - 1, 0):04d}Processing"
        entries.append(
            f'    "{name}": {{"config_class": "{name}Config", "builder_step_name": "{name}StepBuilder", '
            f'"spec_type": "{name}", "sagemaker_step_type": "Processing", "description": "Step {index}"}},'
        )
        fields = {"name": name, "snake": snake, "upper": upper, "index": index, "source": source}
        (dirs["script_contracts"] / f"{snake}_contract.py").write_text(CONTRACT.format(**fields))
        jobs = JOB_TYPES if index % 5 == 0 else (None,)
        for job in jobs:
            suffix = f"_{job}" if job else ""
            constant = f"{upper}{suffix.upper()}_SPEC"
            text = SPEC.format(**fields, constant=constant, job=repr(job))
            (dirs["step_specs"] / f"{snake}{suffix}_spec.py").write_text(text)
        (dirs["steps"] / f"config_{snake}_step.py").write_text(CONFIG.format(**fields))
        (dirs["steps"] / f"builder_{snake}_step.py").write_text(BUILDER.format(**fields))
    registry = "STEP_NAMES = {\n" + "\n".join(entries) + "\n}\n"
    (dirs["registry"] / "step_names.py").write_text(registry)


def main(steps: int = 500) -> float:
    """Generate, index, print and return the seconds the index took."""
    with tempfile.TemporaryDirectory() as tmp:
        generate_repo(Path(tmp), steps)
        files = sum(1 for _ in Path(tmp).rglob("*.py"))
        start = time.perf_counter()
        index = CodebaseIndex.from_path(tmp)
        elapsed = time.perf_counter() - start
    print(
        f"indexed {len(index.steps)} steps ({files} files) in {elapsed:.2f} s "
        f"({elapsed / steps * 1000:.2f} ms per step); warnings: {len(index.warnings)}"
    )
    return elapsed


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
