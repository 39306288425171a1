"""The exception hierarchy: every error names what was wrong and how to fix it.

```
PlannerError
├── ConfigurationError        nothing (or something invalid) configured: client, model, options
├── RequirementsError         empty, missing, non-UTF-8 requirements
├── KnowledgeError            knowledge directory or document problems
│   └── TemplateError         unknown, missing or unfilled slot markers
├── PromptTooLargeError       the prompt cannot fit the model's context even after trimming
├── LLMError                  a request to the model failed
│   ├── APIKeyError           the endpoint rejected the API key (401/403); never retried
│   ├── TransportError        transport failure after retries, or a non-retryable status
│   │   └── UnsupportedResponseFormatError  the server rejected our response_format (auto falls back)
│   ├── IncompleteOutputError the reply was cut off (finish_reason == "length")
│   └── PlanRefusedError      the model refused; never re-asked
├── PlanningError             no schema-valid plan after max_attempts (carries attempts, usage)
├── PlanIssuesError           strict=True and the final plan still has error-level issues
├── PlanImportError           a plan file that is neither readable markdown nor plan JSON
├── CodebaseError             a codebase path that does not exist or is not a directory
├── BatchError                a batch that cannot start (bad inputs, unwritable out dir, unknown id)
├── OutputError               a file the command line was asked to write cannot be written
└── LocalModelError           the embedded local model cannot be assembled or started
```
All carry a one-line ``str()`` suitable for a CLI; none ever contains an API key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ._usage import Attempt, Usage
from .plan import PlanIssue

__all__ = [
    "APIKeyError",
    "BatchError",
    "CodebaseError",
    "ConfigurationError",
    "IncompleteOutputError",
    "KnowledgeError",
    "LLMError",
    "LocalModelError",
    "OutputError",
    "PlanImportError",
    "PlanIssuesError",
    "PlanRefusedError",
    "PlanTimeoutError",
    "PlannerError",
    "PlanningError",
    "PromptTooLargeError",
    "RequirementsError",
    "ScaffoldError",
    "TemplateError",
    "TransportError",
    "UnsupportedResponseFormatError",
    "UsageLimitExceededError",
    "redact",
    "register_secret",
    "shown_path",
]

# Keys look like sk-..., sk-proj-..., or long opaque tokens after "Bearer".
_SECRET_PATTERNS = (
    re.compile(r"sk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.]{8,}"),
    re.compile(r"(?i)(api[_-]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{6,}"),
)


def shown_path(path: object, limit: int = 200) -> str:
    """A path as error messages quote it; a very long one is cut.

    >>> shown_path("plans/a.md"), shown_path("x" * 300, limit=5)
    ("'plans/a.md'", "'xxxxx...'")
    """
    text = str(path)
    return repr(text) if len(text) <= limit else repr(text[:limit] + "...")


_SECRETS: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Redact ``secret`` verbatim from every message from now on (keys of any shape).

    The transport registers each client's API key: a key without the ``sk-`` prefix (Azure,
    compatible servers) that a server echoes in an error body is removed like any other.
    """
    if secret and len(secret.strip()) >= 4:
        _SECRETS.add(secret)
        _SECRETS.add(secret.strip())


def redact(text: str, *secrets: str | None) -> str:
    """Remove API keys from ``text``: registered and given secrets verbatim, and key shapes.

    >>> redact("key sk-abcdefghijkl used")
    'key sk-*** used'
    >>> redact("token=azure-0123456789 rejected", "azure-0123456789")
    'token=*** rejected'
    """
    for secret in sorted({*_SECRETS, *(s for s in secrets if s)}, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _SECRET_PATTERNS[0].sub("sk-***", text)
    text = _SECRET_PATTERNS[1].sub(lambda m: m.group(1) + "***", text)
    text = _SECRET_PATTERNS[2].sub(lambda m: m.group(1) + "***", text)
    return text


class PlannerError(Exception):
    """Base class of every error planner_agent raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        """The one-line message (already redacted)."""
        return str(self.args[0]) if self.args else ""


class ConfigurationError(PlannerError):
    """No usable client/model, or an option with an invalid value."""


class RequirementsError(PlannerError, ValueError):
    """The requirements are empty, or a requirements path is missing or not UTF-8 text."""


class KnowledgeError(PlannerError):
    """A knowledge directory is missing/empty, or a knowledge document cannot be read."""


class TemplateError(KnowledgeError):
    """A template has an unknown or missing slot marker, or a marker was left unfilled."""


class PromptTooLargeError(PlannerError):
    """The prompt plus reserved output does not fit the model's context window, even after trimming."""

    def __init__(self, message: str, *, prompt_tokens: int, limit: int) -> None:
        super().__init__(message)
        self.prompt_tokens = prompt_tokens
        self.limit = limit


class LLMError(PlannerError):
    """A request to the model failed, or its replies could not be used.

    Every such error carries what the run had spent: ``attempts`` (the replies received so far),
    ``usage`` (their summed tokens) and the server's ``request_id`` when it sent one.
    """

    attempts: list[Attempt]
    request_id: str | None

    def __init__(
        self, message: str, *, attempts: Sequence[Attempt] = (), request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.attempts = list(attempts)
        self.request_id = request_id

    @property
    def usage(self) -> Usage:
        """Tokens of every attempt so far (paid for even though planning failed)."""
        return sum((a.usage for a in self.attempts), Usage())


class APIKeyError(LLMError):
    """The endpoint rejected the credentials (HTTP 401/403). Never retried."""


class TransportError(LLMError):
    """The request failed at the transport level after retries, or with a non-retryable status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        retries: int = 0,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.status_code = status_code
        self.retries = retries


class UnsupportedResponseFormatError(TransportError):
    """The server rejected the ``response_format`` we sent; ``mode="auto"`` falls back to the next mode."""


class IncompleteOutputError(LLMError):
    """The model stopped because it hit ``max_tokens`` (``finish_reason == "length"``)."""


class PlanRefusedError(LLMError):
    """The model refused to produce a plan. Refusals are not re-asked."""

    def __init__(
        self, message: str, *, refusal: str = "", attempts: Sequence[Attempt] = ()
    ) -> None:
        super().__init__(message, attempts=attempts)
        self.refusal = refusal


class PlanTimeoutError(LLMError):
    """The plan took ``plan_timeout`` seconds (re-asks and retries included); no request started after."""


class UsageLimitExceededError(LLMError):
    """The next request would cross a `UsageLimits` limit and no plan was received yet."""


class PlanningError(PlannerError):
    """No schema-valid plan after ``max_attempts``; carries every attempt and the summed usage."""

    def __init__(self, message: str, *, attempts: Sequence[Attempt], usage: Usage) -> None:
        super().__init__(message)
        self.attempts: list[Attempt] = list(attempts)
        self.usage = usage


class PlanIssuesError(PlannerError):
    """``strict=True`` and the final plan still has error-level issues; ``.result`` holds it."""

    def __init__(self, message: str, *, result: Any) -> None:
        super().__init__(message)
        self.result = result


class PlanImportError(PlannerError, ValueError):
    """A plan file that is neither seed-format markdown nor plan JSON (or is not text)."""


class CodebaseError(PlannerError):
    """A codebase path that does not exist or is not a directory."""


class BatchError(PlannerError):
    """A batch that cannot start or continue: no inputs, duplicate names, unwritable output, unknown id."""


class OutputError(PlannerError):
    """A file the command line was asked to write (``-o``, ``schema --write``) cannot be written."""


class ScaffoldError(PlannerError):
    """The step cannot be scaffolded as asked; nothing was written.

    Raised for a plan whose names or paths would write outside the repository, a file that exists
    with other content (without ``force``), a step already registered differently, a registry or
    ``__all__`` that is not a literal scaffolding can edit, a plan with error-level issues (then
    ``issues`` lists them), and a write that failed part-way (after what was there is restored).
    """

    def __init__(
        self, message: str, *, path: str | None = None, issues: tuple[PlanIssue, ...] = ()
    ) -> None:
        super().__init__(message)
        self.path = path
        self.issues = issues


class LocalModelError(PlannerError):
    """The embedded local model cannot be assembled, verified or started."""
