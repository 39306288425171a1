"""Fault matrix, batch side (issue #13): each case reproduces a probed fault through the API.

Cases are named by their number in the issue: 5 writes that fail (cache, one file, the whole
folder), 6 item names that collide or are too long as file names, 9 two runs into one folder and
resume trusting incomplete outputs. Real HTTP to the scripted server; unwritable destinations are
made with file-system tricks (a directory in a file's way, a folder replaced by a file), since
chmod does not stop root.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent.batch import BatchResult, plan_steps
from planner_agent.errors import BatchError, RequirementsError
from planner_agent.testing import RecordedRequest, Reply, ScriptedServer

MODEL = "gpt-4o-mini"
LOCK = ".planner_agent.lock"
TAG = re.compile(r"item-\d+")


def requirement(i: int) -> str:
    return f"{CALIBRATION_REQUIREMENTS}\nItem tag: item-{i:02d}."


def items(n: int) -> dict[str, str]:
    return {f"item-{i:02d}": requirement(i) for i in range(n)}


def tag_of(request: RecordedRequest) -> str | None:
    for message in request.messages:
        if match := TAG.search(str(message.get("content", ""))):
            return match.group(0)
    return None


def good(_: RecordedRequest) -> Reply:
    return Reply.json(calibration_draft_dict())


def slow(_: RecordedRequest) -> Reply:
    return Reply.json(calibration_draft_dict(), delay=0.2)


def run(server: ScriptedServer, requirements: Any, **kw: Any) -> BatchResult:
    kw.setdefault("progress", False)
    return plan_steps(requirements, client=server.client(), model=MODEL, **kw)


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


@pytest.fixture
def server() -> Any:
    with ScriptedServer(good) as srv:
        yield srv


# -- 5: writes that fail keep what was paid for -------------------------------------------------
def test_5_a_cache_that_stops_taking_files_is_a_note_and_items_keep_their_status(
    tmp_path: Path,
) -> None:
    cache, out = tmp_path / "cache", tmp_path / "out"

    def script(request: RecordedRequest) -> Reply:
        if tag_of(request) == "item-01" and cache.is_dir():
            shutil.rmtree(cache)
            cache.write_text("a file where the cache folder was")
        return good(request)

    with ScriptedServer(script) as srv:
        result = run(srv, items(3), out_dir=out, cache=cache, concurrency=1)
    assert [i.status for i in result.items] == ["ok"] * 3
    assert all(i.error is None and i.write_error is None for i in result.items)
    assert visible(out) == sorted(
        [f"item-{i:02d}.{ext}" for i in range(3) for ext in ("json", "md")] + ["summary.json"]
    )
    [note] = [n for n in result.notes if "cache" in n]
    assert "2 result(s) could not be stored" in note and "item-01" in note
    assert json.loads((out / "summary.json").read_text())["notes"] == result.notes


def test_5_a_file_that_cannot_be_written_keeps_the_plan_and_the_rest_goes_on(
    tmp_path: Path,
) -> None:
    out, blocked_once = tmp_path / "out", threading.Event()

    def script(request: RecordedRequest) -> Reply:
        if tag_of(request) == "item-01" and not blocked_once.is_set():
            blocked_once.set()
            (out / "item-01.md").mkdir()  # in the way of the plan's .md
        return good(request)

    with ScriptedServer(script) as srv:
        result = run(srv, items(3), out_dir=out, concurrency=1)
        blocked = result.items[1]
        assert [i.status for i in result.items] == ["ok"] * 3  # nothing paid for is "failed"
        assert blocked.result is not None and blocked.result.ok and blocked.error is None
        assert blocked.write_error is not None and "item-01.md" in blocked.write_error
        assert (out / "item-01.json").is_file()  # what could be written was
        assert result.unwritten == 1 and "1 not written" in repr(result)
        assert any("item-01" in n and "kept in memory" in n for n in result.notes)
        summary = json.loads((out / "summary.json").read_text())
        assert summary["unwritten"] == 1 and summary["ok"] == 3
        assert summary["items"][1]["write_error"] == blocked.write_error
        # The .json without its .md is not trusted: once the way is clear, only item-01 is redone.
        (out / "item-01.md").rmdir()
        again = run(srv, items(3), out_dir=out, resume=True)
        assert [i.status for i in again.items] == ["skipped", "ok", "skipped"]
        assert srv.chat_requests == 4 and (out / "item-01.md").is_file()


def test_5_an_out_dir_that_stops_taking_files_starts_nothing_new_and_still_returns(
    tmp_path: Path,
) -> None:
    out, moved = tmp_path / "out", tmp_path / "moved"

    def script(request: RecordedRequest) -> Reply:
        if tag_of(request) == "item-02" and out.is_dir():
            out.rename(moved)  # the folder is gone (like a full disk: nothing can be written)
            out.write_text("a file where the output folder was")
        return good(request)

    with ScriptedServer(script) as srv:
        result = run(srv, items(5), out_dir=out, concurrency=1)  # no raw OSError
        assert srv.chat_requests == 3  # nothing more was paid for plans that cannot be kept
    assert [i.status for i in result.items] == ["ok", "ok", "ok", "not_run", "not_run"]
    paid = result.items[2]
    assert paid.result is not None and paid.result.ok and paid.write_error is not None
    assert isinstance(result.items[3].error, BatchError)
    assert "stopped taking files" in str(result.items[3].error)
    assert result.not_run == 2 and result.unwritten == 1
    assert any("summary.json could not be written" in n for n in result.notes)
    assert any("2 item(s) were not started" in n for n in result.notes)
    assert result.summary()["not_run"] == 2  # the summary, in memory
    assert visible(moved) == ["item-00.json", "item-00.md", "item-01.json", "item-01.md"]


# -- 6: names that cannot all become files -------------------------------------------------------
def test_6_names_whose_files_collide_fail_before_any_request(
    server: ScriptedServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    for names in (["a", "a.error"], ["a.ERROR", "A"]):
        with pytest.raises(BatchError, match="overwrite each other's") as info:
            run(server, {name: requirement(i) for i, name in enumerate(names)}, out_dir=out)
        message = str(info.value).casefold()
        assert "'a'" in message and "'a.error'" in message and "a.error.json" in message
    folder = tmp_path / "reqs"  # named from files: a.md and a.error.md
    folder.mkdir()
    (folder / "a.md").write_text(requirement(1))
    (folder / "a.error.md").write_text(requirement(2))
    with pytest.raises(BatchError, match=r"a\.error\.json"):
        run(server, folder, out_dir=out)
    assert server.requests == [] and not out.exists()
    assert run(server, folder).ok == 2  # without out_dir no file is written: the names are fine


def test_6_names_too_long_for_file_names_fail_before_any_request(
    server: ScriptedServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with pytest.raises(BatchError, match="too long") as info:
        run(server, {"x" * 250: requirement(1), "short": requirement(2)}, out_dir=out)
    assert "'xxxx" in str(info.value) and "250 bytes" in str(info.value)
    assert "short" not in str(info.value)
    assert server.requests == [] and not out.exists()
    found = re.search(r"at most (\d+) bytes", str(info.value))
    assert found is not None
    limit = int(found.group(1))
    assert limit < os.pathconf(tmp_path, "PC_NAME_MAX") - len(".error.json")
    with pytest.raises(BatchError, match="too long"):
        run(server, {"x" * (limit + 1): requirement(1)}, out_dir=out)
    with pytest.raises(BatchError, match="too long"):  # the limit is in bytes: é takes two
        run(server, {"é" * (limit // 2 + 1): requirement(1)}, out_dir=out)
    assert server.requests == []
    # The longest name allowed writes every file it may own, temp files included.
    name = "x" * limit
    failed = run(server, {name: "   "}, out_dir=out)  # the longest file: <name>.error.json
    assert isinstance(failed.items[0].error, RequirementsError)
    assert failed.items[0].write_error is None and (out / f"{name}.error.json").is_file()
    planned = run(server, {name: requirement(1)}, out_dir=out)
    assert planned.items[0].status == "ok" and planned.items[0].write_error is None
    assert visible(out) == sorted([f"{name}.json", f"{name}.md", "summary.json"])


# -- 9: one run per folder; resume trusts complete outputs only ----------------------------------
def test_9_a_second_run_into_a_busy_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with ScriptedServer(slow) as srv:
        box: dict[str, Any] = {}
        first = threading.Thread(
            target=lambda: box.update(result=run(srv, items(6), out_dir=out, concurrency=2))
        )
        first.start()
        deadline = time.monotonic() + 30
        while not (out / LOCK).exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        with pytest.raises(BatchError, match="Another batch run") as info:
            run(srv, items(6), out_dir=out)
        first.join()
        assert srv.chat_requests == 6  # the refused run paid for nothing
    message = str(info.value)
    assert str(out / LOCK) in message and "delete the lock file" in message
    assert f"process {os.getpid()}" in message and socket.gethostname() in message
    assert box["result"].ok == 6 and not (out / LOCK).exists()  # released at the end
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] == 6 and summary["total"] == 6


@pytest.mark.parametrize("stale", [False, True], ids=["no lock", "a stale lock"])
def test_9_two_runs_started_together_pay_once(tmp_path: Path, stale: bool) -> None:
    out, barrier = tmp_path / "out", threading.Barrier(2)
    outcomes: list[BatchResult | BatchError] = []
    if stale:  # both find the same dead run's lock: only one may take it over
        out.mkdir()
        lock = {"pid": dead_pid(), "host": socket.gethostname(), "started": "2020-01-01"}
        (out / LOCK).write_text(json.dumps(lock))

    def go(srv: ScriptedServer) -> None:
        barrier.wait()
        try:
            outcomes.append(run(srv, items(8), out_dir=out, concurrency=4))
        except BatchError as exc:
            outcomes.append(exc)

    with ScriptedServer(slow) as srv:
        threads = [threading.Thread(target=go, args=(srv,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert srv.chat_requests == 8
    assert sorted(type(o).__name__ for o in outcomes) == ["BatchError", "BatchResult"]


def test_9_a_stale_lock_of_a_dead_process_is_taken_over(
    server: ScriptedServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = {"pid": dead_pid(), "host": socket.gethostname(), "started": "2020-01-01T00:00:00"}
    (out / LOCK).write_text(json.dumps(stale))
    result = run(server, items(2), out_dir=out)
    assert result.ok == 2 and not (out / LOCK).exists()
    assert any("stale lock" in n and str(stale["pid"]) in n for n in result.notes)


@pytest.mark.parametrize("whose", ["another host", "a live process"])
def test_9_a_lock_that_may_be_live_is_never_taken_over(
    server: ScriptedServer, tmp_path: Path, whose: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    host, pid = socket.gethostname(), os.getppid()
    if whose == "another host":
        host, pid = "build-agent-7", dead_pid()  # that pid means nothing here
    lock = {"pid": pid, "host": host, "started": "2020-01-01T00:00:00"}
    (out / LOCK).write_text(json.dumps(lock))
    with pytest.raises(BatchError, match="Another batch run") as info:
        run(server, items(2), out_dir=out)
    assert f"process {pid} on host '{host}'" in str(info.value)
    assert server.requests == [] and json.loads((out / LOCK).read_text()) == lock


def test_9_the_lock_is_released_when_the_run_fails(server: ScriptedServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(BatchError, match="does not exist"):
        run(server, items(2), out_dir=out, via="batch_api", batch_id="batch-nope")
    assert out.is_dir() and not (out / LOCK).exists()
    assert run(server, items(2), out_dir=out).ok == 2


def test_9_resume_trusts_an_item_only_with_both_its_files(
    server: ScriptedServer, tmp_path: Path
) -> None:
    run(server, items(3), out_dir=tmp_path)
    (tmp_path / "item-01.md").unlink()  # e.g. removed by another run's clean-up
    again = run(server, items(3), out_dir=tmp_path, resume=True)
    assert [i.status for i in again.items] == ["skipped", "ok", "skipped"]
    assert server.chat_requests == 4 and (tmp_path / "item-01.md").is_file()
