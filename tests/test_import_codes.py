"""`planner_agent.seedformat.IMPORT_CODES` is the one description of what reading a plan reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner_agent.plan import Severity
from planner_agent.seedformat import IMPORT_CODES, ImportCode, parse_markdown

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"
READER = Path(__file__).parents[1] / "planner_agent" / "seedformat"


def test_every_code_the_reader_can_emit_is_described() -> None:
    emitted = set()
    for path in READER.glob("*.py"):
        if path.name != "_import_codes.py":  # the table itself does not count as a use
            emitted |= set(re.findall(r"\bIMPORT\d{3}\b", path.read_text("utf-8")))
    assert emitted and emitted == set(IMPORT_CODES)


def test_each_code_says_what_it_means_and_how_to_fix_it() -> None:
    for code, info in IMPORT_CODES.items():
        assert isinstance(info, ImportCode) and isinstance(info.severity, Severity), code
        assert info.meaning.endswith(".") and info.fix.endswith("."), code
        assert info.summary == f"{info.meaning} {info.fix}"
    assert "--max-tokens" in IMPORT_CODES["IMPORT002"].fix
    with pytest.raises(TypeError):
        IMPORT_CODES["IMPORT999"] = IMPORT_CODES["IMPORT001"]  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.md")))
def test_reported_severities_are_the_described_ones(name: str) -> None:
    parsed = parse_markdown((FIXTURES / name).read_text(encoding="utf-8"))
    for issue in parsed.issues:
        if issue.code.startswith("IMPORT"):
            assert issue.severity == IMPORT_CODES[issue.code].severity, issue


def test_the_fixtures_exercise_several_codes() -> None:
    seen = {
        issue.code
        for path in FIXTURES.glob("*.md")
        for issue in parse_markdown(path.read_text(encoding="utf-8")).issues
    }
    assert {"IMPORT002", "IMPORT003", "IMPORT006"} <= seen
