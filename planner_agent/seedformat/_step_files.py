"""The step's files, rendered once: what the markdown's "Implementation Details" show and what
`planner_agent.scaffold.scaffold_step` writes.

`step_files` gives one `StepFile` (path, text, kind) per file of the step: the script contract,
the specification (one file per job-type variant), the config, the processing script and the
builder, each text starting with a comment naming its file and importing the others as the
default ``src/pipeline_*`` layout does. `render_markdown` embeds each text as one code block;
scaffolding writes the same text, naming the file it writes and pointing the relative imports at
where the repository keeps each name (nothing else changes).

>>> [f.kind for f in step_files(plan)]  # doctest: +SKIP
['contract', 'spec', 'config', 'script', 'builder']
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Literal

from ..conventions import DEFAULT_LAYOUT, snake_case
from ..plan import ImplementationPlan
from ._builder_code import builder_block
from ._code_text import module_name, spec_constants, step_idents
from ._config_code import config_block
from ._script_code import script_block
from ._spec_code import contract_block, spec_block, spec_path

__all__ = ["StepFile", "StepFileKind", "step_files", "tidy"]

StepFileKind = Literal["contract", "spec", "config", "script", "builder"]


@dataclass(frozen=True)
class StepFile:
    """One rendered file: where the plan puts it, its text, its kind, its module and the names
    it defines for other modules (a specification's constant, the config class, ...)."""

    path: str  # "" when the plan names no file (the text's first line says what it is)
    text: str
    kind: StepFileKind
    module: str
    names: tuple[str, ...] = ()


def tidy(text: str) -> str:
    """At most two blank lines in a row; exactly one newline at the end."""
    return re.sub(r"\n{4,}", "\n\n\n", text).strip("\n") + "\n"


# Recent renderings by the plan's JSON: the checks (CODE001) compile the texts that the markdown
# and scaffolding then show, so one plan is rendered once (plans are mutable: key by content).
_RENDERED: dict[str, tuple[StepFile, ...]] = {}
_RENDERED_MAX = 16
_LOCK = threading.Lock()


def step_files(plan: ImplementationPlan) -> list[StepFile]:
    """The step's files in the order the markdown shows them (contract, specifications, config,
    script, builder)."""
    key = plan.model_dump_json()
    with _LOCK:
        files = _RENDERED.get(key)
    if files is None:
        files = tuple(_render(plan))
        with _LOCK:
            if len(_RENDERED) >= _RENDERED_MAX:
                del _RENDERED[next(iter(_RENDERED))]  # the oldest
            _RENDERED[key] = files
    return list(files)


def _render(plan: ImplementationPlan) -> list[StepFile]:
    comps = plan.components
    name, contract, config, builder = step_idents(plan)
    snake = snake_case(plan.step_name) or "step"
    entry = comps.script_contract.entry_point or f"{snake}.py"
    script_path = comps.processing_script.file_path
    files = [
        StepFile(
            comps.script_contract.file_path,
            contract_block(plan),
            "contract",
            module_name(comps.script_contract.file_path, f"{name}_contract"),
            (contract,),
        )
    ]
    files += [
        StepFile(spec_path(plan, module), spec_block(plan, job_type), "spec", module, (constant,))
        for job_type, constant, module in spec_constants(plan)
    ]
    files += [
        StepFile(
            comps.configuration.file_path,
            config_block(plan),
            "config",
            module_name(comps.configuration.file_path, f"config_{name}_step"),
            (config,),
        ),
        StepFile(
            script_path,
            script_block(plan),
            "script",
            module_name(script_path or f"{DEFAULT_LAYOUT.scripts_dir}/{entry}", name),
        ),
        StepFile(
            comps.step_builder.file_path,
            builder_block(plan),
            "builder",
            module_name(comps.step_builder.file_path, f"builder_{name}_step"),
            (builder,),
        ),
    ]
    return [StepFile(f.path, tidy(f.text), f.kind, f.module, f.names) for f in files]
