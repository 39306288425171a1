"""End-to-end planning through the real openai client against planner_agent.testing."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import openai
import pytest
from samples import (
    CALIBRATION_REQUIREMENTS,
    calibration_draft,
    calibration_draft_dict,
    html_endpoint,
)

from planner_agent import (
    APIKeyError,
    ConfigurationError,
    IncompleteOutputError,
    KnowledgeError,
    PlanIssuesError,
    Planner,
    PlanningError,
    PlanRefusedError,
    PromptTooLargeError,
    RequirementsError,
    TransportError,
    aplan_step,
    plan_step,
)
from planner_agent.planner import PLANNER_OPTIONS
from planner_agent.testing import RecordedRequest, Reply, ScriptedServer, Usage

MODEL = "gpt-4o-mini"


def good() -> Reply:
    return Reply.json(calibration_draft_dict(), usage=Usage(1000, 400, 800))


def with_bad_enum() -> Reply:
    draft = calibration_draft_dict()
    draft["inputs"][0]["dependency_type"] = "processing_input"
    return Reply.json(draft, usage=Usage(1000, 400, 0))


def with_bad_property_name() -> Reply:
    draft = calibration_draft_dict()
    draft["step_name"] = "modelCalibration"  # not PascalCase: a check error, schema-valid
    return Reply.json(draft)


def test_happy_path_json_schema() -> None:
    with ScriptedServer([good()]) as server:
        result = plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
        sent = server.requests[0].body
    assert result.ok, result.issues
    assert result.mode == "json_schema"
    assert sent is not None and sent["response_format"]["type"] == "json_schema"
    schema = sent["response_format"]["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])
    assert sent["temperature"] == 0.0
    contract = result.plan.components.script_contract
    assert [p.logical_name for p in contract.input_paths] == ["evaluation_data"]
    assert result.plan.registry_entry.builder_step_name == "ModelCalibrationStepBuilder"
    assert len(result.attempts) == 1
    assert result.usage.prompt_tokens == 1000 and result.usage.cached_tokens == 800
    # gpt-4o-mini: 200 uncached * 0.15 + 800 cached * 0.075 + 400 * 0.60 per 1M tokens
    assert result.cost_usd == pytest.approx((200 * 0.15 + 800 * 0.075 + 400 * 0.60) / 1e6)
    assert result.prompt_tokens["requirements"] > 10
    assert "# Implementation Plan for ModelCalibration" in result.to_markdown()
    assert result._repr_markdown_().startswith("# Implementation Plan for ModelCalibration")
    assert json.loads(result.to_json())["plan"]["step_name"] == "ModelCalibration"


def test_happy_path_json_object_puts_schema_in_prompt() -> None:
    with ScriptedServer([good()]) as server:
        result = plan_step(
            CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL, mode="json_object"
        )
        body = server.requests[0].body
    assert result.ok and result.mode == "json_object"
    assert body is not None and body["response_format"] == {"type": "json_object"}
    assert '"sagemaker_step_type"' in body["messages"][0]["content"]


def test_happy_path_markdown_mode() -> None:
    markdown = calibration_draft().to_plan().model_copy()
    from planner_agent.seedformat._writer import render_markdown

    with ScriptedServer([Reply(render_markdown(markdown))]) as server:
        result = plan_step(
            CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL, mode="markdown"
        )
        body = server.requests[0].body
    assert body is not None and "response_format" not in body
    assert result.mode == "markdown"
    assert result.plan.components.step_specification.outputs[0].property_path == (
        "properties.ProcessingOutputConfig.Outputs['calibration_output'].S3Output.S3Uri"
    )
    assert result.ok, result.issues


def test_reply_in_code_fence_is_read() -> None:
    fenced = "Here is the plan:\n```json\n" + json.dumps(calibration_draft_dict()) + "\n```\n"
    with ScriptedServer([Reply(fenced)]) as server:
        result = plan_step(
            CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL, mode="json_object"
        )
    assert result.ok and len(result.attempts) == 1


def test_reask_lists_precise_errors_and_keeps_caller_messages() -> None:
    with ScriptedServer([with_bad_enum(), good()]) as server:
        planner = Planner(client=server.client(), model=MODEL, mode="json_object")
        first_prompt = planner.prompt(CALIBRATION_REQUIREMENTS)
        result = planner.plan(CALIBRATION_REQUIREMENTS)
        first, second = server.requests
    assert result.ok and len(result.attempts) == 2
    assert result.attempts[0].errors and "inputs[0].dependency_type" in result.attempts[0].errors[0]
    assert first.body is not None and second.body is not None
    assert len(first.messages) == 2 and len(second.messages) == 4
    assert second.messages[:2] == first.messages  # the conversation grew by appending only
    assert [dict(m) for m in first_prompt.messages] == first.messages
    assert second.messages[2] == {"role": "assistant", "content": with_bad_enum().content}
    reask = second.messages[3]["content"]
    assert "inputs[0].dependency_type" in reask and "processing_input" in reask
    assert "complete corrected JSON object" in reask
    # usage counts every attempt, the failed one included
    assert result.usage.prompt_tokens == 2000 and result.usage.completion_tokens == 800


def test_check_errors_feed_reask_then_ok_false_after_max_attempts() -> None:
    with ScriptedServer([with_bad_property_name(), with_bad_property_name()]) as server:
        result = plan_step(
            CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL, max_attempts=2
        )
        reask = server.requests[1].messages[-1]["content"]
    assert not result.ok and len(result.attempts) == 2
    assert any(i.path == "step_name" for i in result.errors)
    assert "step_name" in reask


def test_strict_raises_with_result() -> None:
    with (
        ScriptedServer([with_bad_property_name()]) as server,
        pytest.raises(PlanIssuesError) as info,
    ):
        plan_step(
            CALIBRATION_REQUIREMENTS,
            client=server.client(),
            model=MODEL,
            max_attempts=1,
            strict=True,
        )
    assert not info.value.result.ok


def test_malformed_json_exhausts_attempts() -> None:
    with (
        ScriptedServer([Reply("{not json"), Reply("still not json")]) as server,
        pytest.raises(PlanningError) as info,
    ):
        plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL, max_attempts=2)
    assert len(info.value.attempts) == 2
    assert "not valid JSON" in info.value.attempts[0].errors[0]
    assert info.value.usage.completion_tokens > 0


def test_transport_retry_honours_retry_after() -> None:
    script = [Reply.error(429, "slow down", headers={"Retry-After": "0.4"}), good()]
    with ScriptedServer(script) as server:
        start = time.perf_counter()
        result = plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
        waited = server.requests[1].time - server.requests[0].time
    assert result.ok and len(result.attempts) == 1
    assert result.attempts[0].transport_retries == 1
    assert waited >= 0.39 and time.perf_counter() - start < 5


def test_server_errors_retried_then_transport_error() -> None:
    script = [Reply.error(503, "busy")] * 3
    with ScriptedServer(script) as server:
        planner = Planner(client=server.client(), model=MODEL, transport_retries=2)
        with pytest.raises(TransportError) as info:
            planner.plan(CALIBRATION_REQUIREMENTS)
        assert server.chat_requests == 3
    assert info.value.status_code == 503 and info.value.retries == 2


def test_bad_request_is_not_retried() -> None:
    with ScriptedServer([Reply.error(400, "messages: invalid")]) as server:
        with pytest.raises(TransportError) as info:
            plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
        assert server.chat_requests == 1
    assert "400" in str(info.value) and "not retryable" in str(info.value)


def test_auto_falls_back_when_response_format_rejected() -> None:
    script = [Reply.error(400, "response_format json_schema is not supported"), good()]
    with ScriptedServer(script) as server:
        planner = Planner(client=server.client(), model="my-local-model")
        result = planner.plan(CALIBRATION_REQUIREMENTS)
        kinds = [r.response_format["type"] if r.response_format else None for r in server.requests]
    assert kinds == ["json_schema", "json_object"]
    assert result.mode == "json_object" and planner.mode == "json_object"


def test_explicit_mode_does_not_fall_back() -> None:
    rejecting = ScriptedServer([Reply.error(400, "response_format json_schema is not supported")])
    with rejecting as server, pytest.raises(TransportError):
        plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL, mode="json_schema")


def test_truncation_is_incomplete_output_not_validation() -> None:
    with ScriptedServer([Reply('{"step_name": "Mod', finish_reason="length")]) as server:
        with pytest.raises(IncompleteOutputError) as info:
            plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL, max_tokens=50)
        assert server.chat_requests == 1
    assert "max_tokens=50" in str(info.value)


def test_refusal_is_not_reasked() -> None:
    with ScriptedServer([Reply(None, refusal="I can't help with that")]) as server:
        with pytest.raises(PlanRefusedError) as info:
            plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
        assert server.chat_requests == 1
    assert info.value.refusal == "I can't help with that"


def test_rejected_api_key_names_variable_and_hides_key() -> None:
    secret = "sk-proj-SECRETSECRET1234567890"
    with ScriptedServer([Reply.error(401, f"Incorrect API key provided: {secret}")]) as server:
        client = server.client(api_key=secret)
        with pytest.raises(APIKeyError) as info:
            plan_step(CALIBRATION_REQUIREMENTS, client=client, model=MODEL)
        assert server.chat_requests == 1
        recorded = json.dumps([r.headers for r in server.requests])
    message = str(info.value)
    assert "OPENAI_API_KEY" in message and secret not in message and secret not in repr(info.value)
    assert secret not in recorded


def test_async_client_and_aplan() -> None:
    async def main() -> None:
        with ScriptedServer([good(), good()]) as server:
            result = await aplan_step(
                CALIBRATION_REQUIREMENTS, client=server.async_client(), model=MODEL
            )
            assert result.ok
            # a sync client from async code is driven in a worker thread
            result = await Planner(client=server.client(), model=MODEL).aplan(
                CALIBRATION_REQUIREMENTS
            )
            assert result.ok

    asyncio.run(main())


def test_sync_plan_inside_running_loop_with_async_client() -> None:
    async def main() -> bool:
        with ScriptedServer([good()]) as server:
            planner = Planner(client=server.async_client(), model=MODEL)
            return planner.plan(CALIBRATION_REQUIREMENTS).ok  # e.g. a notebook cell

    assert asyncio.run(main())


def test_requirements_from_file_and_bad_requirements(tmp_path: Path) -> None:
    req = tmp_path / "req.md"
    req.write_text(CALIBRATION_REQUIREMENTS, encoding="utf-8")
    with ScriptedServer([good()]) as server:
        assert plan_step(req, client=server.client(), model=MODEL).ok
        assert CALIBRATION_REQUIREMENTS in server.requests[0].messages[-1]["content"]
        planner = Planner(client=server.client(), model=MODEL)
        for bad, fragment in [
            ("   \n ", "empty"),
            (tmp_path / "missing.md", "does not exist"),
            (str(tmp_path / "missing.md"), "looks like a file path.*no such file exists"),
            (str(req), r"names an existing file\. To read a file pass pathlib\.Path"),
            (tmp_path, "is a directory"),
            (str(tmp_path), "looks like a file path"),
            ("step\0 with a NUL", "NUL bytes"),
            (tmp_path / ("a" * 5000), r"cannot be used \(File name too long\)"),
        ]:
            with pytest.raises(RequirementsError, match=fragment):
                planner.plan(bad)
        latin = tmp_path / "latin.txt"
        latin.write_bytes("caf\xe9 step".encode("latin-1"))
        with pytest.raises(RequirementsError, match="not UTF-8"):
            planner.plan(latin)
        assert server.chat_requests == 1  # bad input never reached the server


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_non_positive_max_attempts(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="max_attempts"):
        Planner(model=MODEL, max_attempts=bad)  # type: ignore[arg-type]


def test_unknown_mode() -> None:
    with pytest.raises(ConfigurationError, match="mode must be one of"):
        Planner(model=MODEL, mode="yaml")  # type: ignore[arg-type]


def test_requirements_too_large_raise_before_any_call() -> None:
    huge = "The step reads data and writes scores. " * 40_000
    with ScriptedServer([good()]) as server:
        planner = Planner(client=server.client(), model="gpt-4")  # 8k context
        with pytest.raises(PromptTooLargeError) as info:
            planner.plan(huge)
        assert server.chat_requests == 0
    assert "'requirements'" in str(info.value)


def test_budget_trimming_drops_examples_first_and_reports() -> None:
    with ScriptedServer([good()]) as server:
        roomy = Planner(client=server.client(), model=MODEL).prompt(CALIBRATION_REQUIREMENTS)
        limit = roomy.tokens - 50 + 1000  # needs a cut of ~50 tokens with 1000 reserved
        tight = Planner(client=server.client(), model=MODEL, context_window=limit, max_tokens=1000)
        prompt = tight.prompt(CALIBRATION_REQUIREMENTS)
    assert prompt.tokens <= limit - 1000
    assert prompt.trimmed and prompt.trimmed[0].startswith("dropped example")
    assert len(prompt.examples) < len(roomy.examples)


def test_prompts_share_a_cacheable_prefix() -> None:
    planner = Planner(model=MODEL)
    a = planner.prompt(CALIBRATION_REQUIREMENTS)
    b = planner.prompt(
        "A TabularPreprocessing-like step that splits tabular training data by date."
    )
    assert a.messages[0] == b.messages[0]  # byte-identical static system message
    common = 0
    for x, y in zip(
        a.static_prefix + a.messages[-1]["content"],
        b.static_prefix + b.messages[-1]["content"],
        strict=False,
    ):
        if x != y:
            break
        common += 1
    shared = planner.counter.count((a.static_prefix + a.messages[-1]["content"])[:common])
    static = sum(s.tokens for s in a.sections if s.static)
    assert shared >= 1024, shared
    assert shared >= 0.9 * static, (shared, static)
    assert a.exact


def test_seed_layout_keeps_requirements_in_their_slot() -> None:
    prompt = Planner(model=MODEL, prompt_layout="seed").prompt(CALIBRATION_REQUIREMENTS)
    assert len(prompt.messages) == 1
    text = prompt.messages[0]["content"]
    assert text.index(CALIBRATION_REQUIREMENTS) < text.index("### Creation Process")
    assert "[INJECT" not in text


def test_nothing_configured_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "PLANNER_MODEL",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLANNER_LOCAL", "0")  # the [local] extra may be installed: keep it off
    with pytest.raises(ConfigurationError) as info:
        plan_step(CALIBRATION_REQUIREMENTS)
    message = str(info.value)
    assert (
        "OPENAI_API_KEY" in message
        and "OPENAI_BASE_URL" in message
        and "planner-agent[local]" in message
    )


def test_responder_sees_requirements_last() -> None:
    seen: list[str] = []

    def responder(request: RecordedRequest) -> Reply:
        seen.append(request.messages[-1]["content"])
        return good()

    with ScriptedServer(responder) as server:
        plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
    assert seen[0].startswith("## Requirements for the New Step")


@pytest.mark.parametrize("mode", ["json_schema", "json_object", "markdown"])
def test_plan_responder_serves_valid_plans_in_every_mode(mode: str) -> None:
    from planner_agent.testing import plan_responder

    with ScriptedServer(plan_responder()) as server:
        result = plan_step(
            "# ScoreBinning\nBin calibrated scores.", client=server.client(), model=MODEL, mode=mode
        )  # type: ignore[arg-type]
    assert result.plan.step_name == "ScoreBinning"
    assert result.ok and result.mode == mode


FIXTURE_CODEBASE = Path(__file__).resolve().parent / "fixtures" / "codebase"


def test_codebase_wires_prompt_and_shows_resolver_candidates() -> None:
    with ScriptedServer([good()]) as server:
        planner = Planner(client=server.client(), model=MODEL, codebase=FIXTURE_CODEBASE)
        result = planner.plan(
            "Calibrate the scores of the XGBoostModelEval evaluation predictions."
        )
        system = server.requests[0].messages[0]["content"]
    assert "## Existing Steps in This Codebase" in system and "XGBoostModelEval" in system
    assert result.prompt_tokens["codebase"] > 0
    candidates = result.plan.integration.resolver_candidates
    assert (
        candidates
        and candidates[0].step == "XGBoostModelEval"
        and candidates[0].output == "eval_output"
    )
    assert all(c.score > 0.5 for c in candidates)
    assert "- Resolver candidates:" in result.to_markdown()
    assert result.ok, result.issues


def test_codebase_collision_is_an_error_fed_back() -> None:
    draft = calibration_draft_dict()
    draft["step_name"] = "XGBoostTraining"  # already registered in the fixture codebase
    with ScriptedServer([Reply.json(draft), good()]) as server:
        result = Planner(client=server.client(), model=MODEL, codebase=FIXTURE_CODEBASE).plan(
            CALIBRATION_REQUIREMENTS
        )
        reask = server.requests[1].messages[-1]["content"]
    assert "REG008" in reask and result.ok and len(result.attempts) == 2


def test_result_round_trips_through_dict() -> None:
    from planner_agent import PlanResult

    with ScriptedServer([with_bad_enum(), good()]) as server:
        result = plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
    again = PlanResult.from_dict(json.loads(result.to_json()))
    assert again.to_dict() == result.to_dict()
    assert again.usage == result.usage and again.attempts[0].errors == result.attempts[0].errors


def test_planned_endpoint_follows_the_configuration_order() -> None:
    from planner_agent.llm._providers import planned_endpoint

    azure = {"AZURE_OPENAI_API_KEY": "k", "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"}
    assert planned_endpoint({**azure, "OPENAI_API_KEY": "k"}) == "https://x.openai.azure.com"
    assert planned_endpoint({"OPENAI_API_KEY": "k"}) is None  # api.openai.com
    assert (
        planned_endpoint({"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"})
        == "http://127.0.0.1:8000/v1"
    )
    assert planned_endpoint({"PLANNER_LOCAL": "0"}) is None


def test_named_model_on_a_compatible_server_gets_bounded_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    planner = Planner(model="qwen2.5-coder:7b")
    assert planner.profile.bounded and planner.profile.max_tokens_param == "max_tokens"
    assert planner.max_attempts == 3 and planner.max_tokens == 3072  # less room to loop in
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-1234567890")
    hosted = Planner(model="gpt-4o-mini")
    assert not hosted.profile.bounded and hosted.profile.max_tokens_param == "max_completion_tokens"
    assert (
        hosted.max_tokens == 8192 and Planner(model="gpt-4o-mini", max_tokens=500).max_tokens == 500
    )


def test_rule_options_are_validated_before_any_request_and_applied() -> None:
    with ScriptedServer([good()]) as server:
        with pytest.raises(ConfigurationError, match="NOPE001"):
            Planner(client=server.client(), model=MODEL, disable_rules=["NOPE001"])
        assert server.chat_requests == 0
    bad = calibration_draft_dict()
    bad["step_name"] = "model_calibration"  # not PascalCase: NAME001
    codes = {}
    for disable in ((), ("NAME001",)):
        with ScriptedServer([Reply.json(bad)]) as server:
            planner = Planner(
                client=server.client(), model=MODEL, max_attempts=1, disable_rules=disable
            )
            codes[disable] = {i.code for i in planner.plan(CALIBRATION_REQUIREMENTS).issues}
    assert "NAME001" in codes[()]
    assert "NAME001" not in codes[("NAME001",)]


def test_sampling_options_reach_the_request() -> None:
    with ScriptedServer([good()]) as server:
        plan_step(
            CALIBRATION_REQUIREMENTS,
            client=server.client(),
            model=MODEL,
            temperature=0.3,
            seed=7,
            top_p=0.9,
        )
        body = server.requests[0].body
    assert body is not None
    assert (body["temperature"], body["seed"], body["top_p"]) == (0.3, 7, 0.9)
    assert body["max_tokens"] == 8192  # a compatible server (not api.openai.com): the classic name


def test_server_parameters_go_through_extra_body() -> None:
    with ScriptedServer([good()]) as server:
        result = plan_step(
            CALIBRATION_REQUIREMENTS,
            client=server.client(),
            model=MODEL,
            seed=3,
            extra_body={"top_k": 20, "min_p": 0.05},
        )
        body = server.requests[0].body
    assert result.ok and body is not None
    assert (body["seed"], body["top_k"], body["min_p"]) == (3, 20, 0.05)
    assert "extra_body" not in body


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"temprature": 0.2}, "Unknown option 'temprature' (did you mean 'temperature'?)"),
        ({"max_attempt": 2}, "did you mean 'max_attempts'?"),
        ({"top_k": 20}, "extra_body={...} for parameters only your server knows"),
        ({"response_format": {"type": "text"}}, "'response_format' is set by the planner"),
        ({"extra_body": {"messages": []}}, "extra_body may not set messages"),
        ({"extra_body": ["top_k"]}, "extra_body must be a mapping"),
        ({"temperature": "hot"}, "temperature must be a number from 0 to 2; got 'hot'"),
        ({"temperature": 2.5}, "temperature must be a number from 0 to 2; got 2.5"),
    ],
)
def test_bad_options_fail_before_any_request(options: dict[str, Any], message: str) -> None:
    with ScriptedServer([good()]) as server:
        with pytest.raises(ConfigurationError) as info:
            plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL, **options)
        assert server.requests == []
    assert message in str(info.value)


@pytest.mark.parametrize("client_kind", ["sync", "async"])
def test_a_body_that_is_not_json_is_a_transport_error(client_kind: str) -> None:
    page = Reply(raw_body=b"<html><body>Welcome to nginx</body></html>")
    with ScriptedServer(lambda _: page) as server:
        client = server.async_client() if client_kind == "async" else server.client()
        with pytest.raises(TransportError) as info:
            plan_step(CALIBRATION_REQUIREMENTS, client=client, model=MODEL)
        assert server.chat_requests == 1  # a misconfigured endpoint: not retried, not re-asked
    message = str(info.value)
    assert "not a JSON chat completion ('<html><body>Welcome to nginx" in message
    assert "ending in /v1" in message


def test_a_web_page_instead_of_the_api_is_a_transport_error() -> None:
    with html_endpoint() as base_url:
        client = openai.OpenAI(base_url=base_url, api_key="k")
        with pytest.raises(
            TransportError, match=r"not a JSON chat completion \('<html><body>Welcome"
        ):
            plan_step(CALIBRATION_REQUIREMENTS, client=client, model=MODEL)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            b'{"error": {"message": "model not loaded"}}',
            '{"error": {"message": "model not loaded"}}',
        ),
        (b'{"choices": []}', '{"choices": []}'),
        (b"[1, 2]", "not a JSON chat completion ('[1, 2]'"),
    ],
)
def test_a_reply_without_a_completion_is_a_transport_error(body: bytes, fragment: str) -> None:
    with ScriptedServer(lambda _: Reply(raw_body=body)) as server:
        with pytest.raises(TransportError) as info:
            plan_step(CALIBRATION_REQUIREMENTS, client=server.client(), model=MODEL)
        assert server.chat_requests == 1  # not re-asked: the model never answered
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"codebase": 5}, "codebase must be a repository path or a CodebaseIndex; got 5."),
        ({"layout": "src"}, "layout must be a conventions.Layout; got 'src'."),
        ({"prices": {MODEL: 3}}, "prices must be a mapping of model name to profiles.Price"),
        ({"examples_k": -1}, "examples_k must be an integer >= 0; got -1."),
        ({"context_window": 0}, "context_window must be a positive integer (tokens); got 0."),
        ({"max_tokens": "100"}, "max_tokens must be a positive integer (tokens); got '100'."),
        ({"timeout": -1}, "timeout must be a positive number of seconds; got -1."),
        ({"transport_retries": "3"}, "transport_retries must be an integer >= 0; got '3'."),
        ({"prompt_layout": "x"}, "prompt_layout must be 'cache' or 'seed'; got 'x'."),
        ({"strict": "yes"}, "strict must be True or False; got 'yes'."),
        ({"disable_rules": 5}, "disable_rules must be rule codes"),
        ({"extra_rules": [1]}, "extra_rules must be a list of Rule objects"),
        ({"rate_gate": 1}, "rate_gate must be a RateGate; got 1."),
        ({"model": 5}, "model must be a model or deployment name; got 5."),
    ],
)
def test_wrong_argument_types_are_configuration_errors(
    arguments: dict[str, Any], message: str
) -> None:
    with ScriptedServer([good()]) as server:
        with pytest.raises(ConfigurationError) as info:
            Planner(client=server.client(), **{"model": MODEL, **arguments})
        assert server.requests == []
    assert message in str(info.value)


def test_rule_options_accept_one_code_and_generators() -> None:
    everything = len(Planner(model=MODEL).rules)
    assert len(Planner(model=MODEL, disable_rules="PROP001").rules) == everything - 1
    assert len(Planner(model=MODEL, disable_rules=(c for c in ["PROP001"])).rules) == everything - 1


@pytest.mark.parametrize("name", PLANNER_OPTIONS)
def test_every_keyword_rejects_a_wrong_type(name: str) -> None:
    """A new Planner keyword cannot slip in unchecked: an arbitrary object is refused."""
    expected = KnowledgeError if name == "knowledge" else ConfigurationError
    with pytest.raises(expected, match=name if name != "knowledge" else "cannot load knowledge"):
        Planner(**{"model": MODEL, name: object()})
