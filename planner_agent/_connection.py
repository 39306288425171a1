"""A connection: an ``openai`` client with its own retries off, the model, and where it points.

A leaf module (it imports only ``openai``): the providers build connections, and so does the
embedded local server (`planner_agent.local`), which the providers import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import openai

__all__ = ["OPENAI_API_URL", "AnyClient", "Connection", "is_openai_host", "without_retries"]

#: api.openai.com's base URL, passed explicitly so that a client built from an ``env=`` mapping
#: never picks up ``OPENAI_BASE_URL`` from the process environment instead.
OPENAI_API_URL: Final = "https://api.openai.com/v1"

AnyClient = openai.OpenAI | openai.AsyncOpenAI


@dataclass(frozen=True)
class Connection:
    """A client with its own retries switched off, the model name, and where it points."""

    client: AnyClient
    model: str
    base_url: str
    source: str  # "client", "azure", "openai", "local"
    context_window: int | None = None  # known for the embedded local server (its n_ctx)

    @property
    def is_async(self) -> bool:
        """True for an ``AsyncOpenAI`` client."""
        return isinstance(self.client, openai.AsyncOpenAI)


def without_retries(client: AnyClient) -> AnyClient:
    """``client`` with ``max_retries=0``: our transport layer owns retries (theirs would multiply).

    >>> without_retries(openai.OpenAI(api_key="k", base_url="http://127.0.0.1:1/v1")).max_retries
    0
    """
    return client.with_options(max_retries=0) if client.max_retries else client


def is_openai_host(base_url: str | None) -> bool:
    """True for api.openai.com (None stands for it) and Azure OpenAI hosts.

    >>> is_openai_host(None), is_openai_host("https://x.openai.azure.com/openai/")
    (True, True)
    >>> is_openai_host("http://127.0.0.1:8080/v1")
    False
    """
    if not base_url:
        return True
    return bool(re.search(r"(^|//|\.)(api\.openai\.com|openai\.azure\.com)(/|:|$)", base_url))
