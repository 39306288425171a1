"""The loop: prompt -> llm -> parse -> check -> (re-ask | result). `Planner` owns nothing else.

The conversation of one run grows by appending the model's reply and one message listing the
precise errors; the caller's messages are never rewritten. Transport retries happen inside one
request (``llm``); validation re-asks are attempts here, bounded by ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import os
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

import openai

from ._options import check_options, is_int, is_number, is_path, require
from .checks import Rule, check_plan, select_rules, sort_issues
from .checks._codebase import CodebaseIndex, rank_examples
from .checks._resolver import resolver_candidates
from .conventions import DEFAULT_LAYOUT, Layout
from .draft import PlanDraft
from .errors import (
    IncompleteOutputError,
    PlanIssuesError,
    PlanningError,
    PlanRefusedError,
    UnsupportedResponseFormatError,
)
from .llm._parse import parse_reply
from .llm._profiles import (
    FALLBACK,
    MODES,
    Mode,
    ModelProfile,
    Price,
    bounded_schema,
    cost_usd,
    profile_for,
    strict_schema,
)
from .llm._providers import LOCAL_BASE_URL, Connection, connect, planned_endpoint
from .llm._transport import RateGate, Reply, RetryPolicy, acomplete, complete
from .plan import ImplementationPlan, PlanIssue
from .prompt._builder import Prompt, PromptBuilder, PromptLayout
from .prompt._knowledge import Knowledge
from .prompt._requirements import load_requirements
from .prompt._tokens import TokenCounter
from .result import Attempt, PlanResult, Usage

__all__ = ["PlanRun", "Planner"]

T = TypeVar("T")
ModeOption = Literal["auto", "json_schema", "json_object", "markdown"]


@dataclass
class PlanRun:
    """State of one planning run: the growing conversation and the attempts so far.

    With `Planner.start`, `Planner.request` and `Planner.receive` it is the sans-IO seam of the
    loop: a caller with its own transport (the batch runner, the Batch API) sends each request
    and hands back the reply until ``receive`` returns a result.
    """

    prompt: Prompt
    mode: Mode
    messages: list[dict[str, str]]
    attempts: list[Attempt] = field(default_factory=list)
    best: tuple[ImplementationPlan, list[PlanIssue]] | None = None
    started: float = field(default_factory=time.perf_counter)


class Planner:
    """Plans new pipeline steps; reusable (knowledge, codebase index and prompt prefix built once).

    >>> planner = Planner(model="gpt-4.1-mini")  # doctest: +SKIP
    >>> result = planner.plan("Calibrate XGBoost scores with isotonic regression ...")  # doctest: +SKIP
    >>> result.ok, result.usage.total_tokens  # doctest: +SKIP

    Keywords beyond the named ones are request options: chat-completion parameters the openai
    client knows (``seed=7``, ``top_p=0.9``), and ``extra_body={...}`` for parameters only your
    server knows; anything else raises `ConfigurationError` before any request.
    """

    def __init__(
        self,
        *,
        client: openai.OpenAI | openai.AsyncOpenAI | None = None,
        model: str | None = None,
        mode: ModeOption = "auto",
        max_attempts: int | openai.NotGiven = openai.NOT_GIVEN,
        knowledge: Knowledge | str | Path | Mapping[str, str] | None = None,
        codebase: CodebaseIndex | str | Path | None = None,
        strict: bool = False,
        layout: Layout = DEFAULT_LAYOUT,
        prompt_layout: PromptLayout = "cache",
        examples_k: int = 2,
        max_tokens: int | None = None,
        temperature: float | None = None,
        context_window: int | None = None,
        transport_retries: int = 4,
        timeout: float | None = None,
        prices: Mapping[str, Price] | None = None,
        disable_rules: Iterable[str] = (),
        extra_rules: Iterable[Rule] = (),
        rate_gate: RateGate | None = None,
        **options: Any,
    ) -> None:
        # Generators are read once, here; one code given as a str is that code, not its letters.
        if isinstance(disable_rules, str):
            disable_rules = (disable_rules,)
        elif isinstance(disable_rules, Iterable):
            disable_rules = tuple(disable_rules)
        if isinstance(extra_rules, Iterable) and not isinstance(extra_rules, str | bytes):
            extra_rules = tuple(extra_rules)
        _check_arguments(locals())  # at this point locals() are exactly the keyword arguments
        # Typos and unknown parameters fail here, before any request (see options.check_options).
        body_options = check_options(options, known=PLANNER_OPTIONS)
        self._timeout = timeout
        self._connection: Connection | None = None
        named = model or os.environ.get("PLANNER_MODEL") or None
        if client is not None or named is None:
            # The client (or, with nothing named, the environment) decides the model: connect now.
            self._connection = connect(client, model, timeout=timeout)
            self.model = self._connection.model
            base_url: str | None = self._connection.base_url
            local = self._connection.source == "local"
            context_window = context_window or self._connection.context_window
        else:
            # A named model: connect lazily, so prompt() and option errors never need a server;
            # but know now where requests will go, since that decides the profile.
            self.model = named
            base_url = planned_endpoint()
            local = base_url == LOCAL_BASE_URL
            if local and context_window is None:
                context_window = _local_context(named)
        self.knowledge = Knowledge.load(knowledge)
        self.codebase = _load_codebase(codebase)
        self.strict = strict
        self.layout = layout
        # Small local models rarely fix rule issues when re-asked (measured), and each attempt
        # takes minutes on a CPU: one attempt there unless asked; three elsewhere.
        if isinstance(max_attempts, openai.NotGiven):
            max_attempts = 1 if local else 3
        self.max_attempts: int = max_attempts
        self.requested_mode: ModeOption = mode
        self.profile: ModelProfile = profile_for(
            self.model, base_url=base_url, context_window=context_window
        )
        if mode != "auto":
            self.profile = self.profile.with_mode(mode)
        self.max_tokens = max_tokens or self.profile.default_max_tokens
        self.temperature = temperature
        self.retry_policy = RetryPolicy(retries=transport_retries)
        self.rate_gate = rate_gate or RateGate()
        self.prices = prices
        # Validated now (unknown or duplicate codes), not after the first paid reply.
        self.rules = select_rules(extra_rules=extra_rules, disable=disable_rules)
        self.prompt_layout: PromptLayout = prompt_layout
        self.examples_k = examples_k
        #: Extra request body fields: chat-completion parameters and ``extra_body`` contents.
        self.options = body_options
        self.counter = TokenCounter.for_model(self.model)
        self._builders: dict[Mode, PromptBuilder] = {}
        self._schemas: dict[tuple[bool, bool], dict[str, Any]] = {}

    # -- public API ---------------------------------------------------------------------------
    @property
    def connection(self) -> Connection:
        """The client connection (made on first use when a model was named)."""
        if self._connection is None:
            self._connection = connect(None, self.model, timeout=self._timeout)
        return self._connection

    @property
    def mode(self) -> Mode:
        """The output mode in use (after any ``auto`` fallback)."""
        return self.profile.mode

    def schema(self) -> dict[str, Any]:
        """The JSON Schema sent to this endpoint (strict / bounded per the profile)."""
        key = (self.profile.strict, self.profile.bounded)
        schema = self._schemas.get(key)
        if schema is None:  # generating it costs milliseconds: once per dialect
            schema = PlanDraft.model_json_schema()
            if self.profile.strict:
                schema = strict_schema(schema)
            if self.profile.bounded:
                schema = bounded_schema(schema)
            self._schemas[key] = schema
        return schema

    def prompt(self, requirements: str | Path) -> Prompt:
        """Assemble (and budget-check) the prompt for ``requirements`` without calling the model."""
        return self._builder(self.mode).build(load_requirements(requirements))

    def plan(self, requirements: str | Path) -> PlanResult:
        """Plan one step (blocking). See `aplan` for asyncio code."""
        text = load_requirements(requirements)
        if self.connection.is_async:
            return _run_coroutine(self._aplan(text))
        while True:
            run = self.start(text)
            try:
                while True:
                    reply = complete(
                        self._sync_client(), self.request(run), self.retry_policy, self.rate_gate
                    )
                    result = self.receive(run, text, reply)
                    if result is not None:
                        return result
            except UnsupportedResponseFormatError as exc:
                self.fall_back(exc, run)

    async def aplan(self, requirements: str | Path) -> PlanResult:
        """Plan one step from asyncio code (a sync client is driven in a worker thread)."""
        return await self._aplan(load_requirements(requirements))

    def check(self, plan: ImplementationPlan, requirements: str | None = None) -> list[PlanIssue]:
        """Run this planner's checks (codebase-aware) on any plan."""
        return check_plan(
            plan,
            codebase=self.codebase,
            requirements=requirements,
            rules=self.rules,
        )

    # -- the loop -----------------------------------------------------------------------------
    async def _aplan(self, text: str) -> PlanResult:
        while True:
            run = self.start(text)
            try:
                while True:
                    request = self.request(run)
                    client = self.connection.client
                    if isinstance(client, openai.AsyncOpenAI):
                        reply = await acomplete(client, request, self.retry_policy, self.rate_gate)
                    else:
                        reply = await asyncio.to_thread(
                            complete, client, request, self.retry_policy, self.rate_gate
                        )
                    result = self.receive(run, text, reply)
                    if result is not None:
                        return result
            except UnsupportedResponseFormatError as exc:
                self.fall_back(exc, run)

    def _sync_client(self) -> openai.OpenAI:
        client = self.connection.client
        assert isinstance(client, openai.OpenAI)
        return client

    def fall_back(self, exc: UnsupportedResponseFormatError, run: PlanRun) -> None:
        """Step ``mode=\"auto\"`` down after a rejected response_format (else re-raise ``exc``)."""
        if run.mode != self.mode:
            return  # a concurrent run already stepped down: retry in the new mode
        nxt = FALLBACK.get(self.mode)
        if self.requested_mode != "auto" or nxt is None:
            raise exc
        self.profile = self.profile.with_mode(nxt)

    def _builder(self, mode: Mode) -> PromptBuilder:
        builder = self._builders.get(mode)
        if builder is None:
            if self.codebase is not None:
                examples = self.codebase.examples()
                digest = self.codebase.registry_digest()
            else:
                examples, digest = list(self.knowledge.examples), ""
            builder = PromptBuilder(
                self.knowledge,
                mode=mode,
                counter=self.counter,
                schema=self.schema() if mode == "json_object" else None,
                layout=self.prompt_layout,
                examples=examples,
                examples_k=self.examples_k,
                ranker=rank_examples,
                codebase_digest=digest,
                context_window=self.profile.context_window,
                reserve_output=self.max_tokens,
            )
            self._builders[mode] = builder
        return builder

    def start(self, text: str, mode: Mode | None = None) -> PlanRun:
        """Begin a run for requirements ``text`` (already loaded) in ``mode`` (default: current)."""
        mode = mode or self.mode
        prompt = self._builder(mode).build(text)
        # A copy: the re-ask loop appends to it, never to the prompt's own tuple.
        return PlanRun(prompt=prompt, mode=mode, messages=[dict(m) for m in prompt.messages])

    def request(self, run: PlanRun) -> dict[str, Any]:
        """The chat-completion request for the run's next attempt."""
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in run.messages],
            self.profile.max_tokens_param: self.max_tokens,
        }
        if run.mode == "json_schema":
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": "plan_draft",
                    "strict": self.profile.strict,
                    "schema": self.schema(),
                },
            }
        elif run.mode == "json_object":
            request["response_format"] = {"type": "json_object"}
        temperature = self.temperature
        if temperature is None and not self.profile.reasoning:
            temperature = 0.0
        if temperature is not None:
            request["temperature"] = temperature
        request.update(self.options)
        return request

    def receive(self, run: PlanRun, text: str, reply: Reply) -> PlanResult | None:
        """Take the reply to the last request: a result, or None after queuing a re-ask."""
        number = len(run.attempts) + 1
        if reply.refusal or reply.finish_reason == "content_filter":
            run.attempts.append(
                Attempt(
                    number,
                    reply.text,
                    reply.finish_reason,
                    reply.usage,
                    reply.latency_s,
                    transport_retries=reply.retries,
                )
            )
            raise PlanRefusedError(
                f"The model refused to plan this step: {reply.refusal or 'content filtered'}. "
                "Rephrase the requirements; refusals are not re-asked.",
                refusal=reply.refusal or "",
                attempts=run.attempts,
            )
        if reply.finish_reason == "length":
            run.attempts.append(
                Attempt(
                    number,
                    reply.text,
                    "length",
                    reply.usage,
                    reply.latency_s,
                    ("<root>: output truncated at max_tokens",),
                    transport_retries=reply.retries,
                )
            )
            if run.best is None:
                raise IncompleteOutputError(
                    f"The reply was cut off at max_tokens={self.max_tokens} (finish_reason "
                    "'length'). Raise max_tokens (or --max-tokens), or use a model with a larger "
                    "output limit.",
                    attempts=run.attempts,
                )
            return self._result(run)
        parsed = parse_reply(reply.text, run.mode, self.layout)
        issues: list[PlanIssue] = []
        if parsed.plan is not None and self.codebase is not None:
            parsed = replace(parsed, plan=self._with_candidates(parsed.plan))
        if parsed.plan is not None:
            issues = sort_issues([*parsed.issues, *self.check(parsed.plan, text)])
            run.best = (parsed.plan, issues)
        run.attempts.append(
            Attempt(
                number,
                reply.text,
                reply.finish_reason,
                reply.usage,
                reply.latency_s,
                parsed.errors,
                tuple(issues),
                reply.retries,
            )
        )
        errors = list(parsed.errors) + [
            f"{i.path}: [{i.code}] {i.message}" for i in issues if i.is_error
        ]
        if not errors:
            return self._result(run)
        if number >= self.max_attempts:
            if run.best is None:
                usage = sum((a.usage for a in run.attempts), Usage())
                raise PlanningError(
                    f"No schema-valid plan after {number} attempt(s); last errors: "
                    + "; ".join(errors[:3]),
                    attempts=run.attempts,
                    usage=usage,
                )
            return self._result(run)
        run.messages.append({"role": "assistant", "content": reply.text})
        run.messages.append({"role": "user", "content": _reask(errors, run.mode)})
        return None

    def _with_candidates(self, plan: ImplementationPlan) -> ImplementationPlan:
        """Show the resolver's best existing producers for each dependency in section 4."""
        assert self.codebase is not None
        found = resolver_candidates(plan, self.codebase.producers())
        integration = plan.integration.model_copy(update={"resolver_candidates": found})
        return plan.model_copy(update={"integration": integration})

    def _result(self, run: PlanRun) -> PlanResult:
        assert run.best is not None
        plan, issues = run.best
        usage = sum((a.usage for a in run.attempts), Usage())
        result = PlanResult(
            plan=plan,
            issues=issues,
            attempts=list(run.attempts),
            model=self.model,
            mode=run.mode,
            cost_usd=cost_usd(
                self.model,
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.cached_tokens,
                prices=self.prices,
            ),
            prompt_tokens=run.prompt.section_tokens(),
            token_counts_exact=run.prompt.exact,
            trimmed=list(run.prompt.trimmed),
            elapsed_s=time.perf_counter() - run.started,
        )
        if self.strict and not result.ok:
            raise PlanIssuesError(
                f"The plan for {plan.step_name} still has {len(result.errors)} error(s) after "
                f"{len(run.attempts)} attempt(s): " + "; ".join(str(i) for i in result.errors[:3]),
                result=result,
            )
        return result


def _reask(errors: list[str], mode: Mode) -> str:
    listed = "\n".join(f"- {e}" for e in errors)
    what = (
        "the complete corrected plan in the same markdown format"
        if mode == "markdown"
        else ("the complete corrected JSON object (every field, not only the changed ones)")
    )
    return f"Your reply has these problems:\n{listed}\n\nFix all of them and reply with {what}."


def _local_context(model: str) -> int | None:
    """The context size the embedded server will run a named local model with, if known."""
    from .errors import LocalModelError
    from .local import resolve_spec

    try:
        return resolve_spec(model).n_ctx
    except LocalModelError:
        return None  # a .gguf path: the server decides; the connection reports it


def _load_codebase(codebase: CodebaseIndex | str | Path | None) -> CodebaseIndex | None:
    if codebase is None:
        return None
    if isinstance(codebase, CodebaseIndex):
        return codebase
    return CodebaseIndex.from_path(Path(codebase))


def _run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion even when called from a running event loop (notebooks)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


#: Planner's own keyword names (a mistyped option is matched against them for a suggestion).
PLANNER_OPTIONS = tuple(
    name
    for name in inspect.signature(Planner.__init__).parameters
    if name not in ("self", "options")
)


def _or_none(ok: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or ok(value)


# Planner's keywords: what each takes (checked by `_check_arguments`, before any request).
_ARGUMENTS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "mode": (lambda v: v in MODES, f"one of {', '.join(MODES)}"),
    "max_attempts": (
        lambda v: isinstance(v, openai.NotGiven) or is_int(v, 1),
        "a positive integer (1 = no re-ask)",
    ),
    "model": (
        _or_none(lambda v: isinstance(v, str) and bool(v.strip())),
        "a model or deployment name",
    ),
    "codebase": (
        _or_none(lambda v: isinstance(v, CodebaseIndex) or is_path(v)),
        "a repository path or a CodebaseIndex",
    ),
    "strict": (lambda v: isinstance(v, bool), "True or False"),
    "layout": (lambda v: isinstance(v, Layout), "a conventions.Layout"),
    "prompt_layout": (lambda v: v in ("cache", "seed"), "'cache' or 'seed'"),
    "examples_k": (lambda v: is_int(v, 0), "an integer >= 0"),
    "max_tokens": (_or_none(lambda v: is_int(v, 1)), "a positive integer (tokens)"),
    "context_window": (_or_none(lambda v: is_int(v, 1)), "a positive integer (tokens)"),
    "temperature": (_or_none(lambda v: is_number(v, 0, 2)), "a number from 0 to 2"),
    "timeout": (_or_none(lambda v: is_number(v, 1e-3)), "a positive number of seconds"),
    "transport_retries": (lambda v: is_int(v, 0), "an integer >= 0"),
    "prices": (
        _or_none(
            lambda v: isinstance(v, Mapping) and all(isinstance(p, Price) for p in v.values())
        ),
        "a mapping of model name to profiles.Price",
    ),
    # Both rule options arrive as tuples: __init__ has read any iterable once.
    "disable_rules": (
        lambda v: isinstance(v, tuple) and all(isinstance(c, str) for c in v),
        "rule codes, e.g. ['PROP001']",
    ),
    "extra_rules": (
        lambda v: isinstance(v, tuple) and all(isinstance(r, Rule) for r in v),
        "a list of Rule objects",
    ),
    "rate_gate": (_or_none(lambda v: isinstance(v, RateGate)), "a RateGate"),
}


def _check_arguments(given: Mapping[str, Any]) -> None:
    """Raise `ConfigurationError` for the first keyword that is not what it takes."""
    for name, (ok, expected) in _ARGUMENTS.items():
        require(name, given[name], ok(given[name]), expected)
