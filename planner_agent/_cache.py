"""Where planner_agent keeps what it caches: the platform's per-user cache folder.

`platformdirs` picks the folder each platform expects: ``~/.cache/planner_agent`` on Linux (or
``$XDG_CACHE_HOME/planner_agent``), ``~/Library/Caches/planner_agent`` on macOS,
``%LOCALAPPDATA%\\planner_agent\\Cache`` on Windows. The embedded model is assembled in its
``models`` folder (``$PLANNER_AGENT_CACHE`` overrides that one), batch results are cached in its
``results`` folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from platformdirs import user_cache_path

__all__ = ["APP_NAME", "cache_home", "results_cache_dir"]

APP_NAME: Final = "planner_agent"


def cache_home() -> Path:
    """The per-user cache folder of planner_agent on this platform (not created here)."""
    # appauthor=False: no vendor folder on Windows (…\planner_agent\Cache, not …\x\planner_agent).
    return user_cache_path(APP_NAME, appauthor=False)


def results_cache_dir() -> Path:
    """Where ``plan_steps(cache=True)`` / ``batch --cache`` keep validated results."""
    return cache_home() / "results"
