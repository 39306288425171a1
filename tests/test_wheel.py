"""A wheel built from this repository, installed in a fresh venv outside it, finds its prompts."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_installs_and_finds_prompts(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("planner_agent-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "planner_agent/_data/prompts/planner_template.md" in names
    assert any(n.startswith("planner_agent/_data/prompts/knowledge/") for n in names)
    assert "planner_agent/_data/schemas/plan_draft.strict.schema.json" in names
    assert "planner_agent/py.typed" in names
    assert {"planner_agent/prompt/_knowledge.py", "planner_agent/prompt/_template.py"} <= set(names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run(
        [
            str(bindir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        timeout=120,
    )
    # Dependencies come from this environment's site-packages (not its editable planner_agent,
    # which is wired through a .pth file that PYTHONPATH does not process).
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"], "PLANNER_LOCAL": "0"}
    env.pop("OPENAI_API_KEY", None)
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "req.md").write_text(
        "Calibrate XGBoost scores with isotonic regression.", encoding="utf-8"
    )
    probe = (
        "import planner_agent, pathlib; from planner_agent.prompt._knowledge import prompts_dir, Knowledge; "
        "k = Knowledge.default(); print(pathlib.Path(planner_agent.__file__).parent); print(prompts_dir()); "
        "print(len(k.examples))"
    )
    out = subprocess.run(
        [str(bindir / "python"), "-c", probe],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.splitlines()
    package_dir, prompts, examples = out
    assert str(venv) in package_dir and str(REPO) not in package_dir
    assert prompts.startswith(package_dir) and prompts.endswith("_data/prompts")
    assert int(examples) >= 3
    cli = subprocess.run(
        [str(bindir / "planner-agent"), "prompt", "req.md", "--model", "gpt-4o-mini"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    assert "## Requirements for the New Step" in cli.stdout and "total" in cli.stderr
