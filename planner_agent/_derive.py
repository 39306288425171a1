"""What the plan draft's expansion derives instead of asking: container paths and small texts.

Container paths follow from the SageMaker step type and the logical name (the conventions of
real contracts: processing steps read ``/opt/ml/processing/input/<name>`` and write
``/opt/ml/processing/output/<name>``; training steps read the channel ``/opt/ml/input/data/<name>``
and write ``/opt/ml/model`` and ``/opt/ml/output/data``). The model states a path only to
override the convention; the repair pass uses the same derivation to separate outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final, Protocol

from .conventions import (
    TRAINING_LIKE,
    TRAINING_OUTPUT_PREFIXES,
    input_prefixes,
    output_prefixes,
    snake_case,
)
from .plan import DependencyType, SageMakerStepType

__all__ = [
    "container_dir",
    "derived_input_path",
    "derived_output_path",
    "describe",
    "fill_container_paths",
    "unique",
    "unique_path",
    "unquote",
    "why_path",
]


class _Input(Protocol):
    logical_name: str
    container_path: str | None
    read_by_script: bool


class _Output(Protocol):
    logical_name: str
    container_path: str | None
    output_type: DependencyType


def container_dir(logical_name: str) -> str:
    """The directory a logical name gets: snake_case without a trailing ``_input``/``_output``.

    >>> container_dir("model_input"), container_dir("CalibrationOutput"), container_dir("eval data")
    ('model', 'calibration', 'eval_data')
    """
    name = snake_case(logical_name) or "data"
    for suffix in ("_input", "_output"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


# Input names whose directory the real framework's steps agree on, other than the name itself
# (facts of the public four-layer repositories' contracts, from steps outside the quality
# benchmark's corpus): the evaluation steps read scored data at ``eval_data``, most steps read
# ``input_data`` at ``data``, the Bedrock steps read templates and schemas at short names.
_INPUT_DIRS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "input_data": "data",
        "processed_data": "eval_data",
        "evaluation_data": "eval_data",
        "prompt_templates": "templates",
        "validation_schema": "schema",
        "model_artifacts_input": "model_artifacts_input",
    }
)
#: Training inputs that are the whole channel folder (train/val/test are sub-folders of it).
_TRAINING_ROOT_INPUTS: Final = frozenset({"input_path"})


def derived_input_path(step_type: SageMakerStepType | None, logical_name: str) -> str | None:
    """The conventional directory of an input (None: the step type has no container).

    >>> derived_input_path(SageMakerStepType.PROCESSING, "model_input")
    '/opt/ml/processing/input/model'
    >>> derived_input_path(SageMakerStepType.PROCESSING, "input_data")
    '/opt/ml/processing/input/data'
    >>> derived_input_path(SageMakerStepType.TRAINING, "input_path")
    '/opt/ml/input/data'
    >>> derived_input_path(SageMakerStepType.TRAINING, "pretrained_model")
    '/opt/ml/input/data/pretrained_model'
    """
    prefixes = input_prefixes(step_type)  # training: a channel under /opt/ml/input/data
    if not prefixes:
        return None
    name = snake_case(logical_name)
    if step_type in TRAINING_LIKE and name in _TRAINING_ROOT_INPUTS:
        return prefixes[0]
    return f"{prefixes[0]}/{_INPUT_DIRS.get(name) or container_dir(logical_name)}"


def derived_output_path(
    step_type: SageMakerStepType | None, logical_name: str, output_type: DependencyType
) -> str | None:
    """The conventional directory of an output (None: the step type has no container).

    >>> derived_output_path(SageMakerStepType.PROCESSING, "metrics_output",
    ...                     DependencyType.PROCESSING_OUTPUT)
    '/opt/ml/processing/output/metrics'
    >>> derived_output_path(SageMakerStepType.TRAINING, "model", DependencyType.MODEL_ARTIFACTS)
    '/opt/ml/model'
    """
    prefixes = output_prefixes(step_type)
    if step_type in TRAINING_LIKE:  # the two directories SageMaker uploads after training
        return prefixes[0 if output_type is DependencyType.MODEL_ARTIFACTS else 1]
    return f"{prefixes[0]}/{container_dir(logical_name)}" if prefixes else None


def unique_path(path: str, logical_name: str, taken: set[str]) -> str:
    """``path``, or a free directory like it when ``path`` is taken: below it for the directories
    SageMaker uploads after training, else beside it (``…/model_input``, ``…/data_2``).

    >>> unique_path("/opt/ml/output/data", "metrics", {"/opt/ml/output/data"})
    '/opt/ml/output/data/metrics'
    >>> unique_path("/opt/ml/processing/input/model", "model_input", {"/opt/ml/processing/input/model"})
    '/opt/ml/processing/input/model_input'
    """
    if path not in taken:
        return path
    if path in TRAINING_OUTPUT_PREFIXES:
        base = f"{path}/{container_dir(logical_name)}"
    else:
        base = f"{path.rsplit('/', 1)[0]}/{snake_case(logical_name) or 'data'}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def fill_container_paths(
    step_type: SageMakerStepType, inputs: Sequence[_Input], outputs: Sequence[_Output]
) -> None:
    """Give every input and output without a container path its derived one, in place.

    Stated paths are kept; derived ones avoid them. A spec-only input (``read_by_script`` false)
    has none, and neither has anything of a step type without a container (e.g. CreateModel).
    """
    stated = [i.container_path for i in inputs] + [o.container_path for o in outputs]
    taken = {p for p in stated if p}
    for i in inputs:
        if not i.read_by_script:
            i.container_path = None
        elif i.container_path is None:
            path = derived_input_path(step_type, i.logical_name)
            i.container_path = path and unique_path(path, i.logical_name, taken)
            taken.add(i.container_path or "")
    for o in outputs:
        if o.container_path is None:
            path = derived_output_path(step_type, o.logical_name, o.output_type)
            o.container_path = path and unique_path(path, o.logical_name, taken)
            taken.add(o.container_path or "")


def why_path(reason: str) -> str:
    """The stated reason for an overridden container path, as an alignment note."""
    return f" (path chosen because: {reason})" if reason else ""


def describe(name: str, path: str | None, description: str) -> str:
    """``name (path): description`` for the overview's input and output lists."""
    where = f" ({path})" if path else ""
    return f"{name}{where}: {description}" if description else f"{name}{where}"


def unique(items: list[str]) -> list[str]:
    """The non-empty items in order, without repeats."""
    return list(dict.fromkeys(item for item in items if item))


def unquote(value: str | None) -> str:
    """A Python string literal's text (``'x'`` -> ``x``); other text as it is."""
    if value is None:
        return ""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
