"""The step requirements: a `str` is the text, a `pathlib.Path` names a UTF-8 file to read.

One rule for the whole library (API, batch items, CLI): the type decides, never a guess from the
content. A string that can only be a file path (one word with a folder separator or a ``.md``
suffix) is refused with the fix, so a typo in a file name is not sent to a paid model as the
requirements. The command line is the convenience layer: `requirements_argument` reads an
existing file and calls anything else text.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

from .._files import FileProblem, read_text
from ..errors import RequirementsError, shown_path

__all__ = ["load_requirements", "looks_like_path", "requirements_argument"]

_FILE_SUFFIXES: Final = (".md", ".markdown", ".txt", ".text")
_ONE_WORD: Final = re.compile(r"^\S+$")


def looks_like_path(text: str) -> bool:
    """True for a string that can only be a file path, never requirements text.

    >>> looks_like_path("reqs/model_calibration.md"), looks_like_path("Calibrate scores/probabilities")
    (True, False)
    """
    candidate = text.strip()
    if len(candidate) >= 1024 or not _ONE_WORD.match(candidate):
        return False
    return "/" in candidate or "\\" in candidate or candidate.lower().endswith(_FILE_SUFFIXES)


def load_requirements(requirements: str | os.PathLike[str]) -> str:
    """The requirements text: a `str` as it is, a `Path` (any ``os.PathLike``) read as UTF-8.

    >>> load_requirements("Calibrate model scores with isotonic regression")
    'Calibrate model scores with isotonic regression'
    >>> load_requirements("reqs/model_calibraton")
    Traceback (most recent call last):
    ...
    planner_agent.errors.RequirementsError: The requirements string 'reqs/model_calibraton' looks like a file path, not a description of a step, and no such file exists. To read a file pass pathlib.Path('reqs/model_calibraton'); to plan from text pass the text itself.
    """
    if isinstance(requirements, os.PathLike):
        return _read(Path(requirements))
    if not isinstance(requirements, str):
        raise RequirementsError(
            "Requirements must be the text (a str) or a file (a pathlib.Path), not "
            f"{type(requirements).__name__}."
        )
    if "\0" in requirements:
        raise RequirementsError(
            "The requirements string contains NUL bytes: it is binary data, not a description "
            "of a step. Pass the text itself, or pathlib.Path(...) of a UTF-8 .md/.txt file."
        )
    if looks_like_path(requirements):
        name = requirements.strip()
        found = "it names an existing file" if _is_file(name) else "no such file exists"
        raise RequirementsError(
            f"The requirements string {shown_path(name)} looks like a file path, not a "
            f"description of a step, and {found}. To read a file pass pathlib.Path({name!r}); "
            "to plan from text pass the text itself."
        )
    return _check(requirements, "The requirements string")


def requirements_argument(argument: str) -> str | Path:
    """What a command-line argument means: an existing file is read, anything else is text.

    A path-looking argument that names no file is a `RequirementsError` (a typo must not be
    planned as text); a folder is one too (``batch`` takes folders).
    """
    name = argument.strip()
    if _is_file(name):
        return Path(name)
    if _is_dir(name):
        raise RequirementsError(
            f"{shown_path(name)} is a folder: pass one requirements file (or use "
            "`planner-agent batch` for a folder of them)."
        )
    if looks_like_path(name):
        raise RequirementsError(
            f"Requirements file {shown_path(name)} does not exist. Check the path, or pass the "
            "requirements text itself in quotes."
        )
    return argument


def _is_file(name: str) -> bool:
    try:  # a long one-line text is not a path: stat() raises "File name too long"
        return Path(name).is_file()
    except (OSError, ValueError):
        return False


def _is_dir(name: str) -> bool:
    try:
        return Path(name).is_dir()
    except (OSError, ValueError):
        return False


def _read(path: Path) -> str:
    try:
        text = read_text(path)
    except FileProblem as problem:
        raise RequirementsError(
            f"Requirements file {shown_path(path)} {problem}. Pass the requirements text itself, "
            "or the path of a UTF-8 .md/.txt file (plan_steps/`planner-agent batch` take folders)."
        ) from None
    return _check(text, f"Requirements file {shown_path(path)}")


def _check(text: str, what: str) -> str:
    if not text.strip():
        raise RequirementsError(
            f"{what} is empty. Describe the new step: what it reads, what it produces, where it "
            "sits in the pipeline."
        )
    return text.strip()
