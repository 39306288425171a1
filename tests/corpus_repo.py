"""A stub repository rendered from the corpus facts, in a real repository's layout.

Each file holds what the indexer reads (registry dict, contract and specification calls, config and
builder classes, a script) written the way the real repository writes it: its folders and file
names, its form of ``step_type`` (``get_spec_step_type("X")``, ``..._with_job_type("X", "training")``,
``get_spec_step_type("X") + "_Training"``) and its list or dict collections. No real code is copied:
every line comes from the templates below and the facts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from corpus import REAL_LAYOUTS, RealStep, real_steps
from layout_trees import write_file

_IMPORTS = {
    "cursus": "from ...core.base.specification_base import DependencySpec, DependencyType, "
    "NodeType, OutputSpec, StepSpecification\n"
    "from ...registry.step_names import get_spec_step_type, get_spec_step_type_with_job_type\n",
    "nlp": "from ..pipeline_deps.base_specifications import DependencySpec, DependencyType, "
    "NodeType, OutputSpec, StepSpecification\n"
    "from ..pipeline_registry.step_names import get_spec_step_type, get_spec_step_type_with_job_type\n",
}


def _q(value: Any) -> str:
    return json.dumps(value)


def _step_type(spec: dict[str, Any]) -> str:
    base, _, job = spec["step_type"].rpartition("_")
    if not base or job.lower() not in ("training", "validation", "testing", "calibration"):
        base, job = spec["step_type"], ""
    form = spec["step_type_form"]
    if form == "literal":
        return _q(spec["step_type"])
    if job and form == "plus_suffix":
        return f'get_spec_step_type({_q(base)}) + "_{job}"'
    if job:
        return f"get_spec_step_type_with_job_type({_q(base)}, {_q(job.lower())})"
    return f"get_spec_step_type({_q(base)})"


def _item(kind: str, fields: dict[str, Any], enum_key: str) -> str:
    lines = [f"        {kind}("]
    for key, value in fields.items():
        text = f"DependencyType.{value.upper()}" if key == enum_key else _q(value)
        lines.append(
            f"            {key}={'True' if value is True else 'False' if value is False else text},"
        )
    return "\n".join([*lines, "        )"])


def _spec_text(spec: dict[str, Any], contract: tuple[str, str] | None) -> str:
    as_dict = spec["collections"] == "dict"
    open_, close = ("{", "}") if as_dict else ("[", "]")
    deps = [
        (d["logical_name"], _item("DependencySpec", d, "dependency_type"))
        for d in spec["dependencies"]
    ]
    outs = [(o["logical_name"], _item("OutputSpec", o, "output_type")) for o in spec["outputs"]]

    def block(items: list[tuple[str, str]]) -> str:
        body = [f"        {_q(n)}: {t.strip()}," if as_dict else f"{t}," for n, t in items]
        return "\n".join([open_, *body, f"    {close}"])

    lines = [f"{spec['constant']} = StepSpecification(", f"    step_type={_step_type(spec)},"]
    lines.append(f"    node_type=NodeType.{spec['node_type'].upper()},")
    if contract is not None:
        lines.append(f"    script_contract=_contract(),  # {contract[1]}")
    lines += [f"    dependencies={block(deps)},", f"    outputs={block(outs)},", ")", ""]
    return "\n".join(lines)


def _contract_text(step: RealStep, constant: str) -> str:
    c = step.facts["contract"]
    return "\n".join(
        [
            f"from .base_script_contract import {c['class']}",
            "",
            f"{constant} = {c['class']}(",
            f"    entry_point={_q(c['entry_point'])},",
            f"    expected_input_paths={_q(c['inputs'])},",
            f"    expected_output_paths={_q(c['outputs'])},",
            f"    required_env_vars={_q(c['required_env_vars'])},",
            f"    optional_env_vars={_q(c['optional_env_vars'])},",
            f"    expected_arguments={_q(c['expected_arguments'])},",
            ")",
            "",
        ]
    )


def _config_text(config: dict[str, Any]) -> str:
    lines = [f"class {config['class_name']}({config['base_class']}):"]
    for f in config["fields"]:
        default = "" if f["required"] else f" = {f.get('default', 'None')}"
        lines.append(f"    {f['name']}: {f['type']}{default}")
    return "\n".join([*lines, "    pass", "", ""])


def write_repo(repo: str, root: Path) -> Path:
    """Render every corpus step of ``repo`` (``cursus`` or ``nlp``) as stub files under ``root``."""
    dirs = REAL_LAYOUTS[repo]
    files: dict[str, list[str]] = defaultdict(list)
    registry = []
    for step in (s for s in real_steps() if s.repo == repo):
        facts = step.facts
        entry = {k: v for k, v in facts["registry"].items()}
        registry.append(f"    {_q(step.name)}: {json.dumps(entry)},")
        contract = None
        if facts["contract"] is not None and facts["contract"]["file"]:
            path = facts["contract"]["file"]
            constant = Path(path).stem.upper()
            files[path].append(_contract_text(step, constant))
            contract = (path, constant)
            if facts["contract"]["script_file"]:
                files[facts["contract"]["script_file"]].append("def main():\n    pass\n")
        for spec in facts["specs"]:
            if not files[spec["file"]]:
                files[spec["file"]].append(_IMPORTS[repo])
                if contract is not None:
                    module = Path(contract[0]).stem
                    package = Path(contract[0]).parent.name
                    files[spec["file"]].append(
                        f"\ndef _contract():\n    from ..{package}.{module} import {contract[1]}\n\n"
                        f"    return {contract[1]}\n\n"
                    )
            files[spec["file"]].append(_spec_text(spec, contract))
        if facts["config"] is not None and facts["config"]["file"]:
            files[facts["config"]["file"]].append(_config_text(facts["config"]))
        builder = facts["builder"]
        if builder.get("file"):
            files[builder["file"]].append(
                f"class {builder['class_name']}(StepBuilderBase):\n    pass\n\n"
            )
    files[dirs["registry"]].append("STEP_NAMES = {\n" + "\n".join(registry) + "\n}\n")
    for folder in {dirs[k] for k in ("contracts", "specs", "configs", "builders", "scripts")}:
        files.setdefault(f"{folder}/__init__.py", [])
    for rel, parts in files.items():
        write_file(root, rel, "".join(parts))
    return root
