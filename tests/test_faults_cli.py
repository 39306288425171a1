"""Fault matrix, command-line and file-writing side (issue #13).

Cases are named by their number in the issue: 1 ``-o`` replacing special files and symlinks
(and losing a file's mode), 14 the ``-o`` pre-check trusting ``os.access`` (root passes it on
``/proc``), 16 ``batch`` with a mistyped input. The platform item (``os.kill(pid, 0)`` and
``os.fchmod`` on Windows) is tested through `remove_dead_temps` without the POSIX pid probe.
Everything runs through the real command (`main`, or ``python -m planner_agent``) against the
scripted server. Special files are made inside ``tmp_path`` (a FIFO, a socket, a clone of
``/dev/null``), never the machine's own ``/dev`` nodes: a regression must not break the box.
"""

from __future__ import annotations

import inspect
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import _files as files
from planner_agent._files import DEAD_TEMP_AGE_S, TEMP_SUFFIX, atomic_write, remove_dead_temps
from planner_agent.cli import main
from planner_agent.errors import OutputError
from planner_agent.testing import Reply, ScriptedServer

MODEL = "gpt-4o-mini"
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX special files")


@pytest.fixture
def req(tmp_path: Path) -> Path:
    path = tmp_path / "calibration.md"
    path.write_text(CALIBRATION_REQUIREMENTS, encoding="utf-8")
    return path


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    with ScriptedServer([Reply.json(calibration_draft_dict())] * 4) as scripted:
        monkeypatch.setenv("OPENAI_BASE_URL", scripted.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-cli-key-123456")
        monkeypatch.setenv("PLANNER_MODEL", MODEL)
        yield scripted


def _plan(req: Path, out: Path | str, *extra: str) -> int:
    return main(["plan", str(req), "-o", str(out), "--no-progress", *extra])


# -- 1: -o replaced special files and symlinks, and reset a replaced file's mode ---------------


@posix_only
def test_1_a_fifo_is_written_through_not_replaced(req: Path, server: ScriptedServer) -> None:
    fifo = req.parent / "plan.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert _plan(req, fifo) == 0
    reader.join(timeout=30)
    assert received and received[0].startswith(b"# Implementation Plan for ModelCalibration")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@posix_only
def test_1_a_character_device_stays_a_device(req: Path, server: ScriptedServer) -> None:
    null = req.parent / "null"
    try:  # a clone of /dev/null (major 1, minor 3) we may break without harm
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    assert _plan(req, null) == 0
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert [p.name for p in req.parent.iterdir() if p.name.endswith(TEMP_SUFFIX)] == []


@posix_only
def test_1_dev_stdout_reaches_the_open_file(req: Path, server: ScriptedServer) -> None:
    link = req.parent / "stdout"  # our own link to /dev/stdout: the real node is never at risk
    link.symlink_to("/dev/stdout")
    env = {**os.environ, "PLANNER_LOCAL": "0"}
    argv = [sys.executable, "-m", "planner_agent", "plan", str(req), "-o", str(link)]
    piped = subprocess.run(argv, capture_output=True, env=env, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith(b"# Implementation Plan for ModelCalibration")
    log = req.parent / "log.txt"
    log.write_text("earlier line\n")
    inode = log.stat().st_ino
    with log.open("ab") as appended:  # `>> log.txt`: the plan joins what is there
        done = subprocess.run(argv, stdout=appended, stderr=subprocess.PIPE, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    text = log.read_text()
    assert text.startswith("earlier line\n# Implementation Plan for ModelCalibration")
    assert log.stat().st_ino == inode and link.is_symlink()


@posix_only
def test_1_a_symlink_is_written_through_and_modes_are_kept(
    req: Path, server: ScriptedServer
) -> None:
    real = req.parent / "plans" / "real.md"
    real.parent.mkdir()
    real.write_text("old plan\n")
    real.chmod(0o640)
    link = req.parent / "plan.md"
    link.symlink_to(real)
    assert _plan(req, link) == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("# Implementation Plan for ModelCalibration")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    dangling = req.parent / "next.md"
    dangling.symlink_to(req.parent / "plans" / "next.md")
    assert _plan(req, dangling, "--format", "json") == 0
    assert dangling.is_symlink() and '"step_name": "ModelCalibration"' in dangling.read_text()
    assert sorted(p.name for p in real.parent.iterdir()) == ["next.md", "real.md"]


@posix_only
def test_1_a_socket_is_refused_before_any_request(
    req: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = req.parent / "plan.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))
        assert _plan(req, path) == 1
        with pytest.raises(OutputError, match="is a socket or other special file"):
            atomic_write(path, "x")
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    err = capsys.readouterr().err
    assert "OutputError" in err and "is a socket" in err
    assert server.requests == []


def test_1_a_replaced_file_keeps_its_mode(req: Path, server: ScriptedServer) -> None:
    out = req.parent / "plan.md"
    out.write_text("old\n")
    out.chmod(0o600)
    assert _plan(req, out) == 0
    assert out.read_text().startswith("# Implementation Plan")
    if os.name == "posix":
        assert stat.S_IMODE(out.stat().st_mode) == 0o600


# -- 14: the -o check trusted os.access; now a temp file is made where the plan will go --------


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_14_an_unwritable_folder_fails_before_any_request(
    req: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert os.access("/proc", os.W_OK) == (os.geteuid() == 0)  # root passes the old check
    assert _plan(req, "/proc/plan.md") == 1
    err = capsys.readouterr().err
    assert "OutputError: Cannot write '/proc/plan.md'" in err and "Choose another -o" in err
    assert server.requests == []


def test_14_the_probe_leaves_nothing_behind(
    req: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out" / "plan.md"
    with ScriptedServer([Reply.error(401, "bad key")]) as failing:
        monkeypatch.setenv("OPENAI_BASE_URL", failing.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-cli-key-123456")
        assert main(["plan", str(req), "--model", MODEL, "-o", str(out)]) == 1
        assert len(failing.requests) == 1  # the check passed, the request failed
    assert list(out.parent.iterdir()) == []  # the probe's temp file is gone


# -- 16: batch with a mistyped input made OUT, exited 1 and printed a repr ----------------------


def test_16_a_missing_input_fails_before_out_is_created(
    tmp_path: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.md"
    good.write_text("# ScoreBinning\nA processing step.", "utf-8")
    out = tmp_path / "OUT"
    assert main(["batch", str(good), str(tmp_path / "typo_dir"), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"Input '{tmp_path / 'typo_dir'}' does not exist" in err and "BatchResult" not in err
    assert not out.exists() and server.requests == []


def test_16_each_failure_is_explained(
    tmp_path: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.md").write_text("  ", "utf-8")
    (tmp_path / "binary.md").write_bytes(b"\x00\x01")
    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "out"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "failed: binary (" in err and "is a binary file" in err
    assert "failed: empty (" in err and "is empty" in err
    assert "<BatchResult" not in err and "2 failed" in err


# -- platforms: no os.kill(pid, 0) probe and no os.fchmod where they do not exist/mean that ------


def _temp(folder: Path, name: str, pid: int, age_s: float = 0.0) -> Path:
    path = folder / f".{name}.{pid}.x1y2{TEMP_SUFFIX}"
    path.write_text("partial")
    if age_s:
        stamp = path.stat().st_mtime - age_s
        os.utime(path, (stamp, stamp))
    return path


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the pid names no process now
    return child.pid


def test_platform_dead_temps_without_a_pid_probe(tmp_path: Path) -> None:
    young = _temp(tmp_path, "a.md", _dead_pid())  # a dead writer's, written just now
    old = _temp(tmp_path, "b.md", os.getppid(), age_s=DEAD_TEMP_AGE_S + 60)  # a live pid's
    remove_dead_temps(tmp_path, pid_probe=False)  # what Windows does: the age decides
    assert young.exists() and not old.exists()
    default = inspect.signature(remove_dead_temps).parameters["pid_probe"].default
    assert default is (os.name == "posix")
    if os.name == "posix":
        remove_dead_temps(tmp_path)  # the pid probe: the dead writer's file goes
        assert not young.exists()


def test_platform_no_fchmod() -> None:
    assert "os.fchmod(" not in inspect.getsource(files)  # absent on Windows before 3.13
