"""plan_steps / aplan_steps through the real openai client against ScriptedServer (real HTTP)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import openai
import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent.batch import BatchResult, aplan_steps, plan_steps
from planner_agent.errors import (
    APIKeyError,
    BatchError,
    ConfigurationError,
    PlannerError,
    PlanningError,
    PlanRefusedError,
    RequirementsError,
    TransportError,
)
from planner_agent.result import PlanResult
from planner_agent.testing import RecordedRequest, Reply, ScriptedServer, Usage

MODEL = "gpt-4o-mini"
TAG = re.compile(r"item-(\d+)")
LOCK = ".planner_agent.lock"


def requirement(i: int) -> str:
    return f"{CALIBRATION_REQUIREMENTS}\nItem tag: item-{i:02d}."


def tag_of(request: RecordedRequest) -> str | None:
    for message in request.messages:
        match = TAG.search(str(message.get("content", "")))
        if match:
            return match.group(0)
    return None


def good(_: RecordedRequest) -> Reply:
    return Reply.json(calibration_draft_dict())


def per_item(server: ScriptedServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in server.requests:
        if request.path.endswith("/chat/completions") and (tag := tag_of(request)):
            counts[tag] = counts.get(tag, 0) + 1
    return counts


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".pa-tmp")]


@pytest.fixture
def server() -> Any:
    with ScriptedServer(good) as srv:
        yield srv


def run(server: ScriptedServer, requirements: Any, **kw: Any) -> BatchResult:
    kw.setdefault("progress", False)
    return plan_steps(requirements, client=server.client(), model=MODEL, **kw)


# -- basics --------------------------------------------------------------------------------------
def test_list_of_texts_in_input_order_with_totals(server: ScriptedServer) -> None:
    result = run(server, [requirement(i) for i in range(6)], concurrency=3)
    assert [i.name for i in result.items] == [f"step-{n:03d}" for n in range(1, 7)]
    assert [i.status for i in result.items] == ["ok"] * 6
    assert all(i.result is not None and i.result.ok and i.error is None for i in result.items)
    assert result.ok == 6 and result.failed == result.with_errors == result.cached == 0
    assert result.requests == 6 == server.chat_requests
    assert result.usage.prompt_tokens > 0 and result.cost_usd is not None
    summary = result.summary()
    assert summary["total"] == 6 and summary["ok"] == 6 and summary["requests"] == 6
    assert len(json.loads(result.to_json())["items"]) == 6
    assert "6 ok" in repr(result) and "6 requests" in repr(result)
    assert summary["not_run"] == summary["unwritten"] == 0


def test_mapping_and_directory_names(server: ScriptedServer, tmp_path: Path) -> None:
    folder = tmp_path / "reqs"
    folder.mkdir()
    for name in ("b_step", "a_step"):
        (folder / f"{name}.md").write_text(requirement(1))
    (folder / "notes.json").write_text("{}")  # not a requirements file
    assert [i.name for i in run(server, folder).items] == ["a_step", "b_step"]
    mapping = {"zeta": requirement(2), "alpha": folder / "a_step.md"}
    result = run(server, mapping)
    assert [(i.name, i.source) for i in result.items] == [
        ("zeta", "<zeta>"),
        ("alpha", str(folder / "a_step.md")),
    ]


def test_bounded_concurrency() -> None:
    lock, live, peak = threading.Lock(), [0], [0]

    def slow(_: RecordedRequest) -> Reply:
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        time.sleep(0.05)
        with lock:
            live[0] -= 1
        return Reply.json(calibration_draft_dict())

    with ScriptedServer(slow) as srv:
        result = run(srv, [requirement(i) for i in range(12)], concurrency=3)
    assert result.ok == 12 and peak[0] == 3


# -- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("inputs", "message"),
    [([], "empty"), ({}, "empty"), ("not a directory at all", "not a directory")],
)
def test_bad_inputs_raise_before_any_request(
    server: ScriptedServer, inputs: Any, message: str
) -> None:
    with pytest.raises(BatchError, match=message):
        run(server, inputs)
    assert server.requests == []


def test_empty_directory(server: ScriptedServer, tmp_path: Path) -> None:
    with pytest.raises(BatchError, match=r"no \.md or \.txt"):
        run(server, tmp_path)
    assert server.requests == []


def test_duplicate_names_list_both_sources(server: ScriptedServer, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "calib.md", tmp_path / "b" / "calib.md"
    for path in (first, second):
        path.write_text(requirement(1))
    with pytest.raises(BatchError, match="Duplicate") as info:
        run(server, [first, second])
    assert str(first) in str(info.value) and str(second) in str(info.value)
    assert server.requests == []


def test_unwritable_out_dir(server: ScriptedServer, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")  # root can write anywhere; a path below a file fails for everyone
    with pytest.raises(BatchError, match="not a writable directory"):
        run(server, [requirement(1)], out_dir=blocker / "out")
    with pytest.raises(BatchError, match="resume=True needs out_dir"):
        run(server, [requirement(1)], resume=True)
    with pytest.raises(BatchError, match="overwrite"):
        run(server, {"summary": requirement(1)}, out_dir=tmp_path / "o")
    assert server.requests == []


def test_configuration_error_leaves_no_directories(server: ScriptedServer, tmp_path: Path) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    with pytest.raises(ConfigurationError, match="mode"):
        run(server, [requirement(1)], out_dir=out, cache=cache, mode="yaml")
    assert not out.exists() and not cache.exists() and server.requests == []


def test_invalid_files_fail_alone(server: ScriptedServer, tmp_path: Path) -> None:
    (tmp_path / "a_good.md").write_text(requirement(1))
    (tmp_path / "b_empty.md").write_text("  \n")
    (tmp_path / "c_binary.txt").write_bytes(b"\x00\x01")
    (tmp_path / "d_latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    out = tmp_path / "out"
    result = run(server, tmp_path, out_dir=out)
    statuses = {i.name: i.status for i in result.items}
    assert statuses == {
        "a_good": "ok",
        "b_empty": "failed",
        "c_binary": "failed",
        "d_latin1": "failed",
    }
    assert all(isinstance(i.error, RequirementsError) for i in result.items[1:])
    assert server.chat_requests == 1
    error = json.loads((out / "b_empty.error.json").read_text())
    assert error["error_type"] == "RequirementsError" and "empty" in error["message"]


def test_one_failure_never_stops_the_others() -> None:
    def script(request: RecordedRequest) -> Reply:
        tag = tag_of(request)
        if tag == "item-01":
            return Reply(refusal="I cannot help with that.")
        if tag == "item-02":
            return Reply("this is not json at all")
        if tag == "item-03":
            return Reply.error(400, "bad request")
        return Reply.json(calibration_draft_dict())

    with ScriptedServer(script) as srv:
        result = run(srv, [requirement(i) for i in range(5)], max_attempts=1, mode="json_schema")
    assert [i.status for i in result.items] == ["ok", "failed", "failed", "failed", "ok"]
    assert isinstance(result.items[1].error, PlanRefusedError)
    assert isinstance(result.items[2].error, PlanningError)
    assert isinstance(result.items[3].error, TransportError)
    assert result.items[2].usage.prompt_tokens > 0  # a failed item's spend still counts
    assert result.failed == 3 and result.ok == 2


def test_rejected_key_stops_sending() -> None:
    with ScriptedServer([Reply.error(401, "bad key")]) as srv:
        result = run(srv, [requirement(i) for i in range(4)], concurrency=1)
        assert srv.chat_requests == 1  # the other items fail without asking again
    assert all(isinstance(i.error, APIKeyError) for i in result.items)
    assert [i.requests for i in result.items] == [1, 0, 0, 0]


def test_concurrent_format_rejections_fall_back_one_step() -> None:
    def script(request: RecordedRequest) -> Reply:
        if (request.response_format or {}).get("type") == "json_schema":
            time.sleep(0.05)  # all four in flight when the first rejection arrives
            return Reply.error(400, "response_format json_schema is not supported")
        return Reply.json(calibration_draft_dict())

    with ScriptedServer(script) as srv:
        result = run(srv, [requirement(i) for i in range(8)], concurrency=4)
        formats = [(r.response_format or {}).get("type") for r in srv.requests]
    assert [i.result.mode for i in result.items if i.result] == ["json_object"] * 8
    # One planner for the whole batch: items started after the fallback never ask json_schema.
    assert formats.count("json_schema") == 4 and formats.count("json_object") == 8
    assert len({i.request_key for i in result.items}) == 8


# -- outputs, resume, cache ----------------------------------------------------------------------
def test_out_dir_files(server: ScriptedServer, tmp_path: Path) -> None:
    out = tmp_path / "plans"
    result = run(server, {"calib": requirement(1), "other": requirement(2)}, out_dir=out)
    assert sorted(p.name for p in out.iterdir()) == [
        "calib.json",
        "calib.md",
        "other.json",
        "other.md",
        "summary.json",
    ]
    stored = json.loads((out / "calib.json").read_text())
    assert stored["request_key"] == result.items[0].request_key and len(stored["request_key"]) == 64
    assert PlanResult.from_dict(stored).plan == result.items[0].result.plan  # type: ignore[union-attr]
    assert (out / "calib.md").read_text().strip()
    assert json.loads((out / "summary.json").read_text())["ok"] == 2
    assert oct((out / "calib.json").stat().st_mode & 0o777) != oct(0o600)


def test_temp_files_of_dead_writers_are_removed(server: ScriptedServer, tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stale = tmp_path / f".step-001.json.{dead}.abcd1234.pa-tmp"
    stale.write_text('{"half": ')
    live = tmp_path / f".step-002.json.{os.getppid()}.abcd1234.pa-tmp"  # another live process's
    live.write_text("{")
    cached = tmp_path / "cache" / "ab" / f".abcdef.json.{dead}.abcd1234.pa-tmp"
    cached.parent.mkdir(parents=True)
    cached.write_text("{")
    run(server, [requirement(1)], out_dir=tmp_path, cache=tmp_path / "cache")
    assert not stale.exists() and not cached.exists() and live.exists()


def test_resume_skips_matching_keys_only(server: ScriptedServer, tmp_path: Path) -> None:
    items = [requirement(i) for i in range(3)]
    first = run(server, items, out_dir=tmp_path)
    again = run(server, items, out_dir=tmp_path, resume=True)
    assert [i.status for i in again.items] == ["skipped"] * 3 and again.requests == 0
    assert [i.request_key for i in again.items] == [i.request_key for i in first.items]
    assert again.items[0].result is not None and again.items[0].result.ok
    other_model = plan_steps(
        items,
        client=server.client(),
        model="gpt-4.1-mini",
        out_dir=tmp_path,
        resume=True,
        progress=False,
    )
    assert [i.status for i in other_model.items] == ["ok"] * 3 and other_model.requests == 3
    assert server.chat_requests == 6


def test_cache_hits_and_corrupt_entries(server: ScriptedServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    items = [requirement(i) for i in range(3)]
    first = run(server, items, cache=cache)
    assert server.chat_requests == 3
    hit = run(server, items, cache=cache)
    assert [i.status for i in hit.items] == ["cached"] * 3 and server.chat_requests == 3
    assert hit.usage.total_tokens == 0 and hit.cached == 3
    key = first.items[1].request_key
    assert key is not None
    entry = cache / key[:2] / f"{key}.json"
    entry.write_text(entry.read_text()[:100])  # a partial write from some crash
    healed = run(server, items, cache=cache)
    assert [i.status for i in healed.items] == ["cached", "ok", "cached"]
    assert server.chat_requests == 4
    assert json.loads(entry.read_text())["request_key"] == key  # rewritten whole
    assert not list(cache.rglob("*.pa-tmp"))


def test_request_key_is_stable_and_sensitive(server: ScriptedServer) -> None:
    a = run(server, [requirement(1), requirement(2)])
    b = run(server, [requirement(1), requirement(2)])
    c = run(server, [requirement(1)], temperature=0.5)
    keys = [i.request_key for i in a.items]
    assert keys == [i.request_key for i in b.items] and keys[0] != keys[1]
    assert c.items[0].request_key != keys[0]


# -- rate limits, clients, loops -----------------------------------------------------------------
def test_rate_limit_storm_backs_off_the_whole_batch() -> None:
    lock, seen = threading.Lock(), [0]

    def script(_: RecordedRequest) -> Reply:
        with lock:
            seen[0] += 1
            number = seen[0]
        if number == 1:
            return Reply.error(429, "slow down", headers={"retry-after": "0.3"})
        return Reply.json(calibration_draft_dict(), delay=0.1 if number <= 4 else 0.0)

    with ScriptedServer(script) as srv:
        result = run(srv, [requirement(i) for i in range(8)], concurrency=4)
        arrivals = [r.time for r in srv.requests]
    assert result.ok == 8
    storm = arrivals[0]  # the 429's arrival
    later = sorted(arrivals[4:])  # everything sent after the first wave
    assert later and min(later) >= storm + 0.28, [round(t - storm, 3) for t in arrivals]


async def test_async_client_natively() -> None:
    with ScriptedServer(good) as srv:
        client = srv.async_client()
        try:
            result = await aplan_steps(
                [requirement(i) for i in range(4)],
                client=client,
                model=MODEL,
                progress=False,
                concurrency=2,
            )
        finally:
            await client.close()
    assert result.ok == 4 and srv.chat_requests == 4


async def test_plan_steps_inside_a_running_loop(server: ScriptedServer) -> None:
    result = run(server, [requirement(1), requirement(2)])  # as a notebook cell would
    assert result.ok == 2


def test_progress_bar(server: ScriptedServer, capsys: pytest.CaptureFixture[str]) -> None:
    run(server, [requirement(1)])
    assert capsys.readouterr().err == ""  # progress=False, and stderr is no TTY anyway
    run(server, [requirement(1), requirement(2)], progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "tokens=" in err and "failed=0" in err


def test_transport_failure_is_typed(tmp_path: Path) -> None:
    client = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0)
    result = plan_steps(
        [requirement(1)],
        client=client,
        model=MODEL,
        progress=False,
        transport_retries=0,
        out_dir=tmp_path,
    )
    assert result.items[0].status == "failed" and isinstance(result.items[0].error, PlannerError)
    assert (tmp_path / "step-001.error.json").exists()


# -- killed and interrupted runs (subprocesses) --------------------------------------------------
SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, openai
    from planner_agent.batch import plan_steps
    base_url, reqs, out, where = sys.argv[1:5]
    client = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)

    def run():
        plan_steps(reqs, client=client, model="gpt-4o-mini", out_dir=out, concurrency=2,
                   resume=True, progress=False)

    async def cell():  # like a notebook cell: a loop is running, Ctrl-C raises in the main thread
        run()

    try:
        run() if where == "script" else asyncio.new_event_loop().run_until_complete(cell())
    except KeyboardInterrupt:
        sys.exit(130)
    """
)


def _slow(_: RecordedRequest) -> Reply:
    return Reply.json(calibration_draft_dict(), delay=0.3)


def _start(
    tmp_path: Path, base_url: str, n: int = 12, where: str = "script"
) -> tuple[subprocess.Popen[bytes], Path]:
    reqs, out = tmp_path / "reqs", tmp_path / "out"
    reqs.mkdir(exist_ok=True)
    for i in range(n):
        (reqs / f"item-{i:02d}.md").write_text(requirement(i))
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), base_url, str(reqs), str(out), where],
        preexec_fn=_interruptible,
    )
    return proc, out


def _interruptible() -> None:
    """Make Ctrl-C reach the child as at a terminal: a runner started in the background (``cmd &``,
    ``nohup``) ignores SIGINT, its children inherit that, and Python then raises no
    KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_outputs(out: Path, count: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and len(list(out.glob("item-*.json"))) >= count:
            return
        time.sleep(0.02)
    raise AssertionError("the batch did not make progress")


def test_resume_after_sigkill(tmp_path: Path) -> None:
    with ScriptedServer(_slow) as srv:
        proc, out = _start(tmp_path, srv.base_url)
        _wait_for_outputs(out, 4, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert json.loads((out / LOCK).read_text())["pid"] == proc.pid  # left by the dead run
        finished = {p.stem for p in out.glob("item-*.json")}
        assert 4 <= len(finished) < 12
        rerun, _ = _start(tmp_path, srv.base_url)
        assert rerun.wait(timeout=60) == 0
        counts = per_item(srv)
    assert all(counts[name] == 1 for name in finished), counts  # nothing finished was re-asked
    assert set(counts) == {f"item-{i:02d}" for i in range(12)}
    names = sorted(p.name for p in out.iterdir())
    expected = sorted([f"item-{i:02d}.{ext}" for i in range(12) for ext in ("json", "md")])
    assert names == sorted([*expected, "summary.json"])  # one outcome each, no temp files
    assert not (out / LOCK).exists()  # the stale lock was taken over, then released
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed"] == len(finished) and summary["ok"] == 12 - len(finished)


@pytest.mark.parametrize("where", ["script", "loop"])
def test_ctrl_c_writes_summary_and_exits_130(tmp_path: Path, where: str) -> None:
    with ScriptedServer(_slow) as srv:
        proc, out = _start(tmp_path, srv.base_url, n=40, where=where)
        _wait_for_outputs(out, 2, proc)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
        assert time.monotonic() - started < 5  # in-flight requests were cancelled, not awaited
    summary = json.loads((out / "summary.json").read_text())
    done = {p.stem for p in out.glob("item-*.json")}
    assert summary["interrupted"] is True
    assert {row["name"] for row in summary["items"]} == done and len(done) < 40
    assert len(summary["pending"]) == 40 - len(done)
    assert temp_files(out) == [] and not (out / LOCK).exists()


def test_cancelling_aplan_steps_writes_summary(tmp_path: Path) -> None:
    async def main(srv: ScriptedServer) -> None:
        task = asyncio.create_task(
            aplan_steps(
                [requirement(i) for i in range(20)],
                client=srv.client(),
                model=MODEL,
                out_dir=tmp_path,
                concurrency=2,
                progress=False,
            )
        )
        while len(list(tmp_path.glob("step-*.json"))) < 2:
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with ScriptedServer(_slow) as srv:
        asyncio.run(main(srv))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["ok"] >= 2
    assert os.path.exists(tmp_path / "step-001.json")


def test_mistyped_batch_option_is_named(server: ScriptedServer) -> None:
    with pytest.raises(
        ConfigurationError, match="'concurency' \\(did you mean 'concurrency'\\?\\)"
    ):
        run(server, [requirement(1)], concurency=3)
    assert server.requests == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"concurrency": 0}, "concurrency must be a positive integer; got 0."),
        ({"out_dir": 5}, "out_dir must be a folder path; got 5."),
        ({"cache": 5}, "cache must be a folder path, True or None; got 5."),
        ({"resume": "yes"}, "resume must be True or False; got 'yes'."),
        ({"progress": "yes"}, "progress must be True, False or None; got 'yes'."),
        ({"via": "batch_api", "batch_id": 5}, "batch_id must be a batch id or a list of them"),
        ({"poll_interval": 0}, "poll_interval must be a positive number; got 0."),
    ],
)
def test_wrong_batch_arguments_are_configuration_errors(
    server: ScriptedServer, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        run(server, [requirement(1)], **arguments)
    assert message in str(info.value) and server.requests == []


# -- display (issue #14) -------------------------------------------------------------------------
def _mixed_batch(server: ScriptedServer) -> BatchResult:
    names = {"a<b>": requirement(1), "pipe|name": requirement(2), "empty": "  "}
    return run(server, names)


def test_result_shows_as_a_table_in_notebooks(server: ScriptedServer) -> None:
    result = _mixed_batch(server)
    page = result._repr_html_()
    assert page.count("<tr>") == 1 + 3 and "<table>" in page
    assert "a&lt;b&gt;" in page and "a<b>" not in page  # names are escaped
    assert "RequirementsError: The requirements string is empty" in page
    markdown = result._repr_markdown_().splitlines()
    rows = [line for line in markdown if line.startswith("| ")]
    assert rows[0] == "| name | status | ok | requests | tokens | error |"
    assert rows[1].startswith("| a&lt;b&gt; | ok | yes | 1 | ")  # no stray HTML in markdown
    assert rows[2].startswith("| pipe\\|name | ok | yes | 1 | ") and len(rows) == 4
    table = result.summary_table().splitlines()
    assert table[0] == repr(result)[len("<BatchResult ") : -1]
    assert table[2].split() == ["name", "status", "ok", "requests", "tokens", "error"]
    assert [line.split()[:2] for line in table[4:7]] == [
        ["a<b>", "ok"],
        ["pipe|name", "ok"],
        ["empty", "failed"],
    ]
    assert "RequirementsError" in table[6]


def test_repr_is_short_and_cost_is_rounded(server: ScriptedServer) -> None:
    result = _mixed_batch(server)
    text = repr(result)
    assert text.startswith("<BatchResult 3 items: 2 ok, 1 failed | 2 requests, ")
    assert "\n" not in text and len(text) < 120
    assert result.cost_usd is not None and re.search(r"\| \$\d+\.\d{4} \|", text)
    assert f"${result.cost_usd:.4f}" in text
    assert result.summary()["cost_usd"] == round(result.cost_usd, 6)
    many = run(server, [requirement(i) for i in range(52)], concurrency=8)
    assert len(many.summary_table(max_rows=5).splitlines()) == 4 + 5 + 1
    assert many._repr_html_().count("<tr>") == 1 + 50 + 1  # header, 50 items, "... 2 more"
    assert "... 2 more item(s)" in many._repr_html_() and "... 2 more" in many._repr_markdown_()


NOTEBOOK = textwrap.dedent(
    """
    import sys, types, warnings
    # What tqdm.auto takes for a Jupyter kernel, with ipywidgets missing.
    sys.modules["ipykernel.zmqshell"] = types.ModuleType("ipykernel.zmqshell")
    sys.modules["ipywidgets"] = None
    import IPython, tqdm
    from planner_agent.batch import plan_steps
    from planner_agent.testing import ScriptedServer, plan_responder
    with ScriptedServer(plan_responder()) as server, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = plan_steps(["# ScoreBinning\\nA processing step."], client=server.client(),
                            model="gpt-4o-mini", progress=True)
    print(result.ok, [str(w.message) for w in seen if issubclass(w.category, tqdm.TqdmWarning)])
    """
)


def test_progress_bar_without_ipywidgets_gives_no_tqdm_warning(tmp_path: Path) -> None:
    script = tmp_path / "cell.py"
    script.write_text(NOTEBOOK)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "1 []" and "1/1" in done.stderr  # a text bar, no TqdmWarning


# -- budgets (issue #14) -------------------------------------------------------------------------
def _priced(tokens: Usage) -> Any:
    def script(_: RecordedRequest) -> Reply:
        return Reply.json(calibration_draft_dict(), usage=tokens)

    return ScriptedServer(script)


def test_max_total_tokens_stops_starting_items() -> None:
    with _priced(Usage(100, 50)) as srv:  # 150 tokens a plan
        result = run(srv, [requirement(i) for i in range(6)], concurrency=1, max_total_tokens=400)
        assert srv.chat_requests == 3  # 150, 300, 450: the third reached the limit
    assert [i.status for i in result.items] == ["ok"] * 3 + ["not_run"] * 3
    assert result.usage.total_tokens == 450 and result.not_run == 3
    assert all(i.requests == 0 and i.result is None for i in result.items[3:])
    assert "max_total_tokens=400 was reached (450 spent)" in str(result.items[3].error)
    assert any("3 item(s) were not started" in note for note in result.notes)
    assert result.summary()["not_run"] == 3 and "3 not run" in repr(result)


def test_items_in_flight_finish_when_the_limit_is_reached() -> None:
    with _priced(Usage(100, 50)) as srv:
        result = run(srv, [requirement(i) for i in range(10)], concurrency=4, max_total_tokens=1)
        assert srv.chat_requests == 4  # the first wave was in flight: it finished, nothing after
    assert result.ok == 4 and result.not_run == 6


def test_max_cost_usd_stops_starting_items(tmp_path: Path) -> None:
    # gpt-4o-mini: $0.15 per million prompt tokens, so $0.15 a plan here.
    with _priced(Usage(1_000_000, 0)) as srv:
        items = [requirement(i) for i in range(5)]
        result = run(srv, items, concurrency=1, max_cost_usd=0.4, out_dir=tmp_path)
        assert srv.chat_requests == 3
        assert [i.status for i in result.items] == ["ok"] * 3 + ["not_run"] * 2
        assert result.cost_usd == pytest.approx(0.45)
        assert "max_cost_usd=0.4 was reached ($0.4500 spent)" in str(result.items[3].error)
        assert sorted(p.name for p in tmp_path.glob("step-*")) == [
            f"step-00{i}.{ext}" for i in (1, 2, 3) for ext in ("json", "md")
        ]  # items not run leave no files
        rest = run(srv, items, out_dir=tmp_path, resume=True, max_cost_usd=1.0)
        assert [i.status for i in rest.items] == ["skipped"] * 3 + ["ok"] * 2
        assert srv.chat_requests == 5


def test_a_zero_limit_serves_only_what_costs_nothing(
    server: ScriptedServer, tmp_path: Path
) -> None:
    items = [requirement(i) for i in range(3)]
    run(server, items[:1], cache=tmp_path)
    result = run(server, items, cache=tmp_path, max_total_tokens=0)
    assert [i.status for i in result.items] == ["cached", "not_run", "not_run"]
    assert server.chat_requests == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_total_tokens": -1}, "max_total_tokens must be an integer >= 0 or None; got -1."),
        ({"max_total_tokens": 1.5}, "max_total_tokens must be an integer >= 0 or None"),
        ({"max_cost_usd": "1"}, "max_cost_usd must be a number >= 0 or None; got '1'."),
        ({"max_cost_usd": 1.0, "model": "my-own-model"}, "max_cost_usd needs the price of"),
    ],
)
def test_wrong_limits_are_configuration_errors(
    server: ScriptedServer, arguments: dict[str, Any], message: str
) -> None:
    arguments.setdefault("model", MODEL)
    with warnings.catch_warnings(), pytest.raises(ConfigurationError) as info:
        warnings.simplefilter("ignore")  # the unknown model's approximate token counts
        plan_steps([requirement(1)], client=server.client(), progress=False, **arguments)
    assert message in str(info.value) and server.requests == []
