"""Plan values are untrusted: the names and paths scaffolding derives file names from are checked
before anything is written, and every destination must resolve inside the repository.

A plan comes from a model or a file. Its step name, entry point, class names and component file
names become file names and Python identifiers, so each must be exactly what the architecture
allows (`check_plan_names`); any path it states must be relative and stay below the repository
(`check_plan_paths`); and every file scaffolding would write or edit must resolve, symlinks
followed, inside the repository root (`check_destination`).
"""

from __future__ import annotations

import keyword
import os
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import NoReturn

from ..conventions import PASCAL_CASE
from ..errors import shown_path
from ..plan import ImplementationPlan
from ._types import ScaffoldError

__all__ = ["check_destination", "check_plan_names", "check_plan_paths", "is_identifier"]

_ENTRY_POINT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*\.py$")


def is_identifier(name: str) -> bool:
    """A Python identifier that is not a keyword (what a module or class may be called)."""
    return name.isidentifier() and not keyword.iskeyword(name)


def check_plan_names(plan: ImplementationPlan) -> None:
    """Refuse names that would become unsafe or different file names and identifiers."""
    comps = plan.components
    if not PASCAL_CASE.match(plan.step_name):
        _refuse(
            f"step name {plan.step_name!r} is not PascalCase (letters and digits only); "
            "scaffolding derives file names from it"
        )
    entry = comps.script_contract.entry_point
    if not _ENTRY_POINT.match(entry):
        _refuse(
            f"script entry point {entry!r} is not a plain file name ending in .py "
            "(no folders, no leading dot); the script is written under that name"
        )
    for what, name in (
        ("configuration class", comps.configuration.class_name),
        ("step builder class", comps.step_builder.class_name),
        ("configuration base class", comps.configuration.base_class),
    ):
        if not is_identifier(name):
            _refuse(f"{what} {name!r} is not a Python identifier")


def check_plan_paths(plan: ImplementationPlan) -> None:
    """Refuse absolute paths, ``..`` and file names that are not ``<identifier>.py``."""
    comps = plan.components
    located = {
        "script contract": comps.script_contract.file_path,
        "step specification": comps.step_specification.file_path,
        "configuration": comps.configuration.file_path,
        "step builder": comps.step_builder.file_path,
        "processing script": comps.processing_script.file_path,
    }
    for what, path in located.items():
        if path:
            _relative(path, f"the {what}'s file path")
            stem = PurePosixPath(path).name.removesuffix(".py")
            script = what == "processing script"
            if not path.endswith(".py") or not (is_identifier(stem) or script):
                _refuse(f"the {what}'s file name in {shown_path(path)} is not <identifier>.py")
    for path in plan.files_to_update:
        _relative(path, "a path in files_to_update")


def _relative(path: str, what: str) -> None:
    if "\x00" in path or "\\" in path:
        _refuse(f"{what} {shown_path(path)} has a NUL byte or a backslash", path)
    posix, windows = PurePosixPath(path), PureWindowsPath(path)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or path.startswith("~"):
        _refuse(f"{what} {shown_path(path)} is absolute; plan paths are relative to the repository")
    if ".." in posix.parts:
        _refuse(f"{what} {shown_path(path)} contains '..'; it could leave the repository", path)


def check_destination(root: Path, rel: str) -> Path:
    """The real path ``rel`` names under ``root``; `ScaffoldError` if it resolves outside ``root``
    (a symlinked folder or file pointing elsewhere) or an ancestor is not a folder."""
    _relative(rel, "a destination")
    real_root = Path(os.path.realpath(root))
    target = Path(os.path.realpath(root / rel))
    if not target.is_relative_to(real_root):
        _refuse(
            f"{shown_path(rel)} resolves to {shown_path(str(target))}, outside the repository "
            f"{shown_path(str(real_root))} (a symlink points out); nothing was written",
            rel,
        )
    for parent in (root / rel).parents:
        if parent == root or not parent.is_relative_to(root):
            break
        if parent.exists() and not parent.is_dir():
            _refuse(
                f"{shown_path(rel)} cannot be written: {shown_path(str(parent))} is a file", rel
            )
    if target.exists() and not target.is_file():
        _refuse(f"{shown_path(rel)} exists and is not a regular file; nothing was written", rel)
    return target


def _refuse(message: str, path: str | None = None) -> NoReturn:
    raise ScaffoldError(message, path=path)
