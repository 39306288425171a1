"""The planner's settings: one frozen, validated object, and the typed request options.

`Settings` holds every `Planner` keyword but the client; each value is checked when the object is
made, so a wrong type is a `ConfigurationError` naming the keyword before any request. The CLI,
`plan_step` and `plan_steps` build the same object. `RequestOptions` types the chat-completion
parameters that pass through to the request (with ``Unpack``, IDEs and mypy catch a typo such as
``temprature=``); at run time anything else is refused with a suggestion.

>>> Settings(examples_k=1).examples_k
1
>>> Settings(examples_k=-1)
Traceback (most recent call last):
...
planner_agent.errors.ConfigurationError: examples_k must be an integer >= 0; got -1.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict

import openai

from ._options import check_options, is_int, is_number, is_path, require
from ._usage import Attempt, UsageLimits
from .checks import Rule
from .checks._codebase import CodebaseIndex
from .conventions import Layout
from .llm._modes import OutputMode, get_mode
from .llm._profiles import Price
from .llm._replies import ReplyName
from .llm._transport import RateGate
from .prompt._builder import PromptLayout
from .prompt._knowledge import Knowledge

__all__ = ["PLANNER_KEYWORDS", "PlannerKeywords", "RequestOptions", "Settings"]

ModeOption = Literal["auto", "json_schema", "json_object", "markdown"] | str | OutputMode


class RequestOptions(TypedDict, total=False):
    """Chat-completion parameters passed through to every request.

    ``extra_body`` holds parameters only your server knows (``{"top_k": 20}`` on vLLM or
    llama.cpp); they are merged into the request body. Fields the planner sets itself (model,
    messages, response_format, max_tokens, temperature...) are not options.
    """

    frequency_penalty: float | None
    presence_penalty: float | None
    logit_bias: dict[str, int] | None
    logprobs: bool | None
    top_logprobs: int | None
    seed: int | None
    stop: str | list[str] | None
    top_p: float | None
    user: str
    service_tier: str | None
    store: bool | None
    metadata: dict[str, str] | None
    reasoning_effort: str | None
    verbosity: str | None
    prompt_cache_key: str
    safety_identifier: str
    extra_body: Mapping[str, object]


class PlannerKeywords(RequestOptions, total=False):
    """Every keyword `Planner` takes (for ``Unpack`` in `plan_step` and `plan_steps`)."""

    client: openai.OpenAI | openai.AsyncOpenAI | None
    model: str | None
    mode: ModeOption
    reply: ReplyName
    max_attempts: int | openai.NotGiven
    knowledge: Knowledge | str | Path | Mapping[str, str] | None
    codebase: CodebaseIndex | str | Path | None
    strict: bool
    layout: Layout | None
    prompt_layout: PromptLayout
    examples_k: int
    max_tokens: int | None
    temperature: float | None
    context_window: int | None
    transport_retries: int
    timeout: float | None
    plan_timeout: float | None
    prices: Mapping[str, Price] | None
    disable_rules: Iterable[str]
    extra_rules: Iterable[Rule]
    rate_gate: RateGate | None
    usage_limits: UsageLimits | None
    on_attempt: Callable[[Attempt], None] | None


@dataclass(frozen=True)
class Settings:
    """Every `Planner` keyword but ``client``, validated on creation (see `Planner`)."""

    model: str | None = None
    mode: ModeOption = "auto"
    #: What a JSON reply holds: ``decisions`` (a few choices; the rest derived) or ``draft``
    #: (every fact); ``auto``: decisions for the embedded local model, else draft.
    reply: ReplyName = "auto"
    max_attempts: int | openai.NotGiven = openai.NOT_GIVEN
    knowledge: Knowledge | str | Path | Mapping[str, str] | None = None
    codebase: CodebaseIndex | str | Path | None = None
    strict: bool = False
    #: Where the codebase keeps each component; None: detected from ``codebase``, else the default.
    layout: Layout | None = None
    prompt_layout: PromptLayout = "cache"
    examples_k: int = 2
    max_tokens: int | None = None
    temperature: float | None = None
    context_window: int | None = None
    transport_retries: int = 4
    timeout: float | None = None
    #: Seconds one plan may take, re-asks and retries included: no request starts after that.
    plan_timeout: float | None = None
    prices: Mapping[str, Price] | None = None
    disable_rules: Iterable[str] = ()
    extra_rules: Iterable[Rule] = ()
    rate_gate: RateGate | None = None
    #: Stop before a request that would cross these limits (tokens or dollars of this plan).
    usage_limits: UsageLimits | None = None
    #: Called with each `Attempt` as soon as its reply is read (progress, logging, metrics).
    on_attempt: Callable[[Attempt], None] | None = None
    #: Request options as given (`RequestOptions`): chat-completion parameters, ``extra_body``.
    options: Mapping[str, Any] = field(default_factory=dict)

    def request_fields(self) -> dict[str, Any]:
        """The request body fields the options add (``extra_body`` merged into the body).

        >>> Settings(options={"seed": 7, "extra_body": {"top_k": 20}}).request_fields()
        {'seed': 7, 'top_k': 20}
        """
        return check_options(self.options, known=PLANNER_KEYWORDS)

    def __post_init__(self) -> None:
        # Generators are read once, here; one code given as a str is that code, not its letters.
        rules = self.disable_rules
        if isinstance(rules, str):
            object.__setattr__(self, "disable_rules", (rules,))
        elif isinstance(rules, Iterable):
            object.__setattr__(self, "disable_rules", tuple(rules))
        extra = self.extra_rules
        if isinstance(extra, Iterable) and not isinstance(extra, str | bytes):
            object.__setattr__(self, "extra_rules", tuple(extra))
        for name, (ok, expected) in _CHECKS.items():
            value = getattr(self, name)
            require(name, value, ok(value), expected)
        if isinstance(self.mode, str) and self.mode != "auto":
            get_mode(self.mode)  # an unknown name: ConfigurationError with a suggestion
        object.__setattr__(self, "options", dict(self.options))
        self.request_fields()  # a typo or a planner-managed field fails now, with a suggestion

    @classmethod
    def from_keywords(cls, **keywords: Any) -> Settings:
        """Settings from `Planner` keywords; those that are not settings are request options."""
        return cls().with_keywords(**keywords)

    def with_keywords(self, **keywords: Any) -> Settings:
        """A copy with `Planner` keywords applied; request options are added to ``options``.

        >>> Settings(model="m").with_keywords(examples_k=0, seed=7).options
        {'seed': 7}
        """
        names = {f.name for f in dataclasses.fields(self)} - {"options"}
        options = {k: v for k, v in keywords.items() if k not in names}
        changes = {k: v for k, v in keywords.items() if k in names}
        if options:
            changes["options"] = {**self.options, **options}
        return dataclasses.replace(self, **changes) if changes else self


def _or_none(ok: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or ok(value)


# What each keyword takes: (check, what to say when it fails).
_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "mode": (
        lambda v: isinstance(v, OutputMode | str),
        "one of auto, json_schema, json_object, markdown (or a registered OutputMode)",
    ),
    "reply": (lambda v: v in ("auto", "draft", "decisions"), "'auto', 'draft' or 'decisions'"),
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
    "layout": (_or_none(lambda v: isinstance(v, Layout)), "a conventions.Layout"),
    "prompt_layout": (lambda v: v in ("cache", "seed"), "'cache' or 'seed'"),
    "examples_k": (lambda v: is_int(v, 0), "an integer >= 0"),
    "max_tokens": (_or_none(lambda v: is_int(v, 1)), "a positive integer (tokens)"),
    "context_window": (_or_none(lambda v: is_int(v, 1)), "a positive integer (tokens)"),
    "temperature": (_or_none(lambda v: is_number(v, 0, 2)), "a number from 0 to 2"),
    "timeout": (_or_none(lambda v: is_number(v, 1e-3)), "a positive number of seconds"),
    "plan_timeout": (_or_none(lambda v: is_number(v, 1e-3)), "a positive number of seconds"),
    "transport_retries": (lambda v: is_int(v, 0), "an integer >= 0"),
    "prices": (
        _or_none(
            lambda v: isinstance(v, Mapping) and all(isinstance(p, Price) for p in v.values())
        ),
        "a mapping of model name to profiles.Price",
    ),
    # Both rule options arrive as tuples: __post_init__ has read any iterable once.
    "disable_rules": (
        lambda v: isinstance(v, tuple) and all(isinstance(c, str) for c in v),
        "rule codes, e.g. ['PROP001']",
    ),
    "extra_rules": (
        lambda v: isinstance(v, tuple) and all(isinstance(r, Rule) for r in v),
        "a list of Rule objects",
    ),
    "rate_gate": (_or_none(lambda v: isinstance(v, RateGate)), "a RateGate"),
    "usage_limits": (_or_none(lambda v: isinstance(v, UsageLimits)), "a UsageLimits(...)"),
    "on_attempt": (_or_none(callable), "a function taking an Attempt"),
}

#: `Planner`'s keyword names (a mistyped option is matched against them for a suggestion).
PLANNER_KEYWORDS: tuple[str, ...] = (
    "client",
    *(f.name for f in dataclasses.fields(Settings) if f.name != "options"),
)
