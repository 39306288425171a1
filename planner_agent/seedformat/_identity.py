"""Who a markdown plan is about: its step name, registry entry and class names.

Private to `planner_agent.seedformat._reader`. The step name is read from what the plan's code
states (the registry entry's key, the specification's ``step_type``, the builder and config
class names) before its title, whose wording is about the document ("... Step - Version 2",
"Part 1"): the name most sources agree on wins, the registry's first. Every value the plan does
not state but the import fills in is reported, with the value used:

========= ==========================================================================
IMPORT006 a value was not stated and was derived, or filled in from another part of
          the plan (a registry entry without ``sagemaker_step_type`` given the type the
          overview states; class names and registry fields derived from the step name)
IMPORT007 the plan names the step in different ways (title, registry entry,
          specification, class names); the name most of them use was read. Fix: use
          one name throughout.
========= ==========================================================================
"""

from __future__ import annotations

import re
from typing import Any

from .._pycode import as_str, code_enum
from ..conventions import builder_class_name, config_class_name
from ..plan import JobType, SageMakerStepType
from ._blocks import step_from_title
from ._code import Code
from ._context import Context, Facts
from ._text import enum_word

__all__ = [
    "choose_classes",
    "find_step_name",
    "registry_entry",
    "stated_sagemaker_type",
    "strip_variant",
]


def strip_variant(step_type: str) -> tuple[str, str | None]:
    """``ModelCalibration_Training`` -> (``ModelCalibration``, ``training``)."""
    base, _, suffix = step_type.rpartition("_")
    if base and suffix.lower() in {j.value for j in JobType}:
        return base, suffix.lower()
    return step_type, None


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _stated_names(code: Code) -> list[tuple[str, str]]:
    """(name, where) for each name the code blocks give the step, most trusted first."""
    names = [(name, "registry entry") for name, _ in code.registry]
    names += [
        (strip_variant(str(facts["step_type"]))[0], "specification's step_type")
        for _, facts in code.specs
        if facts.get("step_type")
    ]
    # Only classes on the framework's bases: a helper ``SystemPromptConfig(BaseModel)`` names
    # no step.
    for found, suffixes, where, rank in (
        (code.builders, ("StepBuilder", "Builder"), "builder class", 2),
        (code.configs, ("Config",), "config class", 3),
    ):
        for cls in found:
            name = str(cls["class_name"])
            suffix = next((s for s in suffixes if name.endswith(s) and len(name) > len(s)), "")
            if suffix and int(cls["rank"]) >= rank:
                names.append((name[: -len(suffix)], where))
    return names


def _stated_entry(code: Code, step_name: str) -> tuple[str, Facts] | None:
    """The STEP_NAMES entry for the step (or the first one), or None."""
    found = next((e for e in code.registry if _key(e[0]) == _key(step_name)), None)
    return found or (code.registry[0] if code.registry else None)


def choose_classes(code: Code, step_name: str) -> None:
    """Set ``code.config`` and ``code.builder`` from the classes the blocks define: the one the
    registry entry (`registry_entry`'s) names or the step name implies, else the best ranked (a
    subclass of the framework's base before a helper class such as
    ``SystemPromptConfig(BaseModel)``), the first of equals."""
    name, entry = _stated_entry(code, step_name) or (step_name, {})
    config_name = as_str(entry.get("config_class")) or config_class_name(name)
    builder_name = as_str(entry.get("builder_step_name")) or builder_class_name(name)

    def best(found: list[Facts], name: str) -> Facts | None:
        # A subclass of the stated class (``class OptimizedXStepBuilder(XStepBuilder)``) extends
        # the step's class, which the plan defines elsewhere: it is not the step's class.
        found = [c for c in found if name not in c["bases"]]
        named = [c for c in found if c["class_name"] == name]
        ranked = sorted(found, key=lambda c: -int(c["rank"]))
        chosen = named or ranked
        return chosen[0] if chosen else None

    config = best(code.configs, config_name)
    if config is not None:
        code.config = {k: v for k, v in config.items() if k not in ("rank", "bases")}
    builder = best(code.builders, builder_name)
    if builder is not None:
        code.builder = {"class_name": builder["class_name"]}


def find_step_name(title: str | None, code: Code, ctx: Context) -> str | None:
    """The step name: the one most sources agree on (registry first), else the title's."""
    titled = step_from_title(title) if title else ""
    stated = _stated_names(code)
    if not stated:
        return titled or None
    votes: dict[str, set[str]] = {}
    for name, where in [*stated, *([(titled, "title")] if titled else [])]:
        votes.setdefault(_key(name), set()).add(where)
    # Most sources first; among equals the most trusted (the order of `stated`). By position,
    # not `stated.index`: a block of thousands of classes would make that quadratic.
    best = max(range(len(stated)), key=lambda i: (len(votes[_key(stated[i][0])]), -i))
    name, where = stated[best]
    others = sorted({n for n, _ in stated if _key(n) != _key(name)})
    if titled and _key(titled) != _key(name):
        others.insert(0, f"{titled} (title)")
    if others:
        ctx.warn(
            "IMPORT007",
            "step_name",
            f"the plan names the step {name!r} ({where}) and also {', '.join(others)};"
            f" read {name!r}",
        )
    return name


def stated_sagemaker_type(bullets: dict[str, Any]) -> tuple[str | None, str]:
    """(the SageMaker step type a bullet states, where), or (None, "")."""
    for where, facts in (
        ("the overview", bullets.get("overview", {})),
        ("the step builder's bullets", bullets.get("components", {}).get("builder", {})),
    ):
        raw = facts.get("sagemaker_step_type")
        if raw:
            value = enum_word(str(raw), SageMakerStepType)
            if value is not None:
                return value, where
    return None, ""


def registry_entry(code: Code, step_name: str, bullets: dict[str, Any], ctx: Context) -> Facts:
    """The STEP_NAMES entry for the step (or the first one); what it does not state is derived
    or filled in from the bullets, and reported (``IMPORT006``)."""
    found = _stated_entry(code, step_name)
    name, entry = found or (step_name, {})
    sm_type = code_enum(entry.get("sagemaker_step_type"), SageMakerStepType)
    stated_type, where = stated_sagemaker_type(bullets)
    if sm_type is None and stated_type is not None:
        sm_type = stated_type
        ctx.warn(
            "IMPORT006",
            "registry_entry.sagemaker_step_type",
            f"the {'registry entry' if found else 'plan'} states no sagemaker_step_type; filled"
            f" in {stated_type!r} from {where}",
        )
    # What the entry leaves out follows the classes the plan states (a derived fact must not
    # contradict a stated one: REG002/REG003 would report the importer, not the plan), else the
    # step name's conventional class names.
    components = bullets.get("components", {})
    config_class = as_str(components.get("config", {}).get("class_name")) or as_str(
        code.config.get("class_name")
    )
    builder_class = as_str(components.get("builder", {}).get("class_name")) or as_str(
        code.builder.get("class_name")
    )
    data = {
        "step_name": name,
        "config_class": as_str(entry.get("config_class"))
        or config_class
        or config_class_name(name),
        "builder_step_name": as_str(entry.get("builder_step_name"))
        or builder_class
        or builder_class_name(name),
        "spec_type": as_str(entry.get("spec_type")) or name,
        "sagemaker_step_type": sm_type,
        "description": as_str(entry.get("description")) or "",
    }
    if found is None:
        kind = f"sagemaker_step_type {sm_type}" if sm_type else "sagemaker_step_type unknown"
        ctx.warn(
            "IMPORT006",
            "registry_entry",
            f"no STEP_NAMES entry; derived one from the step name and the plan's classes ({kind})",
        )
        return data
    for key in ("config_class", "builder_step_name", "spec_type"):
        if not as_str(entry.get(key)):
            ctx.warn(
                "IMPORT006",
                f"registry_entry.{key}",
                f"the registry entry for {name!r} states no {key}; derived {data[key]!r}",
            )
    return data
