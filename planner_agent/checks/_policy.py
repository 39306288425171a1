"""The severity policy, stated once: which facts make an issue an error, and what a codebase changes.

An error makes ``ok`` false and drives a paid re-ask in which the model "fixes" what it was told,
so an error needs evidence that the plan is wrong:

- **Invariants** of the framework or of SageMaker (a validator raises, a lookup fails, SageMaker
  rejects the job) are errors. So is a contradiction between two facts the plan itself states.
- **Conventions** (how most steps are written) are warnings: real, working code deviates from them.
- **Step names** without a codebase: the built-in reference registry is small and cannot say that a
  name does not exist, so an unknown name is a warning (REG012); a near-miss of a known name (case
  or spelling: ``XgboostTraining``, ``TabularPreprocesing``) is an error naming the known name
  (REG009). With a codebase its registry is the evidence: an unknown upstream/downstream step is an
  error, an unknown compatible source a warning (compatible sources are only a scoring hint).
- **A codebase's own conventions win** over the reference's where the index knows them: labels its
  specifications use widely in ``compatible_sources``, the builder naming of its registry era
  (``<Name>Step`` in older registries), whether it has ``__init__`` exports at all, and the
  registry fields it uses (no ``sagemaker_step_type`` in older registries).
- **Repairs** (``REPAIR0xx``) are info: the repair pass made a mechanical change; nothing is left
  wrong.

`POLICY` classifies every built-in rule; ``tests/test_severity_policy.py`` keeps it complete and
consistent with the rules' severities, and the README's "Severity policy" table is generated from it.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Final

from ._codebase import CodebaseIndex

__all__ = [
    "CONVENTION",
    "INVARIANT",
    "POLICY",
    "REPAIR",
    "builder_era_suffix",
    "exports_needed",
    "near_miss",
    "policy_table_markdown",
    "widely_used_sources",
]

INVARIANT: Final = "invariant"
CONVENTION: Final = "convention"
EVIDENCE: Final = "evidence"  # An error only when a codebase (or the plan itself) proves it.
REPAIR: Final = "repair"  # Not a finding: a mechanical fix the repair pass made, reported as info.

# code -> (kind, why). Invariants are errors; conventions are warnings; "evidence" rules are errors
# whose evidence is named in the reason; repairs are info (the change is made, nothing is wrong).
POLICY: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "NAME001": (
            INVARIANT,
            "the framework's registry validation requires PascalCase step names",
        ),
        "NAME002": (INVARIANT, "config discovery finds config classes by the `Config` suffix"),
        "NAME003": (INVARIANT, "builder discovery and registry validation expect `StepBuilder`"),
        "NAME004": (INVARIANT, "the specification's validators reject other characters"),
        "NAME005": (CONVENTION, "older code uses upper-case logical names"),
        "NAME006": (
            INVARIANT,
            "SageMaker rejects environment keys outside `[A-Za-z_][A-Za-z0-9_]*`",
        ),
        "NAME007": (
            INVARIANT,
            "the contract's validator rejects upper case and characters but `-`",
        ),
        "NAME008": (CONVENTION, "file names vary (`builder_model_eval_step_xgboost.py`)"),
        "NAME009": (INVARIANT, "the contract's validator requires a `.py` entry point"),
        "NAME010": (INVARIANT, "the spec's step_type is what the resolver and the builder compare"),
        "NAME011": (CONVENTION, "real configs deviate (`BatchTransformStepConfig`)"),
        "NAME012": (CONVENTION, "the registry, not the name, ties a builder to its step"),
        "NAME013": (CONVENTION, "any SageMaker environment key works"),
        "ALIGN001": (INVARIANT, "the builder fails on a contract input without a dependency"),
        "ALIGN002": (INVARIANT, "the builder maps spec outputs to contract outputs by name"),
        "ALIGN003": (INVARIANT, "the output's validator rejects an alias equal to its name"),
        "ALIGN004": (INVARIANT, "the resolver cannot tell outputs with the same alias apart"),
        "ALIGN005": (INVARIANT, "a step missing from the registry is never found"),
        "ALIGN006": (CONVENTION, "some codebases discover steps without `__init__` exports"),
        "ARG001": (INVARIANT, "the builder writes `--<key>`; a dashed key becomes `----key`"),
        "ARG002": (INVARIANT, "the builder passes only the contract's arguments to the script"),
        "CONF001": (INVARIANT, "the plan names the field; the builder reads it"),
        "CONF002": (INVARIANT, "the plan says the base class has the field; it does not"),
        "CONF003": (CONVENTION, "builders also set variables from other fields or the context"),
        "PATH001": (INVARIANT, "the contract's validators reject other input prefixes"),
        "PATH002": (INVARIANT, "the contract's validators reject other output prefixes"),
        "PATH003": (INVARIANT, "SageMaker uploads an output directory, not a file"),
        "PATH004": (INVARIANT, "an output inside an input is downloaded over, or uploaded twice"),
        "PATH005": (INVARIANT, "two outputs from one directory upload the same files"),
        "PATH006": (CONVENTION, "the plan's builder, or the codebase's, mounts the directory"),
        "PATH007": (INVARIANT, "the framework's builders mount each input path as a directory"),
        "PROP001": (INVARIANT, "the output's validator requires `properties.`"),
        "PROP002": (INVARIANT, "SageMaker exposes only these properties per step type"),
        "PROP003": (INVARIANT, "processing outputs are keyed by the output's logical name"),
        "REG001": (INVARIANT, "the registry is looked up by step name"),
        "REG002": (INVARIANT, "the registry names the config class the framework loads"),
        "REG003": (INVARIANT, "the registry names the builder (in its era's form)"),
        "REG004": (INVARIANT, "the spec's step_type is derived from the registry's spec_type"),
        "REG005": (EVIDENCE, "with a codebase whose registry states step types (else REG014)"),
        "REG006": (INVARIANT, "the contract validators of the step type reject the paths"),
        "REG007": (CONVENTION, "special handling is prose"),
        "REG008": (EVIDENCE, "with a codebase: the name is taken in its registry"),
        "REG009": (EVIDENCE, "a near-miss of a known name, or (with a codebase) an unknown link"),
        "REG010": (CONVENTION, "legacy aliases still resolve"),
        "REG011": (CONVENTION, "a label only weakens the resolver's score"),
        "REG012": (CONVENTION, "a reference table cannot say a name does not exist"),
        "REG013": (CONVENTION, "compared literally, a job suffix never matches; other terms score"),
        "REG014": (
            CONVENTION,
            "without a codebase the registry's era is unknown (older ones omit it)",
        ),
        "JOB001": (CONVENTION, "one spec may serve every flow"),
        "JOB002": (INVARIANT, "variant builders pick the spec from `config.job_type`"),
        "NODE001": (INVARIANT, "the specification's validator checks the node type"),
        "SPEC001": (CONVENTION, "requirements rarely name every input"),
        "WIRE001": (INVARIANT, "the plan links a dependency it does not declare"),
        "WIRE002": (EVIDENCE, "with a codebase: the producer has no such output"),
        "WIRE003": (EVIDENCE, "with a codebase: the resolver rejects the link"),
        "WIRE004": (CONVENTION, "another producer may win; the link still resolves"),
        "WIRE005": (INVARIANT, "the plan links an output it does not declare"),
        "WIRE006": (EVIDENCE, "with a codebase: the consumer has no such dependency"),
        "WIRE007": (EVIDENCE, "with a codebase: the resolver rejects the link"),
        "ENUM001": (INVARIANT, "the value does not exist in the framework's enum"),
        "RULE000": (INVARIANT, "a rule crashed; its findings are unknown"),
        "CODE001": (INVARIANT, "a block that does not compile cannot be imported"),
        "CODE002": (INVARIANT, "the config class fails to define with a type Python lacks"),
        "CODE003": (INVARIANT, "the config class fails to define with a bare-word default"),
        "TEXT001": (INVARIANT, "the script is written from the algorithm; a number states none"),
        "TEXT002": (CONVENTION, "a copied placeholder says nothing, but breaks nothing"),
        "REPAIR001": (REPAIR, "logical names renamed to snake_case"),
        "REPAIR002": (REPAIR, "environment variables renamed to UPPER_SNAKE_CASE"),
        "REPAIR003": (REPAIR, "script argument keys written without dashes, in kebab-case"),
        "REPAIR004": (REPAIR, "near-miss step names replaced by the registry's"),
        "REPAIR005": (REPAIR, "repeated aliases dropped"),
        "REPAIR006": (REPAIR, "a repeated or overlapping output path given its own directory"),
        "REPAIR007": (REPAIR, "SageMaker parameters moved to the step parameters"),
        "REPAIR008": (REPAIR, "config field types written as Python types"),
        "REPAIR009": (REPAIR, "config defaults written as Python literals"),
    }
)


def policy_table_markdown(severities: Mapping[str, str]) -> str:
    """The README's policy table: code | severity | kind | why (``severities`` by code)."""
    lines = ["| code | severity | kind | why |", "|---|---|---|---|"]
    for code, (kind, why) in POLICY.items():
        lines.append(f"| {code} | {severities.get(code, '?')} | {kind} | {why} |")
    return "\n".join(lines)


def near_miss(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` misspells (same letters ignoring case, or one or two edits), else None.

    >>> near_miss("XgboostTraining", ["XGBoostTraining"])
    'XGBoostTraining'
    >>> near_miss("TabularPreprocesing", ["TabularPreprocessing"]) is not None
    True
    >>> near_miss("ModelEvaluation", ["XGBoostModelEval"]) is None
    True
    """
    lowered = name.lower()
    options = sorted(known)
    for option in options:
        if option.lower() == lowered:
            return option
    if len(name) < 6:
        return None  # Short names are too often one edit away from another real name.
    for option in options:
        if _edits_within(lowered, option.lower(), 2 if len(name) >= 10 else 1):
            return option
    return None


def _edits_within(a: str, b: str, limit: int) -> bool:
    """True when the Levenshtein distance of ``a`` and ``b`` is at most ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


@lru_cache(maxsize=16)
def widely_used_sources(index: CodebaseIndex) -> frozenset[str]:
    """``compatible_sources`` entries that specs of two or more of the codebase's steps use.

    Such a label (``ProcessingStep``, ``DataLoad``) is the codebase's convention, not a typo.
    """
    users: Counter[str] = Counter()
    for step in index.steps.values():
        labels = {s for spec in step.specs for d in spec.dependencies for s in d.compatible_sources}
        users.update(labels)
    return frozenset(label for label, count in users.items() if count >= 2)


def builder_era_suffix(index: CodebaseIndex | None) -> str:
    """``StepBuilder``, or ``Step`` for a registry of the older era (``"builder_step_name": "XStep"``)."""
    if index is None:
        return "StepBuilder"
    names = [
        s.registry_entry.builder_step_name
        for s in index.steps.values()
        if s.registry_entry and s.registry_entry.builder_step_name
    ]
    old = sum(n.endswith("Step") for n in names)
    return "Step" if old > len(names) - old else "StepBuilder"


_IMPORT = re.compile(r"^\s*(from|import)\s", re.MULTILINE)


@lru_cache(maxsize=64)
def _exports(index: CodebaseIndex, rel: str) -> bool:
    # Keyed by the index, not the path: a repository indexed again after an edit is read again.
    file = index.root / rel
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return bool(_IMPORT.search(text))
    return any(isinstance(node, ast.Import | ast.ImportFrom) for node in tree.body)


def exports_needed(index: CodebaseIndex | None, init_files: Iterable[str]) -> list[str]:
    """The ``__init__.py`` files a new step must add an export to.

    Without a codebase, all of them (the reference's convention); with one, only those that exist
    and import something (a package that discovers its steps needs no export).
    """
    files = list(init_files)
    if index is None:
        return files
    return [f for f in files if _exports(index, f)]
