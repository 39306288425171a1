"""Extract the facts of real pipeline steps into ``tests/fixtures/real_steps.json``.

    python benchmarks/extract_real_steps.py --cursus DIR --nlp DIR [-o FILE]

``--cursus`` is a checkout of ``TianpeiLuke/cursus`` (branch ``release/1.x``; the folder holding
``src/cursus``), ``--nlp`` a checkout of ``TianpeiLuke/nlp-pipeline`` before commit ``8807b6d`` (the
folder holding ``src/pipeline_*``). For example::

    git --git-dir=CURSUS.git archive release/1.x src/cursus | tar -x -C /tmp/cursus
    git --git-dir=NLP.git archive 8807b6d~1 src | tar -x -C /tmp/nlp
    python benchmarks/extract_real_steps.py --cursus /tmp/cursus --nlp /tmp/nlp \
        --cursus-commit "$(git --git-dir=CURSUS.git rev-parse release/1.x)" \
        --nlp-commit "$(git --git-dir=NLP.git rev-parse 8807b6d~1)"

The real modules are imported (contracts, specifications, configs, the registry; their package
``__init__`` files are bypassed with bare package objects, so only pydantic and the SageMaker SDK are
needed) and only facts are written: names, paths, types, keywords, field names. Builders and scripts
are read with ``ast`` (class names, the SageMaker step class a builder creates). CI never runs this.
"""

from __future__ import annotations

import argparse
import ast
import enum
import importlib
import json
import sys
import types
from pathlib import Path
from typing import Any

JOB_TYPES = ("training", "validation", "testing", "calibration")
STEP_CLASSES = {  # SageMaker step class a builder creates -> sagemaker_step_type
    "ProcessingStep": "Processing",
    "TrainingStep": "Training",
    "CreateModelStep": "CreateModel",
    "TransformStep": "Transform",
    "LambdaStep": "Lambda",
    "CradleDataLoadingStep": "CradleDataLoading",
    "MimsModelRegistrationProcessingStep": "MimsModelRegistrationProcessing",
}
SIMPLE = (str, int, float, bool, type(None))


def _bare_package(name: str, path: Path) -> None:
    module = types.ModuleType(name)
    module.__path__ = [str(path)]
    sys.modules[name] = module


def _modules(package: str, folder: Path) -> list[tuple[Path, Any]]:
    _bare_package(package, folder)
    found = []
    for file in sorted(folder.glob("*.py")):
        if file.stem == "__init__":
            continue
        try:
            found.append((file, importlib.import_module(f"{package}.{file.stem}")))
        except Exception as exc:  # A module that cannot be imported is reported, not fatal.
            print(f"skip {file}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return found


def _value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _contract(contract: Any) -> dict[str, Any]:
    return {
        "class": type(contract).__name__,
        "entry_point": contract.entry_point,
        "inputs": dict(contract.expected_input_paths),
        "outputs": dict(contract.expected_output_paths),
        "required_env_vars": list(contract.required_env_vars),
        "optional_env_vars": {k: str(v) for k, v in contract.optional_env_vars.items()},
        "expected_arguments": {k: str(v) for k, v in contract.expected_arguments.items()},
    }


def _form(source: Path, constant: str) -> dict[str, str]:
    """How the spec file writes ``step_type`` and its collections (for stub repositories)."""
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == constant for t in node.targets)
            and isinstance(node.value, ast.Call)
        ):
            args = {k.arg: k.value for k in node.value.keywords}
            step_type = args.get("step_type")
            if isinstance(step_type, ast.Constant):
                form = "literal"
            elif isinstance(step_type, ast.BinOp):
                form = "plus_suffix"
            elif isinstance(step_type, ast.Call) and isinstance(step_type.func, ast.Name):
                form = step_type.func.id
            else:
                form = "other"
            deps = args.get("dependencies")
            return {
                "step_type_form": form,
                "collections": "dict" if isinstance(deps, ast.Dict) else "list",
            }
    return {"step_type_form": "other", "collections": "list"}


def _spec(spec: Any, constant: str, file: str, source: Path) -> dict[str, Any]:
    return {
        "constant": constant,
        "file": file,
        **_form(source, constant),
        "step_type": spec.step_type,
        "node_type": _value(spec.node_type),
        "dependencies": [
            {
                "logical_name": d.logical_name,
                "dependency_type": _value(d.dependency_type),
                "required": d.required,
                "compatible_sources": sorted(d.compatible_sources),  # May be a set: sorted.
                "semantic_keywords": sorted(d.semantic_keywords),  # May be a set: sorted.
                "data_type": d.data_type,
            }
            for d in spec.dependencies.values()
        ],
        "outputs": [
            {
                "logical_name": o.logical_name,
                "output_type": _value(o.output_type),
                "property_path": o.property_path,
                "aliases": list(o.aliases),
                "data_type": o.data_type,
            }
            for o in spec.outputs.values()
        ],
    }


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    return text or str(annotation).replace("typing.", "")


def _config(cls: Any, file: str) -> dict[str, Any]:
    base = cls.__mro__[1]
    inherited = set(getattr(base, "model_fields", {}))
    fields = []
    for name, info in cls.model_fields.items():
        if name in inherited or name.startswith("_"):
            continue
        entry: dict[str, Any] = {"name": name, "type": _type_name(info.annotation)}
        entry["required"] = info.is_required()
        if not info.is_required() and isinstance(info.default, SIMPLE):
            entry["default"] = repr(info.default)
        fields.append(entry)
    return {"class_name": cls.__name__, "base_class": base.__name__, "file": file, "fields": fields}


def _config_from_ast(file: Path, rel: str) -> dict[str, dict[str, Any]]:
    """Config classes of a module that cannot be imported here, read with ``ast``."""
    found = {}
    for node in ast.parse(file.read_text(encoding="utf-8")).body:
        if not (isinstance(node, ast.ClassDef) and node.name.endswith("Config") and node.bases):
            continue
        fields = []
        for item in node.body:
            if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
                continue
            value = item.value
            if isinstance(value, ast.Call) and ast.unparse(value.func).endswith("Field"):
                given = {k.arg: k.value for k in value.keywords}
                value = value.args[0] if value.args else given.get("default")
                if isinstance(value, ast.Constant) and value.value is Ellipsis:
                    value = None
                elif value is None and "default_factory" in given:
                    value = given["default_factory"]
            entry: dict[str, Any] = {
                "name": item.target.id,
                "type": ast.unparse(item.annotation),
                "required": value is None,
            }
            if isinstance(value, ast.Constant) and isinstance(value.value, SIMPLE):
                entry["default"] = repr(value.value)
            if not item.target.id.startswith("_"):
                fields.append(entry)
        found[node.name] = {
            "class_name": node.name,
            "base_class": ast.unparse(node.bases[0]),
            "file": rel,
            "fields": fields,
        }
    return found


def _builders(folder: Path, rel: Path) -> dict[str, dict[str, Any]]:
    """Builder class name -> file, base class and the SageMaker step classes it mentions."""
    found: dict[str, dict[str, Any]] = {}
    for file in sorted(folder.glob("builder_*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        called = {
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        steps = sorted(STEP_CLASSES[n] for n in called & set(STEP_CLASSES))
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Builder", "Step")):
                bases = [ast.unparse(b) for b in node.bases]
                found[node.name] = {
                    "file": str(rel / file.name),
                    "bases": bases,
                    "creates": sorted({n for n in called if n.endswith("Step")}),
                    "step_types": sorted(set(steps)),
                }
    return found


def _rank(step_type: str) -> int:
    job = _base_step(step_type)[1]
    return 0 if job is None else 1 if job == "training" else 2


def _resolver(pkg: str, deps_pkg: str) -> Any:
    """The repository's own dependency resolver."""
    resolver = importlib.import_module(f"{pkg}.{deps_pkg}.dependency_resolver")
    matcher = importlib.import_module(f"{pkg}.{deps_pkg}.semantic_matcher")
    registry = importlib.import_module(f"{pkg}.{deps_pkg}.specification_registry")
    return resolver.UnifiedDependencyResolver(
        registry.SpecificationRegistry(), matcher.SemanticMatcher()
    )


def _best_producers(resolver: Any, spec: Any, pool: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Per dependency, the other step's output the real resolver scores best (above 0.5)."""
    own = _base_step(spec.step_type)[0]
    links = []
    for dep in spec.dependencies.values():
        best: tuple[float, str, str] | None = None
        for base, producers in sorted(pool.items()):
            if base == own:
                continue
            for producer in producers:
                for out in producer.outputs.values():
                    value = resolver._calculate_compatibility(dep, out, producer)
                    if value > 0.5 and (best is None or value > best[0]):
                        best = (value, base, out.logical_name)
        if best is not None:
            links.append(
                {
                    "dependency": dep.logical_name,
                    "step": best[1],
                    "output": best[2],
                    "score": round(best[0], 3),
                }
            )
    return links


def _base_step(step_type: str) -> tuple[str, str | None]:
    for job in JOB_TYPES:
        suffix = "_" + job.capitalize()
        if step_type.endswith(suffix):
            return step_type.removesuffix(suffix), job
    return step_type, None


def extract(
    repo: str, commit: str, root: Path, pkg: str, dirs: dict[str, str]
) -> list[dict[str, Any]]:
    """Every registered step of one repository with its facts."""
    folder = {k: root / v for k, v in dirs.items()}
    registry_module = importlib.import_module(f"{pkg}.{dirs['registry_module']}")
    registry: dict[str, dict[str, Any]] = registry_module.STEP_NAMES
    contracts: dict[int, tuple[str, Any]] = {}
    for file, module in _modules(f"{pkg}.{dirs['contracts_pkg']}", folder["contracts"]):
        for name, value in vars(module).items():
            if name.isupper() and hasattr(value, "expected_input_paths"):
                contracts[id(value)] = (str(file.relative_to(root)), value)
    specs: dict[str, list[dict[str, Any]]] = {}
    spec_objects: dict[str, list[Any]] = {}
    spec_contracts: dict[str, Any] = {}
    for file, module in _modules(f"{pkg}.{dirs['specs_pkg']}", folder["specs"]):
        for name, value in vars(module).items():
            if name.isupper() and type(value).__name__ == "StepSpecification":
                base, _ = _base_step(value.step_type)
                entry = _spec(value, name, str(file.relative_to(root)), file)
                known = [s["step_type"] for s in specs.setdefault(base, [])]
                if value.step_type not in known:  # Two files may define one variant.
                    specs[base].append(entry)
                    spec_objects.setdefault(base, []).append(value)
                if value.script_contract is not None:
                    spec_contracts.setdefault(base, value.script_contract)
    configs: dict[str, dict[str, Any]] = {}
    for file in sorted(folder["configs"].glob("config_*.py")):  # Overwritten below if importable.
        configs.update(_config_from_ast(file, str(file.relative_to(root))))
    for file, module in _modules(f"{pkg}.{dirs['configs_pkg']}", folder["configs"]):
        for name, value in vars(module).items():
            own = isinstance(value, type) and value.__module__ == module.__name__
            if own and hasattr(value, "model_fields"):
                configs[name] = _config(value, str(file.relative_to(root)))
    for base, found in specs.items():  # The primary spec first: the base one, else training.
        order = sorted(range(len(found)), key=lambda i: _rank(found[i]["step_type"]))
        specs[base] = [found[i] for i in order]
        spec_objects[base] = [spec_objects[base][i] for i in order]
    resolver = _resolver(pkg, dirs["deps_pkg"])
    builders = _builders(folder["builders"], Path(dirs["builders"]))
    scripts = {f.name for f in folder["scripts"].glob("*.py")}
    steps = []
    for name, entry in registry.items():
        spec_type = entry.get("spec_type", name)
        spec_list = specs.get(spec_type) or next(
            (v for k, v in specs.items() if k.lower() == spec_type.lower()), []
        )
        if not spec_list:
            continue  # Base entries (Base, Processing), Lambda steps without a specification.
        builder = builders.get(entry.get("builder_step_name", ""))
        contract = spec_contracts.get(_base_step(spec_list[0]["step_type"])[0])
        step_type = entry.get("sagemaker_step_type")
        if step_type is None and builder and len(builder["step_types"]) == 1:
            step_type = builder["step_types"][0]
        contract_file = next(
            (f for f, c in contracts.values() if contract is not None and c is contract), None
        )
        facts = _contract(contract) if contract is not None else None
        if facts is not None:
            facts["file"] = contract_file
            script = facts["entry_point"]
            facts["script_file"] = f"{dirs['scripts']}/{script}" if script in scripts else None
        primary = spec_objects[_base_step(spec_list[0]["step_type"])[0]][0]
        upstream = _best_producers(resolver, primary, spec_objects)
        steps.append(
            {
                "repo": repo,
                "commit": commit,
                "step_name": name,
                "sagemaker_step_type": step_type,
                "registry": {k: v for k, v in entry.items()},
                "contract": facts,
                "specs": spec_list,
                "config": next(
                    (
                        configs[k]
                        for k in (entry.get("config_class"), f"{name}StepConfig", f"{name}Config")
                        if k in configs
                    ),
                    None,
                ),
                "builder": {"class_name": entry.get("builder_step_name"), **(builder or {})},
                "upstream": upstream,
            }
        )
    return steps


def _head(path: Path) -> str:
    marker = path / "COMMIT"
    return marker.read_text(encoding="utf-8").strip() if marker.exists() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cursus", type=Path, required=True)
    parser.add_argument("--nlp", type=Path, required=True)
    parser.add_argument("--cursus-commit", default="release/1.x")
    parser.add_argument("--nlp-commit", default="8807b6d~1")
    default_out = Path(__file__).resolve().parents[1] / "tests/fixtures/real_steps.json"
    parser.add_argument("-o", "--output", type=Path, default=default_out)
    args = parser.parse_args()
    cursus_root = args.cursus / "src" / "cursus"
    for name, sub in (("cursus", ""), ("cursus.core", "core"), ("cursus.steps", "steps")):
        _bare_package(name, cursus_root / sub)
    _bare_package("cursus.registry", cursus_root / "registry")
    steps = extract(
        "TianpeiLuke/cursus",
        args.cursus_commit,
        args.cursus,
        "cursus",
        {
            "registry_module": "registry.step_names_original",
            "deps_pkg": "core.deps",
            "contracts": "src/cursus/steps/contracts",
            "contracts_pkg": "steps.contracts",
            "specs": "src/cursus/steps/specs",
            "specs_pkg": "steps.specs",
            "configs": "src/cursus/steps/configs",
            "configs_pkg": "steps.configs",
            "builders": "src/cursus/steps/builders",
            "scripts": "src/cursus/steps/scripts",
        },
    )
    _bare_package("src", args.nlp / "src")
    for sub in ("pipeline_registry", "pipeline_deps"):
        _bare_package(f"src.{sub}", args.nlp / "src" / sub)
    names = importlib.import_module("src.pipeline_registry.step_names")
    strict = names.get_spec_step_type
    # Two nlp-pipeline specs ask for "PytorchTraining"/"PytorchModel" (the registry spells PyTorch)
    # and fail to import there; read them anyway, keeping the spelling they use.
    names.get_spec_step_type = lambda name: strict(name) if name in names.STEP_NAMES else name
    steps += extract(
        "TianpeiLuke/nlp-pipeline",
        args.nlp_commit,
        args.nlp,
        "src",
        {
            "registry_module": "pipeline_registry.step_names",
            "deps_pkg": "pipeline_deps",
            "contracts": "src/pipeline_script_contracts",
            "contracts_pkg": "pipeline_script_contracts",
            "specs": "src/pipeline_step_specs",
            "specs_pkg": "pipeline_step_specs",
            "configs": "src/pipeline_steps",
            "configs_pkg": "pipeline_steps",
            "builders": "src/pipeline_steps",
            "scripts": "src/pipeline_scripts",
        },
    )
    # One step per line: small, and a regenerated file diffs by step.
    lines = ",\n".join(json.dumps(step, separators=(",", ":")) for step in steps)
    text = '{"steps": [\n' + lines + "\n]}\n"
    args.output.write_text(text, encoding="utf-8")
    print(f"{len(steps)} steps, {len(text) // 1024} KB -> {args.output}")


if __name__ == "__main__":
    main()
