"""The seed prompt's "Expected Output Format" headings and bullet labels, shared by the tests.

The template must keep them (test_knowledge) and the renderer must write them (test_render). The
list is a copy of the seed's format; `read_seed_format` reads the seed itself where it sits beside
the repository (``../shared``), so a test can prove the copy has not drifted.
"""

from __future__ import annotations

import re
from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "planner_prompt_seed.md"

FORMAT_LINES = (
    "# Implementation Plan for [Step Name]",
    "## 1. Step Overview",
    "- Purpose:",
    "- Inputs:",
    "- Outputs:",
    "- Position in pipeline:",
    "- Architectural considerations:",
    "- Alignment with design principles:",
    "## 2. Components to Create",
    "- Script Contract:",
    "  - Input paths:",
    "  - Output paths:",
    "  - Environment variables:",
    "- Step Specification:",
    "  - Dependencies:",
    "  - Outputs:",
    "  - Job type variants:",
    "- Configuration:",
    "  - Step-specific parameters:",
    "  - SageMaker parameters:",
    "- Step Builder:",
    "  - Special handling:",
    "- Processing Script:",
    "  - Algorithm:",
    "  - Main functions:",
    "## 3. Files to Update",
    "## 4. Integration Strategy",
    "- Upstream steps:",
    "- Downstream steps:",
    "- DAG updates:",
    "## 5. Contract-Specification Alignment",
    "- Input alignment:",
    "- Output alignment:",
    "- Validation strategy:",
    "## 6. Error Handling Strategy",
    "- Input validation:",
    "- Script robustness:",
    "- Logging strategy:",
    "- Error reporting:",
    "## 7. Testing and Validation Plan",
    "- Unit tests:",
    "- Integration tests:",
    "- Validation criteria:",
    "## Implementation Details",
    "### 1. Step Registry Addition",
    "### 2. Script Contract Implementation",
    "### 3. Step Specification Implementation",
    "### 4. Configuration Class Implementation",
    "### 5. Processing Script Implementation",
    "### 6. Step Builder Implementation",
)
HEADINGS = [line for line in FORMAT_LINES if line.startswith("#")]
LABELS = [line for line in FORMAT_LINES if not line.startswith("#")]


def read_seed_format() -> tuple[list[str], list[str]]:
    """(headings, labels) as the seed file states them."""
    body = SEED.read_text(encoding="utf-8").split("## Expected Output Format", 1)[1]
    # The format's headings: the plan title, numbered sections, Implementation Details and its
    # numbered subsections (the prompt's own headings have none of these shapes).
    shape = r"^(# Implementation Plan for |## \d+\. |## Implementation Details$|### \d+\. )"
    headings = [line.strip() for line in body.splitlines() if re.match(shape, line)]
    labels = [m.group(0) for m in re.finditer(r"(?m)^ *- [A-Z][A-Za-z /-]+:", body)]
    return headings, labels
