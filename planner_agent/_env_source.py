"""Which config field feeds an environment variable (re-exported by `planner_agent.conventions`).

Apart from ``conventions`` so that module stays under the size limit; it imports nothing.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ENV_SOURCE_HELP", "env_var_field"]

ENV_SOURCE_HELP: Final = "Only if not the lower-case config field: 'config.<field>' or 'builder'"


def env_var_field(name: str, source: str = "") -> str | None:
    """The config field that feeds env var ``name``: the lower-case name unless ``source`` says
    ``config.<field>``; None when the builder (or the execution context) sets it, or for a nested
    attribute (``config.hyperparameters.label_name``).

    >>> env_var_field("LABEL_FIELD"), env_var_field("LABEL_FIELD", "config.label_name")
    ('label_field', 'label_name')
    """
    rest = source.strip().removeprefix("config.") or name.lower()
    return None if rest == "builder" or "." in rest else rest
