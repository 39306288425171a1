"""One plan, written the ways people and LLMs write plans in the seed's format.

Each phrasing takes a plan's JSON (``corpus.plan_data``) and returns markdown stating the same
facts: the package's own rendering, labelled bullets with quoted values and inline lists, tables,
code blocks only, and a title with a suffix. The templates are this project's own text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from planner_agent._plan_data import plan_from_data
from planner_agent.seedformat import render_markdown

Phrasing = Callable[[dict[str, Any]], str]


def rendered(data: dict[str, Any]) -> str:
    """The package's own rendering (``render_markdown``)."""
    plan, repaired = plan_from_data(json.loads(json.dumps(data)), "corpus")
    text = render_markdown(plan)
    stated = data["registry_entry"]["sagemaker_step_type"]
    if repaired and stated is not None:  # A type the model lacks is written as the plan states it.
        text = re.sub(r'("sagemaker_step_type": )"\w+"', rf'\g<1>"{stated}"', text)
    return text


def titled(data: dict[str, Any]) -> str:
    """The rendering with a suffixed title and quoted values, as LLMs often write it."""
    text = rendered(data).replace(
        f"# Implementation Plan for {data['step_name']}\n",
        f"# Implementation Plan for {data['step_name']} Step - Version 2\n",
        1,
    )
    text = re.sub(r"(- Property path: )(\S+)", r'\1"\2"', text)
    return re.sub(r"(Script Contract: |Step Specification: )(\S+)", r"\1`\2`", text)


def _inline(items: list[str]) -> str:
    return json.dumps(items) if items else "None"


def _common_tail(data: dict[str, Any], heading: str = "##") -> list[str]:
    """Sections 3-7 in plain bullets."""
    lines = [f"{heading} 3. Files to Update", *[f"- `{f}`" for f in data["files_to_update"]], ""]
    lines += [f"{heading} 4. Integration Strategy", "- Upstream steps:"]
    ups = data["integration"]["upstream_steps"]
    lines += [f"  - {u['step']}: {u['output']} -> {u['dependency']}" for u in ups] or ["  - None"]
    lines += ["- Downstream steps:"]
    downs = data["integration"]["downstream_steps"]
    lines += [f"  - {d['step']}: {d['output']} -> {d['dependency']}" for d in downs] or ["  - None"]
    lines += ["", f"{heading} 5. Contract-Specification Alignment"]
    lines += ["- Input alignment: each contract input is named like its dependency"]
    lines += ["- Output alignment: each contract output is named like its specification output", ""]
    lines += [
        f"{heading} 6. Error Handling Strategy",
        "- Input validation: fail on missing inputs",
        "",
    ]
    lines += [
        f"{heading} 7. Testing and Validation Plan",
        "- Unit tests:",
        "  - contract and spec agree",
        "",
    ]
    return lines


def _registry_fragment(data: dict[str, Any]) -> list[str]:
    entry = data["registry_entry"]
    lines = ["```python", f'"{entry["step_name"]}": {{']
    for key in (
        "config_class",
        "builder_step_name",
        "spec_type",
        "sagemaker_step_type",
        "description",
    ):
        if entry.get(key) is not None:
            lines.append(f'    "{key}": {json.dumps(entry[key])},')
    return [*lines, "},", "```"]


def labelled(data: dict[str, Any]) -> str:
    """Labelled bullets: quoted values, inline lists, "None required", explicit labels."""
    c = data["components"]
    contract, spec, config = c["script_contract"], c["step_specification"], c["configuration"]
    lines = [f"# Implementation Plan for {data['step_name']}", "", "## 1. Step Overview"]
    lines += [f"- Purpose: {data['overview']['purpose']}", "", "## 2. Components to Create", ""]
    lines += ["### Script Contract", f"- File: `{contract['file_path']}`"]
    lines += [f"- Entry point: `{contract['entry_point']}`", "- Input paths:"]
    lines += [
        f"  - `{p['logical_name']}`: `{p['container_path']}`" for p in contract["input_paths"]
    ] or ["  - None"]
    lines += ["- Output paths:"]
    lines += [
        f"  - `{p['logical_name']}`: `{p['container_path']}`" for p in contract["output_paths"]
    ] or ["  - None"]
    required = contract["required_env_vars"]
    lines += [
        f"- Required environment variables: {', '.join(required) if required else 'None required'}"
    ]
    optional = contract["optional_env_vars"]
    lines += ["- Optional environment variables:" + ("" if optional else " None")]
    lines += [f'  - {k} (default: "{v}")' for k, v in optional.items()]
    arguments = contract["expected_arguments"]
    lines += ["- Expected arguments:" + ("" if arguments else " None")]
    lines += [f'  - `{k}`: "{v}"' for k, v in arguments.items()]
    lines += ["", "### Step Specification", f"- File: `{spec['file_path']}`"]
    lines += [f"- Step type: `{spec['step_type']}`", f"- Node type: {spec['node_type']}"]
    lines += ["- Dependencies:" + ("" if spec["dependencies"] else " None")]
    for d in spec["dependencies"]:
        lines += [f"  - Logical name: `{d['logical_name']}`"]
        lines += [f"    - Dependency type: {d['dependency_type']}"]
        lines += [f"    - Required: {'Yes' if d['required'] else 'No'}"]
        lines += [f"    - Compatible sources: {_inline(d['compatible_sources'])}"]
        lines += [f"    - Semantic keywords: {_inline(d['semantic_keywords'])}"]
        lines += [f'    - Data type: "{d["data_type"]}"']
    lines += ["- Outputs:" + ("" if spec["outputs"] else " None")]
    for o in spec["outputs"]:
        lines += [f"  - Logical name: `{o['logical_name']}`"]
        lines += [f"    - Output type: {o['output_type']}"]
        lines += [f'    - Property path: "{o["property_path"]}"']
        lines += [f"    - Aliases: {_inline(o['aliases'])}"]
        lines += [f'    - Data type: "{o["data_type"]}"']
    variants = spec["job_type_variants"]
    lines += [
        f"- Job type variants: {', '.join(variants) if variants else 'None needed, one specification serves every run'}"
    ]
    lines += ["", "### Configuration", f"- File: `{config['file_path']}`"]
    lines += [f"- Class: `{config['class_name']}` (inherits from `{config['base_class']}`)"]
    lines += ["- Step-specific parameters:" + ("" if config["step_parameters"] else " None")]
    for p in config["step_parameters"]:
        default = "required" if p["default"] is None else f"default {p['default']}"
        lines += [f"  - `{p['name']}` ({p['type']}, {default})"]
    lines += ["", "### Step Builder", f"- File: `{c['step_builder']['file_path']}`"]
    lines += [f"- Class: `{c['step_builder']['class_name']}`", ""]
    lines += ["### Processing Script", f"- File: `{c['processing_script']['file_path']}`", ""]
    lines += _common_tail(data)
    lines += ["## Implementation Details", "", "### 1. Step Registry Addition", ""]
    return "\n".join([*lines, *_registry_fragment(data), ""])


def _row(*cells: Any) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def tables(data: dict[str, Any]) -> str:
    """Section 2 as tables: paths, env vars, dependencies, outputs, parameters."""
    c = data["components"]
    contract, spec, config = c["script_contract"], c["step_specification"], c["configuration"]
    lines = [f"# Implementation Plan for {data['step_name']}", "", "## 1. Step Overview"]
    lines += [f"- Purpose: {data['overview']['purpose']}", "", "## 2. Components to Create", ""]
    lines += [f"### Script Contract (`{contract['file_path']}`)", ""]
    lines += [f"Entry point: `{contract['entry_point']}`", ""]
    paths = [("input", p) for p in contract["input_paths"]] + [
        ("output", p) for p in contract["output_paths"]
    ]
    if paths:
        lines += [_row("Direction", "Logical name", "Container path"), _row("---", "---", "---")]
        lines += [
            _row(kind, f"`{p['logical_name']}`", f"`{p['container_path']}`") for kind, p in paths
        ]
        lines += [""]
    env = [(n, "required", "") for n in contract["required_env_vars"]]
    env += [(n, "optional", v) for n, v in contract["optional_env_vars"].items()]
    if env:
        lines += [_row("Environment variable", "Required", "Default"), _row("---", "---", "---")]
        lines += [
            _row(f"`{n}`", "yes" if r == "required" else "no", f"`{v}`" if v else "")
            for n, r, v in env
        ]
        lines += [""]
    if contract["expected_arguments"]:
        lines += [_row("Argument", "Default"), _row("---", "---")]
        lines += [_row(f"`{k}`", f"`{v}`") for k, v in contract["expected_arguments"].items()]
        lines += [""]
    lines += [f"### Step Specification (`{spec['file_path']}`)", ""]
    lines += [f"Step type `{spec['step_type']}`, node type `{spec['node_type']}`.", ""]
    if spec["dependencies"]:
        lines += [
            _row(
                "Dependency",
                "Type",
                "Required",
                "Compatible sources",
                "Semantic keywords",
                "Data type",
            )
        ]
        lines += [_row(*["---"] * 6)]
        for d in spec["dependencies"]:
            lines += [
                _row(
                    f"`{d['logical_name']}`",
                    d["dependency_type"],
                    "yes" if d["required"] else "no",
                    ", ".join(d["compatible_sources"]),
                    ", ".join(d["semantic_keywords"]),
                    d["data_type"],
                )
            ]
        lines += [""]
    if spec["outputs"]:
        lines += [
            _row("Output", "Type", "Property path", "Aliases", "Data type"),
            _row(*["---"] * 5),
        ]
        for o in spec["outputs"]:
            lines += [
                _row(
                    f"`{o['logical_name']}`",
                    o["output_type"],
                    f"`{o['property_path']}`",
                    ", ".join(o["aliases"]),
                    o["data_type"],
                )
            ]
        lines += [""]
    variants = spec["job_type_variants"]
    lines += [f"Job type variants: {', '.join(variants) if variants else 'none'}", ""]
    lines += [f"### Configuration (`{config['file_path']}`)", ""]
    lines += [f"`{config['class_name']}` extends `{config['base_class']}`.", ""]
    if config["step_parameters"]:
        lines += [_row("Field", "Type", "Default"), _row("---", "---", "---")]
        for p in config["step_parameters"]:
            lines += [
                _row(
                    f"`{p['name']}`",
                    f"`{p['type']}`",
                    "(required)" if p["default"] is None else f"`{p['default']}`",
                )
            ]
        lines += [""]
    lines += [f"### Step Builder (`{c['step_builder']['file_path']}`)", ""]
    lines += [f"`{c['step_builder']['class_name']}`", ""]
    lines += [f"### Processing Script (`{c['processing_script']['file_path']}`)", ""]
    lines += _common_tail(data)
    entry = data["registry_entry"]
    lines += ["## Implementation Details", "", "### 1. Step Registry Addition", ""]
    lines += [_row("Field", "Value"), _row("---", "---"), _row("step name", entry["step_name"])]
    lines += [
        _row(k, entry[k])
        for k in ("config_class", "builder_step_name", "spec_type", "sagemaker_step_type")
        if entry.get(k)
    ]
    return "\n".join([*lines, ""])


def _py(value: Any) -> str:
    return json.dumps(value)


def code_blocks(data: dict[str, Any]) -> str:
    """Short bullets in section 2; the facts in the Implementation Details code blocks."""
    c = data["components"]
    contract, spec, config = c["script_contract"], c["step_specification"], c["configuration"]
    name = data["step_name"]
    lines = [f"# Implementation Plan for {name}", "", "## 1. Step Overview"]
    lines += [f"- Purpose: {data['overview']['purpose']}", "", "## 2. Components to Create"]
    lines += [
        f"- Script Contract: {contract['file_path']}",
        f"- Step Specification: {spec['file_path']}",
    ]
    lines += [
        f"- Configuration: {config['file_path']}",
        f"- Step Builder: {c['step_builder']['file_path']}",
    ]
    lines += [f"- Processing Script: {c['processing_script']['file_path']}", ""]
    lines += _common_tail(data)
    lines += ["## Implementation Details", "", "### 1. Step Registry Addition", ""]
    lines += _registry_fragment(data)
    constant = re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", name).upper()
    lines += ["", "### 2. Script Contract Implementation", "", "```python"]
    lines += [
        f"{constant}_CONTRACT = ScriptContract(",
        f"    entry_point={_py(contract['entry_point'])},",
    ]
    inputs = {p["logical_name"]: p["container_path"] for p in contract["input_paths"]}
    outputs = {p["logical_name"]: p["container_path"] for p in contract["output_paths"]}
    lines += [
        f"    expected_input_paths={_py(inputs)},",
        f"    expected_output_paths={_py(outputs)},",
    ]
    lines += [f"    required_env_vars={_py(contract['required_env_vars'])},"]
    lines += [f"    optional_env_vars={_py(contract['optional_env_vars'])},"]
    lines += [f"    expected_arguments={_py(contract['expected_arguments'])},", ")", "```", ""]
    lines += ["### 3. Step Specification Implementation", "", "```python"]
    lines += [
        f"{constant}_SPEC = StepSpecification(",
        f'    step_type=get_spec_step_type("{spec["step_type"]}"),',
    ]
    lines += [f"    node_type=NodeType.{spec['node_type'].upper()},", "    dependencies=["]
    for d in spec["dependencies"]:
        lines += ["        DependencySpec(", f"            logical_name={_py(d['logical_name'])},"]
        lines += [f"            dependency_type=DependencyType.{d['dependency_type'].upper()},"]
        lines += [f"            required={d['required']},"]
        lines += [f"            compatible_sources={_py(d['compatible_sources'])},"]
        lines += [f"            semantic_keywords={_py(d['semantic_keywords'])},"]
        lines += [f"            data_type={_py(d['data_type'])},", "        ),"]
    lines += ["    ],", "    outputs=["]
    for o in spec["outputs"]:
        lines += ["        OutputSpec(", f"            logical_name={_py(o['logical_name'])},"]
        lines += [f"            output_type=DependencyType.{o['output_type'].upper()},"]
        lines += [f"            property_path={_py(o['property_path'])},"]
        lines += [
            f"            aliases={_py(o['aliases'])},",
            f"            data_type={_py(o['data_type'])},",
        ]
        lines += ["        ),"]
    lines += ["    ],", ")", "```", ""]
    if spec["job_type_variants"]:
        lines += [
            "Variants: one specification per job type ("
            + ", ".join(spec["job_type_variants"])
            + ").",
            "",
        ]
    lines += ["### 4. Configuration Class Implementation", "", "```python"]
    lines += [f"class {config['class_name']}({config['base_class']}):"]
    for p in config["step_parameters"]:
        lines += [
            f"    {p['name']}: {p['type']}" + ("" if p["default"] is None else f" = {p['default']}")
        ]
    if not config["step_parameters"]:
        lines += ["    pass"]
    lines += ["```", "", "### 5. Step Builder Implementation", "", "```python"]
    lines += [f"class {c['step_builder']['class_name']}(StepBuilderBase):", "    ...", "```", ""]
    return "\n".join(lines)


PHRASINGS: dict[str, Phrasing] = {
    "rendered": rendered,
    "titled": titled,
    "labelled": labelled,
    "tables": tables,
    "code": code_blocks,
}
