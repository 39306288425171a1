"""The quick-start notebook runs top to bottom from any folder, says what it will spend before
spending it, shows each step of the walk, and is committed without outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from planner_agent.testing import ScriptedServer, plan_responder

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"
API_VARIABLES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "PLANNER_MODEL",
)


def _code_cells(nb: Any) -> list[Any]:
    return [c for c in nb.cells if c.cell_type == "code"]


def _shown(cell: Any) -> str:
    """Everything a cell displayed: printed text, markdown, plain text and HTML."""
    parts = []
    for out in cell.outputs:
        assert out.get("output_type") != "error", "".join(out.get("traceback", []))
        parts.append(str(out.get("text", "")))
        data = out.get("data", {})
        parts += [str(data.get(kind, "")) for kind in ("text/markdown", "text/plain", "text/html")]
    return "\n".join(parts)


def _run_elsewhere(tmp_path: Path) -> list[str]:
    """Execute the notebook with a working folder that has nothing of the repository in it."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(elsewhere)}}
    )
    client.execute()
    assert list(elsewhere.iterdir()) == []  # the dry run wrote nothing here
    return [_shown(cell) for cell in _code_cells(nb)]


def test_notebook_is_stripped() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = _code_cells(nb)
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_notebook_starts_with_one_short_cell() -> None:
    first = _code_cells(nbformat.read(NOTEBOOK, as_version=4))[0].source
    assert len([line for line in first.splitlines() if line.strip()]) <= 4
    assert "choose_backend" in first


def test_notebook_runs_offline_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in API_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLANNER_NOTEBOOK_BACKEND", "scripted")
    (notice, requirements, plan, sections, issues, check, batch, scaffold, _) = _run_elsewhere(
        tmp_path
    )
    # The first cell says what will happen before anything is planned.
    assert "**backend: scripted**" in notice and "nothing is paid" in notice
    assert "model_calibration" in requirements and "# ModelCalibration" in requirements
    assert "# Implementation Plan for ModelCalibration" in plan  # the result renders as markdown
    assert "step: ModelCalibration | Processing" in sections
    assert "input  evaluation_data -> /opt/ml/processing/input/" in sections
    assert "ModelCalibration: ok" in issues and "gpt-4o-mini" in issues
    assert "attempts: 1" in issues
    # The broken markdown plan: the importer's ENUM001 error comes first.
    assert check.lstrip().startswith("error ENUM001")
    # The batch renders as a table, one row per item.
    assert "<table" in batch and "currency_conversion" in batch and "risk_table_mapping" in batch
    assert batch.count(">ok<") >= 2
    # The scaffold preview: a diff of new files and of the registry edit.
    assert "+++ b/src/tinypipe/steps/contracts/model_calibration_contract.py" in scaffold
    assert '+    "ModelCalibration": {' in scaffold
    assert "--- a/src/tinypipe/registry/step_names.py" in scaffold


def test_notebook_with_an_api_warns_first_and_plans_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in API_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PLANNER_NOTEBOOK_BACKEND", raising=False)
    with ScriptedServer(plan_responder()) as server:
        # A configured endpoint, as a user's would be: auto picks it and announces it.
        url = server.base_url
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-notebook-test")
        monkeypatch.setenv("PLANNER_MODEL", "gpt-4o-mini")
        shown = _run_elsewhere(tmp_path)
        assert server.chat_requests == 3  # one plan, then a batch of two
    notice = shown[0]
    assert "**backend: hosted**" in notice and "Paid requests" in notice
    assert url.rstrip("/") in notice and "`gpt-4o-mini`" in notice
    assert "3 plan(s)" in notice and "usage_limits" in notice
    assert "# Implementation Plan for ModelCalibration" in shown[2]
