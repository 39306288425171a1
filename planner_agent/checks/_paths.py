"""Container-path and property-path rules (the allowed forms depend on the SageMaker step type)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from ..conventions import PROCESSING_LIKE, input_prefixes, output_prefixes, property_path_for
from ..plan import DependencyType, ImplementationPlan, SageMakerStepType, Severity
from ._codebase import CodebaseIndex
from ._core import CONTRACT, SPEC, CheckContext, Finding, family_rule

_rule = family_rule("paths")
E, W = Severity.ERROR, Severity.WARNING
ST = SageMakerStepType

# A last path segment with one of these extensions names a file, not a directory.
FILE_EXTENSIONS = frozenset(
    {".csv", ".tsv", ".parquet", ".json", ".jsonl", ".pkl", ".pickle", ".joblib", ".txt", ".tar"}
    | {".gz", ".zip", ".npy", ".npz", ".h5", ".pt", ".pth", ".bin", ".onnx", ".yaml", ".yml"}
    | {".xml", ".py", ".xlsx", ".model"}
)
_PROCESSING_PATH = re.compile(
    r"^properties\.ProcessingOutputConfig\.Outputs\[(['\"])(?P<name>[^'\"]+)\1\]\.S3Output\.S3Uri$"
)
# Where SageMaker unpacks the step's source directory; the framework's contract validators accept
# input paths there (e.g. hyperparameters shipped with the code) for Processing and Training steps.
CODE_DIR = "/opt/ml/code"
# Files SageMaker itself writes into a training container (documented in "How Amazon SageMaker AI
# provides training information").
SAGEMAKER_CONFIG_DIR = "/opt/ml/input/config"
SAGEMAKER_FILES = frozenset({"hyperparameters.json", "inputdataconfig.json", "resourceconfig.json"})
TRAINING_CHANNELS = "/opt/ml/input/data"
_TRAINING_PATHS = frozenset(
    {"properties.ModelArtifacts.S3ModelArtifacts", "properties.OutputDataConfig.S3OutputPath"}
)


def under(path: str, prefix: str) -> bool:
    """True when ``path`` is ``prefix`` or inside it (``/a/bc`` is not inside ``/a/b``)."""
    base = prefix.rstrip("/")
    return path.rstrip("/") == base or path.startswith(base + "/")


def _output_types(plan: ImplementationPlan) -> dict[str, DependencyType]:
    return {o.logical_name: o.output_type for o in plan.components.step_specification.outputs}


def _prefix_findings(plan: ImplementationPlan, kind: str) -> Iterator[Finding]:
    step_type, contract = plan.registry_entry.sagemaker_step_type, plan.components.script_contract
    paths = contract.input_paths if kind == "input" else contract.output_paths
    types = _output_types(plan)
    deps = {
        d.logical_name: d.dependency_type for d in plan.components.step_specification.dependencies
    }
    for i, item in enumerate(paths):
        if kind == "input":
            # Payload samples may be read from anywhere under /opt/ml/processing/, as written.
            known = output_prefixes(step_type, DependencyType.PAYLOAD_SAMPLES)
            if deps.get(item.logical_name) is not DependencyType.PAYLOAD_SAMPLES:
                known = input_prefixes(step_type)
            allowed = (*known, CODE_DIR) if known else known
        else:
            allowed = output_prefixes(step_type, types.get(item.logical_name))
        if allowed and not any(under(item.container_path, p) for p in allowed):
            options = " or ".join(repr(p) for p in allowed)
            suggestion = f"{allowed[0].rstrip('/')}/{item.logical_name}"
            yield (
                f"{CONTRACT}.{kind}_paths[{i}].container_path",
                f"{kind} path {item.container_path!r} of a {step_type} step is not under "
                f"{options}; use e.g. {suggestion!r}",
            )


@_rule(
    "PATH001",
    E,
    "Contract input paths start with the prefix of the step type: Processing `/opt/ml/processing/input` (payload samples: `/opt/ml/processing/`); Training `/opt/ml/input/data` or `/opt/ml/input/config`; both also `/opt/ml/code` (files shipped with the source). Move the path under the prefix.",
)
def input_path_prefix(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    yield from _prefix_findings(plan, "input")


@_rule(
    "PATH002",
    E,
    "Contract output paths start with the prefix of the step type: Processing `/opt/ml/processing/output` (payload samples: `/opt/ml/processing/`); Training `/opt/ml/model`, `/opt/ml/output/data` or `/opt/ml/checkpoints`. Move the path under the prefix.",
)
def output_path_prefix(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    yield from _prefix_findings(plan, "output")


def _file_name(path: str) -> tuple[str, str] | None:
    """(directory, file name) when the last segment of ``path`` has a file extension, else None."""
    head, _, last = path.rstrip("/").rpartition("/")
    suffix = last[last.rfind(".") :].lower() if "." in last else ""
    return (head, last) if suffix in FILE_EXTENSIONS else None


def provided_file(path: str) -> bool:
    """True for an input file SageMaker puts there: its config files, a file in a training channel
    (``/opt/ml/input/data/<channel>/<file>``: the channel's S3 object) or in the source directory."""
    split = _file_name(path)
    if split is None:
        return False
    head, name = split
    if head == SAGEMAKER_CONFIG_DIR:
        return name.lower() in SAGEMAKER_FILES
    if head.startswith(TRAINING_CHANNELS + "/"):
        return True
    return under(path, CODE_DIR)


@_rule(
    "PATH003",
    E,
    "Contract output paths are directories (SageMaker uploads a directory), not files such as `.../data.csv`. Drop the file name.",
)
def output_paths_are_directories(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    for i, item in enumerate(plan.components.script_contract.output_paths):
        split = _file_name(item.container_path)
        if split is not None:
            yield (
                f"{CONTRACT}.output_paths[{i}].container_path",
                f"{item.container_path!r} names a file; use the directory {split[0]!r} "
                "(the script writes the file inside it)",
            )


@_rule(
    "PATH006",
    W,
    "A contract input path names a file SageMaker does not provide, where the plan's builder says it mounts the file's directory (`os.path.dirname`) or the codebase's own contracts name input files (its builders mount their directory). Prefer the directory. Without either, it is PATH007 (an error).",
)
def input_files_mounted_by_directory(
    plan: ImplementationPlan, ctx: CheckContext
) -> Iterator[Finding]:
    why = _mounts_directories(plan, ctx)
    if why is None:
        return  # PATH007.
    for path, item, directory in _file_inputs(plan):
        yield (
            path,
            f"{item!r} names a file; {why}, so the builder must mount {directory!r} "
            "(the default mounts the path itself as a directory); prefer the directory",
        )


@_rule(
    "PATH007",
    E,
    "A contract input path names a file SageMaker does not provide (its config files, files in a training channel or in `/opt/ml/code` are fine): the framework's builders mount each input path as a directory, so the script would find a directory named like the file. Use the directory, or say in the builder's special handling that it mounts the file's directory (then PATH006, a warning).",
)
def input_paths_are_directories(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    if _mounts_directories(plan, ctx) is not None:
        return  # PATH006.
    for path, item, directory in _file_inputs(plan):
        yield (
            path,
            f"{item!r} names a file, but builders mount each input path as a directory; use "
            f"the directory {directory!r} (the script finds the file inside it)",
        )


# The builder's special handling says it mounts a file input's directory.
_MOUNTS_DIRECTORY = re.compile(
    r"dirname|(?:parent|containing|enclosing) (?:directory|folder)|file'?s (?:directory|folder)"
    r"|directory of the (?:file|model|input)",
    re.I,
)


def _mounts_directories(plan: ImplementationPlan, ctx: CheckContext) -> str | None:
    """Why the step's builder may mount a file input's directory (the plan says so, or the
    codebase's own contracts name input files, as older DummyTraining builders did), or None."""
    if any(_MOUNTS_DIRECTORY.search(t) for t in plan.components.step_builder.special_handling):
        return "the builder's special handling mounts its directory"
    if ctx.codebase is not None and _codebase_mounts_files(ctx.codebase):
        return "the codebase's own contracts name input files"
    return None


def _file_inputs(plan: ImplementationPlan) -> Iterator[tuple[str, str, str]]:
    """(json path, container path, its directory) of each input naming a file SageMaker does
    not provide."""
    for i, item in enumerate(plan.components.script_contract.input_paths):
        split = _file_name(item.container_path)
        if split is not None and not provided_file(item.container_path):
            yield f"{CONTRACT}.input_paths[{i}].container_path", item.container_path, split[0]


@lru_cache(maxsize=16)  # Per index (identity): every check of a batch or re-ask asks again.
def _codebase_mounts_files(codebase: CodebaseIndex) -> bool:
    """True when a contract of the codebase names a file as an input (its builders then mount
    the file's directory, as older DummyTraining builders did)."""
    return any(
        _file_name(p.container_path) is not None and not provided_file(p.container_path)
        for step in codebase.steps.values()
        if step.contract is not None
        for p in step.contract.input_paths
    )


@_rule(
    "PATH004",
    E,
    "Input and output paths do not overlap (no path equals or contains another). Give outputs their own directory under the output prefix.",
)
def inputs_outputs_disjoint(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    contract = plan.components.script_contract
    for i, out in enumerate(contract.output_paths):
        for inp in contract.input_paths:
            a, b = out.container_path, inp.container_path
            if under(a, b) or under(b, a):
                yield (
                    f"{CONTRACT}.output_paths[{i}].container_path",
                    f"output path {a!r} overlaps input {inp.logical_name!r} ({b!r}); "
                    "use a separate directory",
                )


@_rule(
    "PATH005",
    E,
    "No two contract outputs share a container path. Give each output its own directory.",
)
def output_paths_unique(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for i, out in enumerate(plan.components.script_contract.output_paths):
        path = out.container_path.rstrip("/")
        if path in seen:
            yield (
                f"{CONTRACT}.output_paths[{i}].container_path",
                f"output {out.logical_name!r} reuses the path of {seen[path]!r}; "
                f"use e.g. {path + '/' + out.logical_name!r}",
            )
        seen.setdefault(path, out.logical_name)


@_rule(
    "PROP001",
    E,
    "Property paths start with lower-case `properties.` (not `Properties.`, not bare). Use the path given in the message.",
)
def property_path_prefix(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    step_type = plan.registry_entry.sagemaker_step_type
    for i, out in enumerate(plan.components.step_specification.outputs):
        if not out.property_path.startswith("properties."):
            expected = (
                property_path_for(step_type, out.logical_name, out.output_type) if step_type else ""
            )
            fix = f"use {expected!r}" if expected else "start it with 'properties.'"
            yield (
                f"{SPEC}.outputs[{i}].property_path",
                f"property path {out.property_path!r} must start with lower-case 'properties.'; {fix}",
            )


def _pattern_problem(step_type: SageMakerStepType, path: str) -> str | None:
    """Why ``path`` is the wrong shape for ``step_type`` (None when fine or not checked)."""
    processing = _PROCESSING_PATH.match(path) is not None
    if step_type in PROCESSING_LIKE:
        if processing:
            return None
        if "Outputs." in path:
            return "outputs are indexed as Outputs['<name>'], not with a dot"
        if path in _TRAINING_PATHS:
            return "that is a Training pattern on a Processing step"
        return "Processing outputs use the ProcessingOutputConfig pattern"
    if step_type is ST.TRAINING:
        if path in _TRAINING_PATHS:
            return None
        return (
            "that is a Processing pattern on a Training step"
            if processing
            else "Training outputs use ModelArtifacts or OutputDataConfig"
        )
    if step_type in (ST.TRANSFORM, ST.CREATE_MODEL):
        expected = property_path_for(step_type, "", DependencyType.CUSTOM_PROPERTY)
        return None if path == expected else f"{step_type.value} outputs use {expected!r}"
    return None  # No documented pattern for the other step types.


@_rule(
    "PROP002",
    E,
    "The property path has the pattern of the step type: Processing `properties.ProcessingOutputConfig.Outputs['<name>'].S3Output.S3Uri`; Training `properties.ModelArtifacts.S3ModelArtifacts` (model) or `properties.OutputDataConfig.S3OutputPath`; Transform `properties.TransformOutput.S3OutputPath`; CreateModel `properties.ModelName`. Use the path given in the message.",
)
def property_path_pattern(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    step_type = plan.registry_entry.sagemaker_step_type
    if step_type is None:
        return
    for i, out in enumerate(plan.components.step_specification.outputs):
        if out.property_path.startswith("properties."):
            problem = _pattern_problem(step_type, out.property_path)
            if problem:
                expected = property_path_for(step_type, out.logical_name, out.output_type)
                yield (
                    f"{SPEC}.outputs[{i}].property_path",
                    f"{out.property_path!r}: {problem}; use {expected!r}",
                )


@_rule(
    "PROP003",
    E,
    "A Processing property path quotes the output's own logical name. Quote the logical name.",
)
def property_path_quotes_name(plan: ImplementationPlan, ctx: CheckContext) -> Iterator[Finding]:
    if plan.registry_entry.sagemaker_step_type in (ST.TRAINING, ST.TRANSFORM, ST.CREATE_MODEL):
        return  # PROP002 already reports the Processing pattern on these steps.
    for i, out in enumerate(plan.components.step_specification.outputs):
        match = _PROCESSING_PATH.match(out.property_path)
        if match and match.group("name") != out.logical_name:
            expected = property_path_for(ST.PROCESSING, out.logical_name, out.output_type)
            yield (
                f"{SPEC}.outputs[{i}].property_path",
                f"property path quotes {match.group('name')!r} but the output is {out.logical_name!r}; use {expected!r}",
            )
