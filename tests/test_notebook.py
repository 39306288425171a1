"""The quick-start notebook runs top to bottom offline, and is committed without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


def test_notebook_is_stripped() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_notebook_runs_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # The scripted backend keeps this fast; the local model has its own end-to-end test.
    monkeypatch.setenv(
        "PLANNER_NOTEBOOK_BACKEND", os.environ.get("PLANNER_NOTEBOOK_BACKEND", "testing")
    )
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    texts = "\n".join(
        str(out.get("text", "")) + str(out.get("data", {}).get("text/markdown", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
    assert "backend: " + os.environ["PLANNER_NOTEBOOK_BACKEND"] in texts
    assert "# Implementation Plan for ModelCalibration" in texts  # the result rendered as markdown
    assert "ENUM001" in texts
    assert not any(
        out.get("output_type") == "error"
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
