"""Configuration repairs: SageMaker parameters that are no base-config field, type names that
are not Python, defaults that are not literals of their type."""

from __future__ import annotations

from .._pytypes import python_default, python_type
from ..checks._alignment import base_fields
from ._core import CONFIG, Fixes, repair


@repair(
    "REPAIR007",
    "SageMaker parameters that are not fields of the base config class (e.g. `instance_type`; "
    "with a codebase, as its own base class defines them) were moved to the step parameters, where the config class declares them.",
)
def move_unknown_sagemaker_parameters(fx: Fixes) -> None:
    config = fx.config
    # The fields CONF002 accepts (the codebase's base class when it has one): what is kept here
    # must pass the check, and what the check accepts must stay.
    allowed, where = base_fields(config["base_class"], fx.step_type, fx.codebase)
    own = {p["name"] for p in config["step_parameters"]}
    kept, steps = [], config["step_parameters"]
    for param in config["sagemaker_parameters"]:
        if param["name"] in allowed:
            kept.append(param)
            continue
        if param["name"] not in own:
            steps.append(param)
        at = next(i for i, p in enumerate(steps) if p["name"] == param["name"])
        why = f"not a field of {config['base_class']}{where}"
        path = f"{CONFIG}.step_parameters[{at}]"
        fx.report(path, "SageMaker parameter moved to step_parameters:", param["name"], None, why)
    config["sagemaker_parameters"] = kept


def _params(fx: Fixes) -> list[tuple[str, dict[str, str | None]]]:
    return [
        (f"{CONFIG}.{key}[{i}]", param)
        for key in ("step_parameters", "sagemaker_parameters")
        for i, param in enumerate(fx.config[key])
    ]


@repair(
    "REPAIR008",
    "Config field types named the way other languages or the specification's data types do "
    "were written as Python types: `String` -> `str`, `Integer` -> `int`, `Boolean` -> `bool`, "
    "`Float` -> `float`, `List[String]` -> `list[str]`, `Optional[X]` -> `X | None`.",
)
def python_types(fx: Fixes) -> None:
    for path, param in _params(fx):
        old = param["type"] or ""
        new = python_type(old)
        if new is not None:
            param["type"] = new
            fx.report(f"{path}.type", "type", old, new, "the config class is Python")


@repair(
    "REPAIR009",
    "Config defaults that were not literals of the field's type were made ones: text for a `str` "
    "quoted (`ID` -> `'ID'`), `true`/`'False'` -> `True`/`False`, `'5'` -> `5` for an `int`, "
    "`null` -> `None`. Defaults that cannot be fixed this way are left for CODE003.",
)
def literal_defaults(fx: Fixes) -> None:
    for path, param in _params(fx):
        old = param["default"]
        new = python_default(param["type"] or "str", old)
        if new is not None:
            param["default"] = new
            fx.report(f"{path}.default", "default", old, new, f"a {param['type']} literal")
