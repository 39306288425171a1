"""planner_agent: requirements for a new SageMaker pipeline step in, a typed and checked plan out.

>>> from planner_agent import plan_step  # doctest: +SKIP
>>> result = plan_step("Calibrate the raw scores of a trained XGBoost model ...")  # doctest: +SKIP
>>> result.plan.components.script_contract.input_paths  # doctest: +SKIP
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .api import aplan_step, plan_step
from .batch._steps import BatchFileLimits, BatchItem, BatchResult, aplan_steps, plan_steps
from .checks import Rule, check_plan
from .draft import PlanDraft
from .errors import (
    APIKeyError,
    BatchError,
    CodebaseError,
    ConfigurationError,
    IncompleteOutputError,
    KnowledgeError,
    LLMError,
    LocalModelError,
    OutputError,
    PlanImportError,
    PlanIssuesError,
    PlannerError,
    PlanningError,
    PlanRefusedError,
    PromptTooLargeError,
    RequirementsError,
    TemplateError,
    TransportError,
    UnsupportedResponseFormatError,
)
from .plan import (
    DataType,
    DependencyType,
    ImplementationPlan,
    JobType,
    NodeType,
    PlanIssue,
    SageMakerStepType,
    Severity,
)
from .planner import Planner
from .prompt._knowledge import Knowledge
from .result import Attempt, PlanResult, Usage
from .seedformat._loading import LoadedPlan, load_plan
from .seedformat._writer import render_markdown

try:
    __version__ = version("planner-agent")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "APIKeyError",
    "Attempt",
    "BatchError",
    "BatchFileLimits",
    "BatchItem",
    "BatchResult",
    "CodebaseError",
    "ConfigurationError",
    "DataType",
    "DependencyType",
    "ImplementationPlan",
    "IncompleteOutputError",
    "JobType",
    "Knowledge",
    "KnowledgeError",
    "LLMError",
    "LoadedPlan",
    "LocalModelError",
    "NodeType",
    "OutputError",
    "PlanDraft",
    "PlanImportError",
    "PlanIssue",
    "PlanIssuesError",
    "PlanRefusedError",
    "PlanResult",
    "Planner",
    "PlannerError",
    "PlanningError",
    "PromptTooLargeError",
    "RequirementsError",
    "Rule",
    "SageMakerStepType",
    "Severity",
    "TemplateError",
    "TransportError",
    "UnsupportedResponseFormatError",
    "Usage",
    "__version__",
    "aplan_step",
    "aplan_steps",
    "check_plan",
    "load_plan",
    "plan_step",
    "plan_steps",
    "render_markdown",
]
