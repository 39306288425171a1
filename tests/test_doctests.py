"""Every docstring example in the package runs (those marked ``+SKIP`` need a live endpoint)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import planner_agent

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(planner_agent.__path__, "planner_agent.")
)


def test_the_sweep_sees_the_package() -> None:
    assert {
        "planner_agent.llm",
        "planner_agent.prompt._template",
        "planner_agent.seedformat._blocks",
    } <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
