"""A static index of a user's pipeline repository, read with `ast` (user code is never imported or run).

The index holds the registry (``STEP_NAMES``), every script contract and step specification (as plan
models, so checks compare like with like) and the config/builder class names. The plan checks use it
for registry lookups and dependency resolution; the prompt uses its digest and its examples.

>>> index = CodebaseIndex.from_path("tests/fixtures/codebase")  # doctest: +SKIP
>>> index.find_step("TabularPreprocessing-Training").name  # doctest: +SKIP
'TabularPreprocessing'
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from .._files import path_problem
from ..conventions import (
    DEFAULT_LAYOUT,
    Layout,
    builder_class_name,
    config_class_name,
    snake_case,
    strip_job_suffix,
    variant_step_type,
)
from ..errors import CodebaseError, shown_path
from ..plan import (
    DependencyPlan,
    JobType,
    OutputPlan,
    RegistryEntry,
    SageMakerStepType,
    ScriptContractPlan,
    StepSpecificationPlan,
)
from ..prompt._knowledge import Example
from ._detect import detect_layout
from ._resolver import name_tokens, word_stems
from ._scan import CodebaseWarning, Scan, emit_warnings, scan

__all__ = [
    "CodebaseIndex",
    "CodebaseWarning",
    "StepInfo",
    "index_codebase",
    "rank_examples",
]


@dataclass(frozen=True)
class StepInfo:
    """One step of the codebase: registry entry, specs (job variants included), contract, classes."""

    name: str
    registry_entry: RegistryEntry | None = None
    specs: tuple[StepSpecificationPlan, ...] = ()
    contract: ScriptContractPlan | None = None
    config_class: str | None = None
    builder_class: str | None = None

    @property
    def sagemaker_step_type(self) -> SageMakerStepType | None:
        """The registry's ``sagemaker_step_type`` (None when absent)."""
        return self.registry_entry.sagemaker_step_type if self.registry_entry else None

    @property
    def description(self) -> str:
        """The registry description."""
        return self.registry_entry.description if self.registry_entry else ""

    @property
    def job_types(self) -> list[str]:
        """Lower-case job types of the variant specs, e.g. ``['training', 'validation']``."""
        return [
            s.step_type[len(self.name) + 1 :].lower()
            for s in self.specs
            if s.step_type != self.name
        ]

    def outputs(self) -> list[OutputPlan]:
        """Outputs over all specs, each logical name once (variants usually repeat them)."""
        seen: dict[str, OutputPlan] = {}
        for spec in self.specs:
            for output in spec.outputs:
                seen.setdefault(output.logical_name, output)
        return list(seen.values())

    def dependencies(self) -> list[DependencyPlan]:
        """Dependencies over all specs, each logical name once."""
        seen: dict[str, DependencyPlan] = {}
        for spec in self.specs:
            for dependency in spec.dependencies:
                seen.setdefault(dependency.logical_name, dependency)
        return list(seen.values())


# Classes a config chain may end in that define no pipeline field.
_ROOT_BASES: Final = frozenset({"BaseModel", "object", "ABC", "Generic"})


@dataclass(frozen=True, eq=False)  # Identity equality: indexes are compared and hashed as objects.
class CodebaseIndex:
    """What the checks and the prompt need to know about an existing pipeline repository."""

    root: Path
    steps: Mapping[str, StepInfo]
    registry: Mapping[str, SageMakerStepType | None]
    #: The layout in effect: the one the caller gave, else `detected_layout`.
    layout: Layout = DEFAULT_LAYOUT
    #: Where the repository keeps each component, as its files show (see `from_path`).
    detected_layout: Layout = DEFAULT_LAYOUT
    config_classes: Mapping[str, str] = field(default_factory=dict)
    builder_classes: Mapping[str, str] = field(default_factory=dict)
    #: Config classes (``*Config``, ``*ConfigBase``) -> (base class names, own field names).
    config_fields: Mapping[str, tuple[tuple[str, ...], frozenset[str]]] = field(
        default_factory=dict
    )
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_path(
        cls, path: str | os.PathLike[str], *, layout: Layout | None = None
    ) -> CodebaseIndex:
        """Index the repository at ``path``; files that cannot be read (not Python, too large,
        nested too deeply) are skipped with a `CodebaseWarning` naming the file and why.

        The layout's folders are read first (the default ``src/pipeline_*`` when ``layout`` is
        None); when one is missing, files are found by what they define. ``detected_layout`` is
        where the files were found: the most common folder of each kind, the registry file with
        the most entries. It is the index's ``layout`` unless ``layout`` is given.
        """
        root = Path(path)
        problem = path_problem(root, "directory")
        if problem is not None:
            raise CodebaseError(
                f"codebase path {shown_path(root)} {problem}; pass the repository root"
            )
        index = _assemble(root, layout, scan(root, layout or DEFAULT_LAYOUT))
        emit_warnings(list(index.warnings), stacklevel=2)
        return index

    @property
    def has_step_types(self) -> bool:
        """False for older registries whose entries carry no ``sagemaker_step_type`` at all."""
        return any(v is not None for v in self.registry.values())

    def fields_of(self, config_class: str) -> frozenset[str] | None:
        """The fields ``config_class`` has with its bases, as the codebase defines them.

        None when a class of the chain is not in the codebase, or the chain declares no field
        at all (a stub): the codebase is then no evidence of what the class lacks.
        """
        fields: set[str] = set()
        todo, seen = [config_class], set()
        while todo:
            name = todo.pop()
            if name in seen or name in _ROOT_BASES:
                continue
            seen.add(name)
            known = self.config_fields.get(name)
            if known is None:
                return None
            bases, own = known
            fields |= own
            todo += bases
        return frozenset(fields) or None

    def find_step(self, name: str) -> StepInfo | None:
        """The step named ``name``, also for job-variant names (``X_Training``, ``X-Training``)."""
        return self.steps.get(name) or self.steps.get(strip_job_suffix(name))

    def producers(self) -> Iterator[tuple[str, OutputPlan]]:
        """Every ``(spec step_type, output)`` pair; job variants appear under their variant name."""
        for step in self.steps.values():
            for spec in step.specs:
                for output in spec.outputs:
                    yield spec.step_type, output

    def without(self, *names: str) -> CodebaseIndex:
        """A copy without the named steps, e.g. to check a plan for a step as if it were new."""
        return dataclasses.replace(
            self,
            steps={k: v for k, v in self.steps.items() if k not in names},
            registry={k: v for k, v in self.registry.items() if k not in names},
        )

    def registry_digest(self, max_steps: int = 200) -> str:
        """One line per step (type, job types, outputs, dependencies) for the prompt."""
        lines = [_digest_line(step) for step in list(self.steps.values())[:max_steps]]
        if len(self.steps) > max_steps:
            lines.append(f"... and {len(self.steps) - max_steps} more steps")
        return "\n".join(lines)

    def examples(self) -> list[Example]:
        """Each indexed step as a compact example (registry line, contract and spec summaries)."""
        return [_example(step) for step in self.steps.values() if step.specs or step.contract]


def index_codebase(path: str | os.PathLike[str], *, layout: Layout | None = None) -> CodebaseIndex:
    """Shortcut for `CodebaseIndex.from_path`."""
    return CodebaseIndex.from_path(path, layout=layout)


def rank_examples(
    requirements: str,
    examples: Sequence[Example],
    k: int,
    prefer_step_type: SageMakerStepType | None = None,
) -> list[Example]:
    """The ``k`` examples lexically closest to ``requirements``, best first (ties keep input order).

    Name words count most, then keywords, then description words; a step named verbatim in the
    requirements and an example of ``prefer_step_type`` get a bonus.
    """
    wanted = word_stems(requirements)
    lowered = requirements.lower()

    def relevance(example: Example) -> float:
        value = 2.0 * len(wanted & word_stems(example.name))
        value += len(wanted & word_stems(" ".join(example.keywords)))
        value += 0.5 * len(wanted & word_stems(example.description))
        if example.name and example.name.lower() in lowered:
            value += 3.0
        if prefer_step_type is not None and example.sagemaker_step_type == prefer_step_type.value:
            value += 2.0
        return value

    order = sorted(range(len(examples)), key=lambda i: (-relevance(examples[i]), i))
    return [examples[i] for i in order[: max(k, 0)]]


# --------------------------------------------------------------------------- assembly


def _assemble(root: Path, layout: Layout | None, found: Scan) -> CodebaseIndex:
    """Group what the scan found into steps: registry names first, then spec-only steps."""
    by_base: dict[str, list[tuple[StepSpecificationPlan, list[str]]]] = {}
    for spec, refs in found.specs:
        by_base.setdefault(strip_job_suffix(spec.step_type), []).append((spec, refs))
    spec_only = sorted(set(by_base) - set(found.registry))
    names = list(found.registry) + spec_only
    if not found.registry:
        found.warn("no STEP_NAMES registry found; steps are taken from the specifications")
    folded = {n.casefold(): n for n in found.registry}
    for name in spec_only:
        if (known := folded.get(name.casefold())) is not None:
            # get_spec_step_type(name) raises for such a name when the framework imports it.
            files = ", ".join(sorted({s.file_path for s, _ in by_base[name]}))
            found.warn(
                f"{files}: step_type {name!r} is not in STEP_NAMES, whose {known!r} differs only "
                "in case; indexed as a step of its own"
            )
    steps = {name: _step(found, name, by_base.get(name, [])) for name in names}
    registry = {n: e.sagemaker_step_type for n, e in found.registry.items()}
    detected = detect_layout(root, found, layout or DEFAULT_LAYOUT)
    return CodebaseIndex(
        root=root,
        steps=steps,
        registry=registry or dict.fromkeys(steps),
        layout=layout or detected,
        detected_layout=detected,
        config_classes=dict(found.configs),
        config_fields=dict(found.config_fields),
        builder_classes=dict(found.builders),
        warnings=tuple(found.messages),
    )


def _step(found: Scan, name: str, specs: list[tuple[StepSpecificationPlan, list[str]]]) -> StepInfo:
    entry = found.registry.get(name)
    # The contract a spec module imports; else the one named after the step.
    refs = [r for _, names in specs for r in names if r in found.contracts]
    snake = snake_case(name)
    named = (
        c
        for c in found.contracts.values()
        if Path(c.file_path).stem == f"{snake}_contract" or c.entry_point == f"{snake}.py"
    )
    contract = found.contracts[refs[0]] if refs else next(named, None)
    configs = (entry.config_class if entry else "", config_class_name(name))
    builders = (entry.builder_step_name if entry else "", builder_class_name(name))
    # The base spec first, then the variants in JobType order.
    rank = {name: 0} | {variant_step_type(name, j): i + 1 for i, j in enumerate(JobType)}
    return StepInfo(
        name=name,
        registry_entry=entry,
        specs=tuple(sorted((s for s, _ in specs), key=lambda s: rank.get(s.step_type, len(rank)))),
        contract=contract,
        config_class=next((c for c in configs if c in found.configs), None),
        builder_class=next((b for b in builders if b in found.builders), None),
    )


# --------------------------------------------------------------------------- digest and examples


def _step_title(step: StepInfo) -> str:
    kind = step.sagemaker_step_type.value if step.sagemaker_step_type else "type unknown"
    jobs = step.job_types
    return f"{step.name} ({kind}" + (f"; job types {', '.join(jobs)})" if jobs else ")")


def _digest_line(step: StepInfo) -> str:
    if not step.specs:
        return f"{_step_title(step)}: no specification"
    outs = ", ".join(
        f"{o.logical_name} [{o.output_type.value}]"
        + (f" (aliases {', '.join(o.aliases)})" if o.aliases else "")
        for o in step.outputs()
    )
    deps = ", ".join(
        f"{d.logical_name} [{d.dependency_type.value}{'' if d.required else ', optional'}]"
        for d in step.dependencies()
    )
    return f"{_step_title(step)}: {outs or 'no outputs'}" + (f"; needs {deps}" if deps else "")


def _example(step: StepInfo) -> Example:
    entry, contract = step.registry_entry, step.contract
    lines = []
    if entry:
        kind = entry.sagemaker_step_type.value if entry.sagemaker_step_type else "missing"
        lines.append(
            f"- Registry: config `{entry.config_class}`, builder `{entry.builder_step_name}`, "
            f"spec_type `{entry.spec_type}`, sagemaker_step_type `{kind}`"
        )
    if contract:
        lines.append(f"- Contract `{contract.file_path}` (entry point `{contract.entry_point}`):")
        for label, paths in (("inputs", contract.input_paths), ("outputs", contract.output_paths)):
            if paths:
                lines.append(
                    f"  - {label} "
                    + ", ".join(f"`{p.logical_name}` -> `{p.container_path}`" for p in paths)
                )
        if contract.required_env_vars:
            lines.append(
                "  - required env vars " + ", ".join(f"`{v}`" for v in contract.required_env_vars)
            )
        if contract.optional_env_vars:
            lines.append(
                "  - optional env vars " + ", ".join(f"`{v}`" for v in contract.optional_env_vars)
            )
        if contract.expected_arguments:
            lines.append(
                "  - arguments " + ", ".join(f"`--{a}`" for a in contract.expected_arguments)
            )
    for spec in step.specs[:1]:  # Variants differ only in step_type; one is enough to learn from.
        jobs = f" (job types {', '.join(step.job_types)})" if step.job_types else ""
        lines.append(f"- Spec `{spec.file_path}`, node_type `{spec.node_type.value}`{jobs}:")
        for d in spec.dependencies:
            sources = ", ".join(f"`{s}`" for s in d.compatible_sources) or "none"
            lines.append(
                f"  - dependency `{d.logical_name}`: `{d.dependency_type.value}`, "
                f"{'required' if d.required else 'optional'}; sources {sources}; "
                f"keywords `{', '.join(d.semantic_keywords)}`"
            )
        for o in spec.outputs:
            aliases = f"; aliases `{', '.join(o.aliases)}`" if o.aliases else ""
            lines.append(
                f"  - output `{o.logical_name}`: `{o.output_type.value}`, `{o.property_path}`{aliases}"
            )
    keywords = {w for s in step.specs for d in s.dependencies for w in d.semantic_keywords}
    keywords |= set(name_tokens(step.name))
    return Example(
        name=step.name,
        sagemaker_step_type=step.sagemaker_step_type.value if step.sagemaker_step_type else "",
        keywords=tuple(sorted(keywords)),
        description=step.description,
        body="\n".join(lines),
    )
