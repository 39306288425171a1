"""The subcommands: each takes the parsed arguments and standard input, and returns the exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .._files import atomic_write, path_problem
from ..batch import BatchFileLimits, plan_steps
from ..batch._inputs import requirement_files
from ..checks import CodebaseIndex, check_plan, sort_issues
from ..errors import (
    BatchError,
    OutputError,
    PlanImportError,
    RequirementsError,
    ScaffoldError,
    shown_path,
)
from ..llm._providers import DEFAULT_OPENAI_MODEL
from ..plan import ImplementationPlan
from ..planner import Planner
from ..prompt._requirements import load_requirements, requirements_argument
from ..repair import REPAIR_CODES
from ..result import PlanResult
from ..scaffold import scaffold_step
from ..schemas import render_schema, schema_documents, schema_for, write_schemas
from ..seedformat import looks_like_plan
from ..seedformat._loading import load_plan
from ..settings import Settings
from ._output import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_PLAN_ERRORS,
    STDIO,
    Spinner,
    Stdin,
    UsageError,
    batch_report,
    output_file,
    print_issues,
)
from ._ranking import rank_dependencies
from ._rules import IMPORT_CODES, rules_json, rules_markdown, rules_text

__all__ = [
    "cmd_batch",
    "cmd_check",
    "cmd_plan",
    "cmd_prompt",
    "cmd_rules",
    "cmd_scaffold",
    "cmd_schema",
]


def _disabled(args: argparse.Namespace) -> list[str]:
    """``--disable`` as one list (the option may be repeated; each holds CODE[,CODE])."""
    return [code for group in getattr(args, "disable", None) or () for code in group]


def _settings(args: argparse.Namespace) -> Settings:
    """The same validated `Settings` the Python API builds, from the command's options."""
    kwargs: dict[str, Any] = {
        "mode": args.mode,
        "reply": getattr(args, "reply", "auto"),
        "prompt_layout": args.prompt_layout,
    }
    names = ("model", "knowledge", "codebase", "max_attempts", "max_tokens", "timeout")
    for name in (*names, "plan_timeout"):
        value = getattr(args, name, None)
        if value is not None:
            kwargs[name] = value
    disabled = _disabled(args) + list(REPAIR_CODES if getattr(args, "no_repair", False) else ())
    if disabled:
        kwargs["disable_rules"] = list(dict.fromkeys(disabled))
    if getattr(args, "strict", False):
        kwargs["strict"] = True
    return Settings.from_keywords(**kwargs)


def _requirements(raw: str, stdin: Stdin) -> str | Path:
    """A requirements argument: ``-`` is standard input, an existing file is read, else text."""
    if raw == STDIO:
        return stdin.read("requirements", RequirementsError)
    return requirements_argument(raw)


def _shown(raw: str) -> str:
    return "<stdin>" if raw == STDIO else raw


def _progress(args: argparse.Namespace) -> bool:
    if args.progress is not None:
        return bool(args.progress)
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty is not None and isatty())


def cmd_plan(args: argparse.Namespace, stdin: Stdin) -> int:
    """Plan one step; the plan on stdout (or ``-o``), the summary and issues on stderr."""
    if len(args.requirements) > 1:
        shown = ", ".join(repr(a) for a in args.requirements[:3])
        raise UsageError(
            f"plan takes one requirements source and writes one plan; got "
            f"{len(args.requirements)} ({shown}{', ...' if len(args.requirements) > 3 else ''}). "
            "Quote requirements text that has spaces; to plan several steps use "
            "`planner-agent batch FILE... -o OUT_DIR`"
        )
    out = output_file(args.output) if args.output else None
    as_json = out is not None and out.suffix.lower() == ".json"
    fmt = args.format or ("json" if as_json else "markdown")
    requirements = _requirements(args.requirements[0], stdin)
    planner = Planner.from_settings(_settings(args))
    with Spinner(f"waiting for {planner.model}", enabled=_progress(args), stream=sys.stderr):
        result = planner.plan(requirements)
    text = result.to_json() + "\n" if fmt == "json" else result.to_markdown()
    code = EXIT_OK if result.ok else EXIT_PLAN_ERRORS
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            atomic_write(out, text)
        except (OSError, OutputError) as exc:
            # The plan is paid for: print it rather than lose it.
            sys.stdout.write(text)
            why = exc.strerror or exc if isinstance(exc, OSError) else exc
            print(
                f"planner-agent: error: OutputError: could not write {shown_path(out)} "
                f"({why}); the plan is on standard output instead.",
                file=sys.stderr,
            )
            code = EXIT_FAILURE
    print(result.summary(), file=sys.stderr)
    for issue in result.issues:
        print(f"  {issue}", file=sys.stderr)
    return code


def cmd_prompt(args: argparse.Namespace, stdin: Stdin) -> int:
    """Print each source's prompt (stdout) and token table (stderr); calls nothing."""
    # Every source is read first: a typo in the last one prints nothing.
    texts = [load_requirements(_requirements(raw, stdin)) for raw in args.requirements]
    settings = _settings(args)
    if settings.model is None:  # name a model so nothing connects: this command calls nothing
        settings = settings.with_keywords(
            model=os.environ.get("PLANNER_MODEL") or DEFAULT_OPENAI_MODEL
        )
    planner = Planner.from_settings(settings)
    several = len(texts) > 1
    for raw, text in zip(args.requirements, texts, strict=True):
        prompt = planner.prompt(text)
        if several:
            sys.stdout.write(f"##### {_shown(raw)} #####\n")
        sys.stdout.write(prompt.to_text() + "\n")
        name = f"{_shown(raw)}: " if several else ""
        table = prompt.token_table()
        print(f"\n{name}model {planner.model}, mode {planner.mode}\n{table}", file=sys.stderr)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace, stdin: Stdin) -> int:
    """Print one schema (``--kind``, ``--profile``), or write every schema file (``--write``)."""
    if args.write:
        chosen = [f"--{name}" for name in ("kind", "profile") if getattr(args, name) is not None]
        if chosen:
            raise UsageError(
                f"--write writes every schema file ({', '.join(schema_documents())}); "
                f"{' and '.join(chosen)} choose one schema to print: drop --write or "
                f"{' and '.join(chosen)}"
            )
        try:
            written = write_schemas(Path(args.write))
        except OSError as exc:
            raise OutputError(
                f"Cannot write the schemas into {args.write!r}: {exc.strerror or exc}."
            ) from None
        for path in written:
            print(path, file=sys.stderr)
        return EXIT_OK
    sys.stdout.write(render_schema(schema_for(args.kind or "draft", args.profile or "pydantic")))
    return EXIT_OK


def cmd_check(args: argparse.Namespace, stdin: Stdin) -> int:
    """Check a plan file (or ``-``); exit 2 when an error-level issue is left."""
    disabled = _disabled(args)
    parts: list[str | Path] = []
    for raw in args.plan:  # several: the parts of one markdown plan
        if raw == STDIO:
            text = stdin.read("plan", PlanImportError)
            parts.append(text if "\n" in text else text + "\n")  # text, never a file name
        else:
            parts.append(Path(raw))
    loaded = load_plan(parts)
    requirements = None
    if args.requirements:
        requirements = load_requirements(_requirements(args.requirements, stdin))
    index = CodebaseIndex.from_path(args.codebase) if args.codebase else None
    found = check_plan(
        loaded.plan,
        codebase=index,
        requirements=requirements,
        revision=loaded.revision if args.revision is None else args.revision,
        disable=[code for code in disabled if code not in IMPORT_CODES],
    )
    # IMPORT codes (and ENUM001 found while reading) are the reader's: disabled here.
    issues = sort_issues(i for i in [*loaded.issues, *found] if i.code not in disabled)
    rankings = rank_dependencies(loaded.plan, index) if index is not None else None
    print_issues(issues, args.format, " + ".join(_shown(raw) for raw in args.plan), rankings)
    return EXIT_PLAN_ERRORS if any(i.is_error for i in issues) else EXIT_OK


def _batch_inputs(inputs: list[str], stdin: Stdin) -> dict[str, str | Path]:
    """Item name -> requirements: files, folders' .md/.txt files, ``-`` (the item ``stdin``).

    Every path is checked first: a missing one fails before any request or output folder.
    """
    for raw in inputs:
        if raw == STDIO:
            continue
        problem = path_problem(Path(raw).expanduser(), "file")
        if problem == "does not exist" or (problem or "").startswith("cannot be used"):
            raise BatchError(
                f"Input {shown_path(raw)} {problem}: give requirements files, folders of "
                "them, or - for standard input. Nothing was planned."
            )
    items: dict[str, str | Path] = {}
    sources: dict[str, str] = {}
    for raw in inputs:
        path = Path(raw).expanduser()
        if raw == STDIO:
            found: list[tuple[str, str | Path, str]] = [
                ("stdin", stdin.read("requirements", RequirementsError), "<stdin>")
            ]
        elif path.is_dir():
            found = [(p.stem, p, str(p)) for p in requirement_files(path)]
        else:
            found = [(path.stem, path, str(path))]
        for name, value, source in found:
            if (other := sources.get(name.casefold())) is not None:
                raise BatchError(
                    f"Duplicate item name {name!r}: {other} and {source}. Rename one of them."
                )
            sources[name.casefold()] = source
            items[name] = value
    return items


def cmd_batch(args: argparse.Namespace, stdin: Stdin) -> int:
    """Plan many steps into ``-o OUT_DIR``; a table and every failure's reason on stderr."""
    if args.out_dir == STDIO:
        raise UsageError(
            "batch writes one file per item and summary.json: -o takes a folder, not '-'"
        )
    result = plan_steps(
        _batch_inputs(args.inputs, stdin),
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
    print(batch_report(result, args.out_dir), file=sys.stderr)
    if result.failed or result.not_run or result.unwritten:
        return EXIT_FAILURE
    return EXIT_PLAN_ERRORS if result.with_errors else EXIT_OK


def cmd_rules(args: argparse.Namespace, stdin: Stdin) -> int:
    """Every code ``check`` can print, with severity, family and how to fix it."""
    render = {"json": rules_json, "markdown": rules_markdown}.get(args.format, rules_text)
    sys.stdout.write(render())
    return EXIT_OK


def cmd_scaffold(args: argparse.Namespace, stdin: Stdin) -> int:
    """Write a plan (or the plan of requirements) into ``--codebase``; exit 2 for plan errors."""
    if not args.codebase:
        raise UsageError("scaffold needs --codebase REPO: the repository to write the step into")
    source = Path(args.source)
    problem = path_problem(source, "file")
    if problem is not None:
        raise RequirementsError(
            f"{shown_path(source)} {problem}: give a plan or requirements file."
        )
    text = source.read_text("utf-8", errors="replace")
    if source.suffix.lower() == ".json" or looks_like_plan(text):
        plan: ImplementationPlan | PlanResult = load_plan(source).plan
    else:  # requirements: plan them against the same repository first
        settings = _settings(args).with_keywords(codebase=args.codebase)
        plan = Planner.from_settings(settings).plan(source)
    try:
        result = scaffold_step(plan, args.codebase, dry_run=args.dry_run, force=args.force)
    except ScaffoldError as exc:
        if not exc.issues:
            raise
        print(f"planner-agent: error: ScaffoldError: {exc}", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return EXIT_PLAN_ERRORS
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        print(result.summary(), file=sys.stderr)
        if args.dry_run:
            sys.stdout.write(result.diff)
    return EXIT_OK
