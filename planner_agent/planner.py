"""`Planner`: the resources of planning (connection, knowledge, codebase, prompt, checks).

The loop itself is the conversation core (`planner_agent._conversation`); ``plan`` and ``aplan``
are short drivers over it. `Planner` answers what the core asks: the prompt for a mode, the
request for a conversation, the checks of a plan, the mode to fall back to, the cost.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Unpack

import openai

from ._conversation import Conversation, adrive, drive
from ._sync import run_sync
from ._usage import Attempt, Usage, UsageLimits
from .checks import Rule, check_plan, select_rules
from .checks._codebase import CodebaseIndex, rank_examples
from .checks._resolver import resolver_candidates
from .conventions import DEFAULT_LAYOUT, Layout
from .errors import UnsupportedResponseFormatError
from .llm._constraints import with_step_names
from .llm._modes import OutputMode, get_mode, instructions_for
from .llm._profiles import (
    ModelProfile,
    Price,
    cost_usd,
    profile_for,
)
from .llm._providers import Connection, Provider, resolve_provider
from .llm._replies import DECISIONS, ReplyName, ReplyShape, reply_shape
from .llm._transport import RateGate, RetryPolicy, Transport
from .local.analogy import analogy_examples, local_knowledge, rank_analogies
from .plan import ImplementationPlan, PlanIssue
from .prompt._builder import Prompt, PromptBuilder, PromptLayout
from .prompt._knowledge import Knowledge
from .prompt._requirements import load_requirements
from .prompt._tokens import TokenCounter
from .repair import repair_plan
from .result import PlanResult
from .settings import PLANNER_KEYWORDS, ModeOption, RequestOptions, Settings

__all__ = ["PLANNER_OPTIONS", "Planner"]

#: `Planner`'s keyword names (kept for callers that imported it from here).
PLANNER_OPTIONS = PLANNER_KEYWORDS


class Planner:
    """Plans new pipeline steps; reusable (knowledge, codebase index and prompt prefix built once).

    >>> planner = Planner(model="gpt-4.1-mini")  # doctest: +SKIP
    >>> result = planner.plan("Calibrate XGBoost scores with isotonic regression ...")  # doctest: +SKIP
    >>> result.ok, result.usage.total_tokens  # doctest: +SKIP

    Keywords beyond the named ones are request options (`RequestOptions`): chat-completion
    parameters the openai client knows (``seed=7``, ``top_p=0.9``), and ``extra_body={...}`` for
    parameters only your server knows; anything else raises `ConfigurationError` before any
    request. The keywords are validated into `Settings` (``planner.settings``).
    """

    def __init__(
        self,
        *,
        client: openai.OpenAI | openai.AsyncOpenAI | None = None,
        model: str | None = None,
        mode: ModeOption = "auto",
        reply: ReplyName = "auto",
        max_attempts: int | openai.NotGiven = openai.NOT_GIVEN,
        knowledge: Knowledge | str | Path | Mapping[str, str] | None = None,
        codebase: CodebaseIndex | str | Path | None = None,
        strict: bool = False,
        layout: Layout | None = None,
        prompt_layout: PromptLayout = "cache",
        examples_k: int = 2,
        max_tokens: int | None = None,
        temperature: float | None = None,
        context_window: int | None = None,
        transport_retries: int = 4,
        timeout: float | None = None,
        plan_timeout: float | None = None,
        prices: Mapping[str, Price] | None = None,
        disable_rules: Iterable[str] = (),
        extra_rules: Iterable[Rule] = (),
        rate_gate: RateGate | None = None,
        usage_limits: UsageLimits | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        settings = Settings(
            model=model,
            mode=mode,
            reply=reply,
            max_attempts=max_attempts,
            knowledge=knowledge,
            codebase=codebase,
            strict=strict,
            layout=layout,
            prompt_layout=prompt_layout,
            examples_k=examples_k,
            max_tokens=max_tokens,
            temperature=temperature,
            context_window=context_window,
            transport_retries=transport_retries,
            timeout=timeout,
            plan_timeout=plan_timeout,
            prices=prices,
            disable_rules=disable_rules,
            extra_rules=extra_rules,
            rate_gate=rate_gate,
            usage_limits=usage_limits,
            on_attempt=on_attempt,
            options=dict(options),
        )
        self._setup(settings, client)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, client: openai.OpenAI | openai.AsyncOpenAI | None = None
    ) -> Planner:
        """A planner from validated `Settings` (what the CLI and the batch entry points use)."""
        planner = cls.__new__(cls)
        planner._setup(settings, client)
        return planner

    def _setup(self, settings: Settings, client: openai.OpenAI | openai.AsyncOpenAI | None) -> None:
        self.settings = s = settings
        self._timeout = s.timeout
        self._connection: Connection | None = None
        self._transport: Transport | None = None
        context_window = s.context_window
        named = s.model or os.environ.get("PLANNER_MODEL") or None
        # Where requests will go is known without connecting; it decides the profile.
        self._provider: Provider = resolve_provider(client, named)
        local = self._provider.local
        if client is not None or named is None:
            # The client (or, with nothing named, the environment) decides the model: connect now.
            self._connection = self._provider.connect(s.timeout)
            self.model = self._connection.model
            base_url: str | None = self._connection.base_url
            context_window = context_window or self._connection.context_window
        else:
            # A named model: connect lazily, so prompt() and option errors never need a server.
            self.model = named
            base_url = self._provider.base_url
            context_window = context_window or self._provider.context_window
        #: The embedded model: a short knowledge digest and the closest step as a filled draft.
        self.local: bool = local
        self.knowledge = (
            local_knowledge() if local and s.knowledge is None else Knowledge.load(s.knowledge)
        )
        self.codebase = _load_codebase(s.codebase, s.layout)
        self.strict = s.strict
        #: Where planned files go: the ``layout`` given, else the codebase's detected layout.
        self.layout: Layout = s.layout or (
            self.codebase.layout if self.codebase is not None else DEFAULT_LAYOUT
        )
        # Small local models rarely fix rule issues when re-asked (measured), and each attempt
        # takes half a minute or more on a CPU: one attempt there unless asked; three elsewhere.
        max_attempts = s.max_attempts
        self.max_attempts: int = (
            (1 if local else 3) if isinstance(max_attempts, openai.NotGiven) else max_attempts
        )
        self.requested_mode: str = s.mode if isinstance(s.mode, str) else s.mode.name
        self.profile: ModelProfile = profile_for(
            self.model, base_url=base_url, context_window=context_window
        )
        self._mode: OutputMode = (
            s.mode
            if isinstance(s.mode, OutputMode)
            else get_mode(self.profile.mode if s.mode == "auto" else s.mode)
        )
        #: What a JSON reply holds (`planner_agent.llm.ReplyShape`): decisions or a whole draft.
        self.reply: ReplyShape = reply_shape(s.reply, local=local)
        self.max_tokens: int = s.max_tokens or self.profile.default_max_tokens
        self.temperature = s.temperature
        self.retry_policy = RetryPolicy(retries=s.transport_retries)
        self.rate_gate = s.rate_gate or RateGate()
        self.prices = s.prices
        self.usage_limits = s.usage_limits
        self.plan_timeout = s.plan_timeout
        self.on_attempt = s.on_attempt
        # Validated now (unknown or duplicate codes), not after the first paid reply.
        self.rules = select_rules(extra_rules=s.extra_rules, disable=s.disable_rules)
        self.prompt_layout: PromptLayout = s.prompt_layout
        self.examples_k = s.examples_k
        #: Extra request body fields: chat-completion parameters and ``extra_body`` contents.
        self.options = s.request_fields()
        self.counter = TokenCounter.for_model(self.model)
        self._builders: dict[str, PromptBuilder] = {}
        self._schema: dict[str, Any] | None = None
        if self._connection is not None:
            _ = self.transport  # a malformed API key fails here, before any request

    # -- public API ---------------------------------------------------------------------------
    @property
    def connection(self) -> Connection:
        """The client connection (made on first use when a model was named)."""
        if self._connection is None:
            self._connection = self._provider.connect(self._timeout)
        return self._connection

    @property
    def transport(self) -> Transport:
        """The connection's client with this planner's retry policy and rate gate."""
        if self._transport is None:
            self._transport = Transport(
                self.connection.client, self.retry_policy, self.rate_gate, timeout=self._timeout
            )
        return self._transport

    @property
    def mode(self) -> str:
        """The name of the output mode in use (after any ``auto`` fallback)."""
        return self._mode.name

    @property
    def output_mode(self) -> OutputMode:
        """The output mode in use (after any ``auto`` fallback)."""
        return self._mode

    def schema(self) -> dict[str, Any]:
        """The JSON Schema sent to this endpoint, in the profile's dialect."""
        if self._schema is None:  # generating it costs milliseconds: once per planner
            schema = self.profile.dialect.apply(self.reply.schema())
            if self.codebase is not None and self.profile.strict:
                # Step references: the registry's names first, or a new step's PascalCase name.
                schema = with_step_names(schema, self.codebase.registry)
            self._schema = schema
        return self._schema

    def prompt(self, requirements: str | os.PathLike[str]) -> Prompt:
        """Assemble (and budget-check) the prompt for ``requirements`` without calling the model."""
        return self.build_prompt(load_requirements(requirements), self._mode)

    def plan(self, requirements: str | os.PathLike[str]) -> PlanResult:
        """Plan one step (blocking). See `aplan` for asyncio code."""
        text = load_requirements(requirements)
        if self.connection.is_async:
            return run_sync(lambda: self._aplan(text))
        return drive(Conversation(self, text).flow(), self.transport.send)

    async def aplan(self, requirements: str | os.PathLike[str]) -> PlanResult:
        """Plan one step from asyncio code (a sync client's calls run in worker threads)."""
        return await self._aplan(load_requirements(requirements))

    async def _aplan(self, text: str) -> PlanResult:
        return await adrive(Conversation(self, text).flow(), self.transport.asend)

    def check(self, plan: ImplementationPlan, requirements: str | None = None) -> list[PlanIssue]:
        """Run this planner's checks (codebase-aware) on any plan."""
        return check_plan(plan, codebase=self.codebase, requirements=requirements, rules=self.rules)

    # -- what the conversation asks of the planner ----------------------------------------------
    def build_prompt(self, text: str, mode: OutputMode) -> Prompt:
        """The prompt for requirements ``text`` in ``mode`` (static parts built once per mode)."""
        builder = self._builders.get(mode.name)
        if builder is None:
            if self.codebase is not None:
                examples = self.codebase.examples()
                # The layout first: a markdown reply writes the file paths itself.
                digest = f"{self.layout.summary()}\n\n{self.codebase.registry_digest()}"
            else:
                examples, digest = list(self.knowledge.examples), ""
            if self.local:
                examples = analogy_examples(
                    examples, self.codebase, decisions=self.reply is DECISIONS
                )
            schema = self.schema()
            builder = PromptBuilder(
                self.knowledge,
                counter=self.counter,
                instructions=lambda section: instructions_for(mode, section, schema, self.reply),
                layout=self.prompt_layout,
                examples=examples,
                examples_k=min(self.examples_k, 1) if self.local else self.examples_k,
                ranker=rank_analogies if self.local else rank_examples,
                codebase_digest=digest,
                context_window=self.profile.context_window,
                reserve_output=self.max_tokens,
            )
            self._builders[mode.name] = builder
        return builder.build(text)

    def request_for(self, messages: list[dict[str, str]], mode: OutputMode) -> dict[str, Any]:
        """The chat-completion request for ``messages`` in ``mode``."""
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            self.profile.max_tokens_param: self.max_tokens,
        }
        request.update(mode.request_fields(self.schema(), strict=self.profile.strict))
        temperature = self.temperature
        if temperature is None and not self.profile.reasoning:
            temperature = 0.0
        if temperature is not None:
            request["temperature"] = temperature
        request.update(self.options)
        return request

    def examine(
        self, plan: ImplementationPlan, text: str
    ) -> tuple[ImplementationPlan, list[PlanIssue]]:
        """The plan, repaired (`repair_plan`) and with the resolver's candidates (given a
        codebase), and its findings: the repairs made, then what the checks found."""
        plan, repairs = repair_plan(
            plan, codebase=self.codebase, disable=self.settings.disable_rules
        )
        if self.codebase is not None:
            found = resolver_candidates(plan, self.codebase.producers())
            integration = plan.integration.model_copy(update={"resolver_candidates": found})
            plan = plan.model_copy(update={"integration": integration})
        return plan, [*repairs, *self.check(plan, text)]

    def fall_back(self, exc: UnsupportedResponseFormatError, mode: OutputMode) -> None:
        """Step ``mode="auto"`` down after ``mode`` was rejected (else re-raise ``exc``)."""
        if mode is not self._mode:
            return  # a concurrent run already stepped down: retry in the new mode
        if self.requested_mode != "auto" or mode.fallback is None:
            raise exc
        self._mode = get_mode(mode.fallback)

    def cost(self, usage: Usage) -> float | None:
        """Dollar cost of ``usage`` for this model (None: no price known, never a guess)."""
        tokens = (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens)
        return cost_usd(self.model, *tokens, prices=self.prices)


def _load_codebase(
    codebase: CodebaseIndex | str | Path | None, layout: Layout | None
) -> CodebaseIndex | None:
    """The index of ``codebase``; a ``layout`` given overrides the one detected."""
    if codebase is None:
        return None
    if isinstance(codebase, CodebaseIndex):
        if layout is None or layout == codebase.layout:
            return codebase
        return dataclasses.replace(codebase, layout=layout)
    return CodebaseIndex.from_path(Path(codebase), layout=layout)
