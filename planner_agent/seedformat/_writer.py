"""Render an `ImplementationPlan` as the seed prompt's "Expected Output Format" markdown.

The output uses the seed's headings and bullet labels verbatim, so people who read the seed's
plans today read these the same way, and `parse_markdown` reads them back into the same plan.
Lists always render as sub-bullets (an empty list as ``(none)``), multi-line text as indented
continuation lines, and the "Implementation Details" code blocks come from ``_spec_code``,
``_config_code``, ``_script_code`` and ``_builder_code``. The output is deterministic: the same
plan gives the same text.

>>> text = render_markdown(plan)  # doctest: +SKIP
>>> text.splitlines()[0]  # doctest: +SKIP
'# Implementation Plan for ModelCalibration'
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..plan import (
    ConfigParameter,
    ContractPath,
    DependencyPlan,
    DownstreamLink,
    ImplementationPlan,
    OutputPlan,
    ResolverCandidate,
    UpstreamLink,
)
from ._builder_code import builder_block
from ._config_code import config_block
from ._script_code import script_block
from ._spec_code import contract_block, registry_block, spec_block

__all__ = ["EMPTY", "MISSING", "SECTION_TITLES", "render_markdown"]

EMPTY = "(none)"
"""What an empty list renders as; the parser reads it back as ``[]``."""

MISSING = "?"
"""Placeholder for an empty name in an upstream/downstream link (``Step: ? -> dependency``)."""

SECTION_TITLES = (
    "1. Step Overview",
    "2. Components to Create",
    "3. Files to Update",
    "4. Integration Strategy",
    "5. Contract-Specification Alignment",
    "6. Error Handling Strategy",
    "7. Testing and Validation Plan",
)

_DETAIL_TITLES = (
    "1. Step Registry Addition",
    "2. Script Contract Implementation",
    "3. Step Specification Implementation",
    "4. Configuration Class Implementation",
    "5. Processing Script Implementation",
    "6. Step Builder Implementation",
)


def _text(prefix: str, value: str, depth: int) -> list[str]:
    """``prefix value``; extra lines of ``value`` become continuation lines under the bullet."""
    first, *rest = value.split("\n") if value else [""]
    pad = "  " * (depth + 1)
    return [f"{prefix} {first}".rstrip(), *(f"{pad}{line}".rstrip() for line in rest)]


def _field(label: str, value: str, depth: int = 0) -> list[str]:
    """``- Label: value`` at ``depth`` (two spaces per level)."""
    return _text(f"{'  ' * depth}- {label}:", value, depth)


def _list(label: str, items: Sequence[str], depth: int = 0) -> list[str]:
    """``- Label:`` followed by one sub-bullet per item, or ``- Label: (none)``."""
    if not items:
        return [f"{'  ' * depth}- {label}: {EMPTY}"]
    lines = [f"{'  ' * depth}- {label}:"]
    for item in items:
        lines += _text(f"{'  ' * (depth + 1)}-", item, depth + 1)
    return lines


def _names(label: str, names: Sequence[str], depth: int) -> list[str]:
    """Short names inline and comma-separated, unless one contains a comma or a newline."""
    if any("," in n or "\n" in n or not n.strip() for n in names):
        return _list(label, names, depth)
    return [f"{'  ' * depth}- {label}: {', '.join(names) if names else EMPTY}"]


def _with_description(head: str, description: str) -> str:
    return f"{head} — {description}" if description else head


def _path_item(p: ContractPath) -> str:
    return _with_description(f"{p.logical_name}: {p.container_path}", p.description)


def _dependency_lines(d: DependencyPlan, depth: int) -> list[str]:
    required = "required" if d.required else "optional"
    head = f"{d.logical_name} ({d.dependency_type.value}, {d.data_type.value}, {required})"
    return [
        *_text(f"{'  ' * depth}-", _with_description(head, d.description), depth),
        *_names("Compatible sources", d.compatible_sources, depth + 1),
        *_names("Semantic keywords", d.semantic_keywords, depth + 1),
    ]


def _output_lines(o: OutputPlan, depth: int) -> list[str]:
    head = f"{o.logical_name} ({o.output_type.value}, {o.data_type.value})"
    return [
        *_text(f"{'  ' * depth}-", _with_description(head, o.description), depth),
        *_field("Property path", o.property_path, depth + 1),
        *_names("Aliases", o.aliases, depth + 1),
    ]


def _entries(label: str, lines_per_entry: list[list[str]], depth: int) -> list[str]:
    if not lines_per_entry:
        return [f"{'  ' * depth}- {label}: {EMPTY}"]
    return [f"{'  ' * depth}- {label}:", *(line for lines in lines_per_entry for line in lines)]


def _parameter(p: ConfigParameter) -> str:
    head = f"{p.name}: {p.type}" if p.type else p.name
    if p.default is not None:
        head += f" = {p.default}"
    return _with_description(head, p.description)


def _link(link: UpstreamLink | DownstreamLink) -> str:
    if not link.output and not link.dependency:
        return link.step
    return f"{link.step}: {link.output or MISSING} -> {link.dependency or MISSING}"


def _overview(plan: ImplementationPlan) -> list[str]:
    o = plan.overview
    return [
        *_field("Purpose", o.purpose),
        *_list("Inputs", o.inputs),
        *_list("Outputs", o.outputs),
        *_field("Position in pipeline", o.position_in_pipeline),
        *_list("Architectural considerations", o.architectural_considerations),
        *_list("Alignment with design principles", o.design_principles_alignment),
    ]


def _components(plan: ImplementationPlan) -> list[str]:
    c = plan.components
    contract, spec, config = c.script_contract, c.step_specification, c.configuration
    src = {k: f", source: {v}" for k, v in contract.env_var_sources.items()}
    env = [f"{name} (required{src.get(name, '')})" for name in contract.required_env_vars]
    env += [
        f"{name} (optional{src.get(name, '')}, default: {_quote(default)})"
        for name, default in contract.optional_env_vars.items()
    ]
    return [
        *_field("Script Contract", contract.file_path),
        *_list("Input paths", [_path_item(p) for p in contract.input_paths], 1),
        *_list("Output paths", [_path_item(p) for p in contract.output_paths], 1),
        *_list("Environment variables", env, 1),
        "",
        *_field("Step Specification", spec.file_path),
        *_entries("Dependencies", [_dependency_lines(d, 2) for d in spec.dependencies], 1),
        *_entries("Outputs", [_output_lines(o, 2) for o in spec.outputs], 1),
        *_names("Job type variants", [j.value for j in spec.job_type_variants], 1),
        "",
        *_field("Configuration", config.file_path),
        *_list("Step-specific parameters", [_parameter(p) for p in config.step_parameters], 1),
        *_list("SageMaker parameters", [_parameter(p) for p in config.sagemaker_parameters], 1),
        "",
        *_field("Step Builder", c.step_builder.file_path),
        *_list("Special handling", c.step_builder.special_handling, 1),
        "",
        *_field("Processing Script", c.processing_script.file_path),
        *_field("Algorithm", c.processing_script.algorithm, 1),
        *_list("Main functions", c.processing_script.main_functions, 1),
    ]


def _quote(value: str) -> str:
    """A default as a JSON string, so quotes, commas and parentheses survive the round trip."""
    return json.dumps(value, ensure_ascii=False)


def _candidate(c: ResolverCandidate) -> str:
    return f"{c.dependency} <- {c.step}.{c.output} (score {c.score:.2f})"


def _sections(plan: ImplementationPlan) -> list[list[str]]:
    i, a, e, t = plan.integration, plan.alignment, plan.error_handling, plan.testing
    files = [line for f in plan.files_to_update for line in _text("-", f, 0)]
    return [
        _overview(plan),
        _components(plan),
        files or [f"- {EMPTY}"],
        [
            *_list("Upstream steps", [_link(u) for u in i.upstream_steps]),
            *_list("Downstream steps", [_link(d) for d in i.downstream_steps]),
            *_list("DAG updates", i.dag_updates),
            # Only plans checked against a codebase carry candidates; others keep the seed's labels.
            *(
                _list("Resolver candidates", [_candidate(c) for c in i.resolver_candidates])
                if i.resolver_candidates
                else []
            ),
        ],
        [
            *_list("Input alignment", a.input_alignment),
            *_list("Output alignment", a.output_alignment),
            *_list("Validation strategy", a.validation_strategy),
        ],
        [
            *_field("Input validation", e.input_validation),
            *_field("Script robustness", e.script_robustness),
            *_field("Logging strategy", e.logging_strategy),
            *_field("Error reporting", e.error_reporting),
        ],
        [
            *_list("Unit tests", t.unit_tests),
            *_list("Integration tests", t.integration_tests),
            *_list("Validation criteria", t.validation_criteria),
        ],
    ]


def render_markdown(plan: ImplementationPlan) -> str:
    """The plan in the seed's format: sections 1-7, then the Implementation Details code blocks.

    >>> from planner_agent.draft import PlanDraft
    >>> render_markdown(draft.to_plan()).count("```python")  # doctest: +SKIP
    6
    """
    lines = [f"# Implementation Plan for {plan.step_name}"]
    for title, body in zip(SECTION_TITLES, _sections(plan), strict=True):
        lines += ["", f"## {title}", *body]
    blocks = (
        registry_block(plan),
        contract_block(plan),
        spec_block(plan),
        config_block(plan),
        script_block(plan),
        builder_block(plan),
    )
    lines += ["", "## Implementation Details"]
    for title, code in zip(_DETAIL_TITLES, blocks, strict=True):
        lines += ["", f"### {title}", "", "```python", code.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"
