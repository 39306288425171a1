"""The prompt side: the template and its six slots, the knowledge that fills them, the examples
picked for a step, offline token counting, and the requirements text.

>>> from planner_agent.prompt import SLOTS
>>> SLOTS["requirements"]
'[INJECT STEP REQUIREMENTS HERE]'
"""

from __future__ import annotations

from ._builder import Prompt, PromptBuilder, PromptLayout, Section
from ._knowledge import DOCUMENT_SLOTS, Example, Knowledge, KnowledgeSource, prompts_dir
from ._requirements import load_requirements
from ._template import (
    SLOTS,
    fill_template,
    output_format_section,
    split_template,
    validate_template,
)
from ._tokens import ApproximateTokenCountWarning, TokenCounter

__all__ = [
    "DOCUMENT_SLOTS",
    "SLOTS",
    "ApproximateTokenCountWarning",
    "Example",
    "Knowledge",
    "KnowledgeSource",
    "Prompt",
    "PromptBuilder",
    "PromptLayout",
    "Section",
    "TokenCounter",
    "fill_template",
    "load_requirements",
    "output_format_section",
    "prompts_dir",
    "split_template",
    "validate_template",
]
