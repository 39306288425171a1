"""The step's files: where each goes in the repository and its text.

Texts are the plan's rendered files (`step_files`, the very texts its markdown shows), each with
its first line naming the file it is written to and its relative imports resolved in the
repository (`ImportResolver`); nothing else is changed. File names are the ones those texts
import each other by, folders the repository's (`RepoLayout`). The unit-test file, which
depends on the repository's import root, is rendered here (`test_text`). A training step's
contract falls back to ``ScriptContract`` in a repository without ``TrainingScriptContract``.
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..plan import ImplementationPlan
from ..seedformat._code_text import module_name, step_idents
from ..seedformat._spec_code import TRAINING_CONTRACT
from ..seedformat._step_files import StepFile, step_files, tidy
from ._edits import Export
from ._imports import ImportResolver
from ._layout import RepoLayout, import_root
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
    text: str = ""  # the plan's rendered text ("" for the test file, rendered in the repository)

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
    name = step_idents(plan)[0]
    rendered = step_files(plan)
    files = {f.kind: f for f in rendered}
    specs = [f for f in rendered if f.kind == "spec"]
    folders = {"contract": layout.contracts, "config": layout.configs, "builder": layout.builders}
    script = comps.script_contract.entry_point

    def component(f: StepFile, folder: str, planned: str) -> Component:
        return Component(f.kind, f"{folder}/{f.module}.py", f.module, f.names, planned, f.text)

    found = [component(files["contract"], folders["contract"], files["contract"].path)]
    found += [component(f, layout.specs, comps.step_specification.file_path) for f in specs]
    found += [component(files[k], folders[k], files[k].path) for k in ("config", "builder")]
    found += [
        Component(
            "script",
            f"{layout.scripts}/{script}",
            module_name(script, name),
            planned=comps.processing_script.file_path,
            text=files["script"].text,
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
    for c in components:
        if c.planned and PurePosixPath(c.planned).parent != PurePosixPath(c.folder):
            notes.append(
                f"the plan puts the {c.kind} in {PurePosixPath(c.planned).parent}/; this "
                f"repository keeps them in {c.folder}/, so it is written there"
            )
    texts: dict[str, str] = {}
    for c in components:
        if c.kind == "test":
            continue
        text = _retitle(c.text, c.rel)
        if c.kind == "contract":
            text = _contract_base(text, resolver, c.folder, notes)
        texts[c.rel] = tidy(resolver.rewrite(text, c.folder, notes))
    test = next(c for c in components if c.kind == "test")
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


def _contract_base(text: str, resolver: ImportResolver, folder: str, notes: list[str]) -> str:
    """A training contract on ``ScriptContract`` in a repository without the training base."""
    base = TRAINING_CONTRACT[0]
    if f" = {base}(" not in text or resolver.finds(base, folder):
        return text
    if not resolver.finds("ScriptContract", folder):
        return text  # neither: the import stays, and the resolver's note says so
    notes.append(f"this repository has no {base}: the contract is a ScriptContract")
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if (line.startswith("from ") and line.endswith(f" import {base}")) or line.endswith(
            f" = {base}("
        ):
            lines[i] = line.replace(base, "ScriptContract")
    return "\n".join(lines)


def _retitle(text: str, rel: str) -> str:
    """The block's first line names its file (``# path``): name the file it is written to."""
    first, _, rest = text.partition("\n")
    return f"# {rel}\n{rest}" if first.startswith("# ") else f"# {rel}\n{text}"
