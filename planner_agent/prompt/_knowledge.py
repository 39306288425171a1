"""The knowledge behind the planner prompt: the template text, four documents and example steps.

A template carries six slot markers (``planner_agent.prompt._template.SLOTS``). The requirements fill one of
them; the other five come from a :class:`Knowledge`: four documents and a set of example steps. The
shipped defaults live in the repository's ``prompts/`` directory (``planner_agent/_data/prompts/`` in
an installed wheel); a knowledge directory of the same layout overrides any subset of them. Marker
validation, splitting and filling live in :mod:`planner_agent.prompt._template`.

>>> knowledge = Knowledge.default()
>>> prompt = knowledge.fill("Add a step that calibrates model scores.")
>>> "[INJECT" in prompt
False
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TypeAlias

from .._files import FileProblem, path_problem, read_text
from ..errors import KnowledgeError, TemplateError, shown_path
from ._template import fill_template, validate_template

__all__ = [
    "DOCUMENT_SLOTS",
    "KNOWLEDGE_KEYS",
    "Example",
    "Knowledge",
    "KnowledgeSource",
    "examples_text",
    "prompts_dir",
]

DOCUMENT_SLOTS: tuple[str, ...] = (
    "creation_process",
    "prerequisites",
    "alignment_rules",
    "standardization_rules",
)
"""The four slots filled by knowledge documents (file ``<slot>.md``)."""

KNOWLEDGE_KEYS: tuple[str, ...] = ("template", *DOCUMENT_SLOTS, "examples")
"""Keys accepted by ``Knowledge.load(mapping)`` and ``Knowledge.replace``."""

TEMPLATE_FILES: tuple[str, ...] = ("template.md", "planner_template.md")
EXAMPLE_META_KEYS: tuple[str, ...] = ("name", "sagemaker_step_type", "keywords", "description")
NO_EXAMPLES_TEXT = "No similar steps are available."

_META_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*?)\s*$")


# --------------------------------------------------------------------------- files


def prompts_dir() -> Path:
    """The directory of the shipped prompts: the wheel's ``_data/prompts``, else ``<repo>/prompts``.

    >>> (prompts_dir() / "planner_template.md").is_file()
    True
    """
    package = Path(__file__).resolve().parents[1]
    candidates = (package / "_data" / "prompts", package.parent / "prompts")
    for candidate in candidates:
        if (candidate / "planner_template.md").is_file():
            return candidate
    raise KnowledgeError(
        "the shipped prompts were not found (looked in "
        + " and ".join(str(c) for c in candidates)
        + "); reinstall planner-agent"
    )


def _read_text(path: Path) -> str:
    try:
        text = read_text(path)
    except FileProblem as problem:
        raise KnowledgeError(f"{path} {problem}; a knowledge file must be UTF-8 text") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise KnowledgeError(f"{path} is empty; write the document or delete the file")
    return text


def _expected_files() -> str:
    names = [*TEMPLATE_FILES, *(f"{slot}.md" for slot in DOCUMENT_SLOTS), "examples/*.md"]
    return ", ".join(names)


# --------------------------------------------------------------------------- examples


@dataclass(frozen=True)
class Example:
    """One example step shown to the model: metadata for selection, and a markdown body.

    >>> Example("Demo", "Processing", ("demo",), "A demo step.", "- Registry: ...").text
    '### Demo (Processing)\\nA demo step.\\n\\n- Registry: ...'
    """

    name: str
    sagemaker_step_type: str = ""
    keywords: tuple[str, ...] = ()
    description: str = ""
    body: str = ""

    @property
    def text(self) -> str:
        """What gets injected: a ``###`` heading, the description and the body (raw body if unnamed)."""
        if not self.name:
            return self.body
        title = f"### {self.name}"
        if self.sagemaker_step_type:
            title += f" ({self.sagemaker_step_type})"
        parts = [title + ("\n" + self.description if self.description else ""), self.body]
        return "\n\n".join(part for part in parts if part)

    @classmethod
    def parse(cls, text: str, *, default_name: str, origin: str = "example") -> Example:
        """Read an example file: optional ``key: value`` header lines ended by ``---``, then the body.

        >>> Example.parse("name: A\\nkeywords: x, Y\\n---\\nbody", default_name="a").keywords
        ('x', 'y')
        """
        lines = text.split("\n")
        first = 1 if lines and lines[0].strip() == "---" else 0
        meta: dict[str, str] = {}
        index = first
        while index < len(lines) and (match := _META_RE.match(lines[index])):
            meta[match.group(1)] = match.group(2)
            index += 1
        has_header = index < len(lines) and lines[index].strip() == "---" and bool(meta)
        if not has_header:
            meta, body = {}, text
        else:
            body = "\n".join(lines[index + 1 :])
            unknown = sorted(set(meta) - set(EXAMPLE_META_KEYS))
            if unknown:
                raise KnowledgeError(
                    f"{origin}: unknown header keys {', '.join(unknown)}; "
                    f"valid keys: {', '.join(EXAMPLE_META_KEYS)}"
                )
        body = body.strip()
        if not body:
            raise KnowledgeError(f"{origin}: the example has a header but no body")
        keywords = tuple(
            k.strip().lower() for k in meta.get("keywords", "").split(",") if k.strip()
        )
        return cls(
            name=meta.get("name") or default_name,
            sagemaker_step_type=meta.get("sagemaker_step_type", ""),
            keywords=keywords,
            description=meta.get("description", ""),
            body=body,
        )


def examples_text(examples: Sequence[Example]) -> str:
    """The text for the examples slot: the examples' texts separated by blank lines.

    >>> examples_text([])
    'No similar steps are available.'
    """
    return "\n\n".join(example.text for example in examples) or NO_EXAMPLES_TEXT


# --------------------------------------------------------------------------- knowledge


@dataclass(frozen=True)
class Knowledge:
    """A template, the four slot documents and the example steps, with where they came from.

    >>> Knowledge.default().source
    'default'
    >>> Knowledge.load({"prerequisites": "None."}).documents["prerequisites"]
    'None.'
    """

    template: str
    documents: Mapping[str, str]
    examples: tuple[Example, ...]
    source: str = "custom"

    def __post_init__(self) -> None:
        missing = [slot for slot in DOCUMENT_SLOTS if slot not in self.documents]
        unknown = sorted(set(self.documents) - set(DOCUMENT_SLOTS))
        if missing or unknown:
            raise KnowledgeError(
                f"documents must have exactly the keys {', '.join(DOCUMENT_SLOTS)} "
                f"(missing: {', '.join(missing) or '-'}; unknown: {', '.join(unknown) or '-'})"
            )
        validate_template(self.template)
        documents = {slot: self.documents[slot] for slot in DOCUMENT_SLOTS}
        object.__setattr__(self, "documents", MappingProxyType(documents))
        object.__setattr__(self, "examples", tuple(self.examples))

    def __hash__(self) -> int:
        return hash((self.template, tuple(self.documents.items()), self.examples, self.source))

    def __repr__(self) -> str:
        names = tuple(example.name for example in self.examples)
        return (
            f"Knowledge(source={self.source!r}, template={len(self.template)} chars, "
            f"documents={list(self.documents)}, examples={names})"
        )

    @classmethod
    def default(cls) -> Knowledge:
        """The shipped template, documents and examples (read once, then cached).

        >>> len(Knowledge.default().examples) >= 2
        True
        """
        return _default_knowledge()

    @classmethod
    def from_dir(cls, path: str | os.PathLike[str]) -> Knowledge:
        """Load a knowledge directory; slots it does not provide keep the defaults.

        Recognised files: ``template.md`` or ``planner_template.md``, ``<slot>.md`` for each
        document (also under ``knowledge/``), and ``examples/*.md`` (which replace all default examples).

        >>> Knowledge.from_dir(prompts_dir()).template == Knowledge.default().template
        True
        """
        return _load_dir(Path(path).expanduser(), base=cls.default())

    @classmethod
    def load(cls, source: KnowledgeSource = None) -> Knowledge:
        """Knowledge from ``None`` (defaults), a directory path, a mapping of overrides or a Knowledge.

        A mapping overrides the defaults per key (``template``, a document slot, or ``examples`` as
        raw text); other keys raise :class:`KnowledgeError` listing the valid ones.

        >>> Knowledge.load(None) is Knowledge.default()
        True
        """
        if source is None:
            return cls.default()
        if isinstance(source, Knowledge):
            return source
        if isinstance(source, str | os.PathLike):
            return cls.from_dir(source)
        if isinstance(source, Mapping):
            _check_keys(source)
            for key, value in source.items():
                if not isinstance(value, str) or not value.strip():
                    raise KnowledgeError(f"knowledge override {key!r} must be non-empty text")
            overridden = cls.default().replace(**source)
            label = f"default (overridden: {', '.join(source)})"
            return dataclasses.replace(overridden, source=label)
        raise KnowledgeError(
            f"cannot load knowledge from {type(source).__name__}; pass None, a directory path, "
            "a mapping of slot overrides or a Knowledge"
        )

    def replace(self, **overrides: str | Sequence[Example]) -> Knowledge:
        """A copy with some slots replaced, e.g. shorter digests of documents.

        ``template`` and document slots take text (a document may be empty); ``examples`` takes a
        sequence of :class:`Example` or raw text.

        >>> Knowledge.default().replace(alignment_rules="Short.").documents["alignment_rules"]
        'Short.'
        """
        _check_keys(overrides)
        template = self.template
        documents = dict(self.documents)
        examples = self.examples
        for key, value in overrides.items():
            if key == "examples":
                if isinstance(value, str):
                    examples = (Example(name="", body=value),)
                elif all(isinstance(item, Example) for item in value):
                    examples = tuple(value)
                else:
                    raise KnowledgeError("examples must be text or a sequence of Example")
            elif not isinstance(value, str):
                raise KnowledgeError(f"knowledge override {key!r} must be text")
            elif key == "template":
                template = value
            else:
                documents[key] = value
        return dataclasses.replace(self, template=template, documents=documents, examples=examples)

    def slot_values(
        self, requirements: str, examples: Sequence[Example] | None = None
    ) -> dict[str, str]:
        """Text for every slot: the requirements, the documents and the examples (all by default).

        >>> from planner_agent.prompt._template import SLOTS
        >>> sorted(Knowledge.default().slot_values("x")) == sorted(SLOTS)
        True
        """
        chosen = self.examples if examples is None else examples
        return {
            "requirements": requirements.strip(),
            **self.documents,
            "examples": examples_text(chosen),
        }

    def fill(self, requirements: str, examples: Sequence[Example] | None = None) -> str:
        """The filled prompt: ``fill_template(self.template, self.slot_values(...))``.

        >>> "Add a step." in Knowledge.default().fill("Add a step.")
        True
        """
        return fill_template(self.template, self.slot_values(requirements, examples))


KnowledgeSource: TypeAlias = Knowledge | str | os.PathLike[str] | Mapping[str, str] | None
"""What ``Knowledge.load`` accepts."""


def _check_keys(overrides: Mapping[str, object]) -> None:
    unknown = sorted(set(overrides) - set(KNOWLEDGE_KEYS))
    if unknown:
        raise KnowledgeError(
            f"unknown knowledge keys {', '.join(unknown)}; valid keys: {', '.join(KNOWLEDGE_KEYS)}"
        )


def _find_one(candidates: Sequence[Path]) -> Path | None:
    present = [path for path in candidates if path.is_file()]
    if len(present) > 1:
        raise KnowledgeError(
            f"ambiguous knowledge files {' and '.join(map(str, present))}; keep only one"
        )
    return present[0] if present else None


def _load_dir(path: Path, *, base: Knowledge | None) -> Knowledge:
    """Read a knowledge directory on top of ``base`` (``None``: every piece must be present)."""
    problem = path_problem(path, "directory")
    if problem is not None:
        raise KnowledgeError(
            f"knowledge directory {shown_path(path)} {problem}; expected files: {_expected_files()}"
        )
    template_file = _find_one([path / name for name in TEMPLATE_FILES])
    document_files = {
        slot: _find_one([path / f"{slot}.md", path / "knowledge" / f"{slot}.md"])
        for slot in DOCUMENT_SLOTS
    }
    example_dir = path / "examples"
    example_files = sorted(example_dir.glob("*.md")) if example_dir.is_dir() else []
    found = [template_file, *document_files.values(), *example_files]
    if not any(found):
        present = ", ".join(sorted(p.name for p in path.glob("*.md"))) or "no .md files"
        raise KnowledgeError(
            f"knowledge directory {path} has none of the expected files "
            f"({_expected_files()}); found: {present}"
        )
    if base is None:
        absent = [
            name
            for name, file in [("template", template_file), *document_files.items()]
            if file is None
        ]
        if absent or not example_files:
            raise KnowledgeError(
                f"prompts directory {path} is incomplete (missing: "
                f"{', '.join(absent + ([] if example_files else ['examples']))}); reinstall"
            )

    template = base.template if base is not None else ""
    if template_file is not None:
        template = _read_text(template_file)
        try:
            validate_template(template)
        except TemplateError as exc:
            raise TemplateError(f"{template_file}: {exc.message}") from exc
    documents = dict(base.documents) if base is not None else {}
    for slot, file in document_files.items():
        if file is not None:
            documents[slot] = _read_text(file).strip()
    examples = base.examples if base is not None else ()
    if example_files:
        examples = tuple(
            Example.parse(_read_text(file), default_name=file.stem, origin=str(file))
            for file in example_files
        )
    return Knowledge(template=template, documents=documents, examples=examples, source=str(path))


@functools.cache
def _default_knowledge() -> Knowledge:
    loaded = _load_dir(prompts_dir(), base=None)
    return dataclasses.replace(loaded, source="default")
