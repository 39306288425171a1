"""The step's files: where each goes in the repository and its text.

File names are the ones the plan's code blocks import each other by (`spec_constants`,
`module_name`: the plan's file names, else the conventions), folders are the repository's
(`RepoLayout`). Each text is the block the plan's "Implementation Details" show, with its first
line naming the file it is written to and its relative imports resolved in the repository
(`ImportResolver`); job-type variants get one specification file each; the script gets the
standard entry point (`script_text`); the unit-test file is rendered here (`test_text`).
"""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from .._pycode import assigned
from ..plan import ImplementationPlan
from ..seedformat._builder_code import builder_block
from ..seedformat._code_text import module_name, spec_constants, step_idents
from ..seedformat._config_code import config_block
from ..seedformat._spec_code import contract_block, spec_block
from ._builder import fit_builder
from ._edits import Export
from ._imports import ImportResolver
from ._layout import RepoLayout, import_root
from ._script import script_text
from ._testfile import TestTargets, dotted, spec_step_types, test_text
from ._types import FileKind, ScaffoldError

__all__ = ["Component", "plan_components", "render_files"]


@dataclass(frozen=True)
class Component:
    """One file of the step: its kind, repository-relative path, module and exported names."""

    kind: FileKind
    rel: str
    module: str
    names: tuple[str, ...] = ()
    planned: str = ""  # where the plan put it ("" when it did not say)

    @property
    def folder(self) -> str:
        """The repository-relative folder."""
        return PurePosixPath(self.rel).parent.as_posix()

    def export(self) -> Export:
        """What the folder's ``__init__`` exports for this file."""
        return Export(self.module, self.names, self.kind)


def plan_components(plan: ImplementationPlan, layout: RepoLayout) -> list[Component]:
    """Contract, specification(s), config, builder, script and test, in that order."""
    comps = plan.components
    name, contract, config, builder = step_idents(plan)
    contract_mod = module_name(comps.script_contract.file_path, f"{name}_contract")
    config_mod = module_name(comps.configuration.file_path, f"config_{name}_step")
    builder_mod = module_name(comps.step_builder.file_path, f"builder_{name}_step")
    script = comps.script_contract.entry_point
    found = [
        Component(
            "contract",
            f"{layout.contracts}/{contract_mod}.py",
            contract_mod,
            (contract,),
            comps.script_contract.file_path,
        )
    ]
    found += [
        Component(
            "spec", f"{layout.specs}/{mod}.py", mod, (const,), comps.step_specification.file_path
        )
        for _, const, mod in spec_constants(plan)
    ]
    found += [
        Component(
            "config",
            f"{layout.configs}/{config_mod}.py",
            config_mod,
            (config,),
            comps.configuration.file_path,
        ),
        Component(
            "builder",
            f"{layout.builders}/{builder_mod}.py",
            builder_mod,
            (builder,),
            comps.step_builder.file_path,
        ),
        Component(
            "script",
            f"{layout.scripts}/{script}",
            script.removesuffix(".py"),
            planned=comps.processing_script.file_path,
        ),
        Component("test", f"{layout.tests}/test_{name}_step.py", f"test_{name}_step"),
    ]
    return [dataclasses.replace(c, rel=_clean(c.rel)) for c in found]


def _clean(rel: str) -> str:
    return PurePosixPath(rel).as_posix().removeprefix("./")


def render_files(
    plan: ImplementationPlan, components: list[Component], resolver: ImportResolver
) -> tuple[dict[str, str], list[str]]:
    """(repository-relative path -> text, notes) for every component."""
    notes: list[str] = []
    by_kind: dict[FileKind, list[Component]] = {}
    for c in components:
        by_kind.setdefault(c.kind, []).append(c)
        if c.planned and PurePosixPath(c.planned).parent != PurePosixPath(c.folder):
            notes.append(
                f"the plan puts the {c.kind} in {PurePosixPath(c.planned).parent}/; this "
                f"repository keeps them in {c.folder}/, so it is written there"
            )
    specs = by_kind["spec"]
    texts: dict[str, str] = {}

    def adapt(component: Component, block: str) -> None:
        text = _retitle(block, component.rel)
        texts[component.rel] = _tidy(resolver.rewrite(text, component.folder, notes))

    adapt(by_kind["contract"][0], contract_block(plan))
    for component, text in zip(specs, _split_specs(plan, spec_block(plan)), strict=True):
        adapt(component, text)
    adapt(by_kind["config"][0], config_block(plan))
    builder = by_kind["builder"][0]
    adapt(builder, builder_block(plan))
    texts[builder.rel] = fit_builder(texts[builder.rel], resolver, builder.folder, notes)
    script = by_kind["script"][0]
    texts[script.rel] = _tidy(_retitle(script_text(plan), script.rel))
    test = by_kind["test"][0]
    texts[test.rel] = test_text(plan, _targets(plan, components, resolver, texts, test))
    for rel, text in texts.items():
        try:
            compile(text, rel, "exec")
        except SyntaxError as exc:  # never write a file that does not compile
            raise ScaffoldError(
                f"the rendered {rel} does not compile ({exc.msg}, line {exc.lineno}); "
                "nothing was written",
                path=rel,
            ) from None
    return texts, list(dict.fromkeys(notes))


def _targets(
    plan: ImplementationPlan,
    components: list[Component],
    resolver: ImportResolver,
    texts: dict[str, str],
    test: Component,
) -> TestTargets:
    modules = [c for c in components if c.kind in ("contract", "spec", "config", "builder")]
    levels: dict[str, int] = {}
    for c in modules:
        tree = ast.parse(texts[c.rel])
        deepest = max((n.level for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)), default=0)
        levels[c.folder] = max(levels.get(c.folder, 0), deepest)
    root = import_root(resolver.root, [c.folder for c in modules], levels)

    def first(kind: FileKind) -> tuple[str, str]:
        c = next(c for c in components if c.kind == kind)
        return dotted(c.rel, root), c.names[0]

    specs = [c for c in components if c.kind == "spec"]
    return TestTargets(
        test_dir=test.folder,
        import_root=root,
        contract=first("contract"),
        specs=tuple(
            (dotted(c.rel, root), c.names[0], step_type)
            for c, step_type in zip(specs, spec_step_types(plan), strict=True)
        ),
        config=first("config"),
        builder=first("builder"),
        script=next(c.rel for c in components if c.kind == "script"),
    )


def _retitle(text: str, rel: str) -> str:
    """The block's first line names its file (``# path``): name the file it is written to."""
    first, _, rest = text.partition("\n")
    return f"# {rel}\n{rest}" if first.startswith("# ") else f"# {rel}\n{text}"


def _tidy(text: str) -> str:
    """At most two blank lines in a row; exactly one newline at the end."""
    return re.sub(r"\n{4,}", "\n\n\n", text).strip("\n") + "\n"


def _split_specs(plan: ImplementationPlan, block: str) -> list[str]:
    """One text per specification: a variant's file keeps its own constant only."""
    variants = spec_constants(plan)
    if len(variants) == 1 and variants[0][0] is None:
        return [block]
    constants = {const for _, const, _ in variants}
    tree = ast.parse(block)
    statements = {
        target.id: node
        for node in tree.body
        for target in assigned(node)[0]
        if isinstance(target, ast.Name) and target.id in constants
    }
    listing = {"# One specification per job type (one file each):"}
    listing |= {f"#   {module}.py -> {const}" for _, const, module in variants}
    texts = []
    for _, const, _ in variants:
        lines = block.split("\n")
        for other, node in sorted(statements.items(), key=lambda kv: -kv[1].lineno):
            if other != const:
                del lines[node.lineno - 1 : node.end_lineno]
        texts.append("\n".join(line for line in lines if line not in listing))
    return texts
