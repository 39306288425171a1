"""The ``planner-agent`` command: a thin shell over the public API (``python -m planner_agent``).

Exit codes (`EXIT_CODES`): 0 success, 1 failure, 2 a plan with error-level issues, 64 a usage
error (nothing was run), 130 interrupted. Errors print as one line; ``--debug`` (before or after
the command) shows the traceback. ``-`` is standard input for requirements and plans, and
standard output for ``-o``.

The parser and its options live in ``_parser``, the commands in ``_commands``, what they share
(exit codes, ``-``, the ``-o`` check, the spinner, the reports) in ``_output``, and the list of
codes ``check`` can print in ``_rules``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Sequence

from ..errors import PlannerError
from ..prompt._tokens import ApproximateTokenCountWarning
from ._output import (
    EXIT_CODES,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PLAN_ERRORS,
    EXIT_USAGE,
    Stdin,
    UsageError,
)
from ._parser import build_parser

__all__ = [
    "EXIT_CODES",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PLAN_ERRORS",
    "EXIT_USAGE",
    "build_parser",
    "main",
]


def _silence_stdout() -> None:
    """After a closed pipe (``| head``): send what is left to devnull, so the interpreter's
    final flush does not print a second error."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (``--help`` and ``--version`` exit 0)."""
    # The token table already labels approximate counts; a Python warning would be noise here.
    warnings.simplefilter("ignore", ApproximateTokenCountWarning)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # the parser has printed the usage and the reason
        if exc.code == EXIT_USAGE:
            return EXIT_USAGE
        raise
    try:
        code: int = args.func(args, Stdin())
        return code
    except UsageError as exc:
        prog = f"{parser.prog} {args.command}"
        print(f"{prog}: error: {exc}\n(see `{prog} --help`)", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`| head`): nothing to say to it
        _silence_stdout()
        return EXIT_FAILURE
    except PlannerError as exc:
        if args.debug:
            raise
        print(f"planner-agent: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # a bug, or an OS error no command anticipated: one line, not a trace
        if args.debug:
            raise
        print(
            f"planner-agent: internal error: {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
