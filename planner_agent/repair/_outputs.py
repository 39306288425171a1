"""Output repairs: aliases that repeat a name, and outputs that share a container directory."""

from __future__ import annotations

from typing import Any

from .._derive import derived_output_path, unique_path
from ..plan import DependencyType
from ._core import CONTRACT, SPEC, Fixes, repair


@repair(
    "REPAIR005",
    "Aliases that repeated the output's own name, an earlier alias, or another output's name or "
    "alias were dropped (the first output keeps a shared alias).",
)
def drop_duplicate_aliases(fx: Fixes) -> None:
    outputs = fx.spec["outputs"]
    names = {o["logical_name"] for o in outputs}
    used: set[str] = set()
    for i, output in enumerate(outputs):
        kept: list[str] = []
        for alias in output["aliases"]:
            if alias == output["logical_name"]:
                why = "it is the output's own name"
            elif alias in names:
                why = "it is another output's name"
            elif alias in used or alias in kept:
                why = "an earlier output uses it" if alias in used else "it is repeated"
            else:
                kept.append(alias)
                continue
            fx.report(f"{SPEC}.outputs[{i}].aliases", "dropped alias", alias, None, why)
        output["aliases"] = kept
        used.update(kept)


@repair(
    "REPAIR006",
    "An output whose container path repeated an earlier output's path, or overlapped an input's, "
    "was given its own derived directory (processing `/opt/ml/processing/output/<name>`). "
    "Paths of the wrong step type are left for PATH001/PATH002.",
)
def separate_output_directories(fx: Fixes) -> None:
    inputs = [p["container_path"] for p in fx.contract["input_paths"]]
    types = {o["logical_name"]: o["output_type"] for o in fx.spec["outputs"]}
    taken: set[str] = set()
    for i, output in enumerate(fx.contract["output_paths"]):
        old, name = output["container_path"], output["logical_name"]
        clash = old.rstrip("/") in taken or any(_overlap(old, p) for p in inputs)
        kind = types.get(name, DependencyType.PROCESSING_OUTPUT)
        derived = derived_output_path(fx.step_type, name, kind) if clash else None
        new = derived and unique_path(derived, name, taken | set(inputs))
        if new and not any(_overlap(new, p) for p in inputs):
            output["container_path"] = new
            _rewrite_texts(fx.data, name, old, new)
            why = "each output needs its own directory"
            fx.report(
                f"{CONTRACT}.output_paths[{i}].container_path", "container path", old, new, why
            )
        taken.add(output["container_path"].rstrip("/"))


def _overlap(a: str, b: str) -> bool:
    """One path equals or contains the other."""
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _rewrite_texts(data: dict[str, Any], name: str, old: str, new: str) -> None:
    """The overview's and alignment's lines about output ``name`` name its new path."""
    for section, key in (("overview", "outputs"), ("alignment", "output_alignment")):
        data[section][key] = [
            text.replace(f"({old})", f"({new})") if name in text else text
            for text in data[section][key]
        ]
