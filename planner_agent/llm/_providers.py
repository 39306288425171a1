"""How to connect: the ``openai`` client and model, passed in or built from the environment.

Order: an explicit ``client=`` / ``model=``; then ``AZURE_OPENAI_API_KEY`` + ``AZURE_OPENAI_ENDPOINT``
(AzureOpenAI); then ``OPENAI_API_KEY`` and/or ``OPENAI_BASE_URL`` (OpenAI or any compatible server);
then the embedded local model when ``planner-agent[local]`` is installed (unless ``PLANNER_LOCAL=0``).
With none of these, a
`ConfigurationError` says exactly what to set.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import openai

from ..errors import ConfigurationError

__all__ = ["DEFAULT_OPENAI_MODEL", "LOCAL_BASE_URL", "Connection", "connect", "planned_endpoint"]

DEFAULT_OPENAI_MODEL: Final = "gpt-4.1-mini"
# What `planned_endpoint` reports for the embedded server before it has a port.
LOCAL_BASE_URL: Final = "http://127.0.0.1/local"

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


def _local_enabled(environ: Mapping[str, str]) -> bool:
    # PLANNER_LOCAL=0 keeps the embedded model from starting (e.g. on CI machines with the extra).
    return (
        environ.get("PLANNER_LOCAL", "1") != "0"
        and importlib.util.find_spec("xllamacpp") is not None
    )


def planned_endpoint(env: Mapping[str, str] | None = None) -> str | None:
    """Where `connect` would send requests with no client given, without connecting.

    None means api.openai.com; `LOCAL_BASE_URL` the embedded local server.
    """
    environ = os.environ if env is None else env
    if environ.get("AZURE_OPENAI_API_KEY") and environ.get("AZURE_OPENAI_ENDPOINT"):
        return environ["AZURE_OPENAI_ENDPOINT"]
    if environ.get("OPENAI_API_KEY") or environ.get("OPENAI_BASE_URL"):
        return environ.get("OPENAI_BASE_URL") or None
    return LOCAL_BASE_URL if _local_enabled(environ) else None


def _no_retries(client: AnyClient) -> AnyClient:
    # Our tenacity layer owns transport retries; the client's own would multiply them.
    return client.with_options(max_retries=0) if client.max_retries else client


def connect(
    client: AnyClient | None = None,
    model: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Connection:
    """Resolve the client and model to use.

    >>> conn = connect(openai.OpenAI(api_key="k", base_url="http://127.0.0.1:1/v1"), "m")
    >>> conn.model, conn.client.max_retries
    ('m', 0)
    """
    environ = os.environ if env is None else env
    model = model or environ.get("PLANNER_MODEL") or None
    if client is not None:
        if not isinstance(client, openai.OpenAI | openai.AsyncOpenAI):
            raise ConfigurationError(
                f"client must be an openai.OpenAI, AzureOpenAI or AsyncOpenAI instance, "
                f"not {type(client).__name__}."
            )
        base_url = str(client.base_url)
        if model is None:
            if "api.openai.com" not in base_url:
                raise ConfigurationError(
                    f"No model given for the client at {base_url}. Pass model= (or --model), "
                    "or set PLANNER_MODEL."
                )
            model = DEFAULT_OPENAI_MODEL
        return Connection(_no_retries(client), model, base_url, "client")

    request_timeout: float | openai.NotGiven = openai.NOT_GIVEN if timeout is None else timeout
    azure_key = environ.get("AZURE_OPENAI_API_KEY")
    azure_endpoint = environ.get("AZURE_OPENAI_ENDPOINT")
    openai_env = environ.get("OPENAI_API_KEY") or environ.get("OPENAI_BASE_URL")
    if bool(azure_key) != bool(azure_endpoint) and not openai_env:
        have, lack = (
            ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT")
            if azure_key
            else ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY")
        )
        raise ConfigurationError(
            f"{have} is set but {lack} is not: Azure OpenAI needs both (and OPENAI_API_VERSION)."
        )
    if azure_key and azure_endpoint:
        _check_url("AZURE_OPENAI_ENDPOINT", azure_endpoint)
        api_version = environ.get("OPENAI_API_VERSION")
        if not api_version:
            raise ConfigurationError(
                "AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT are set but OPENAI_API_VERSION is "
                "not: set it to your Azure OpenAI API version (e.g. 2024-10-21)."
            )
        if model is None:
            raise ConfigurationError(
                "For Azure OpenAI set PLANNER_MODEL (or pass model=) to your deployment name."
            )
        azure = openai.AzureOpenAI(
            api_key=azure_key,
            azure_endpoint=azure_endpoint,
            api_version=api_version,
            max_retries=0,
            timeout=request_timeout,
        )
        return Connection(azure, model, str(azure.base_url), "azure")

    api_key = environ.get("OPENAI_API_KEY")
    env_base_url = environ.get("OPENAI_BASE_URL")
    if api_key or env_base_url:
        if env_base_url:
            _check_url("OPENAI_BASE_URL", env_base_url)
        if env_base_url and model is None:
            raise ConfigurationError(
                f"OPENAI_BASE_URL is set ({env_base_url}) but no model: set PLANNER_MODEL (or pass "
                "model= / --model) to a model the server serves."
            )
        # Compatible servers (vLLM, Ollama, llama.cpp) usually need no key; the client needs one.
        oa = openai.OpenAI(
            api_key=api_key or "not-needed",
            base_url=env_base_url or None,
            max_retries=0,
            timeout=request_timeout,
        )
        return Connection(oa, model or DEFAULT_OPENAI_MODEL, str(oa.base_url), "openai")

    # PLANNER_LOCAL=0 keeps the embedded model from starting (e.g. on CI machines with the extra).
    if (
        environ.get("PLANNER_LOCAL", "1") != "0"
        and importlib.util.find_spec("xllamacpp") is not None
    ):
        from ..local import local_connection

        return local_connection(model=model, timeout=timeout)

    raise ConfigurationError(
        "No LLM is configured. Do one of: (1) set OPENAI_API_KEY (and optionally PLANNER_MODEL); "
        "(2) set OPENAI_BASE_URL and PLANNER_MODEL for a compatible server such as vLLM, Ollama "
        "or llama.cpp (Azure: AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION); "
        "(3) pip install 'planner-agent[local]' to plan with the embedded local model."
    )


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
