"""The resolver's ranking per dependency of a checked plan, against a codebase (``check --codebase``).

Per dependency: the producer outputs the resolver ranks first (what the plan's section 4 carries
when a codebase was given while planning), the best near miss when none scores above the
threshold, and where the producer the plan links to ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ..checks import CodebaseIndex
from ..checks._resolver import THRESHOLD, candidate_pool, rank_candidates
from ..conventions import strip_job_suffix
from ..plan import ImplementationPlan, ResolverCandidate

__all__ = ["RANKED", "Ranking", "rank_dependencies", "ranking_text"]

RANKED: Final = 3


@dataclass(frozen=True)
class Ranking:
    """The resolver's view of one dependency of a checked plan."""

    dependency: str
    required: bool
    #: Producer outputs above the threshold, best first (at most `RANKED`).
    matched: tuple[ResolverCandidate, ...]
    #: The best one at or below the threshold (None: no producer at all), when none matched.
    best_below: ResolverCandidate | None
    #: The producer outputs the plan's upstream links name for this dependency, with their rank
    #: among all candidates (1 = best; None: the codebase has no such output).
    linked: tuple[tuple[str, int | None, ResolverCandidate | None], ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (``check --format json``)."""
        below = self.best_below.model_dump(mode="json") if self.best_below else None
        return {
            "dependency": self.dependency,
            "required": self.required,
            "matched": [c.model_dump(mode="json") for c in self.matched],
            "best_below_threshold": below,
            "linked": [
                {"link": link, "rank": rank, "score": c.score if c else None}
                for link, rank, c in self.linked
            ],
        }


def rank_dependencies(plan: ImplementationPlan, index: CodebaseIndex) -> list[Ranking]:
    """Per dependency of ``plan``, the codebase producers the resolver ranks first."""
    spec = plan.components.step_specification
    pool = candidate_pool(index.producers(), plan.step_name, spec.step_type)
    found = []
    for dependency in spec.dependencies:
        ranked = rank_candidates(dependency, pool, include_below_threshold=True)
        top = [c.for_plan(dependency.logical_name) for c in ranked[:RANKED]]
        matched = tuple(c for c in top if c.score > THRESHOLD)
        below = top[0] if top and not matched else None
        links = []
        for link in plan.integration.upstream_steps:
            if link.dependency not in ("", dependency.logical_name) or not link.output:
                continue
            # A link to step X also means its job-type variants (X_Training) in the codebase.
            rank = next(
                (
                    n
                    for n, c in enumerate(ranked, 1)
                    if link.step in (c.producer, strip_job_suffix(c.producer))
                    and c.output.logical_name == link.output
                ),
                None,
            )
            hit = ranked[rank - 1].for_plan(dependency.logical_name) if rank else None
            links.append((f"{link.step}.{link.output}", rank, hit))
        found.append(
            Ranking(dependency.logical_name, dependency.required, matched, below, tuple(links))
        )
    return found


def ranking_text(rankings: Sequence[Ranking]) -> list[str]:
    """The text block ``check --codebase`` prints."""
    lines = [f"RESOLVER (codebase producers per dependency; matched above {THRESHOLD})"]
    if not rankings:
        lines.append("  the plan's specification has no dependencies")
    for r in rankings:
        lines.append(f"  {r.dependency} ({'required' if r.required else 'optional'})")
        for n, c in enumerate(r.matched, 1):
            lines.append(f"      {n}. {c.step}.{c.output}  {c.score:.3f}")
        if r.best_below is not None:
            b = r.best_below
            lines.append(f"      no match (best: {b.step}.{b.output} {b.score:.3f})")
        elif not r.matched:
            lines.append("      no match (the codebase has no producer outputs)")
        for link, rank, hit in r.linked:
            if rank is None or hit is None:
                lines.append(f"      linked in the plan: {link}, not an output in the codebase")
            else:
                lines.append(f"      linked in the plan: {link}, rank {rank} ({hit.score:.3f})")
    return lines
