"""The model table (one name rule for limits, tokenizer and prices) and the providers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import openai
import pytest

from planner_agent import ConfigurationError, LocalModelError
from planner_agent.llm import (
    DEFAULT_OPENAI_MODEL,
    LOCAL_BASE_URL,
    MODELS,
    AzureProvider,
    ClientProvider,
    CompatibleProvider,
    LocalProvider,
    ModelMatch,
    OpenAIProvider,
    Price,
    Provider,
    connect,
    cost_usd,
    match_model,
    model_info,
    planned_endpoint,
    price_for,
    resolve_provider,
)
from planner_agent.llm._profiles import PRICES, profile_for
from planner_agent.local import LOCAL_ENV, default_cache_dir, local_enabled, resolve_spec
from planner_agent.prompt._tokens import MODEL_PREFIX_ENCODINGS, TokenCounter, resolve_encoding

HAS_XLLAMACPP = importlib.util.find_spec("xllamacpp") is not None
NO_LOCAL = {LOCAL_ENV: "0"}
AZURE = {
    "AZURE_OPENAI_API_KEY": "azure-secret-key",
    "AZURE_OPENAI_ENDPOINT": "https://example.openai.azure.com",
    "OPENAI_API_VERSION": "2024-10-21",
}


# -- the name rule ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", ModelMatch("gpt-4o", True)),
        ("GPT-4o", ModelMatch("gpt-4o", True)),
        ("openrouter/openai/gpt-4o", ModelMatch("gpt-4o", True)),
        ("gpt-4o-2024-08-06", ModelMatch("gpt-4o", True)),  # a dated snapshot
        ("gpt-4o-mini", ModelMatch("gpt-4o-mini", True)),  # the longer entry wins
        ("gpt-4o-mini-search-preview", ModelMatch("gpt-4o-mini", False)),
        ("gpt-4o:latest", ModelMatch("gpt-4o", False)),
        ("gpt-4o-2024", ModelMatch("gpt-4o", False)),  # not a full date
        ("gpt-4o2", None),  # a prefix only counts at a boundary
        ("gpt", None),
        ("", None),
    ],
)
def test_one_rule_exact_then_longest_prefix_at_a_boundary(
    model: str, expected: ModelMatch | None
) -> None:
    assert match_model(model, ["gpt-4o", "gpt-4o-mini", "o1"]) == expected


def test_table_keys_are_matched_by_the_same_rule() -> None:
    assert match_model("gpt-4o", ["OpenAI/GPT-4o"]) == ModelMatch("OpenAI/GPT-4o", True)


# -- the model table --------------------------------------------------------------------------------
def test_every_entry_finds_itself_and_its_snapshots() -> None:
    for name, info in MODELS.items():
        assert info.name == name
        assert model_info(name) == info
        snapshot = model_info(f"{name}-2031-01-02")
        assert snapshot is not None and snapshot.price == info.price


@pytest.mark.parametrize(
    ("model", "family", "window", "reasoning"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", 128_000, False),
        ("gpt-4.5-preview", "gpt-4.5", 128_000, False),  # not gpt-4's 8k
        ("gpt-4-turbo-preview", "gpt-4-turbo", 128_000, False),
        ("gpt-4-0613", "gpt-4", 8_192, False),
        ("gpt-5.1", "gpt-5", 400_000, True),  # a new version keeps its family's limits
        ("o3-pro", "o3", 200_000, True),
        ("azure/GPT-35-Turbo", "gpt-35", 16_385, False),
        ("ft:gpt-4.1-nano-2025-04-14:acme::x1", "gpt-4.1-nano", 1_047_576, False),
    ],
)
def test_limits_carry_over_to_the_names_a_family_covers(
    model: str, family: str, window: int, reasoning: bool
) -> None:
    info = model_info(model)
    assert info is not None
    assert (info.name, info.context_window, info.reasoning) == (family, window, reasoning)
    profile = profile_for(model)
    assert (profile.context_window, profile.reasoning) == (window, reasoning)
    assert profile.max_output_tokens == info.max_output_tokens
    assert not profile.bounded


@pytest.mark.parametrize("model", ["qwen2.5-coder:7b", "llama3.1", "o1x", "gpt-40", "claude-3"])
def test_unknown_models_have_no_entry_and_the_default_profile(model: str) -> None:
    assert model_info(model) is None
    assert price_for(model) is None and cost_usd(model, 1000, 1000) is None
    assert resolve_encoding(model) == ("o200k_base", False)
    local = profile_for(model, base_url="http://127.0.0.1:8080/v1")
    assert local.bounded and local.context_window == 32_768 and not local.reasoning


def test_profile_and_token_counter_read_the_table() -> None:
    for name, info in MODELS.items():
        profile = profile_for(name, context_window=None)
        assert profile.reasoning is info.reasoning
        if info.context_window is not None:
            assert profile.context_window == info.context_window
        assert resolve_encoding(name) == (info.encoding, True)
    assert profile_for("gpt-5", context_window=1000).context_window == 1000  # the caller wins
    assert TokenCounter.for_model("gpt-35-turbo").encoding_name == "cl100k_base"
    assert TokenCounter.for_model("o4-mini").encoding_name == "o200k_base"


def test_the_old_tables_are_views_of_the_one_table() -> None:
    assert {n: i.price for n, i in MODELS.items() if i.price is not None} == dict(PRICES)
    assert {n: i.encoding for n, i in MODELS.items() if i.encoding} == dict(MODEL_PREFIX_ENCODINGS)
    assert PRICES["gpt-4o-mini"] == Price(0.15, 0.075, 0.60)


# -- prices -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-4o-mini-2024-07-18", "OpenAI/GPT-4o-Mini"])
def test_a_price_for_the_model_and_its_dated_snapshots(model: str) -> None:
    assert price_for(model) == Price(0.15, 0.075, 0.60)
    # 200 uncached + 800 cached prompt tokens, 400 completion tokens
    assert cost_usd(model, 1000, 400, 800) == pytest.approx(
        (200 * 0.15 + 800 * 0.075 + 400 * 0.60) / 1e6
    )


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o-mini-tts",  # another member of the family
        "gpt-5-pro",  # priced 12 times gpt-5
        "gpt-5.1",  # a newer version
        "gpt-4",  # known, but no price entry
        "ft:gpt-4o-mini-2024-07-18:acme::abc123",  # fine-tunes are billed at their own rates
    ],
)
def test_no_price_is_guessed(model: str) -> None:
    assert model_info(model) is not None  # the limits are known ...
    assert price_for(model) is None  # ... the price is not
    assert cost_usd(model, 1000, 1000) is None


def test_an_exact_entry_beats_the_snapshot_of_a_shorter_one() -> None:
    first = price_for("gpt-4o-2024-05-13")
    assert first is not None and first.input == 5.00
    assert price_for("gpt-4o-2024-11-20") == price_for("gpt-4o")


def test_prices_override_replaces_the_table_with_the_same_rule() -> None:
    mine = {"My-Deployment": Price(1.0, 0.5, 2.0), "ft:gpt-4o-mini-2024-07-18:acme": Price(3, 2, 1)}
    assert price_for("azure/my-deployment", mine) == Price(1.0, 0.5, 2.0)
    assert price_for("my-deployment-2025-01-31", mine) == Price(1.0, 0.5, 2.0)
    assert price_for("my-deployment-large", mine) is None  # no guess here either
    assert price_for("ft:gpt-4o-mini-2024-07-18:acme", mine) == Price(3, 2, 1)
    assert price_for("gpt-4o-mini", mine) is None  # not in the caller's table
    assert cost_usd("gpt-4o-mini", 1000, 1000, prices={}) is None
    assert cost_usd("my-deployment", 2_000_000, 1_000_000, 1_000_000, prices=mine) == 3.5


# -- resolving providers ----------------------------------------------------------------------------
def test_resolution_order() -> None:
    client = openai.OpenAI(api_key="k", base_url="http://127.0.0.1:1/v1")
    everything = {**AZURE, "OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    assert isinstance(resolve_provider(client, "m", env=everything), ClientProvider)
    assert isinstance(resolve_provider(env=everything), AzureProvider)
    no_azure = {k: v for k, v in everything.items() if not k.startswith("AZURE")}
    assert isinstance(resolve_provider(env=no_azure), CompatibleProvider)
    assert isinstance(resolve_provider(env={"OPENAI_API_KEY": "sk-x"}), OpenAIProvider)
    assert isinstance(resolve_provider(env=NO_LOCAL), OpenAIProvider)  # unconfigured


def test_half_azure_is_skipped_only_when_something_else_is_configured() -> None:
    half = {"AZURE_OPENAI_API_KEY": "k"}
    assert isinstance(resolve_provider(env={**half, "OPENAI_API_KEY": "sk-x"}), OpenAIProvider)
    provider = resolve_provider(env={**half, **NO_LOCAL})
    assert isinstance(provider, AzureProvider)
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT is not"):
        provider.check()


def test_the_local_model_is_chosen_exactly_when_it_is_available_and_enabled() -> None:
    assert not local_enabled(NO_LOCAL)
    assert local_enabled({}) is HAS_XLLAMACPP
    assert isinstance(resolve_provider(env={}), LocalProvider) is HAS_XLLAMACPP
    assert planned_endpoint({}) == (LOCAL_BASE_URL if HAS_XLLAMACPP else None)


def test_model_comes_from_the_argument_then_planner_model() -> None:
    env = {"OPENAI_API_KEY": "sk-x", "PLANNER_MODEL": "gpt-5"}
    assert resolve_provider(env=env).model == "gpt-5"
    assert resolve_provider(model="o3", env=env).model == "o3"
    assert resolve_provider(env={"OPENAI_API_KEY": "sk-x"}).model == DEFAULT_OPENAI_MODEL


@pytest.mark.parametrize(
    ("env", "base_url", "hosted", "local"),
    [
        ({"OPENAI_API_KEY": "sk-x"}, None, True, False),
        ({**AZURE, "PLANNER_MODEL": "d"}, "https://example.openai.azure.com", True, False),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"}, "http://127.0.0.1:8000/v1", False, False),
        (
            {"OPENAI_BASE_URL": "https://api.openai.com/v1"},
            "https://api.openai.com/v1",
            True,
            False,
        ),
    ],
)
def test_the_endpoint_is_known_without_connecting(
    env: dict[str, str], base_url: str | None, hosted: bool, local: bool
) -> None:
    provider = resolve_provider(env=env)
    assert (provider.base_url, provider.openai_hosted, provider.local) == (base_url, hosted, local)
    assert provider.context_window is None
    assert planned_endpoint(env) == base_url


def test_secrets_stay_out_of_reprs() -> None:
    for env in ({"OPENAI_API_KEY": "sk-secret-123"}, {**AZURE, "PLANNER_MODEL": "d"}):
        provider = resolve_provider(env=env)
        assert "secret" not in repr(provider)


# -- checks and errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("provider", "message"),
    [
        (OpenAIProvider(), "No LLM is configured. Do one of: (1) set OPENAI_API_KEY"),
        (
            AzureProvider(model="d"),
            "Azure OpenAI needs AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT",
        ),
        (
            AzureProvider(api_key="k", endpoint="https://x.openai.azure.com", model="d"),
            "OPENAI_API_VERSION is not",
        ),
        (
            AzureProvider(api_key="k", endpoint="https://x.openai.azure.com", api_version="v"),
            "For Azure OpenAI set PLANNER_MODEL",
        ),
        (CompatibleProvider(url="http://127.0.0.1:8000/v1"), "OPENAI_BASE_URL is set"),
        (CompatibleProvider(url="localhost:8000", model="m"), "must be an http(s) URL"),
        (
            ClientProvider(client=openai.OpenAI(api_key="k", base_url="http://127.0.0.1:1/v1")),
            "No model given for the client at http://127.0.0.1:1/v1/",
        ),
    ],
)
def test_check_and_connect_name_what_is_missing(provider: Provider, message: str) -> None:
    with pytest.raises(ConfigurationError) as checked:
        provider.check()
    assert message in str(checked.value)
    with pytest.raises(ConfigurationError) as connecting:
        provider.connect()
    assert str(connecting.value) == str(checked.value)


def test_a_client_of_the_wrong_type_is_refused_when_resolving() -> None:
    with pytest.raises(ConfigurationError, match="not str"):
        resolve_provider("sk-not-a-client", "m")  # type: ignore[arg-type]


# -- connecting -------------------------------------------------------------------------------------
def test_built_clients_have_retries_off_and_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    # The env= mapping is the whole configuration: the process's OPENAI_BASE_URL is not used.
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    conn = resolve_provider(env={"OPENAI_API_KEY": "sk-x"}).connect(timeout=7)
    assert (conn.source, conn.model, conn.base_url) == (
        "openai",
        DEFAULT_OPENAI_MODEL,
        "https://api.openai.com/v1/",
    )
    assert (conn.client.max_retries, conn.client.timeout) == (0, 7)
    azure = resolve_provider(env={**AZURE, "PLANNER_MODEL": "dep"}).connect(timeout=3)
    assert isinstance(azure.client, openai.AzureOpenAI)
    assert (azure.source, azure.model, azure.client.max_retries, azure.client.timeout) == (
        "azure",
        "dep",
        0,
        3,
    )
    assert azure.base_url == "https://example.openai.azure.com/openai/"
    compatible = CompatibleProvider(url="http://127.0.0.1:8000/v1", model="m").connect()
    assert (compatible.source, compatible.base_url) == ("openai", "http://127.0.0.1:8000/v1/")
    assert compatible.client.api_key == "not-needed" and compatible.client.max_retries == 0


def test_a_given_client_is_used_with_its_retries_off() -> None:
    client = openai.AsyncOpenAI(api_key="k", max_retries=5)
    conn = connect(client, env=NO_LOCAL)  # api.openai.com: the default model
    assert conn.is_async and conn.source == "client" and conn.model == DEFAULT_OPENAI_MODEL
    assert conn.client.max_retries == 0 and client.max_retries == 5  # the caller's is untouched


# -- the embedded local model, without starting it --------------------------------------------------
def test_local_provider_knows_its_endpoint_before_starting(tmp_path: Path) -> None:
    provider = LocalProvider(model="smollm2", cache_dir=tmp_path)
    assert (provider.base_url, provider.local, provider.openai_hosted) == (
        LOCAL_BASE_URL,
        True,
        False,
    )
    assert provider.context_window == resolve_spec("smollm2").n_ctx
    assert LocalProvider().context_window == resolve_spec(None).n_ctx  # the default model
    assert LocalProvider(model=str(tmp_path / "my.gguf")).context_window is None  # server decides
    provider.check()  # a known name: nothing to say
    assert not list(tmp_path.iterdir())  # nothing assembled


def test_local_provider_refuses_an_unknown_name_before_assembling(tmp_path: Path) -> None:
    provider = LocalProvider(model="gpt-4o", cache_dir=tmp_path)
    assert provider.context_window is None
    with pytest.raises(LocalModelError, match="'gpt-4o' is not an embedded local model"):
        provider.connect()
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(not HAS_XLLAMACPP, reason="the local branch needs the [local] extra")
def test_resolved_local_provider_takes_model_and_cache_from_env(tmp_path: Path) -> None:
    env = {"PLANNER_MODEL": "smollm2", "PLANNER_AGENT_CACHE": str(tmp_path)}
    provider = resolve_provider(env=env)
    assert provider == LocalProvider(model="smollm2", cache_dir=default_cache_dir(env))
