"""The one table of known models: context window, output limit, reasoning, tokenizer and price.

Every question about a model name is answered here with one rule (`match_model`): names compare
case-insensitively without a ``provider/`` prefix; an exact entry wins, else the longest entry the
name starts with, followed by a character that is not a letter or digit (``gpt-4o`` covers
``gpt-4o-mini-tts`` and ``gpt-4o:latest``, not ``gpt-4o2``). A family's context window, output
limit, reasoning flag and encoding carry over to the names it covers; its price only to itself
and its dated snapshots (``gpt-4o-mini-2024-07-18``): the members of a family are priced apart
(``gpt-5-pro`` costs 12 times ``gpt-5``), so anything else has no price rather than a guess.

Prices are our own small table, not the ``genai-prices`` package (0.2.3 inspected). It works
offline (its updater only fetches when started), but it knows prices and context windows, not
output limits, reasoning or tokenizers, so this table would stay beside it with a second matching
rule (its per-model clauses); its prices depend on the request date (the same usage costs
differently as time passes and the package updates); and importing it plus the first lookup take
~0.7 s (1.6 MB of data) on every start of the command line or a batch worker, for a number that
is an estimate anyway. Callers with other prices pass ``prices=``.

>>> model_info("openai/GPT-4o-mini-2024-07-18").price
Price(input=0.15, cached_input=0.075, output=0.6)
>>> info = model_info("gpt-5-pro")
>>> (info.name, info.reasoning, info.price) if info else None
('gpt-5', True, None)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Final, NamedTuple

__all__ = [
    "MODELS",
    "PRICES",
    "ModelInfo",
    "ModelMatch",
    "Price",
    "cost_usd",
    "match_model",
    "model_info",
    "normalize_model_name",
    "price_for",
]


@dataclass(frozen=True)
class Price:
    """USD per million tokens: input, cached input, output."""

    input: float
    cached_input: float
    output: float


@dataclass(frozen=True)
class ModelInfo:
    """What is known about one model family; None where it is not known (or not applicable)."""

    name: str  # the table entry: a model name, covering the names it prefixes (see `match_model`)
    context_window: int | None
    max_output_tokens: int | None
    reasoning: bool  # no temperature; hidden reasoning tokens count as output
    encoding: str | None  # the tiktoken encoding of its tokenizer
    price: Price | None


_O200K: Final = "o200k_base"
_CL100K: Final = "cl100k_base"


def _family(
    name: str,
    window: int | None,
    max_out: int | None,
    reasoning: bool,
    encoding: str,
    price: tuple[float, float, float] | None = None,
) -> tuple[str, ModelInfo]:
    return name, ModelInfo(
        name, window, max_out, reasoning, encoding, Price(*price) if price else None
    )


# Public list prices (USD / 1M tokens: input, cached input, output) at the time of writing.
MODELS: Final[Mapping[str, ModelInfo]] = MappingProxyType(
    dict(
        [
            _family("gpt-4o", 128_000, 16_384, False, _O200K, (2.50, 1.25, 10.00)),
            # The first gpt-4o snapshot kept its launch price (and output limit).
            _family("gpt-4o-2024-05-13", 128_000, 4_096, False, _O200K, (5.00, 5.00, 15.00)),
            _family("gpt-4o-mini", 128_000, 16_384, False, _O200K, (0.15, 0.075, 0.60)),
            _family("chatgpt-4o", 128_000, 16_384, False, _O200K),
            _family("gpt-4.1", 1_047_576, 32_768, False, _O200K, (2.00, 0.50, 8.00)),
            _family("gpt-4.1-mini", 1_047_576, 32_768, False, _O200K, (0.40, 0.10, 1.60)),
            _family("gpt-4.1-nano", 1_047_576, 32_768, False, _O200K, (0.10, 0.025, 0.40)),
            _family("gpt-4.5", 128_000, 16_384, False, _O200K),
            _family("gpt-5", 400_000, 128_000, True, _O200K, (1.25, 0.125, 10.00)),
            _family("gpt-5-mini", 400_000, 128_000, True, _O200K, (0.25, 0.025, 2.00)),
            _family("gpt-5-nano", 400_000, 128_000, True, _O200K, (0.05, 0.005, 0.40)),
            _family("o1", 200_000, 100_000, True, _O200K, (15.00, 7.50, 60.00)),
            _family("o3", 200_000, 100_000, True, _O200K, (2.00, 0.50, 8.00)),
            _family("o3-mini", 200_000, 100_000, True, _O200K, (1.10, 0.55, 4.40)),
            _family("o4", 200_000, 100_000, True, _O200K),
            _family("o4-mini", 200_000, 100_000, True, _O200K, (1.10, 0.275, 4.40)),
            _family("gpt-4-turbo", 128_000, 4_096, False, _CL100K),
            _family("gpt-4", 8_192, 4_096, False, _CL100K),
            _family("gpt-3.5", 16_385, 4_096, False, _CL100K),
            _family("gpt-35", 16_385, 4_096, False, _CL100K),  # Azure's name for gpt-3.5
            # Embedding models: their tokenizer is all the planner needs of them.
            _family("text-embedding-3", 8_191, None, False, _CL100K),
            _family("text-embedding-ada-002", 8_191, None, False, _CL100K),
        ]
    )
)

#: The priced entries of `MODELS` (a view, kept for callers of the former price table).
PRICES: Final[Mapping[str, Price]] = MappingProxyType(
    {name: info.price for name, info in MODELS.items() if info.price is not None}
)

_SNAPSHOT: Final = re.compile(r"-\d{4}-\d{2}-\d{2}")


def _key(name: str) -> str:
    # "openai/gpt-4o", "azure/gpt-4o", "openrouter/openai/gpt-4o": the last part names the model.
    return name.strip().lower().rsplit("/", 1)[-1]


def normalize_model_name(model: str) -> str:
    """Lower-case ``model`` and strip provider prefixes and fine-tune wrappers.

    >>> normalize_model_name(" openai/GPT-4o-mini ")
    'gpt-4o-mini'
    >>> normalize_model_name("ft:gpt-4o-mini-2024-07-18:acme::abc123")
    'gpt-4o-mini-2024-07-18'
    """
    name = _key(model)
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    return name


class ModelMatch(NamedTuple):
    """The table entry a model name falls under; ``exact`` for the entry or its dated snapshot."""

    name: str
    exact: bool


def match_model(model: str, names: Iterable[str]) -> ModelMatch | None:
    """The entry of ``names`` that ``model`` falls under (the rule of this module), or None.

    ``names`` are the keys of any table: `MODELS` or a caller's ``prices=``.

    >>> match_model("azure/GPT-4o-mini-2024-07-18", ["gpt-4o", "gpt-4o-mini"])
    ModelMatch(name='gpt-4o-mini', exact=True)
    >>> match_model("gpt-4o-mini-tts", ["gpt-4o", "gpt-4o-mini"])
    ModelMatch(name='gpt-4o-mini', exact=False)
    >>> match_model("gpt-4o2", ["gpt-4o"]) is None
    True
    """
    wanted = _key(model)
    best: tuple[str, str] | None = None  # (normalised entry, entry as given)
    for name in names:
        key = _key(name)
        if not key or not wanted.startswith(key):
            continue
        if len(wanted) == len(key):
            return ModelMatch(name, True)
        if not wanted[len(key)].isalnum() and (best is None or len(key) > len(best[0])):
            best = (key, name)
    if best is None:
        return None
    return ModelMatch(best[1], _SNAPSHOT.fullmatch(wanted[len(best[0]) :]) is not None)


def model_info(model: str) -> ModelInfo | None:
    """What the table knows about ``model``; None for a model it does not know.

    A fine-tune (``ft:<base>:...``) has its base model's tokenizer and limits but no price
    (fine-tunes are billed at their own rates).

    >>> model_info("ft:gpt-4o-mini-2024-07-18:acme::abc").context_window
    128000
    >>> model_info("qwen2.5-coder:7b") is None
    True
    """
    found = match_model(normalize_model_name(model), MODELS)
    if found is None:
        return None
    info = MODELS[found.name]
    if not found.exact or _key(model).startswith("ft:"):
        info = replace(info, price=None)
    return info


def price_for(model: str, prices: Mapping[str, Price] | None = None) -> Price | None:
    """The price of ``model``: from ``prices`` when given (instead of the table), same rule.

    None for a model without an entry of its own or of its dated snapshot: never a guess.

    >>> price_for("gpt-4o-mini-2024-07-18") == PRICES["gpt-4o-mini"]
    True
    >>> price_for("gpt-4o-mini-tts") is None
    True
    >>> price_for("My-Deployment", {"my-deployment": Price(1.0, 0.5, 2.0)})
    Price(input=1.0, cached_input=0.5, output=2.0)
    """
    if prices is None:
        info = model_info(model)
        return None if info is None else info.price
    found = match_model(model, prices)
    return prices[found.name] if found is not None and found.exact else None


def cost_usd(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    cached_tokens: int = 0,
    *,
    prices: Mapping[str, Price] | None = None,
) -> float | None:
    """Dollar cost of a usage, or None for a model with no price entry.

    >>> round(cost_usd("gpt-4o-mini", 1_000_000, 0) or 0, 2)
    0.15
    """
    price = price_for(model, prices)
    if price is None:
        return None
    uncached = max(prompt_tokens - cached_tokens, 0)
    return (
        uncached * price.input
        + cached_tokens * price.cached_input
        + completion_tokens * price.output
    ) / 1_000_000
