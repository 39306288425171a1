"""The argument parser: every subcommand, every option with its help, the exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from .._version import VERSION
from ..batch import BatchFileLimits
from ..llm._dialects import DIALECTS
from ..llm._modes import mode_names
from ..schemas import SCHEMA_KINDS
from ._commands import (
    cmd_batch,
    cmd_check,
    cmd_plan,
    cmd_prompt,
    cmd_rules,
    cmd_scaffold,
    cmd_schema,
)
from ._output import EXIT_CODES, EXIT_USAGE
from ._rules import parse_codes

__all__ = ["DEFAULT_PLAN_TIMEOUT", "DEFAULT_TIMEOUT", "EPILOG", "build_parser"]

#: Seconds one request may take (``--timeout``): the openai client's own default, made explicit;
#: the embedded local model needs minutes per plan on a slow CPU, and a timed-out request is
#: retried, so a shorter default would turn a slow plan into several lost ones.
DEFAULT_TIMEOUT = 600.0
#: Seconds one plan may take (``--plan-timeout``): a hung endpoint holds the command for at most
#: this plus one request's timeout, not (retries + 1) x attempts x the timeout.
DEFAULT_PLAN_TIMEOUT = 1800.0

EPILOG = (
    "'-' as a requirements or plan argument reads standard input; '-o -' writes standard "
    "output.\n\nexit codes:\n"
    + "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES)
    + "\n"
)


class _Parser(argparse.ArgumentParser):
    """Usage errors exit with `EXIT_USAGE` (64), not 2: 2 means a plan with errors."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _number(kind: type[int] | type[float], what: str) -> Callable[[str], int | float]:
    def parse(raw: str) -> int | float:
        try:
            value = kind(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{raw!r} is not {what}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{raw!r} is not {what}")
        return value

    return parse


_COUNT = _number(int, "a positive integer")
_SECONDS = _number(float, "a positive number of seconds")


def _codes(*, imports: bool) -> Callable[[str], list[str]]:
    def parse(raw: str) -> list[str]:
        return parse_codes(raw, imports=imports)

    return parse


def _disable(parser: argparse.ArgumentParser, *, imports: bool) -> None:
    what = "rule or IMPORT codes" if imports else "rule codes"
    parser.add_argument(
        "--disable",
        metavar="CODE[,CODE]",
        action="append",
        type=_codes(imports=imports),
        help=f"{what} to skip (repeatable; `planner-agent rules` lists them)",
    )


def _common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: given after the command it sets the flag; absent, the global one stands.
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )


def _planner_options(parser: argparse.ArgumentParser, *, calls: bool = True) -> None:
    parser.add_argument("--model", help="model or deployment name (default: $PLANNER_MODEL)")
    parser.add_argument(
        "--mode",
        default="auto",
        choices=["auto", *mode_names()],
        help="how the model replies (default: auto, picked per endpoint with fallback)",
    )
    parser.add_argument(
        "--reply",
        default="auto",
        choices=["auto", "draft", "decisions"],
        help="what a JSON reply holds: decisions (a few choices, the rest derived) or a whole "
        "draft (default: auto, decisions for the embedded local model)",
    )
    parser.add_argument("--knowledge", metavar="DIR", help="directory overriding the documents")
    parser.add_argument("--codebase", metavar="PATH", help="pipeline repository to index")
    parser.add_argument(
        "--prompt-layout",
        default="cache",
        choices=["cache", "seed"],
        help="cache: static prefix first (default); seed: the seed prompt's own order",
    )
    if calls:
        parser.add_argument(
            "--max-attempts",
            type=_COUNT,
            metavar="N",
            help="attempts incl. re-asks (default 3; embedded local model 1)",
        )
        parser.add_argument("--max-tokens", type=_COUNT, metavar="N", help="reply token limit")
        parser.add_argument(
            "--timeout",
            type=_SECONDS,
            default=DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help=f"seconds one request may take (default {DEFAULT_TIMEOUT:g})",
        )
        parser.add_argument(
            "--plan-timeout",
            type=_SECONDS,
            default=DEFAULT_PLAN_TIMEOUT,
            metavar="SECONDS",
            help="seconds one plan may take, re-asks and retries included: no request starts "
            f"after that (default {DEFAULT_PLAN_TIMEOUT:g})",
        )
        parser.add_argument("--strict", action="store_true", help="fail when errors remain")
        parser.add_argument(
            "--no-repair",
            action="store_true",
            help="skip the repair pass (the REPAIR codes): mechanical faults stay errors",
        )
        _disable(parser, imports=False)
    _common(parser)


def _sub(
    sub: argparse._SubParsersAction[_Parser], name: str, help: str, description: str
) -> _Parser:
    return sub.add_parser(
        name,
        help=help,
        description=description,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _add_plan(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _sub(
        sub,
        "plan",
        "plan one step from a requirements file, text, or - (stdin)",
        "Plan one step. The plan goes to standard output (or -o), the summary and the issues "
        "to standard error. One requirements source: `batch` plans several.",
    )
    p.add_argument(
        "requirements",
        nargs="+",
        metavar="REQUIREMENTS",
        help="requirements .md/.txt file, the text itself (quoted), or - for standard input",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the plan to FILE (.json: the full result as JSON) or - (standard output)",
    )
    p.add_argument(
        "--format",
        choices=["markdown", "json"],
        help="markdown plan or the JSON result (default: markdown; JSON for -o *.json)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a spinner on stderr while waiting (default: only when stderr is a terminal)",
    )
    _planner_options(p)
    p.set_defaults(func=cmd_plan)


def _add_prompt_schema_rules(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _sub(
        sub,
        "prompt",
        "print the assembled prompt and its token table; calls nothing",
        "Print each source's prompt (standard output) and token table (standard error). "
        "Nothing is sent.",
    )
    p.add_argument(
        "requirements",
        nargs="+",
        metavar="REQUIREMENTS",
        help="requirements files, texts (quoted), or - for standard input; one prompt each",
    )
    _planner_options(p, calls=False)
    p.set_defaults(func=cmd_prompt)

    p = _sub(sub, "schema", "print a JSON Schema", "Print one JSON Schema, or write them all.")
    p.add_argument(
        "--kind",
        choices=SCHEMA_KINDS,
        help="draft: what the LLM fills (default); plan: the full plan",
    )
    p.add_argument(
        "--profile",
        choices=list(DIALECTS),
        help="dialect: pydantic (as generated, default), strict (the OpenAI strict subset), "
        "bounded (strict plus maxItems/maxLength for small models)",
    )
    p.add_argument(
        "--write", metavar="DIR", help="write every published schema file into DIR instead"
    )
    _common(p)
    p.set_defaults(func=cmd_schema)

    p = _sub(
        sub,
        "rules",
        "list every code check can print",
        "List every code `check` can print: the rules and the markdown importer's IMPORT "
        "codes, with severity, family and how to fix.",
    )
    p.add_argument(
        "--format",
        choices=["text", "json", "markdown"],
        default="text",
        help="text (default), JSON, or the README's markdown table",
    )
    _common(p)
    p.set_defaults(func=cmd_rules)


def _add_check(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _sub(
        sub,
        "check",
        "check an existing plan (markdown or JSON, or - for stdin)",
        "Check a plan file; exit 2 when an error-level issue is left.",
    )
    p.add_argument(
        "plan",
        nargs="+",
        help="plan file (seed-format markdown or plan JSON), or -; several markdown files are"
        " the parts of one plan, checked together",
    )
    p.add_argument("--codebase", metavar="PATH", help="pipeline repository to check against")
    p.add_argument(
        "--requirements",
        metavar="REQ",
        help="the step's requirements: file, text or - (enables more checks)",
    )
    p.add_argument(
        "--revision",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the plan changes an existing step (--no-revision: it adds a new one); default: "
        "what the title says (IMPORT008)",
    )
    _disable(p, imports=True)
    p.add_argument(
        "--format", choices=["text", "json"], default="text", help="text (default) or JSON"
    )
    _common(p)
    p.set_defaults(func=cmd_check)


def _add_batch(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _sub(
        sub,
        "batch",
        "plan many steps concurrently into an output directory",
        "Plan every input into OUT_DIR (<name>.json/.md or <name>.error.json, summary.json); "
        "a table and every failure's reason go to standard error.",
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="requirements files, folders of .md/.txt files, or - (stdin, the item 'stdin')",
    )
    p.add_argument(
        "-o",
        "--out-dir",
        required=True,
        metavar="OUT_DIR",
        help="where <name>.json/.md and summary.json go",
    )
    p.add_argument(
        "-j", "--jobs", type=_COUNT, default=8, metavar="N", help="concurrent requests (default 8)"
    )
    p.add_argument(
        "--resume", action="store_true", help="skip items already planned with the same request"
    )
    p.add_argument(
        "--cache",
        metavar="DIR",
        nargs="?",
        const=True,
        help="on-disk cache of validated results (no DIR: the user cache folder's "
        "planner_agent/results, e.g. ~/.cache/planner_agent/results)",
    )
    p.add_argument(
        "--poll-interval",
        type=_SECONDS,
        default=5.0,
        metavar="SECONDS",
        help="first seconds between Batch API polls (default 5)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: only on a terminal)",
    )
    p.add_argument(
        "--via",
        choices=["requests", "batch-api"],
        default="requests",
        help="requests (default): chat completions now; batch-api: the OpenAI Batch API "
        "(half price, up to 24 h)",
    )
    p.add_argument("--batch-id", metavar="ID", help="resume a running OpenAI batch by id")
    limits = BatchFileLimits()
    for name, default, what in (
        ("requests", limits.max_requests, "requests"),
        ("bytes", limits.max_bytes, "bytes"),
    ):
        p.add_argument(
            f"--batch-max-{name}",
            type=_COUNT,
            default=default,
            metavar="N",
            help=f"{what} per Batch API input file (default {default:,})",
        )
    _planner_options(p)
    p.set_defaults(func=cmd_batch)


def _add_scaffold(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _sub(
        sub,
        "scaffold",
        "write a planned step into a pipeline repository",
        "Write the step's files and registry/__init__ edits into --codebase, in its own layout. "
        "Given requirements instead of a plan, plan them first. Nothing is written on a refusal.",
    )
    p.add_argument("source", help="a plan (PLAN.json / PLAN.md) or a requirements file (REQ.md)")
    p.add_argument("--dry-run", action="store_true", help="print the unified diff, write nothing")
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite existing files, replace a registered step, scaffold a plan with errors",
    )
    p.add_argument(
        "--format", choices=["text", "json"], default="text", help="text (default) or JSON"
    )
    _planner_options(p)
    p.set_defaults(func=cmd_scaffold)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="planner-agent",
        description="Plan a new SageMaker pipeline step with an LLM, and check plans.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_plan(sub)
    _add_prompt_schema_rules(sub)
    _add_check(sub)
    _add_batch(sub)
    _add_scaffold(sub)
    return parser
