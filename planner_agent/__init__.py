"""planner_agent: requirements for a new SageMaker pipeline step in, a typed and checked plan out.

>>> from planner_agent import plan_step  # doctest: +SKIP
>>> result = plan_step("Calibrate the raw scores of a trained XGBoost model ...")  # doctest: +SKIP
>>> result.plan.components.script_contract.input_paths  # doctest: +SKIP
"""

from __future__ import annotations

from ._conversation import Conversation
from ._usage import UsageLimits
from ._version import VERSION
from .api import aplan_step, plan_step
from .batch import BatchFileLimits, BatchItem, BatchResult, aplan_steps, plan_steps
from .checks import Rule, check_plan
from .checks._codebase import CodebaseIndex
from .conventions import Layout
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
    PlanTimeoutError,
    PromptTooLargeError,
    RequirementsError,
    ScaffoldError,
    TemplateError,
    TransportError,
    UnsupportedResponseFormatError,
    UsageLimitExceededError,
)
from .llm._modes import OutputMode, register_mode, unregister_mode
from .llm._profiles import Price
from .llm._transport import RateGate
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
from .repair import REPAIR_CODES, repair_plan
from .result import Attempt, PlanResult, Usage
from .scaffold import ScaffoldedFile, ScaffoldResult, scaffold_step
from .seedformat._loading import LoadedPlan, load_plan
from .seedformat._writer import render_markdown
from .settings import PlannerKeywords, RequestOptions, Settings

__version__ = VERSION

__all__ = [
    "REPAIR_CODES",
    "APIKeyError",
    "Attempt",
    "BatchError",
    "BatchFileLimits",
    "BatchItem",
    "BatchResult",
    "CodebaseError",
    "CodebaseIndex",
    "ConfigurationError",
    "Conversation",
    "DataType",
    "DependencyType",
    "ImplementationPlan",
    "IncompleteOutputError",
    "JobType",
    "Knowledge",
    "KnowledgeError",
    "LLMError",
    "Layout",
    "LoadedPlan",
    "LocalModelError",
    "NodeType",
    "OutputError",
    "OutputMode",
    "PlanDraft",
    "PlanImportError",
    "PlanIssue",
    "PlanIssuesError",
    "PlanRefusedError",
    "PlanResult",
    "PlanTimeoutError",
    "Planner",
    "PlannerError",
    "PlannerKeywords",
    "PlanningError",
    "Price",
    "PromptTooLargeError",
    "RateGate",
    "RequestOptions",
    "RequirementsError",
    "Rule",
    "SageMakerStepType",
    "ScaffoldError",
    "ScaffoldResult",
    "ScaffoldedFile",
    "Settings",
    "Severity",
    "TemplateError",
    "TransportError",
    "UnsupportedResponseFormatError",
    "Usage",
    "UsageLimitExceededError",
    "UsageLimits",
    "__version__",
    "aplan_step",
    "aplan_steps",
    "check_plan",
    "load_plan",
    "plan_step",
    "plan_steps",
    "register_mode",
    "render_markdown",
    "repair_plan",
    "scaffold_step",
    "unregister_mode",
]
