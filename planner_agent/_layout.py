"""Where a codebase keeps each component: the `Layout` of folders and the registry file.

Re-exported by `planner_agent.conventions`; kept apart because detection (`CodebaseIndex`) and
every planned file path depend on it, while the naming rules do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from .errors import ConfigurationError
from .plan import JobType

__all__ = ["DEFAULT_LAYOUT", "Layout"]

_LAYOUT_DEFAULTS: Final = MappingProxyType(
    {
        "contracts_dir": "src/pipeline_script_contracts",
        "specs_dir": "src/pipeline_step_specs",
        "configs_dir": "src/pipeline_steps",
        "builders_dir": "src/pipeline_steps",
        "scripts_dir": "src/pipeline_scripts",
        "registry_file": "src/pipeline_registry/step_names.py",
    }
)


@dataclass(frozen=True, init=False)
class Layout:
    """Where a codebase keeps each component: repository-relative POSIX folders and the registry.

    Defaults follow the planner prompt's ``src/pipeline_*`` (configs and builders together in
    ``src/pipeline_steps``). ``steps_dir`` is the older single folder of configs and builders: it
    fills whichever of ``configs_dir``/``builders_dir`` is not given. ``init_files`` are the
    ``__init__.py`` files a new step updates; None means one per component package (a detected
    layout lists only those that exist). `CodebaseIndex` detects a repository's layout.

    >>> Layout(steps_dir="lib/steps").builders_dir
    'lib/steps'
    """

    contracts_dir: str
    specs_dir: str
    configs_dir: str
    builders_dir: str
    scripts_dir: str
    registry_file: str
    init_files: tuple[str, ...] | None

    def __init__(
        self,
        *,
        contracts_dir: str | None = None,
        specs_dir: str | None = None,
        configs_dir: str | None = None,
        builders_dir: str | None = None,
        scripts_dir: str | None = None,
        registry_file: str | None = None,
        steps_dir: str | None = None,
        init_files: Iterable[str] | None = None,
    ) -> None:
        given = {
            "contracts_dir": contracts_dir,
            "specs_dir": specs_dir,
            "configs_dir": configs_dir,
            "builders_dir": builders_dir,
            "scripts_dir": scripts_dir,
            "registry_file": registry_file,
        }
        for key, value in [*given.items(), ("steps_dir", steps_dir)]:
            if value is not None and not _relative_path(value):
                raise ConfigurationError(
                    f"Layout {key} must be a repository-relative path such as "
                    f"{_LAYOUT_DEFAULTS.get(key, 'src/pipeline_steps')!r}, not {value!r}"
                )
        for key in ("configs_dir", "builders_dir"):
            given[key] = steps_dir if given[key] is None else given[key]
        for key, value in given.items():
            folder = _LAYOUT_DEFAULTS[key] if value is None else value.strip().removeprefix("./")
            object.__setattr__(self, key, folder.rstrip("/"))
        files = None if init_files is None else tuple(init_files)
        if files is not None and not all(isinstance(f, str) and f for f in files):
            raise ConfigurationError(f"Layout init_files must be file paths, not {files!r}")
        object.__setattr__(self, "init_files", files)

    @property
    def steps_dir(self) -> str:
        """The configs folder (what older code that knew one ``steps_dir`` should read)."""
        return self.configs_dir

    def contract_file(self, name: str) -> str:
        """Script contract file for snake-case ``name``."""
        return f"{self.contracts_dir}/{name}_contract.py"

    def spec_file(self, name: str, job_type: JobType | None = None) -> str:
        """Specification file (job variants get ``<name>_<jobtype>_spec.py``)."""
        suffix = f"_{job_type.value}" if job_type else ""
        return f"{self.specs_dir}/{name}{suffix}_spec.py"

    def config_file(self, name: str) -> str:
        """Configuration file, in the preferred ``config_<name>_step.py`` form."""
        return f"{self.configs_dir}/config_{name}_step.py"

    def builder_file(self, name: str) -> str:
        """Builder file, in the preferred ``builder_<name>_step.py`` form."""
        return f"{self.builders_dir}/builder_{name}_step.py"

    def script_file(self, name: str) -> str:
        """Processing script file."""
        return f"{self.scripts_dir}/{name}.py"

    def summary(self) -> str:
        """One line for the prompt: where this codebase keeps each component."""
        return (
            f"Files of this codebase: contracts in `{self.contracts_dir}`, specifications in "
            f"`{self.specs_dir}`, configs in `{self.configs_dir}`, builders in "
            f"`{self.builders_dir}`, scripts in `{self.scripts_dir}`; registry "
            f"`{self.registry_file}`. Plan the new step's files there."
        )

    def packages(self) -> tuple[str, ...]:
        """The component folders whose ``__init__.py`` export a step's classes, each once."""
        folders = (self.configs_dir, self.builders_dir, self.specs_dir, self.contracts_dir)
        return tuple(dict.fromkeys(folders))

    def standard_updates(self) -> tuple[str, ...]:
        """The files every new step updates: the registry and the packages' ``__init__`` files."""
        inits = self.init_files
        if inits is None:
            inits = tuple(f"{folder}/__init__.py" for folder in self.packages())
        return (self.registry_file, *inits)


def _relative_path(value: object) -> bool:
    parts = value.strip().split("/") if isinstance(value, str) else []
    return bool(parts) and parts[0] != "" and ".." not in parts and value != "."


DEFAULT_LAYOUT: Final = Layout()
