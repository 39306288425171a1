"""Read and validate the step requirements: a string, or a path to a UTF-8 text/markdown file."""

from __future__ import annotations

from pathlib import Path

from .errors import RequirementsError

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
    if not path.exists():
        raise RequirementsError(
            f"Requirements file {str(path)!r} does not exist. Pass the requirements text itself, "
            "or the path of an existing .md/.txt file."
        )
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise RequirementsError(
            f"Requirements path {str(path)!r} is {kind}. Pass the requirements text itself, or "
            "the path of a .md/.txt file (plan_steps/`planner-agent batch` take folders)."
        )
    data = path.read_bytes()
    if b"\x00" in data:
        raise RequirementsError(f"Requirements file {str(path)!r} is binary, not text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RequirementsError(
            f"Requirements file {str(path)!r} is not UTF-8 text (byte {exc.start}); "
            "re-save it as UTF-8."
        ) from None
    return _check(text, f"Requirements file {str(path)!r}")


def _check(text: str, what: str) -> str:
    if not text.strip():
        raise RequirementsError(
            f"{what} is empty. Describe the new step: what it reads, what it produces, where it "
            "sits in the pipeline."
        )
    return text.strip()
