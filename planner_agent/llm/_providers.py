"""Providers: where requests go and how to reach it, known before anything connects.

A `Provider` says what its endpoint is (``base_url``, OpenAI-hosted or not, local or not, the
context window when known); `Provider.connect` builds the ``openai`` client (its own retries off)
and returns a `Connection`. `resolve_provider` picks one, in this order: an explicit ``client=``
(`ClientProvider`); ``AZURE_OPENAI_API_KEY`` + ``AZURE_OPENAI_ENDPOINT`` (`AzureProvider`);
``OPENAI_BASE_URL`` (`CompatibleProvider`: vLLM, Ollama, llama.cpp, ...); ``OPENAI_API_KEY``
(`OpenAIProvider`); then the embedded local model when ``planner-agent[local]`` is installed,
unless ``PLANNER_LOCAL=0`` (`LocalProvider`). Resolving never fails on a missing piece, so the
endpoint is known for planning a prompt; `Provider.check` (run by `connect`) raises a
`ConfigurationError` that says exactly what to set.

>>> provider = resolve_provider(env={"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"})
>>> type(provider).__name__, provider.base_url, provider.openai_hosted, provider.local
('CompatibleProvider', 'http://127.0.0.1:8000/v1', False, False)
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Final
from urllib.parse import urlsplit

import openai

from .._connection import OPENAI_API_URL, AnyClient, Connection, is_openai_host, without_retries
from ..errors import ConfigurationError, LocalModelError
from ..local import default_cache_dir, local_connection, local_enabled, resolve_spec

__all__ = [
    "DEFAULT_OPENAI_MODEL",
    "LOCAL_BASE_URL",
    "AzureProvider",
    "ClientProvider",
    "CompatibleProvider",
    "Connection",
    "LocalProvider",
    "OpenAIProvider",
    "Provider",
    "connect",
    "planned_endpoint",
    "resolve_provider",
]

DEFAULT_OPENAI_MODEL: Final = "gpt-4.1-mini"
# The embedded server's base URL before it has a port (it gets an ephemeral one when it starts).
LOCAL_BASE_URL: Final = "http://127.0.0.1/local"

_NOTHING_CONFIGURED: Final = (
    "No LLM is configured. Do one of: (1) set OPENAI_API_KEY (and optionally PLANNER_MODEL); "
    "(2) set OPENAI_BASE_URL and PLANNER_MODEL for a compatible server such as vLLM, Ollama "
    "or llama.cpp (Azure: AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION); "
    "(3) pip install 'planner-agent[local]' to plan with the embedded local model."
)


@dataclass(frozen=True, kw_only=True)
class Provider(ABC):
    """One way to reach a model: what the endpoint is, and how to connect to it."""

    model: str | None = None
    #: `Connection.source` of its connections.
    source: ClassVar[str]

    @property
    @abstractmethod
    def base_url(self) -> str | None:
        """Where requests go; None for api.openai.com."""

    @property
    def openai_hosted(self) -> bool:
        """True for api.openai.com and Azure OpenAI (they take ``max_completion_tokens``)."""
        return is_openai_host(self.base_url)

    @property
    def local(self) -> bool:
        """True for the embedded local model."""
        return False

    @property
    def context_window(self) -> int | None:
        """The endpoint's context window when it is known before connecting."""
        return None

    @abstractmethod
    def check(self) -> None:
        """Raise `ConfigurationError` when `connect` cannot work; contacts nothing."""

    def connect(self, timeout: float | None = None) -> Connection:
        """A `Connection` to this endpoint (``timeout``: seconds per request, for built clients)."""
        self.check()
        return self._connect(timeout)

    @abstractmethod
    def _connect(self, timeout: float | None) -> Connection: ...


@dataclass(frozen=True, kw_only=True)
class ClientProvider(Provider):
    """A client the caller built; a model must be named unless it talks to api.openai.com."""

    client: AnyClient
    source: ClassVar[str] = "client"

    @property
    def base_url(self) -> str:
        return str(self.client.base_url)

    def check(self) -> None:
        if self.model is None and "api.openai.com" not in self.base_url:
            raise ConfigurationError(
                f"No model given for the client at {self.base_url}. Pass model= (or --model), "
                "or set PLANNER_MODEL."
            )

    def _connect(self, timeout: float | None) -> Connection:
        # The caller's client keeps its own timeout.
        model = self.model or DEFAULT_OPENAI_MODEL
        return Connection(without_retries(self.client), model, self.base_url, self.source)


@dataclass(frozen=True, kw_only=True)
class AzureProvider(Provider):
    """Azure OpenAI: an endpoint, a key, an API version, and a deployment name as the model."""

    api_key: str | None = field(default=None, repr=False)
    endpoint: str | None = None
    api_version: str | None = None
    source: ClassVar[str] = "azure"

    @property
    def base_url(self) -> str | None:
        return self.endpoint

    def check(self) -> None:
        if not self.api_key or not self.endpoint:
            if self.api_key or self.endpoint:
                have, lack = (
                    ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT")
                    if self.api_key
                    else ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY")
                )
                raise ConfigurationError(
                    f"{have} is set but {lack} is not: Azure OpenAI needs both (and "
                    "OPENAI_API_VERSION)."
                )
            raise ConfigurationError(
                "Azure OpenAI needs AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT and "
                "OPENAI_API_VERSION."
            )
        _check_url("AZURE_OPENAI_ENDPOINT", self.endpoint)
        if not self.api_version:
            raise ConfigurationError(
                "AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT are set but OPENAI_API_VERSION is "
                "not: set it to your Azure OpenAI API version (e.g. 2024-10-21)."
            )
        if self.model is None:
            raise ConfigurationError(
                "For Azure OpenAI set PLANNER_MODEL (or pass model=) to your deployment name."
            )

    def _connect(self, timeout: float | None) -> Connection:
        assert self.model is not None and self.endpoint is not None  # check() ran
        client = openai.AzureOpenAI(
            api_key=self.api_key,
            azure_endpoint=self.endpoint,
            api_version=self.api_version,
            max_retries=0,
            timeout=_timeout(timeout),
        )
        return Connection(client, self.model, str(client.base_url), self.source)


@dataclass(frozen=True, kw_only=True)
class CompatibleProvider(Provider):
    """Any OpenAI-compatible server (vLLM, Ollama, llama.cpp, ...) at ``url``; names a model."""

    url: str
    api_key: str | None = field(default=None, repr=False)
    source: ClassVar[str] = "openai"

    @property
    def base_url(self) -> str:
        return self.url

    def check(self) -> None:
        _check_url("OPENAI_BASE_URL", self.url)
        if self.model is None:
            raise ConfigurationError(
                f"OPENAI_BASE_URL is set ({self.url}) but no model: set PLANNER_MODEL (or pass "
                "model= / --model) to a model the server serves."
            )

    def _connect(self, timeout: float | None) -> Connection:
        assert self.model is not None  # check() ran
        # Compatible servers usually need no key, but the client refuses to start without one.
        client = openai.OpenAI(
            api_key=self.api_key or "not-needed",
            base_url=self.url,
            max_retries=0,
            timeout=_timeout(timeout),
        )
        return Connection(client, self.model, str(client.base_url), self.source)


@dataclass(frozen=True, kw_only=True)
class OpenAIProvider(Provider):
    """api.openai.com with an API key (the model defaults to `DEFAULT_OPENAI_MODEL`)."""

    model: str | None = DEFAULT_OPENAI_MODEL
    api_key: str | None = field(default=None, repr=False)
    source: ClassVar[str] = "openai"

    @property
    def base_url(self) -> None:
        return None

    def check(self) -> None:
        # Without a key this is what an empty configuration resolves to: say every way out.
        if not self.api_key:
            raise ConfigurationError(_NOTHING_CONFIGURED)

    def _connect(self, timeout: float | None) -> Connection:
        client = openai.OpenAI(
            api_key=self.api_key,
            base_url=OPENAI_API_URL,
            max_retries=0,
            timeout=_timeout(timeout),
        )
        model = self.model or DEFAULT_OPENAI_MODEL
        return Connection(client, model, str(client.base_url), self.source)


@dataclass(frozen=True, kw_only=True)
class LocalProvider(Provider):
    """The embedded llama.cpp model: ``model`` is a local model name, an alias or a .gguf path.

    Nothing is assembled or started before `connect`.
    """

    cache_dir: Path | None = None
    source: ClassVar[str] = "local"

    @property
    def base_url(self) -> str:
        return LOCAL_BASE_URL

    @property
    def openai_hosted(self) -> bool:
        return False

    @property
    def local(self) -> bool:
        return True

    @property
    def context_window(self) -> int | None:
        """The context the server runs the named model with (None for a .gguf file)."""
        if self._gguf:
            return None
        try:
            return resolve_spec(self.model).n_ctx
        except LocalModelError:
            return None  # check() names the problem

    def check(self) -> None:
        """Raise `LocalModelError` for a name that is no embedded model."""
        if not self._gguf:
            resolve_spec(self.model)

    @property
    def _gguf(self) -> bool:
        return self.model is not None and self.model.lower().endswith(".gguf")

    def _connect(self, timeout: float | None) -> Connection:
        return local_connection(self.model, timeout, cache_dir=self.cache_dir)


def resolve_provider(
    client: AnyClient | None = None,
    model: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> Provider:
    """The provider that ``client``/``model`` and the environment (``env``) name; connects nothing.

    ``model`` defaults to ``PLANNER_MODEL``. Only a ``client`` of the wrong type raises here;
    everything else that is missing or malformed is raised by `Provider.check` / `connect`.

    >>> resolve_provider(env={"OPENAI_API_KEY": "sk-test"})
    OpenAIProvider(model='gpt-4.1-mini')
    >>> resolve_provider(env={"PLANNER_LOCAL": "0", "PLANNER_MODEL": "m"}).check()
    Traceback (most recent call last):
    ...
    planner_agent.errors.ConfigurationError: No LLM is configured. ...
    """
    environ = os.environ if env is None else env
    model = model or environ.get("PLANNER_MODEL") or None
    if client is not None:
        if not isinstance(client, openai.OpenAI | openai.AsyncOpenAI):
            raise ConfigurationError(
                f"client must be an openai.OpenAI, AzureOpenAI or AsyncOpenAI instance, "
                f"not {type(client).__name__}."
            )
        return ClientProvider(client=client, model=model)
    azure_key = environ.get("AZURE_OPENAI_API_KEY") or None
    azure_endpoint = environ.get("AZURE_OPENAI_ENDPOINT") or None
    api_key = environ.get("OPENAI_API_KEY") or None
    base_url = environ.get("OPENAI_BASE_URL") or None
    # Half an Azure configuration with nothing else set is a mistake to name, not to skip.
    if (azure_key and azure_endpoint) or (
        (azure_key or azure_endpoint) and not api_key and not base_url
    ):
        return AzureProvider(
            api_key=azure_key,
            endpoint=azure_endpoint,
            api_version=environ.get("OPENAI_API_VERSION") or None,
            model=model,
        )
    if base_url:
        return CompatibleProvider(url=base_url, api_key=api_key, model=model)
    if api_key:
        return OpenAIProvider(api_key=api_key, model=model or DEFAULT_OPENAI_MODEL)
    if local_enabled(environ):
        return LocalProvider(model=model, cache_dir=default_cache_dir(environ))
    return OpenAIProvider(model=model or DEFAULT_OPENAI_MODEL)  # no key: check() says what to set


def planned_endpoint(env: Mapping[str, str] | None = None) -> str | None:
    """Where `connect` would send requests with no client given, without connecting.

    None means api.openai.com; `LOCAL_BASE_URL` the embedded local server.

    >>> planned_endpoint({"OPENAI_API_KEY": "sk-test"}) is None
    True
    """
    return resolve_provider(env=env).base_url


def connect(
    client: AnyClient | None = None,
    model: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Connection:
    """Resolve the provider (`resolve_provider`) and connect to it.

    >>> conn = connect(openai.OpenAI(api_key="k", base_url="http://127.0.0.1:1/v1"), "m")
    >>> conn.model, conn.client.max_retries
    ('m', 0)
    """
    return resolve_provider(client, model, env=env).connect(timeout)


def _timeout(timeout: float | None) -> float | openai.NotGiven:
    return openai.NOT_GIVEN if timeout is None else timeout


def _check_url(name: str, value: str) -> None:
    """A base URL from the environment must be http(s) with a host: a typo fails before sending."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        example = (
            "https://<resource>.openai.azure.com"
            if name.startswith("AZURE")
            else "http://localhost:8000/v1"
        )
        raise ConfigurationError(f"{name} must be an http(s) URL such as {example}; got {value!r}.")
