"""Plan data as JSON gives it (a plan, a draft or a saved result) -> `ImplementationPlan`.

Shared by ``load_plan`` (JSON files and text) and ``check_plan`` (a plan dict); invalid enum
values are repaired and reported as ``ENUM001`` issues (see `planner_agent._enums`).
`loads_json` is the one reader of JSON nobody vouches for (files, code blocks, model replies).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Final

from pydantic import ValidationError

from ._enums import json_path, validate_with_enum_repair
from .draft import PlanDraft
from .errors import PlanImportError
from .plan import ImplementationPlan, PlanIssue

__all__ = ["MAX_JSON_DEPTH", "loads_json", "plan_from_data"]

MAX_JSON_DEPTH: Final = 64
"""Deepest nesting of arrays and objects `loads_json` accepts. A plan needs about 8 levels;
what reads the data afterwards (copies, validation, walks) recurses once or more per level."""

# The characters that matter for nesting: brackets, and quotes and escapes (brackets in strings
# do not count).
_JSON_NESTING = re.compile(r'[\[\]{}"\\]')


def loads_json(text: str) -> Any:
    """``json.loads`` for text nobody vouches for: every problem is a `json.JSONDecodeError`.

    Nesting deeper than `MAX_JSON_DEPTH` and integers longer than Python converts (4300 digits)
    are errors, like invalid syntax, so what reads the data cannot exhaust the stack.

    >>> loads_json('{"a": [1]}')
    {'a': [1]}
    >>> loads_json("[" * 100_000)
    Traceback (most recent call last):
    json.decoder.JSONDecodeError: nested more than 64 levels deep: line 1 column 65 (char 64)
    """

    try:
        data = json.loads(text)
    except RecursionError:
        data = None  # deeper than the decoder's stack: found and reported below
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer longer than int() reads from text: find it to say where
        limit = sys.get_int_max_str_digits()
        found = re.search(rf'(?<![\d"])\d{{{limit + 1},}}', text)  # not in a string, mostly
        digits, at = (found.group(), found.start()) if found else ("", 0)
        raise json.JSONDecodeError(
            f"number of {len(digits) or 'too many'} digits is too long", text, at
        ) from None
    else:
        if _depth(data) <= MAX_JSON_DEPTH:
            return data
    raise json.JSONDecodeError(
        f"nested more than {MAX_JSON_DEPTH} levels deep", text, _too_deep_at(text)
    )


def _depth(data: Any) -> int:
    """How deeply arrays and objects nest in ``data``, counted up to ``MAX_JSON_DEPTH + 1``.

    Level by level rather than recursively (the point is not to recurse) or node by node (a
    tuple per node takes two and a half times as long).
    """
    level, depth = ([data] if isinstance(data, dict | list) else []), 0
    while level and depth <= MAX_JSON_DEPTH:
        depth += 1
        inner: list[Any] = []
        for value in level:
            items = value.values() if isinstance(value, dict) else value
            inner.extend([item for item in items if isinstance(item, dict | list)])
        level = inner
    return depth


def _too_deep_at(text: str) -> int:
    """Where in ``text`` nesting first exceeds `MAX_JSON_DEPTH` (0 if nowhere: a guard only)."""
    depth, in_string, escaped = 0, False, -1
    for match in _JSON_NESTING.finditer(text):
        char, at = match.group(), match.start()
        if in_string:
            if at == escaped:
                continue
            if char == "\\":
                escaped = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return at
        elif char in "]}":
            depth -= 1
    return 0


def _validation_message(name: str, what: str, exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    shown = "; ".join(f"{json_path(tuple(e['loc']))}: {e['msg']}" for e in errors[:5])
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    return f"{name} is not a valid {what}: {shown}{more}"


def plan_from_data(data: Any, name: str) -> tuple[ImplementationPlan, list[PlanIssue]]:
    """Full plan, plan draft or a saved PlanResult (``{"plan": {...}}``) -> plan and ENUM issues.

    ``name`` says what ``data`` came from in a `PlanImportError`.
    """
    if isinstance(data, dict) and isinstance(data.get("plan"), dict) and "components" not in data:
        data = data["plan"]
    if isinstance(data, dict) and "components" in data:
        try:
            return validate_with_enum_repair(ImplementationPlan, data)
        except ValidationError as exc:
            raise PlanImportError(_validation_message(name, "implementation plan", exc)) from None
    draft_keys = {"sagemaker_step_type", "inputs", "outputs", "purpose"}
    if isinstance(data, dict) and "step_name" in data and draft_keys & data.keys():
        try:
            draft, issues = validate_with_enum_repair(PlanDraft, data)
            return draft.to_plan(), issues
        except ValidationError as exc:
            raise PlanImportError(_validation_message(name, "plan draft", exc)) from None
    got = (
        f"an object with keys {sorted(map(str, data))[:6]}"
        if isinstance(data, dict)
        else type(data).__name__
    )
    raise PlanImportError(
        f"{name} is JSON but not an implementation plan: expected an object with 'components' and"
        f" 'registry_entry' (ImplementationPlan) or 'step_name' and 'sagemaker_step_type'"
        f" (PlanDraft); got {got}"
    )
