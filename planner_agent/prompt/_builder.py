"""Assemble the planner prompt: cache-friendly message order, per-section token table, budget trim.

Layout ``"cache"`` (default) puts everything static — role, architecture, the four documents,
output instructions, schema, the codebase's step list — in a byte-identical system message, and
what is chosen per request (the requirements and the examples picked for them) in the last
message, so providers' prompt caches (and llama.cpp's KV cache) reuse the prefix. Layout
``"seed"`` keeps the seed's own order: one message with the requirements in their slot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from ..errors import PromptTooLargeError
from ._knowledge import DOCUMENT_SLOTS, Example, Knowledge, examples_text
from ._template import output_format_section, split_template
from ._tokens import TokenCounter

__all__ = ["Prompt", "PromptBuilder", "PromptLayout", "Section"]

PromptLayout = Literal["cache", "seed"]

_REQUIREMENTS_POINTER: Final = "(The requirements are given in the final message.)"
_EXAMPLES_POINTER: Final = "(Examples of similar existing steps are given in the final message.)"


@dataclass(frozen=True)
class Section:
    """One named part of the prompt and its token count."""

    name: str
    text: str
    tokens: int
    static: bool


@dataclass(frozen=True)
class Prompt:
    """The messages to send, and what they are made of.

    ``tokens`` counts the whole message list (with chat overhead); ``exact`` is False when the
    counts are approximate (unknown model or no encoding data).
    """

    messages: tuple[dict[str, str], ...]
    sections: tuple[Section, ...]
    tokens: int
    exact: bool
    counter_label: str
    trimmed: tuple[str, ...] = ()
    examples: tuple[str, ...] = field(default=())

    @property
    def static_prefix(self) -> str:
        """The text of every message but the last (byte-identical across requests in cache layout)."""
        return "".join(m["content"] for m in self.messages[:-1])

    def section_tokens(self) -> dict[str, int]:
        """Section name -> tokens."""
        return {s.name: s.tokens for s in self.sections}

    def token_table(self) -> str:
        """A plain-text table of tokens per section."""
        width = max([len(s.name) for s in self.sections] + [7])
        rows = [f"{'section':<{width}}  {'tokens':>7}  kind"]
        rows += [
            f"{s.name:<{width}}  {s.tokens:>7}  {'static' if s.static else 'per request'}"
            for s in self.sections
        ]
        rows.append(f"{'total':<{width}}  {self.tokens:>7}  ({self.counter_label})")
        if self.trimmed:
            rows.append("trimmed: " + "; ".join(self.trimmed))
        return "\n".join(rows)

    def to_text(self) -> str:
        """The messages as readable text (what ``planner-agent prompt`` prints)."""
        return "\n\n".join(f"===== {m['role']} =====\n{m['content']}" for m in self.messages)


Ranker = Callable[[str, Sequence[Example], int], list[Example]]


class PromptBuilder:
    """Builds the `Prompt` for one requirements text; static parts are prepared once.

    ``instructions`` turns the template's "Expected Output Format" section into the one the
    output mode wants (the identity keeps the seed's own section).

    >>> builder = PromptBuilder(Knowledge.default(), counter=TokenCounter.for_model("gpt-4o"))  # doctest: +SKIP
    >>> builder.build("Calibrate scores ...").token_table()  # doctest: +SKIP
    """

    def __init__(
        self,
        knowledge: Knowledge,
        *,
        counter: TokenCounter,
        instructions: Callable[[str], str] = lambda section: section,
        layout: PromptLayout = "cache",
        examples: Sequence[Example] | None = None,
        examples_k: int = 2,
        ranker: Ranker | None = None,
        codebase_digest: str = "",
        context_window: int | None = None,
        reserve_output: int = 0,
    ) -> None:
        self.knowledge = knowledge
        self.counter = counter
        self.layout: PromptLayout = layout
        self.examples = tuple(knowledge.examples if examples is None else examples)
        self.examples_k = examples_k
        self.ranker = ranker
        self.codebase_digest = codebase_digest
        self.context_window = context_window
        self.reserve_output = reserve_output
        self._output_text = instructions(output_format_section(knowledge.template)[1])
        # documents -> (system text, its sections, tokens of the system message without priming)
        self._static_cache: dict[tuple[tuple[str, str], ...], tuple[str, list[Section], int]] = {}
        self._counts: dict[str, int] = {}

    # -- public -------------------------------------------------------------------------------
    def build(self, requirements: str) -> Prompt:
        """Assemble the messages for ``requirements``, trimming to the budget if one is set."""
        examples = self._pick_examples(requirements)
        documents = dict(self.knowledge.documents)
        trimmed: list[str] = []
        prompt = self._assemble(requirements, examples, documents, trimmed)
        limit = self._limit()
        if limit is None or prompt.tokens <= limit:
            return prompt
        # Drop the least relevant examples first (the ranking puts them last) ...
        while examples and prompt.tokens > limit:
            dropped = examples.pop()
            trimmed.append(f"dropped example {dropped.name}")
            prompt = self._assemble(requirements, examples, documents, trimmed)
        # ... then shorten the documents, longest first, to half their length each round.
        for _ in range(3):
            if prompt.tokens <= limit:
                break
            for slot in sorted(documents, key=lambda s: -len(documents[s])):
                before = self.counter.count(documents[slot])
                documents[slot] = _shorten(documents[slot])
                trimmed.append(
                    f"shortened {slot} from {before} to {self.counter.count(documents[slot])} tokens"
                )
            prompt = self._assemble(requirements, examples, documents, trimmed)
        if prompt.tokens > limit:
            largest = max(prompt.sections, key=lambda s: s.tokens)
            raise PromptTooLargeError(
                f"The prompt needs {prompt.tokens} tokens but only {limit} fit "
                f"(context {self.context_window} minus {self.reserve_output} reserved for the "
                f"reply), even after trimming examples and documents. The largest section is "
                f"{largest.name!r} ({largest.tokens} tokens): shorten it, or use a model with a "
                "larger context window.",
                prompt_tokens=prompt.tokens,
                limit=limit,
            )
        return prompt

    # -- assembly -----------------------------------------------------------------------------
    def _count_cached(self, text: str) -> int:
        # The same few example sets come back request after request: count each once.
        tokens = self._counts.get(text)
        if tokens is None:
            if len(self._counts) >= 256:
                self._counts.clear()
            tokens = self._counts[text] = self.counter.count(text)
        return tokens

    def _limit(self) -> int | None:
        if self.context_window is None:
            return None
        return self.context_window - self.reserve_output

    def _pick_examples(self, requirements: str) -> list[Example]:
        if not self.examples or self.examples_k <= 0:
            return []
        if self.ranker is None:
            return list(self.examples[: self.examples_k])
        return list(self.ranker(requirements, self.examples, self.examples_k))

    def _static(self, documents: dict[str, str]) -> tuple[str, list[Section], int]:
        key = tuple(sorted(documents.items()))
        cached = self._static_cache.get(key)
        if cached is not None:
            return cached
        values = {slot: documents[slot] for slot in DOCUMENT_SLOTS}
        values["requirements"] = _REQUIREMENTS_POINTER
        values["examples"] = _EXAMPLES_POINTER
        text, sections = self._fill(values, static_slots=DOCUMENT_SLOTS)
        text += self._digest(sections)
        # count_messages is additive per message plus the reply priming: count the system once.
        tokens = self.counter.count_messages(
            [{"role": "system", "content": text}]
        ) - self.counter.count_messages([])
        self._static_cache[key] = (text, sections, tokens)
        return text, sections, tokens

    def _digest(self, sections: list[Section]) -> str:
        """The codebase's step list (static per planner), appended to ``sections`` when present."""
        if not self.codebase_digest:
            return ""
        digest = f"\n\n## Existing Steps in This Codebase\n\n{self.codebase_digest}\n"
        sections.append(Section("codebase", digest, self._count_cached(digest), True))
        return digest

    def _fill(
        self, values: dict[str, str], static_slots: Sequence[str]
    ) -> tuple[str, list[Section]]:
        """Fill the template segment by segment so each part is counted on its own."""
        before, output_section, after = output_format_section(self.knowledge.template)
        template = before + "\0OUTPUT\0" + after if output_section else self.knowledge.template
        parts: list[str] = []
        sections: list[Section] = []
        instructions: list[str] = []
        for kind, value in split_template(template):
            if kind == "slot":
                parts.append(values[value])
                sections.append(
                    Section(
                        value,
                        values[value],
                        self.counter.count(values[value]),
                        value in static_slots,
                    )
                )
                continue
            for i, chunk in enumerate(value.split("\0OUTPUT\0")):
                if i:
                    parts.append(self._output_text)
                    sections.append(
                        Section(
                            "output_format",
                            self._output_text,
                            self.counter.count(self._output_text),
                            True,
                        )
                    )
                parts.append(chunk)
                instructions.append(chunk)
        if not output_section:
            parts.append("\n\n" + self._output_text)
            sections.append(
                Section(
                    "output_format", self._output_text, self.counter.count(self._output_text), True
                )
            )
        joined = "".join(instructions)
        sections.insert(0, Section("instructions", joined, self.counter.count(joined), True))
        return "".join(parts), sections

    def _assemble(
        self,
        requirements: str,
        examples: list[Example],
        documents: dict[str, str],
        trimmed: list[str],
    ) -> Prompt:
        example_text = examples_text(examples)
        if self.layout == "seed":
            values = {slot: documents[slot] for slot in DOCUMENT_SLOTS}
            values["requirements"] = requirements
            values["examples"] = example_text
            text, sections = self._fill(values, static_slots=DOCUMENT_SLOTS)
            sections = [
                Section(
                    s.name,
                    s.text,
                    s.tokens,
                    s.static and s.name not in ("requirements", "examples"),
                )
                for s in sections
            ]
            text += self._digest(sections)
            messages: tuple[dict[str, str], ...] = ({"role": "user", "content": text},)
            tokens = self.counter.count_messages(messages)
        else:
            system, static_sections, system_tokens = self._static(documents)
            # Drop the pointer placeholders from the table: they stand for the tail's content.
            sections = [s for s in static_sections if s.name not in ("requirements", "examples")]
            req_text = f"## Requirements for the New Step\n\n{requirements}\n"
            ex_text = f"\n## Example of Similar Steps\n\n{example_text}\n"
            sections.append(Section("requirements", req_text, self.counter.count(req_text), False))
            sections.append(Section("examples", ex_text, self._count_cached(ex_text), False))
            messages = (
                {"role": "system", "content": system},
                {"role": "user", "content": req_text + ex_text},
            )
            tokens = system_tokens + self.counter.count_messages(messages[1:])
        return Prompt(
            messages=messages,
            sections=tuple(sections),
            tokens=tokens,
            exact=self.counter.exact,
            counter_label=self.counter.label,
            trimmed=tuple(trimmed),
            examples=tuple(e.name for e in examples),
        )


def _shorten(text: str) -> str:
    """Keep the first half of a document, cut at a paragraph or line boundary."""
    half = text[: max(len(text) // 2, 1)]
    cut = max(half.rfind("\n\n"), half.rfind("\n"))
    kept = half[:cut] if cut > len(half) // 3 else half
    return kept.rstrip() + "\n(shortened to fit the context window)"
