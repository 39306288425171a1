"""`planner-agent check --codebase`: the resolver's ranking per dependency, through the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from layout_trees import release_tree

from planner_agent import Planner
from planner_agent.cli import main
from planner_agent.seedformat import render_markdown
from planner_agent.testing import Reply, ScriptedServer, sample_draft

STEP = "ScoreCalibration"
LINE = re.compile(r"^ {6}(\d)\. (\w+)\.(\w+) {2}(\d\.\d{3})$")


def _planned(repo: Path, draft: dict[str, Any]) -> Path:
    """A plan made by the planner with ``repo`` as its codebase (section 4 ranked), as markdown
    (one attempt: a plan with errors is checked as it is)."""
    with ScriptedServer([Reply.json(draft)]) as server:
        planner = Planner(
            client=server.client(), model="gpt-4o-mini", codebase=repo, max_attempts=1
        )
        result = planner.plan(f"Calibrate the evaluation scores ({STEP}).")
    path = repo / "plan.md"
    path.write_text(render_markdown(result.plan), "utf-8")
    return path


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", *args])
    return code, capsys.readouterr().out


def test_text_shows_each_dependencys_top_candidates_as_section_4_ranks_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = release_tree(tmp_path)
    plan = _planned(repo, sample_draft(STEP))
    code, out = _check(capsys, str(plan), "--codebase", str(repo))
    assert code == 0, out
    head, _, ranking = out.partition("RESOLVER")
    assert "ERRORS" not in head and "evaluation_data (required)" in ranking
    shown = [m.groups() for m in map(LINE.match, ranking.splitlines()) if m]
    assert [n for n, *_ in shown] == ["1", "2", "3"]
    scores = [float(s) for *_, s in shown]
    assert scores == sorted(scores, reverse=True) and all(s > 0.5 for s in scores)
    _, data = _check(capsys, str(plan), "--codebase", str(repo), "--format", "json")
    matched = json.loads(data)["resolver"][0]["matched"]
    assert [(c["step"], c["output"]) for c in matched] == [(s, o) for _, s, o, _ in shown]
    assert matched[0]["step"] == "XGBoostModelEval" and matched[0]["output"] == "eval_output"
    assert [f"{c['score']:.3f}" for c in matched] == [s for *_, s in shown]
    assert out.rstrip().endswith("0 error(s), 0 warning(s)")


def test_ranking_matches_the_plans_section_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = release_tree(tmp_path)
    with ScriptedServer([Reply.json(sample_draft(STEP))]) as server:
        planner = Planner(client=server.client(), model="gpt-4o-mini", codebase=repo)
        result = planner.plan(f"Calibrate the evaluation scores ({STEP}).")
    plan = repo / "plan.json"
    plan.write_text(result.plan.model_dump_json(), "utf-8")
    _, data = _check(capsys, str(plan), "--codebase", str(repo), "--format", "json")
    matched = [c for r in json.loads(data)["resolver"] for c in r["matched"]]
    section4 = [c.model_dump(mode="json") for c in result.plan.integration.resolver_candidates]
    assert matched == section4 and len(section4) == 3


def test_a_dependency_nobody_satisfies_shows_the_near_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = release_tree(tmp_path)
    draft = sample_draft(STEP)
    extra = dict(draft["inputs"][0])
    extra.update(
        logical_name="tuning_params",
        container_path="/opt/ml/processing/input/params",
        dependency_type="hyperparameters",
        required=False,
        compatible_sources=[],
        semantic_keywords=["tuning"],
        source_step=None,
        source_output=None,
    )
    draft["inputs"].append(extra)
    plan = _planned(repo, draft)
    _, out = _check(capsys, str(plan), "--codebase", str(repo))
    ranking = out.partition("RESOLVER")[2]
    block = ranking.partition("tuning_params (optional)")[2].splitlines()[1]
    assert re.fullmatch(r" {6}no match \(best: \w+\.\w+ 0\.\d{3}\)", block), block
    _, data = _check(capsys, str(plan), "--codebase", str(repo), "--format", "json")
    tuning = json.loads(data)["resolver"][1]
    assert tuning["matched"] == [] and tuning["best_below_threshold"]["score"] <= 0.5


def test_without_a_codebase_there_is_no_ranking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _planned(release_tree(tmp_path), sample_draft(STEP))
    _, out = _check(capsys, str(plan))
    assert "RESOLVER" not in out
    _, data = _check(capsys, str(plan), "--format", "json")
    assert "resolver" not in json.loads(data)


@pytest.mark.parametrize(
    ("step", "output", "expected"),
    [
        ("XGBoostModelEval", "eval_output", r"rank 1 \(\d\.\d{3}\)"),
        # A link to a step also covers its job-type variants' outputs.
        ("TabularPreprocessing", "processed_data", r"rank [23] \(\d\.\d{3}\)"),
        ("XGBoostModelEval", "no_such_output", "not an output in the codebase"),
    ],
)
def test_the_producer_the_plan_links_is_placed_in_the_ranking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], step: str, output: str, expected: str
) -> None:
    repo = release_tree(tmp_path)
    draft = sample_draft(STEP)
    draft["inputs"][0].update(source_step=step, source_output=output)
    plan = _planned(repo, draft)
    _, out = _check(capsys, str(plan), "--codebase", str(repo))
    line = next(x for x in out.splitlines() if "linked in the plan" in x)
    assert re.fullmatch(rf" {{6}}linked in the plan: {step}\.{output}, {expected}", line), line
    _, data = _check(capsys, str(plan), "--codebase", str(repo), "--format", "json")
    (linked,) = json.loads(data)["resolver"][0]["linked"]
    assert linked["link"] == f"{step}.{output}"
    assert (linked["rank"] is None) == (output == "no_such_output")
