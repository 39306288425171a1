"""Small repository trees in the two real layouts of the four-layer architecture (for tests).

Only facts of the public repositories are mirrored: folder names, file names, the registry file
names and how a specification states its ``step_type``. The classes are minimal stubs written
here; nothing is imported or run.

- ``release_tree``: the framework's last four-layer release (``src/cursus/steps/{contracts,specs,
  configs,builders,scripts}``, the registry literal in ``src/cursus/registry/
  step_names_original.py`` and a ``step_names.py`` that builds ``STEP_NAMES`` by a call).
- ``sibling_tree``: the older sibling repository (``src/pipeline_script_contracts``,
  ``src/pipeline_step_specs``, configs and builders together in ``src/pipeline_steps``,
  ``src/pipeline_scripts``, the registry in ``src/pipeline_registry/step_names.py``).
"""

from __future__ import annotations

from pathlib import Path

from planner_agent.conventions import Layout

# step name -> (sagemaker_step_type, script stem, job types of its variant specs, output)
STEPS = {
    "TabularPreprocessing": (
        "Processing",
        "tabular_preprocessing",
        ("training", "validation"),
        "processed_data",
    ),
    "XGBoostTraining": ("Training", "xgboost_training", (), "model_output"),
    "XGBoostModelEval": ("Processing", "xgboost_model_eval", (), "eval_output"),
    "ModelCalibration": ("Processing", "model_calibration", (), "calibration_output"),
}

RELEASE = {
    "contracts": "src/cursus/steps/contracts",
    "specs": "src/cursus/steps/specs",
    "configs": "src/cursus/steps/configs",
    "builders": "src/cursus/steps/builders",
    "scripts": "src/cursus/steps/scripts",
    "registry": "src/cursus/registry/step_names_original.py",
}
SIBLING = {
    "contracts": "src/pipeline_script_contracts",
    "specs": "src/pipeline_step_specs",
    "configs": "src/pipeline_steps",
    "builders": "src/pipeline_steps",
    "scripts": "src/pipeline_scripts",
    "registry": "src/pipeline_registry/step_names.py",
}


def layout_of(places: dict[str, str]) -> Layout:
    """The `Layout` of folders ``places`` (``RELEASE``, ``SIBLING``) without ``init_files``."""
    return Layout(
        contracts_dir=places["contracts"],
        specs_dir=places["specs"],
        configs_dir=places["configs"],
        builders_dir=places["builders"],
        scripts_dir=places["scripts"],
        registry_file=places["registry"],
    )


def write_file(root: Path, rel: str, text: str) -> None:
    """Write ``text`` to ``root/rel``, making its folders."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def _registry(names: dict[str, tuple[str, str, tuple[str, ...], str]]) -> str:
    entries = "".join(
        f'    "{name}": {{\n'
        f'        "config_class": "{name}Config",\n'
        f'        "builder_step_name": "{name}StepBuilder",\n'
        f'        "spec_type": "{name}",\n'
        f'        "sagemaker_step_type": "{kind}",\n'
        f'        "description": "{name} step",\n'
        "    },\n"
        for name, (kind, _, _, _) in names.items()
    )
    return f"STEP_NAMES = {{\n{entries}}}\n"


def _contract(script: str, kind: str, output: str) -> str:
    if kind == "Training":
        ins, outs = '{"input_path": "/opt/ml/input/data"}', f'{{"{output}": "/opt/ml/model"}}'
    else:
        ins = '{"data_input": "/opt/ml/processing/input/data"}'
        outs = f'{{"{output}": "/opt/ml/processing/output"}}'
    return (
        f"{script.upper()}_CONTRACT = ScriptContract(\n"
        f'    entry_point="{script}.py",\n'
        f"    expected_input_paths={ins},\n"
        f"    expected_output_paths={outs},\n"
        '    required_env_vars=["LABEL_FIELD"],\n'
        ")\n"
    )


def spec_text(constant: str, step_type: str, kind: str, output: str = "processed_data") -> str:
    """A specification module whose ``step_type`` is the expression ``step_type``."""
    out_type = "MODEL_ARTIFACTS" if kind == "Training" else "PROCESSING_OUTPUT"
    path = (
        "properties.ModelArtifacts.S3ModelArtifacts"
        if kind == "Training"
        else f"properties.ProcessingOutputConfig.Outputs['{output}'].S3Output.S3Uri"
    )
    return (
        f"{constant} = StepSpecification(\n"
        f"    step_type={step_type},\n"
        "    node_type=NodeType.INTERNAL,\n"
        "    dependencies=[\n"
        "        DependencySpec(\n"
        '            logical_name="data_input",\n'
        "            dependency_type=DependencyType.PROCESSING_OUTPUT,\n"
        "            required=True,\n"
        '            compatible_sources=["CradleDataLoading"],\n'
        '            semantic_keywords=["data", "input"],\n'
        '            data_type="S3Uri",\n'
        "        )\n"
        "    ],\n"
        "    outputs=[\n"
        "        OutputSpec(\n"
        f'            logical_name="{output}",\n'
        f"            output_type=DependencyType.{out_type},\n"
        f'            property_path="{path}",\n'
        '            data_type="S3Uri",\n'
        "        )\n"
        "    ],\n"
        ")\n"
    )


def _tree(root: Path, places: dict[str, str], variant_form: str) -> Path:
    for name, (kind, script, jobs, output) in STEPS.items():
        write_file(
            root, f"{places['contracts']}/{script}_contract.py", _contract(script, kind, output)
        )
        write_file(root, f"{places['scripts']}/{script}.py", "def main():\n    return 0\n")
        base = f'get_spec_step_type("{name}")'
        write_file(
            root,
            f"{places['specs']}/{script}_spec.py",
            spec_text(f"{script.upper()}_SPEC", base, kind, output),
        )
        for job in jobs:
            step_type = variant_form.format(name=name, job=job, Job=job.capitalize())
            write_file(
                root,
                f"{places['specs']}/{script}_{job}_spec.py",
                spec_text(f"{script.upper()}_{job.upper()}_SPEC", step_type, kind, output),
            )
        write_file(
            root,
            f"{places['configs']}/config_{script}_step.py",
            f"class {name}Config(BasePipelineConfig):\n    pass\n",
        )
        write_file(
            root,
            f"{places['builders']}/builder_{script}_step.py",
            f"class {name}StepBuilder(StepBuilderBase):\n    pass\n",
        )
    for kind in ("contracts", "specs", "configs", "builders", "scripts"):
        write_file(root, f"{places[kind]}/__init__.py", "")
    write_file(root, places["registry"], _registry(STEPS))
    return root


def release_tree(root: Path) -> Path:
    """The four-layer release's layout under ``root``; variants use the job-type helper."""
    _tree(root, RELEASE, 'get_spec_step_type_with_job_type("{name}", "{job}")')
    # The release's step_names.py builds STEP_NAMES by a call (not a literal) at import time.
    write_file(
        root,
        "src/cursus/registry/step_names.py",
        "from .step_names_original import STEP_NAMES as _ORIGINAL\n\n"
        "def get_step_names():\n    return dict(_ORIGINAL)\n\n"
        "STEP_NAMES = get_step_names()\n",
    )
    write_file(root, "src/cursus/registry/__init__.py", "")
    return root


def sibling_tree(root: Path, variant_form: str = '"{name}_{Job}"') -> Path:
    """The older sibling's layout under ``root``; ``variant_form`` states a variant's step_type
    (``{name}``, ``{job}``, ``{Job}`` are filled in)."""
    _tree(root, SIBLING, variant_form)
    write_file(root, "src/pipeline_steps/config_base.py", "class BasePipelineConfig:\n    pass\n")
    write_file(
        root, "src/pipeline_steps/builder_step_base.py", "class StepBuilderBase:\n    pass\n"
    )
    write_file(root, "src/pipeline_registry/__init__.py", "")
    return root
