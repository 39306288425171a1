"""Index real repositories and print what was found: steps, specs, warnings, detected layout, time.

Run: ``python benchmarks/index_repository.py REPO [REPO ...]``. Not run in CI: the public
four-layer repositories are extracted by hand, e.g.
``git --git-dir=MIRROR archive release/1.x src/cursus | tar -x -C /tmp/cursus``.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

from planner_agent.checks import CodebaseIndex

FIELDS = (
    "contracts_dir",
    "specs_dir",
    "configs_dir",
    "builders_dir",
    "scripts_dir",
    "registry_file",
)


def report(root: Path) -> float:
    """Index ``root`` (best of three), print the summary and return the seconds it took."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # all of them are in index.warnings
            index = CodebaseIndex.from_path(root)
        best = min(best, time.perf_counter() - started)
    specs = sum(len(s.specs) for s in index.steps.values())
    print(f"{root}: {best:.2f} s")
    print(
        f"  steps {len(index.steps)} (registry {len(index.registry)}, with specs "
        f"{sum(bool(s.specs) for s in index.steps.values())}), specs {specs}, contracts "
        f"{sum(bool(s.contract) for s in index.steps.values())}, warnings {len(index.warnings)}"
    )
    for name in FIELDS:
        print(f"  {name}: {getattr(index.detected_layout, name)}")
    for message in index.warnings[:5]:
        print(f"  - {message}")
    return best


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for arg in sys.argv[1:]:
        report(Path(arg))
