"""Packaging facts that users and tools read: the licence, the changelog, the Python floor, and
where the caches go (the wheel's own metadata is checked in test_wheel.py)."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from samples import calibration_draft_dict

from planner_agent import plan_steps
from planner_agent.local import CACHE_ENV, default_cache_dir
from planner_agent.testing import Reply, ScriptedTransport

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _floor(spec: str) -> tuple[int, int]:
    match = re.fullmatch(r">=\s*(\d+)\.(\d+)", spec)
    assert match, f"requires-python should be a plain floor, got {spec!r}"
    return int(match[1]), int(match[2])


def test_the_licence_file_is_the_declared_licence() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) ")
    assert "Permission is hereby granted, free of charge" in text


def test_python_floor_is_what_is_tested_and_targeted() -> None:
    floor = _floor(PYPROJECT["project"]["requires-python"])
    assert sys.version_info[:2] >= floor  # the interpreter running these tests qualifies
    assert PYPROJECT["tool"]["mypy"]["python_version"] == f"{floor[0]}.{floor[1]}"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == f"py{floor[0]}{floor[1]}"
    versions = [
        tuple(int(p) for p in c.rsplit(" ", 1)[1].split("."))
        for c in PYPROJECT["project"]["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert min(versions) == floor


def test_changelog_keeps_a_changelog_form() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n") and "keepachangelog.com" in text
    versions = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.MULTILINE)
    assert versions[0] == ("Unreleased", "")
    assert all(date for _, date in versions[1:]) and len(versions) >= 4
    dated = [date for _, date in versions[1:]]
    assert dated == sorted(dated, reverse=True)  # newest first
    kinds = set(re.findall(r"^### (\w+)$", text, re.MULTILINE))
    assert kinds and kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    # every released entry carries the package's version
    version = PYPROJECT["project"]["version"]
    assert all(v.startswith(version) for v, _ in versions[1:])


def test_model_cache_is_the_platform_user_cache_unless_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir({}) == tmp_path / "xdg" / "planner_agent" / "models"
    assert default_cache_dir({CACHE_ENV: str(tmp_path / "mine")}) == tmp_path / "mine"


def test_batch_result_cache_lands_in_the_platform_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    double = ScriptedTransport(lambda _: Reply.json(calibration_draft_dict()))
    requirements = ["Calibrate XGBoost scores with isotonic regression."]
    first = plan_steps(
        requirements, client=double.client(), model="gpt-4o-mini", cache=True, progress=False
    )
    assert first.items[0].status == "ok"
    stored = list((tmp_path / "xdg" / "planner_agent" / "results").rglob("*.json"))
    assert len(stored) == 1
    again = plan_steps(
        requirements, client=double.client(), model="gpt-4o-mini", cache=True, progress=False
    )
    assert again.items[0].status == "cached" and double.chat_requests == 1
