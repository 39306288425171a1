"""What the commands share: exit codes, usage errors, ``-`` (standard input and output), the
``-o`` destination, the waiting spinner, and the issue (with the resolver's ranking) and batch
reports."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Final, TextIO

from .._files import check_writable
from ..batch import BatchResult
from ..errors import OutputError, PlannerError, shown_path
from ..plan import PlanIssue, Severity
from ._ranking import Ranking, ranking_text

__all__ = [
    "EXIT_CODES",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PLAN_ERRORS",
    "EXIT_USAGE",
    "STDIO",
    "Spinner",
    "Stdin",
    "UsageError",
    "batch_report",
    "output_file",
    "print_issues",
]

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_PLAN_ERRORS: Final = 2
EXIT_USAGE: Final = 64  # EX_USAGE of sysexits.h
EXIT_INTERRUPTED: Final = 130
#: Every exit code and what it means (the ``--help`` epilog and the README list these).
EXIT_CODES: Final = (
    (EXIT_OK, "success; the plan (or every plan) has no error-level issue"),
    (EXIT_FAILURE, "failure: a request, a file or the configuration (one line; --debug: trace)"),
    (EXIT_PLAN_ERRORS, "a plan with error-level issues (plan, check, batch)"),
    (EXIT_USAGE, "usage error: unknown option, bad value, '-' twice... (nothing was run)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
)
#: The argument that means standard input (or, for ``-o``, standard output).
STDIO: Final = "-"


class UsageError(Exception):
    """The command line asks for something the command cannot do (exit `EXIT_USAGE`)."""


class Stdin:
    """Standard input, read at most once (a second ``-`` is a usage error)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self.used_for: str | None = None

    def read(self, what: str, error: Callable[[str], PlannerError]) -> str:
        """The UTF-8 text on standard input (``what`` it is for names it in errors)."""
        if self.used_for is not None:
            raise UsageError(
                f"standard input ('-') is read once, and it already gives the {self.used_for}; "
                f"give the {what} as a file"
            )
        self.used_for = what
        stream = self._stream or sys.stdin
        if stream is None:
            raise error(f"the {what} should come from standard input, but there is none")
        if stream.isatty():
            print(f"(reading the {what} from the terminal; end with Ctrl-D)", file=sys.stderr)
        buffer = getattr(stream, "buffer", None)
        raw = buffer.read() if buffer is not None else stream.read().encode("utf-8")
        if b"\x00" in raw:
            raise error(f"standard input is binary data, not the {what}")
        try:
            return str(raw.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise error(
                f"standard input is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                f"{exc.start}); give the {what} as UTF-8"
            ) from None


def output_file(raw: str) -> Path | None:
    """The ``-o`` file (None: ``-``, standard output), checked before anything is paid for.

    Its folder is made, and a temp file is created and removed there, as the write will.
    """
    if raw == STDIO:
        return None
    out = Path(raw).expanduser()
    if out.is_dir():
        raise OutputError(
            f"{shown_path(out)} is a directory; give a file name such as {out / 'plan.md'}."
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in out.parents if p.exists()), None)
        why = (
            f"{shown_path(blocker)} is a file, not a folder"
            if blocker is not None and not blocker.is_dir()
            else exc.strerror or str(exc)
        )
        raise OutputError(f"Cannot write {shown_path(out)}: {why}. Choose another -o.") from None
    try:
        check_writable(out)
    except OSError as exc:
        raise OutputError(
            f"Cannot write {shown_path(out)}: {exc.strerror or exc}. Choose another -o."
        ) from None
    return out


class Spinner:
    """A spinner and the seconds waited, on ``stream`` while a request is under way.

    Shown only when ``enabled`` (the command's ``--progress``, by default whether ``stream``
    is a terminal): a pipe or a log file never gets the carriage returns. The line is erased
    when the wait ends.
    """

    FRAMES: Final = "|/-\\"

    def __init__(self, label: str, *, enabled: bool, stream: TextIO, interval: float = 0.1) -> None:
        self.label = label
        self.enabled = enabled
        self.stream = stream
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Spinner:
        if self.enabled:
            self._thread = threading.Thread(target=self._spin, name="planner-spinner", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._write("\r\x1b[K")

    def _spin(self) -> None:
        started = time.monotonic()
        frame = 0
        while True:
            waited = time.monotonic() - started
            self._write(f"\r{self.FRAMES[frame % 4]} {self.label} ({waited:.0f}s)")
            frame += 1
            if self._stop.wait(self.interval):
                return

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal must not break the plan
            self._stop.set()


def print_issues(
    issues: Sequence[PlanIssue],
    fmt: str,
    source: str,
    rankings: Sequence[Ranking] | None = None,
) -> None:
    """The issues of a checked plan on standard output: grouped text, or one JSON object.

    ``rankings`` (given a codebase) adds the resolver's candidates per dependency.
    """
    errors = sum(i.severity is Severity.ERROR for i in issues)
    if fmt == "json":
        payload: dict[str, object] = {
            "source": source,
            "errors": errors,
            "warnings": len(issues) - errors,
            "issues": [i.model_dump(mode="json") for i in issues],
        }
        if rankings is not None:
            payload["resolver"] = [r.to_dict() for r in rankings]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    for severity in (Severity.ERROR, Severity.WARNING):
        group = [i for i in issues if i.severity is severity]
        if group:
            print(f"{severity.value.upper()}S ({len(group)})")
            for issue in group:
                print(f"  {issue.code}  {issue.path or '<plan>'}\n      {issue.message}")
    if rankings is not None:
        print("\n".join(ranking_text(rankings)))
    print(f"{source}: {errors} error(s), {len(issues) - errors} warning(s)")


def batch_report(result: BatchResult, out_dir: str) -> str:
    """A batch's outcome for a person: the table (`BatchResult.summary_table`), then every
    failed, not-run or unwritten item's full reason (the table shortens them), then where the
    files are."""
    lines = [result.summary_table(max_rows=None), ""]
    for item in result.items:
        if item.error is not None:
            why = f"{type(item.error).__name__}: {item.error}"
            lines.append(f"{item.status.replace('_', ' ')}: {item.name} ({item.source}): {why}")
        if item.write_error is not None:
            lines.append(f"not written: {item.name} ({item.source}): {item.write_error}")
    lines.append(f"outputs and summary.json in {shown_path(out_dir)}")
    return "\n".join(lines)
