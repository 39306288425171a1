"""Precision and recall of the checks on real steps and on LLM-style plans.

    python benchmarks/check_precision.py [--all-phrasings] [--mirror DIR] [--json FILE]

Precision = true defects / all error-level issues; recall = injected mistakes detected / injected.

- **Corpus** (``tests/fixtures/real_steps.json``): every real step of cursus release/1.x and
  nlp-pipeline, in each phrasing of ``tests/corpus_phrasings.py`` (plus ``object``: the plan's JSON,
  no markdown reader), checked without a codebase and, as ``codebase``, with a stub repository of
  its own repository in the real layout. An error is a true defect only when it is one of the
  deviations of the real code listed in ``tests/corpus.py`` (REAL_DEVIATIONS).
- **Recall**: each catalogued mistake (``tests/corpus_mistakes.py``) injected into each real step,
  checked with the stub codebase; by phrasing (``object`` and ``rendered``; all with
  ``--all-phrasings``) and by expected code, counting any severity and error level apart.
- **LLM-style plans** (``tests/fixtures/llm_style_plans``): our own plans in real LLM shapes, with
  the true defects each makes.
- **Real LLM plans** (``tests/fixtures/llm_plans_labels.json``): the labelled issues of real plans.
  With ``--mirror`` (the folder holding ``TianpeiLuke+cursus/repo`` and
  ``TianpeiLuke+nlp-pipeline/repo`` bare git mirrors) they are re-checked with today's code, once
  without a codebase and once each against its own repository at ``codebase_commit`` (the tree
  the step was planned against; ``codebase_issues`` hold the verdicts that tree changes); issues
  not labelled are listed for review. Without it, the stored labels are summarised.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from corpus import (  # noqa: E402
    check_data,
    check_text,
    is_true_finding,
    plan_data,
    real_steps,
)
from corpus_mistakes import detected, mistakes  # noqa: E402
from corpus_phrasings import PHRASINGS  # noqa: E402
from corpus_repo import write_repo  # noqa: E402

from planner_agent.checks import CodebaseIndex  # noqa: E402
from planner_agent.plan import PlanIssue  # noqa: E402

STYLE = ROOT / "tests" / "fixtures" / "llm_style_plans"
LABELS = ROOT / "tests" / "fixtures" / "llm_plans_labels.json"
# Rules split since the labels were made (code now -> code in the labels): an input path naming a
# file was PATH003; it is now PATH007 (PATH006, a warning, where a builder mounts its directory); an
# unknown step name was REG009, and without a codebase it is now REG012 (a warning).
RENAMED = {"PATH006": "PATH003", "PATH007": "PATH003", "REG012": "REG009"}


def cause(issue: PlanIssue) -> str:
    """An issue's message with its quoted values elided: a false alarm's cause, roughly."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\[[^\]]*\]", "…", issue.message)
    return f"{issue.code}: {text[:110]}"


class Tally:
    """True and false error-level issues, by key, with false-alarm causes."""

    def __init__(self) -> None:
        self.true: Counter[str] = Counter()
        self.false: Counter[str] = Counter()
        self.causes: Counter[str] = Counter()
        self.reported: Counter[str] = Counter()  # True defects reported at any severity.

    def add(self, key: str, issue: PlanIssue, true: bool) -> None:
        (self.true if true else self.false)[key] += 1
        if not true:
            self.causes[cause(issue)] += 1

    def line(self, key: str) -> str:
        t, f = self.true[key], self.false[key]
        return f"{key:<28} {t:>6} {f:>7} {t / (t + f) if t + f else 1.0:>10.1%}"


def corpus_precision(
    indexes: dict[str, CodebaseIndex],
) -> tuple[Tally, Tally, Counter[tuple[str, str]]]:
    """Tallies by phrasing and by rule, and (step id, phrasing) -> false alarms of each case."""
    by_phrasing, by_code, cases = Tally(), Tally(), Counter[tuple[str, str]]()
    for step in real_steps():
        data = plan_data(step)
        runs: list[tuple[str, list[PlanIssue]]] = [("object", check_data(data))]
        runs += [(name, check_text(fn(data))) for name, fn in PHRASINGS.items()]
        real = plan_data(step, real_paths=True, registry_type=step.repo == "cursus")
        index = indexes[step.repo].without(step.name)
        runs.append(("codebase/object", check_data(real, codebase=index)))
        runs.append(("codebase/rendered", check_text(PHRASINGS["rendered"](real), codebase=index)))
        for phrasing, issues in runs:
            cases[(step.id, phrasing)] += 0  # Every case is listed, clean or not.
            for issue in (i for i in issues if i.is_error):
                true = is_true_finding(step.id, issue)
                by_phrasing.add(phrasing, issue, true)
                by_code.add(issue.code, issue, true)
                cases[(step.id, phrasing)] += not true
    return by_phrasing, by_code, cases


def known_causes(cases: Counter[tuple[str, str]]) -> None:
    """Cases with false alarms per cause named in tests/test_real_corpus.py (xfail reasons)."""
    from test_real_corpus import CAUSES, CODEBASE_CAUSES

    print("\nfalse alarms by named cause (cases: hit by the cause / of those with false alarms)")
    steps = {s.id: s for s in real_steps()}
    for prefix, causes in (("", CAUSES), ("codebase/", CODEBASE_CAUSES)):
        for c in causes:
            hit = [
                (sid, ph)
                for (sid, ph) in cases
                if ph.startswith("codebase/") == bool(prefix)
                and c.applies(steps[sid], ph.removeprefix(prefix))
            ]
            bad = sum(1 for key in hit if cases[key])
            print(f"{len(hit):>5} {bad:>5}  {prefix}{c.reason[:120]}")
    unexplained = [
        key
        for key, n in cases.items()
        if n
        and not any(
            c.applies(steps[key[0]], key[1].removeprefix("codebase/"))
            for c in (CODEBASE_CAUSES if key[1].startswith("codebase/") else CAUSES)
        )
    ]
    print(f"cases with false alarms no named cause explains: {len(unexplained)} {unexplained[:5]}")


def recall(indexes: dict[str, CodebaseIndex], phrasings: list[str]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {
        "injected": Counter(),
        "found": Counter(),
        "error": Counter(),
    }
    for step in real_steps():
        index = indexes[step.repo].without(step.name)
        for label, trial in mistakes(step, index):
            for phrasing in phrasings:
                if trial.raw is not None and phrasing in ("rendered", "titled"):
                    continue  # An invalid enum value cannot pass through render_markdown.
                keys = [f"phrasing {phrasing}", "code " + "|".join(sorted(trial.expected))]
                found = detected(step, trial, index, phrasing)
                error = found and detected(step, trial, index, phrasing, errors_only=True)
                for key in keys:
                    counts["injected"][key] += 1
                    counts["found"][key] += found
                    counts["error"][key] += error
                if not found:
                    counts.setdefault("missed", Counter())[f"{label} ({phrasing})"] += 1
    return counts


def style_precision() -> Tally:
    expected = json.loads((STYLE / "expected.json").read_text(encoding="utf-8"))["plans"]
    tally = Tally()
    for name, plan in expected.items():
        for issue in check_text((STYLE / name).read_text(encoding="utf-8")):
            if issue.is_error:
                true = any(
                    issue.code in d["code"].split("|")
                    and d["path"] in issue.path
                    and d["message"] in issue.message
                    for d in plan["true_defects"]
                )
                tally.add(name, issue, true)
    return tally


def real_plans(mirror: Path | None, codebases: Path | None = None) -> tuple[Tally, list[str], int]:
    """Labelled real plans: re-checked from the mirrors if given (else the stored labels).

    With ``codebases`` (a scratch folder), each plan is checked against its own repository at
    ``codebase_commit`` and its ``codebase_issues`` verdicts override the labels.
    """
    data = json.loads(LABELS.read_text(encoding="utf-8"))
    tally, unlabelled, true_total = Tally(), [], 0
    indexes: dict[tuple[Path, str], CodebaseIndex] = {}
    for plan in data["plans"]:
        rows = plan["issues"] + (plan.get("codebase_issues", []) if codebases else [])
        labels = {(code, path): verdict for code, path, verdict, _ in rows}
        true_total += sum(v == "true_defect" for v in labels.values())
        parts = plan["path"] if isinstance(plan["path"], list) else [plan["path"]]
        name = Path(parts[0]).name + (f" (+{len(parts) - 1} part)" if len(parts) > 1 else "")
        if mirror is None:
            for (code, path), verdict in labels.items():
                issue = PlanIssue(code=code, severity="error", path=path, message="(stored)")
                tally.add(name, issue, verdict == "true_defect")
            continue
        git = mirror / plan["repo"].replace("/", "+") / "repo"
        texts = [_git(git, "show", f"{plan['commit']}:{part}").decode("utf-8") for part in parts]
        shown = texts[0] if len(texts) == 1 else texts  # a plan in parts is checked as one
        codebase = None
        if codebases is not None:
            key = (git, plan["codebase_commit"])
            if key not in indexes:
                indexes[key] = _index_at(git, plan["codebase_commit"], codebases)
            codebase = indexes[key]
        reported = set()
        for issue in check_text(shown, codebase=codebase):
            key = (issue.code, issue.path)
            if key not in labels and issue.code in RENAMED:
                key = (RENAMED[issue.code], issue.path)
            verdict = labels.get(key)
            if verdict == "true_defect":
                reported.add(key)
            if not issue.is_error:
                continue
            if verdict is None:
                unlabelled.append(f"{name}: {issue}")
                continue
            tally.add(name, issue, verdict == "true_defect")
        tally.reported[name] = len(reported)
    return tally, unlabelled, true_total


def _git(git: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", f"--git-dir={git}", *args], capture_output=True, check=True
    ).stdout


def _index_at(git: Path, commit: str, scratch: Path) -> CodebaseIndex:
    """The index of the repository's ``src`` folder at ``commit`` (extracted under ``scratch``)."""
    dest = scratch / f"{git.parent.name}-{commit[:12]}"
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(_git(git, "archive", commit, "src"))) as archive:
        archive.extractall(dest, filter="data")
    return CodebaseIndex.from_path(dest)


def _table(title: str, tally: Tally, keys: list[str]) -> None:
    print(f"\n{title}\n{'':<28} {'true':>6} {'false':>7} {'precision':>10}")
    for key in keys:
        print(tally.line(key))
    total_t, total_f = sum(tally.true.values()), sum(tally.false.values())
    share = total_t / (total_t + total_f) if total_t + total_f else 1.0
    print(f"{'all':<28} {total_t:>6} {total_f:>7} {share:>10.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all-phrasings", action="store_true", help="recall in every phrasing")
    parser.add_argument("--mirror", type=Path, help="folder of the git mirrors (re-check plans)")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON")
    parser.add_argument("--no-recall", action="store_true", help="skip the recall measure")
    parser.add_argument("--top", type=int, default=12, help="false-alarm causes to show")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        indexes = {
            repo: CodebaseIndex.from_path(write_repo(repo, Path(tmp) / repo))
            for repo in ("cursus", "nlp")
        }
        steps = real_steps()
        print(f"corpus: {len(steps)} real steps, phrasings: object, {', '.join(PHRASINGS)}")
        by_phrasing, by_code, cases = corpus_precision(indexes)
        _table(
            "precision on real steps, by phrasing",
            by_phrasing,
            sorted(set(by_phrasing.true) | set(by_phrasing.false)),
        )
        _table(
            "precision on real steps, by rule",
            by_code,
            sorted(set(by_code.true) | set(by_code.false)),
        )
        print("\ntop false-alarm causes (real steps)")
        for text, count in by_code.causes.most_common(args.top):
            print(f"{count:>6}  {text}")
        known_causes(cases)
        phrasings = ["object", *PHRASINGS] if args.all_phrasings else ["object", "rendered"]
        counts = recall(indexes, [] if args.no_recall else phrasings)
    print("\nrecall of injected mistakes (with the stub codebase)")
    print(f"{'':<44} {'injected':>8} {'found':>7} {'recall':>7} {'as error':>9}")
    for key in sorted(counts["injected"]):
        n, f, e = counts["injected"][key], counts["found"][key], counts["error"][key]
        print(f"{key:<44} {n:>8} {f:>7} {f / n:>7.1%} {e / n:>9.1%}")
    if args.no_recall:
        print("(skipped: --no-recall)")
    for text, count in counts.get("missed", Counter()).most_common(args.top):
        print(f"  missed {count:>4}x {text}")
    style = style_precision()
    _table(
        "LLM-style plans (tests/fixtures/llm_style_plans)",
        style,
        sorted(set(style.true) | set(style.false)),
    )
    for text, count in style.causes.most_common(args.top):
        print(f"{count:>6}  {text}")
    real, unlabelled, true_total = real_plans(args.mirror)
    mode = "re-checked from the mirrors, no codebase" if args.mirror else "stored labels"
    _table(f"real LLM-written plans ({mode})", real, sorted(set(real.true) | set(real.false)))
    print(f"labelled true defects still found as errors: {sum(real.true.values())} of {true_total}")
    if args.mirror:
        print(f"  reported at any severity: {sum(real.reported.values())} of {true_total}")
    for line in unlabelled:
        print(f"  unlabelled: {line[:160]}")
    with_cb: tuple[Tally, list[str], int] | None = None
    if args.mirror is not None:
        with tempfile.TemporaryDirectory() as scratch:
            with_cb = real_plans(args.mirror, Path(scratch))
        cb, cb_unlabelled, cb_total = with_cb
        _table(
            "real LLM-written plans, each checked against its repository at codebase_commit",
            cb,
            sorted(set(cb.true) | set(cb.false)),
        )
        print(
            f"true defects (against that codebase) found as errors: {sum(cb.true.values())} of "
            f"{cb_total} (at any severity: {sum(cb.reported.values())})"
        )
        for line in cb_unlabelled:
            print(f"  unlabelled: {line[:160]}")
    print(f"\n{time.perf_counter() - start:.0f} s")
    if args.json:
        injected = sum(v for k, v in counts["injected"].items() if k.startswith("phrasing"))
        found = sum(v for k, v in counts["found"].items() if k.startswith("phrasing"))
        numbers: dict[str, Any] = {
            "corpus_true": sum(by_code.true.values()),
            "corpus_false": sum(by_code.false.values()),
            "recall": found / injected if injected else None,
            "style_true": sum(style.true.values()),
            "style_false": sum(style.false.values()),
            "real_true": sum(real.true.values()),
            "real_false": sum(real.false.values()),
            "real_unlabelled": len(unlabelled),
            "real_true_total": true_total,
            "real_reported": sum(real.reported.values()),
            "real_codebase": (
                {
                    "true": sum(with_cb[0].true.values()),
                    "false": sum(with_cb[0].false.values()),
                    "unlabelled": len(with_cb[1]),
                    "true_total": with_cb[2],
                }
                if with_cb
                else None
            ),
            "top_causes": by_code.causes.most_common(args.top),
        }
        args.json.write_text(json.dumps(numbers, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
