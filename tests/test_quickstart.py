"""planner_agent.quickstart: the backend is chosen and announced before anything is spent, and the
shipped examples are found wherever the package is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planner_agent import UsageLimits, plan_step, plan_steps, scaffold_step
from planner_agent.errors import ConfigurationError, LocalModelError, OutputError
from planner_agent.local import local_enabled
from planner_agent.quickstart import (
    BACKEND_ENV,
    choose_backend,
    example_repository,
    example_requirements,
    examples_dir,
)
from planner_agent.testing import ScriptedServer, plan_responder

OFFLINE = {"PLANNER_LOCAL": "0"}


def test_examples_are_found_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    examples = example_requirements()
    assert {"model_calibration", "currency_conversion", "risk_table_mapping"} <= set(examples)
    assert all(p.is_absolute() and p.is_file() for p in examples.values())
    assert examples_dir().is_absolute()


def test_example_repository_is_a_fresh_copy_and_never_overwrites(tmp_path: Path) -> None:
    repo = example_repository(tmp_path / "repo")
    registry = repo / "src" / "tinypipe" / "registry" / "step_names.py"
    assert "XGBoostModelEval" in registry.read_text(encoding="utf-8")
    registry.write_text("# mine\n", encoding="utf-8")
    assert "XGBoostModelEval" in (
        examples_dir() / "pipeline_repo" / registry.relative_to(repo)
    ).read_text(encoding="utf-8")  # the shipped one is untouched
    with pytest.raises(OutputError, match="not an empty folder"):
        example_repository(repo)
    assert registry.read_text(encoding="utf-8") == "# mine\n"
    (tmp_path / "empty").mkdir()
    assert (example_repository(tmp_path / "empty") / "README.md").is_file()


def test_without_an_api_the_scripted_demo_plans_offline(tmp_path: Path) -> None:
    with choose_backend(env=OFFLINE, plans=3) as backend:
        assert backend.kind == "scripted" and "nothing is paid" in backend.notice
        assert "**backend: scripted**" in backend._repr_markdown_()
        assert repr(backend) == "Backend(kind='scripted', model='gpt-4o-mini')"
        server = backend.server
        assert server is not None
        result = plan_step(example_requirements()["model_calibration"], **backend.options)
        assert result.ok and result.plan.step_name == "ModelCalibration"
        batch = plan_steps(
            [example_requirements()["currency_conversion"]], progress=False, **backend.options
        )
        assert [i.status for i in batch.items] == ["ok"] and server.chat_requests == 2
        preview = scaffold_step(result, example_repository(tmp_path / "repo"), dry_run=True)
        assert "src/tinypipe/steps/specs/model_calibration_spec.py" in preview.paths("spec")
        assert not (
            tmp_path / "repo" / "src/tinypipe/steps/specs/model_calibration_spec.py"
        ).exists()
    assert backend.server is None
    backend.close()  # idempotent


def test_an_api_key_means_a_paid_backend_announced_with_model_and_cost() -> None:
    backend = choose_backend(env={"OPENAI_API_KEY": "sk-test", **OFFLINE}, plans=3)
    assert backend.kind == "hosted" and backend.model == "gpt-4.1-mini"
    notice = backend.notice
    assert notice.startswith("**Paid requests.**") and "the OpenAI API" in notice
    assert "`gpt-4.1-mini`" in notice and "3 plan(s)" in notice and "$" in notice
    assert backend.options["usage_limits"] == UsageLimits(cost_usd=0.25)
    assert backend.options["model"] == "gpt-4.1-mini"


def test_hosted_plans_go_where_the_notice_says() -> None:
    with ScriptedServer(plan_responder()) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "PLANNER_MODEL": "my-model", **OFFLINE}
        backend = choose_backend(env=env)
        # An unpriced model: no dollar figure is made up, and no cap that could not be checked.
        assert backend.notice.startswith("**Requests to your endpoint.**")
        assert server.base_url in backend.notice and "not known here" in backend.notice
        assert "usage_limits" not in backend.options
        assert server.chat_requests == 0  # choosing spent nothing
        result = plan_step(example_requirements()["model_calibration"], **backend.options)
        assert server.chat_requests == 1 and server.requests[-1].body["model"] == "my-model"
        assert result.plan.step_name == "ModelCalibration"


def test_the_environment_variable_chooses_and_bad_choices_are_named() -> None:
    with choose_backend(env={BACKEND_ENV: "scripted", "OPENAI_API_KEY": "sk-test"}) as backend:
        assert backend.kind == "scripted"
    with pytest.raises(
        ConfigurationError, match=r"unknown backend 'cloud' \(from PLANNER_NOTEBOOK"
    ):
        choose_backend(env={BACKEND_ENV: "cloud"})
    with pytest.raises(ConfigurationError, match="choose one of auto, scripted, hosted, local"):
        choose_backend("openai", env=OFFLINE)
    with pytest.raises(ConfigurationError, match="needs an API: set OPENAI_API_KEY"):
        choose_backend("hosted", env=OFFLINE)
    with pytest.raises(ConfigurationError, match="no model"):
        choose_backend("hosted", env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", **OFFLINE})
    with pytest.raises(ConfigurationError, match="plans must be a positive int"):
        choose_backend(env=OFFLINE, plans=0)


def test_the_local_backend_says_how_many_minutes_or_what_to_install() -> None:
    if not local_enabled(os.environ):
        with pytest.raises(LocalModelError, match=r"pip install 'planner-agent\[local\]'"):
            choose_backend("local", env={})
        return
    backend = choose_backend("local", env={}, plans=3)
    assert backend.kind == "local" and "2 minute(s)" in backend.notice  # 3 plans of ~30 s
    with pytest.raises(ConfigurationError, match="an API is configured"):
        choose_backend("local", env={"OPENAI_API_KEY": "sk-test"})
