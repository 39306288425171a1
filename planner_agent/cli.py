"""The ``planner-agent`` command: a thin shell over the public API.

Exit codes: 0 success (plan/check clean), 2 a plan with error-level issues, 1 failure,
130 interrupted. Errors print as one line; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from ._files import atomic_write
from .batch import BatchFileLimits, plan_steps
from .batch._inputs import requirement_files
from .checks import check_plan, sort_issues
from .errors import OutputError, PlannerError
from .llm._modes import mode_names
from .llm._providers import DEFAULT_OPENAI_MODEL
from .plan import PlanIssue, Severity
from .planner import Planner
from .prompt._requirements import load_requirements, requirements_argument
from .prompt._tokens import ApproximateTokenCountWarning
from .schemas import render_schema, schema_documents, write_schemas
from .seedformat._loading import load_plan
from .settings import Settings

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_PLAN_ERRORS, EXIT_INTERRUPTED = 0, 1, 2, 130


def _planner_options(parser: argparse.ArgumentParser, *, calls: bool = True) -> None:
    parser.add_argument("--model", help="model or deployment name (default: $PLANNER_MODEL)")
    parser.add_argument(
        "--mode",
        default="auto",
        choices=["auto", *mode_names()],
        help="how the model replies (default: auto, picked per endpoint with fallback)",
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
            type=int,
            help="attempts incl. re-asks (default 3; embedded local model 1)",
        )
        parser.add_argument("--max-tokens", type=int, help="reply token limit")
        parser.add_argument("--strict", action="store_true", help="fail when errors remain")


def _settings(args: argparse.Namespace) -> Settings:
    """The same validated `Settings` the Python API builds, from the command's options."""
    kwargs: dict[str, Any] = {"mode": args.mode, "prompt_layout": args.prompt_layout}
    for name in ("model", "knowledge", "codebase", "max_attempts", "max_tokens"):
        value = getattr(args, name, None)
        if value is not None:
            kwargs[name] = value
    if getattr(args, "strict", False):
        kwargs["strict"] = True
    return Settings.from_keywords(**kwargs)


def _output_file(raw: str) -> Path:
    """The ``-o`` file with its folder made: a bad destination fails before anything is paid."""
    out = Path(raw).expanduser()
    if out.is_dir():
        raise OutputError(
            f"{str(out)!r} is a directory; give a file name such as {out / 'plan.md'}."
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in out.parents if p.exists()), None)
        why = (
            f"{str(blocker)!r} is a file, not a folder"
            if blocker is not None and not blocker.is_dir()
            else exc.strerror or str(exc)
        )
        raise OutputError(f"Cannot write {str(out)!r}: {why}. Choose another -o.") from None
    if not os.access(out.parent, os.W_OK):
        raise OutputError(f"The folder of {str(out)!r} is not writable. Choose another -o.")
    return out


def _cmd_plan(args: argparse.Namespace) -> int:

    out = _output_file(args.output) if args.output else None
    requirements = requirements_argument(args.requirements)
    result = Planner.from_settings(_settings(args)).plan(requirements)
    code = EXIT_OK if result.ok else EXIT_PLAN_ERRORS
    if out is None:
        sys.stdout.write(result.to_markdown())
    else:
        try:
            atomic_write(out, result.to_json() if out.suffix == ".json" else result.to_markdown())
        except OSError as exc:
            # The plan is paid for: print it rather than lose it.
            sys.stdout.write(result.to_markdown())
            print(
                f"planner-agent: error: OutputError: could not write {str(out)!r} "
                f"({exc.strerror or exc}); the plan is on standard output instead.",
                file=sys.stderr,
            )
            code = EXIT_FAILURE
    print(result.summary(), file=sys.stderr)
    for issue in result.issues:
        print(f"  {issue}", file=sys.stderr)
    return code


def _cmd_prompt(args: argparse.Namespace) -> int:

    settings = _settings(args)
    if settings.model is None:  # name a model so nothing connects: this command calls nothing
        settings = settings.with_keywords(
            model=os.environ.get("PLANNER_MODEL") or DEFAULT_OPENAI_MODEL
        )
    planner = Planner.from_settings(settings)
    prompt = planner.prompt(requirements_argument(args.requirements))
    sys.stdout.write(prompt.to_text() + "\n")
    print(f"\nmodel {planner.model}, mode {planner.mode}\n{prompt.token_table()}", file=sys.stderr)
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:

    if args.write:
        try:
            written = write_schemas(Path(args.write))
        except OSError as exc:
            raise OutputError(
                f"Cannot write the schemas into {args.write!r}: {exc.strerror or exc}."
            ) from None
        for path in written:
            print(path, file=sys.stderr)
        return EXIT_OK
    name = "implementation_plan" if args.kind == "plan" else "plan_draft"
    if args.kind == "draft" and args.profile != "pydantic":
        name += f".{args.profile}"
    sys.stdout.write(render_schema(schema_documents()[f"{name}.schema.json"]))
    return EXIT_OK


def _print_issues(issues: Sequence[PlanIssue], fmt: str, source: str) -> None:
    if fmt == "json":
        payload = {
            "source": source,
            "errors": sum(i.severity is Severity.ERROR for i in issues),
            "warnings": sum(i.severity is Severity.WARNING for i in issues),
            "issues": [i.model_dump(mode="json") for i in issues],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    for severity in (Severity.ERROR, Severity.WARNING):
        group = [i for i in issues if i.severity is severity]
        if group:
            print(f"{severity.value.upper()}S ({len(group)})")
            for issue in group:
                print(f"  {issue.code}  {issue.path or '<plan>'}\n      {issue.message}")
    errors = sum(i.severity is Severity.ERROR for i in issues)
    print(f"{source}: {errors} error(s), {len(issues) - errors} warning(s)")


def _cmd_check(args: argparse.Namespace) -> int:

    loaded = load_plan(Path(args.plan))
    requirements = None
    if args.requirements:
        requirements = load_requirements(requirements_argument(args.requirements))
    found = check_plan(
        loaded.plan,
        codebase=args.codebase,
        requirements=requirements,
        disable=[c.strip() for c in (args.disable or "").split(",") if c.strip()],
    )
    issues = sort_issues([*loaded.issues, *found])
    _print_issues(issues, args.format, args.plan)
    return EXIT_PLAN_ERRORS if any(i.is_error for i in issues) else EXIT_OK


def _cmd_batch(args: argparse.Namespace) -> int:

    sources: str | list[Path] = args.inputs[0]
    if len(args.inputs) > 1 or not Path(args.inputs[0]).is_dir():
        # Every input is a file or a directory, never requirements text: a missing file is that
        # item's RequirementsError, not a prompt made of its name.
        sources = []
        for raw in args.inputs:
            path = Path(raw)
            sources.extend(requirement_files(path) if path.is_dir() else [path])
    result = plan_steps(
        sources,
        out_dir=args.out_dir,
        concurrency=args.jobs,
        resume=args.resume,
        cache=args.cache,
        via=args.via.replace("-", "_"),
        batch_id=args.batch_id,
        poll_interval=args.poll_interval,
        batch_limits=BatchFileLimits(args.batch_max_requests, args.batch_max_bytes),
        progress=args.progress,
        settings=_settings(args),
    )
    print(repr(result), file=sys.stderr)
    summary = result.summary()
    if summary.get("failed"):
        return EXIT_FAILURE
    return EXIT_PLAN_ERRORS if summary.get("with_errors") else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="planner-agent",
        description="Plan a new SageMaker pipeline step with an LLM, and check plans.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("plan", help="plan one step from a requirements file or text")
    p.add_argument("requirements", help="requirements .md/.txt file, or the text itself")
    p.add_argument("-o", "--output", help="write plan.md (markdown) or plan.json (full result)")
    _planner_options(p)
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser(
        "prompt", help="print the assembled prompt and its token table; calls nothing"
    )
    p.add_argument("requirements", help="requirements .md/.txt file, or the text itself")
    _planner_options(p, calls=False)
    p.set_defaults(func=_cmd_prompt)

    p = sub.add_parser("schema", help="print a JSON Schema")
    p.add_argument(
        "--kind",
        choices=["draft", "plan"],
        default="draft",
        help="draft: what the LLM fills; plan: the full plan",
    )
    p.add_argument("--profile", choices=["pydantic", "strict", "bounded"], default="pydantic")
    p.add_argument("--write", metavar="DIR", help="write every schema file into DIR")
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser("check", help="check an existing plan (markdown or JSON)")
    p.add_argument("plan", help="plan file: seed-format markdown or plan JSON")
    p.add_argument("--codebase", metavar="PATH", help="pipeline repository to check against")
    p.add_argument(
        "--requirements", metavar="REQ", help="the step's requirements (enables more checks)"
    )
    p.add_argument("--disable", metavar="CODES", help="comma-separated rule codes to skip")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("batch", help="plan many steps concurrently into an output directory")
    p.add_argument("inputs", nargs="+", help="a directory of .md/.txt files, or files")
    p.add_argument(
        "-o", "--out-dir", required=True, help="where <name>.json/.md and summary.json go"
    )
    p.add_argument("-j", "--jobs", type=int, default=8, help="concurrent requests (default 8)")
    p.add_argument(
        "--resume", action="store_true", help="skip items already planned with the same request"
    )
    p.add_argument(
        "--cache",
        metavar="DIR",
        nargs="?",
        const=True,
        help="on-disk cache of validated results (no DIR: ~/.cache/planner_agent/results)",
    )
    p.add_argument("--poll-interval", type=float, default=5.0, help="Batch API poll seconds")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: only on a terminal)",
    )
    p.add_argument("--via", choices=["requests", "batch-api"], default="requests")
    p.add_argument("--batch-id", help="resume a running OpenAI batch by id")
    limits = BatchFileLimits()
    p.add_argument(
        "--batch-max-requests",
        type=int,
        default=limits.max_requests,
        metavar="N",
        help=f"requests per Batch API input file (default {limits.max_requests:,})",
    )
    p.add_argument(
        "--batch-max-bytes",
        type=int,
        default=limits.max_bytes,
        metavar="N",
        help=f"bytes per Batch API input file (default {limits.max_bytes:,})",
    )
    _planner_options(p)
    p.set_defaults(func=_cmd_batch)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    # The token table already labels approximate counts; a Python warning would be noise here.
    warnings.simplefilter("ignore", ApproximateTokenCountWarning)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
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
