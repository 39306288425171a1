"""Read and validate the step requirements: a string, or a path to a UTF-8 text/markdown file."""

from __future__ import annotations

from pathlib import Path

from .._files import FileProblem, read_text
from ..errors import RequirementsError, shown_path

__all__ = ["load_requirements"]

_FILE_SUFFIXES = (".md", ".markdown", ".txt", ".text")


def load_requirements(requirements: str | Path) -> str:
    """Return the requirements text; a `Path`, or a one-line string naming a file, is read.

    >>> load_requirements("Calibrate model scores with isotonic regression")
    'Calibrate model scores with isotonic regression'
    """
    if isinstance(requirements, Path):
        return _read(requirements)
    if not isinstance(requirements, str):
        raise RequirementsError(
            f"Requirements must be a string or a path, not {type(requirements).__name__}."
        )
    text = requirements
    one_line = "\n" not in text and len(text) < 1024
    if one_line and text.strip().lower().endswith(_FILE_SUFFIXES):
        return _read(Path(text.strip()))
    if one_line and text.strip() and _exists(text.strip()):
        # An existing file is read; an existing folder or device is a mistake, never requirements.
        return _read(Path(text.strip()))
    return _check(text, "The requirements string")


def _exists(candidate: str) -> bool:
    try:
        return Path(candidate).exists()
    except (OSError, ValueError):  # too long, or characters no path can hold: it is text
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
