"""The rule machinery: `Rule`, the registry of rules by code, `CheckContext` and `check_plan`.

A rule is a pure function from a plan (and a context: the user's codebase index, the requirements)
to `PlanIssue`s. Built-in rules register themselves when their family module is imported; users add
their own with `register_rule` or pass ``extra_rules`` to `check_plan`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeAlias

from .._plan_data import plan_from_data
from ..conventions import DEFAULT_LAYOUT, DEFAULT_REGISTRY, LEGACY_ALIASES, Layout, strip_job_suffix
from ..errors import ConfigurationError, PlanImportError
from ..plan import ImplementationPlan, PlanIssue, SageMakerStepType, Severity
from ._codebase import CodebaseIndex

__all__ = [
    "RULES",
    "CheckContext",
    "CheckFn",
    "Rule",
    "check_plan",
    "register_rule",
    "rules_table_markdown",
    "select_rules",
    "sort_issues",
    "unregister_rule",
]

CheckFn: TypeAlias = Callable[[ImplementationPlan, "CheckContext"], Iterable[PlanIssue]]
"""What a `Rule` runs: the plan and the context in, the issues it finds out."""
Finding: TypeAlias = tuple[str, str]  # (JSON path into the plan, how-to-fix message)
FindingFn: TypeAlias = Callable[[ImplementationPlan, "CheckContext"], Iterable[Finding]]

# JSON paths of the plan's parts, used in every issue.
CONTRACT = "components.script_contract"
SPEC = "components.step_specification"
CONFIG = "components.configuration"
BUILDER = "components.step_builder"
SCRIPT = "components.processing_script"
REGISTRY = "registry_entry"


def env_var_paths(plan: ImplementationPlan) -> list[tuple[str, str]]:
    """(JSON path, name) of each env var of the contract: the required ones, then the optional."""
    contract = plan.components.script_contract
    names = [
        (f"{CONTRACT}.required_env_vars[{i}]", n) for i, n in enumerate(contract.required_env_vars)
    ]
    return names + [(f"{CONTRACT}.optional_env_vars.{n}", n) for n in contract.optional_env_vars]


@dataclass(frozen=True)
class Rule:
    """One deterministic check with a stable code; ``check`` yields the issues it finds."""

    code: str
    severity: Severity
    family: str
    summary: str
    check: CheckFn

    def issue(self, path: str, message: str) -> PlanIssue:
        """An issue with this rule's code and severity."""
        return PlanIssue(code=self.code, severity=self.severity, path=path, message=message)


@dataclass(frozen=True)
class CheckContext:
    """What a rule may consult besides the plan: the user's codebase and the requirements text."""

    codebase: CodebaseIndex | None = None
    requirements: str | None = None
    #: The plan changes a step the codebase has, rather than adding one (`check_plan`).
    revision: bool = False

    @property
    def registry(self) -> Mapping[str, SageMakerStepType | None]:
        """The codebase's registry, else the typical registry of `conventions.DEFAULT_REGISTRY`."""
        return self.codebase.registry if self.codebase is not None else DEFAULT_REGISTRY

    @property
    def layout(self) -> Layout:
        """The codebase's layout, else the default ``src/pipeline_*`` layout."""
        return self.codebase.layout if self.codebase is not None else DEFAULT_LAYOUT

    def canonical_step(self, name: str) -> str | None:
        """The registry name ``name`` refers to: itself, its base (job variant) or legacy alias target."""
        for candidate in (name, strip_job_suffix(name)):
            if candidate in self.registry:
                return candidate
            alias = LEGACY_ALIASES.get(candidate)
            if alias in self.registry:
                return alias
        return None


_RULES: dict[str, Rule] = {}
RULES: Mapping[str, Rule] = MappingProxyType(_RULES)
"""Every registered rule by code (read-only; use `register_rule` to add one)."""


def register_rule(rule: Rule) -> Rule:
    """Add ``rule`` to `RULES` so every `check_plan` call runs it; a duplicate code raises ValueError."""
    if rule.code in _RULES:
        raise ValueError(f"rule code {rule.code!r} is already registered; choose another code")
    _RULES[rule.code] = rule
    return rule


def unregister_rule(code: str) -> Rule:
    """Remove and return the rule registered under ``code`` (KeyError if none)."""
    return _RULES.pop(code)


def family_rule(family: str) -> Callable[[str, Severity, str], Callable[[FindingFn], Rule]]:
    """Decorator factory for built-in rules: the function yields ``(path, message)`` findings."""

    def define(code: str, severity: Severity, summary: str) -> Callable[[FindingFn], Rule]:
        def wrap(fn: FindingFn) -> Rule:
            def check(plan: ImplementationPlan, ctx: CheckContext) -> list[PlanIssue]:
                return [rule.issue(path, message) for path, message in fn(plan, ctx)]

            rule = Rule(code, severity, family, summary, check)
            return register_rule(rule)

        return wrap

    return define


def _documented(code: str, family: str, summary: str) -> None:
    """Register a rule that documents issues produced elsewhere (it finds nothing itself)."""
    register_rule(Rule(code, Severity.ERROR, family, summary, lambda plan, ctx: ()))


_documented(
    "RULE000",
    "core",
    "A rule raised an exception instead of returning issues. Report the bug, or disable the rule named in the message.",
)
_documented(
    "ENUM001",
    "schema",
    "An enum field of an imported plan has a value that does not exist (e.g. dependency_type "
    "`processing_input`). Use one of the listed values; DependencyType has exactly six.",
)


def select_rules(
    *,
    rules: Iterable[Rule] | None = None,
    extra_rules: Iterable[Rule] = (),
    disable: Iterable[str] = (),
) -> list[Rule]:
    """The rules a check runs: the registered ones (or ``rules``) plus ``extra_rules``, minus
    ``disable``. Raises `ConfigurationError` for duplicate codes or unknown disabled codes, so a
    caller can validate its options once, before any request.

    >>> len(select_rules(disable=["SPEC001"])) == len(RULES) - 1
    True
    """
    active = [*(RULES.values() if rules is None else rules), *extra_rules]
    codes = [r.code for r in active]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ConfigurationError(f"duplicate rule codes {duplicates}; give each rule its own code")
    disabled = set(disable)
    unknown = sorted(disabled - set(codes) - set(RULES))
    if unknown:
        raise ConfigurationError(f"cannot disable unknown rule codes {unknown}; see RULES")
    return [rule for rule in active if rule.code not in disabled]


def check_plan(
    plan: ImplementationPlan | Mapping[str, Any],
    *,
    codebase: CodebaseIndex | str | os.PathLike[str] | None = None,
    requirements: str | None = None,
    revision: bool = False,
    disable: Iterable[str] = (),
    rules: Iterable[Rule] | None = None,
    extra_rules: Iterable[Rule] = (),
) -> list[PlanIssue]:
    """Run the rules on ``plan``; issues come sorted, errors first, then by path.

    ``plan`` may also be a dict (a plan, a draft or a saved result, as `load_plan` reads JSON);
    enum values it had to repair are reported as ENUM001 issues.

    ``codebase`` (an index or a repository path) enables registry-collision and wiring checks;
    ``requirements`` enables the job-variant and over-specification checks. ``revision`` says the
    plan changes a step the codebase has (`LoadedPlan.revision` for a plan whose title says so):
    its name being taken is then no collision, and the codebase's registry entry stands for
    what the plan leaves out. ``rules`` replaces the
    registered rules, ``extra_rules`` adds to them, ``disable`` drops codes. A rule that raises is
    reported as a RULE000 error instead of aborting the check.

    >>> check_plan(plan, disable=["SPEC001"])  # doctest: +SKIP
    []
    """
    repaired: list[PlanIssue] = []
    if isinstance(plan, Mapping):
        plan, repaired = plan_from_data(dict(plan), "the plan dict")
    elif not isinstance(plan, ImplementationPlan):
        raise PlanImportError(
            f"check_plan needs an ImplementationPlan (or its dict), not {type(plan).__name__}; "
            "read a plan file with load_plan(path).plan"
        )
    if codebase is None or isinstance(codebase, CodebaseIndex):
        index = codebase
    else:
        index = CodebaseIndex.from_path(codebase)
    active = select_rules(rules=rules, extra_rules=extra_rules, disable=disable)
    disabled = set(disable)
    ctx = CheckContext(codebase=index, requirements=requirements, revision=revision)
    issues: list[PlanIssue] = list(repaired)  # enum values read leniently from a dict
    for rule in active:
        try:
            issues.extend(rule.check(plan, ctx))
        except Exception as exc:  # A broken rule must not hide the other rules' findings.
            issues.append(
                PlanIssue(
                    code="RULE000",
                    severity=Severity.ERROR,
                    path="",
                    message=f"rule {rule.code} ({rule.family}) crashed with {type(exc).__name__}: "
                    f"{exc}; report this bug or pass disable=[{rule.code!r}]",
                )
            )
    return sort_issues(i for i in issues if i.code not in disabled)


def sort_issues(issues: Iterable[PlanIssue]) -> list[PlanIssue]:
    """Issues without duplicates, errors first, then by JSON path (``[2]`` before ``[10]``).

    >>> [i.code for i in sort_issues([PlanIssue(code="B", severity=Severity.WARNING, path="a",
    ...     message="m"), PlanIssue(code="A", severity=Severity.ERROR, path="z", message="m")])]
    ['A', 'B']
    """
    return sorted(dict.fromkeys(issues), key=_sort_key)


def _sort_key(issue: PlanIssue) -> tuple[int, list[tuple[str, int]], str, str]:
    # Natural order of list indices: outputs[2] before outputs[10].
    parts = [(text, int(num or -1)) for text, num in re.findall(r"(\D*)(\d*)", issue.path)]
    return (0 if issue.is_error else 1, parts, issue.code, issue.message)


# Order of the families in the rules table; user families follow in registration order.
FAMILY_ORDER = (
    "naming",
    "alignment",
    "paths",
    "registry",
    "structure",
    "wiring",
    "code",
    "content",
    "repair",
    "schema",
    "core",
)


def rules_table_markdown(rules: Iterable[Rule] | None = None) -> str:
    """The README table of rules: code | severity | family | what it checks / how to fix."""
    listed = list(RULES.values() if rules is None else rules)
    families = list(dict.fromkeys([*FAMILY_ORDER, *(r.family for r in listed)]))
    lines = ["| code | severity | family | what it checks / how to fix |", "|---|---|---|---|"]
    for rule in sorted(listed, key=lambda r: (families.index(r.family), r.code)):
        summary = rule.summary.replace("|", "\\|")
        lines.append(f"| {rule.code} | {rule.severity.value} | {rule.family} | {summary} |")
    return "\n".join(lines)
