"""What a first session needs besides planning: a backend chosen for you, and shipped examples.

`choose_backend` picks where plans go and says what that will cost *before* anything is spent:
the hosted API you configured (a paid request per attempt: the model, the tokens and the
dollars), the embedded local model (about half a minute of CPU per plan), or, with neither, an offline demo
against `planner_agent.testing`'s scripted server. `example_requirements` and
`example_repository` give the shipped examples wherever the package is installed (the wheel
carries them), so the quick-start notebook runs from any working directory.

>>> from planner_agent import plan_step
>>> from planner_agent.quickstart import choose_backend, example_requirements
>>> with choose_backend("scripted") as backend:
...     result = plan_step(example_requirements()["model_calibration"], **backend.options)
...     result.plan.step_name
'ModelCalibration'
"""

from __future__ import annotations

import math
import os
import shutil
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Final, Literal, get_args

from ._connection import is_openai_host
from ._usage import UsageLimits
from .errors import ConfigurationError, LocalModelError, OutputError, shown_path
from .llm._models import cost_usd
from .llm._providers import connect, resolve_provider
from .local import INSTALL_HINT, is_assembled, local_enabled, resolve_spec
from .planner import Planner
from .prompt._tokens import ApproximateTokenCountWarning
from .settings import PlannerKeywords
from .testing import ScriptedServer, plan_responder

__all__ = [
    "BACKEND_ENV",
    "Backend",
    "BackendKind",
    "choose_backend",
    "example_repository",
    "example_requirements",
    "examples_dir",
]

BackendKind = Literal["scripted", "hosted", "local"]
#: Chooses the backend when `choose_backend` is given none: auto (default) or a `BackendKind`.
BACKEND_ENV: Final = "PLANNER_NOTEBOOK_BACKEND"
_KINDS: Final = ("auto", *get_args(BackendKind))

#: Seconds per plan on the embedded model, as measured on 2 CPU cores (README, "Measured":
#: 20-33 s a plan, one attempt, decisions reply; more cores are faster).
LOCAL_SECONDS_PER_PLAN: Final = 30
#: Completion tokens assumed per hosted attempt for the estimate (a structured reply measures
#: ~670; a markdown reply or a long plan more).
_COMPLETION_ESTIMATE: Final = 1_500
_ATTEMPTS: Final = 3  # the planner's default attempts for hosted models
#: The spending cap each hosted plan gets (`UsageLimits`), well above a normal plan's cost.
HOSTED_CAP_USD: Final = 0.25
_SCRIPTED_MODEL: Final = "gpt-4o-mini"


def examples_dir() -> Path:
    """The shipped examples: the wheel's ``_data/examples``, else ``<repository>/examples``."""
    package = Path(__file__).resolve().parent
    candidates = (package / "_data" / "examples", package.parent / "examples")
    for candidate in candidates:
        if (candidate / "requirements").is_dir():
            return candidate
    raise ConfigurationError(
        "the shipped examples were not found (looked in "
        + " and ".join(str(c) for c in candidates)
        + "); reinstall planner-agent"
    )


def example_requirements() -> dict[str, Path]:
    """The shipped requirements files by name (``"model_calibration"`` -> its ``.md`` file)."""
    return {p.stem: p for p in sorted((examples_dir() / "requirements").glob("*.md"))}


def example_repository(dest: str | os.PathLike[str]) -> Path:
    """Copy the shipped example pipeline repository (``tinypipe``) to ``dest`` and return it.

    ``dest`` must not exist or be an empty folder: nothing of yours is ever overwritten.
    Scaffold into the copy (`planner_agent.scaffold_step`) to see what a step adds.
    """
    target = Path(dest).expanduser()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise OutputError(
            f"{shown_path(target)} already exists and is not an empty folder; give a new path "
            "for the example repository"
        )
    shutil.copytree(examples_dir() / "pipeline_repo", target, dirs_exist_ok=True)
    return target


@dataclass(eq=False, repr=False)
class Backend:
    """Where plans go, and what planning there costs (``notice``, said before anything runs).

    Pass ``**backend.options`` to `plan_step`, `plan_steps` or `Planner`. ``close()`` (or a
    ``with`` block) stops the scripted server of the offline demo.
    """

    kind: BackendKind
    model: str
    notice: str
    options: PlannerKeywords = field(default_factory=lambda: PlannerKeywords())
    server: ScriptedServer | None = None

    def close(self) -> None:
        """Stop what this backend started (the demo's scripted server); idempotent."""
        if self.server is not None:
            self.server.close()
            self.server = None

    def __enter__(self) -> Backend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Backend(kind={self.kind!r}, model={self.model!r})"

    def __str__(self) -> str:
        return f"backend: {self.kind} ({self.model})\n{self.notice}"

    def _repr_markdown_(self) -> str:
        return f"**backend: {self.kind}** (`{self.model}`)\n\n{self.notice}"


def choose_backend(
    kind: str | None = None, *, plans: int = 1, env: Mapping[str, str] | None = None
) -> Backend:
    """The backend to plan with, and a notice of what ``plans`` plans will cost there.

    ``kind``: ``"auto"`` (default; or `BACKEND_ENV`) takes the API the environment configures
    (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, Azure), else the embedded local model when
    ``planner-agent[local]`` is installed, else the offline ``"scripted"`` demo; ``"hosted"``
    and ``"local"`` insist on theirs (a `ConfigurationError` / `LocalModelError` says what to
    set or install). Nothing is requested, assembled or started here except the demo's
    loopback server.
    """
    environ = os.environ if env is None else env
    if not isinstance(plans, int) or isinstance(plans, bool) or plans < 1:
        raise ConfigurationError(f"plans must be a positive int (how many plans); got {plans!r}")
    chosen = kind if kind is not None else environ.get(BACKEND_ENV) or "auto"
    if chosen not in _KINDS:
        raise ConfigurationError(
            f"unknown backend {chosen!r} (from {'kind=' if kind is not None else BACKEND_ENV}); "
            f"choose one of {', '.join(_KINDS)}"
        )
    provider = resolve_provider(env=environ)
    hosted = not provider.local and _configured(environ)
    if chosen == "auto":
        chosen = "hosted" if hosted else "local" if provider.local else "scripted"
    if chosen == "hosted":
        return _hosted(environ, plans)
    if chosen == "local":
        return _local(environ, plans, hosted)
    return _scripted()


def _configured(environ: Mapping[str, str]) -> bool:
    names = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT")
    return any(environ.get(name) for name in names)


def _hosted(environ: Mapping[str, str], plans: int) -> Backend:
    if not _configured(environ):
        raise ConfigurationError(
            "the hosted backend needs an API: set OPENAI_API_KEY (OpenAI), OPENAI_BASE_URL and "
            "PLANNER_MODEL (a compatible server), or the AZURE_OPENAI_* variables"
        )
    # The client is built now, from what was announced: the notice and the requests agree.
    conn = connect(env=environ)
    with warnings.catch_warnings():  # an unknown model's approximate count is fine for this
        warnings.simplefilter("ignore", ApproximateTokenCountWarning)
        planner = Planner(client=conn.client, model=conn.model)
        prompt = planner.prompt(example_requirements()["model_calibration"]).tokens
    official = conn.source == "openai" and is_openai_host(conn.base_url)
    where = "the OpenAI API" if official else conn.base_url
    per_attempt = cost_usd(conn.model, prompt, _COMPLETION_ESTIMATE)
    options = PlannerKeywords(client=conn.client, model=conn.model)
    tokens = f"about {prompt:,} prompt + {_COMPLETION_ESTIMATE:,} completion tokens per attempt"
    if per_attempt is None:
        cost = (
            f"{tokens}; the price of {conn.model!r} is not known here, so check what your "
            "endpoint charges for it"
        )
    else:
        options["usage_limits"] = UsageLimits(cost_usd=HOSTED_CAP_USD)
        cost = (
            f"{tokens}, about ${per_attempt:.4f} each at list prices; {plans} plan(s) of 1-"
            f"{_ATTEMPTS} attempts: about ${plans * per_attempt:.3f} to "
            f"${plans * _ATTEMPTS * per_attempt:.3f}. Each plan stops before spending more than "
            f"${HOSTED_CAP_USD:.2f} (usage_limits)"
        )
    heading = "Requests to your endpoint" if per_attempt is None else "Paid requests"
    notice = (
        f"**{heading}.** Each plan below is sent to {where} with model `{conn.model}`: "
        f"{cost}. To stay offline instead, set {BACKEND_ENV}=scripted and restart the kernel."
    )
    return Backend("hosted", conn.model, notice, options)


def _local(environ: Mapping[str, str], plans: int, hosted: bool) -> Backend:
    if not local_enabled(environ):
        raise LocalModelError(
            "the local backend needs the embedded model: "
            + INSTALL_HINT
            + " (and PLANNER_LOCAL not set to 0)"
        )
    if hosted:
        raise ConfigurationError(
            "an API is configured (OPENAI_API_KEY, OPENAI_BASE_URL or AZURE_OPENAI_*), so plans "
            "would go there, not to the local model; unset it to plan locally"
        )
    spec = resolve_spec(environ.get("PLANNER_MODEL") or None)
    minutes = math.ceil(plans * LOCAL_SECONDS_PER_PLAN / 60)
    first = (
        ""
        if is_assembled(spec)
        else f" First the {spec.size / 1e6:,.0f} MB model is assembled in your cache (seconds)."
    )
    notice = (
        f"**CPU time.** The embedded model `{spec.display_name}` runs on this machine: "
        f"about {LOCAL_SECONDS_PER_PLAN} s per plan on 2 CPU cores, so {plans} plan(s) take "
        f"about {minutes} minute(s).{first} Nothing is paid. The checks report any issue a "
        "0.5B model's plan has."
    )
    return Backend("local", spec.display_name, notice, PlannerKeywords())


def _scripted() -> Backend:
    server = ScriptedServer(plan_responder()).start()
    notice = (
        "**Offline demo.** A scripted OpenAI-compatible server on 127.0.0.1 "
        "(`planner_agent.testing`) answers every request with a valid example plan: nothing "
        f"leaves this machine and nothing is paid (costs shown are what {_SCRIPTED_MODEL} would "
        "charge for the same tokens). For real plans set OPENAI_API_KEY, or install "
        "planner-agent[local], and run this again."
    )
    options = PlannerKeywords(client=server.client(), model=_SCRIPTED_MODEL)
    return Backend("scripted", _SCRIPTED_MODEL, notice, options, server=server)
