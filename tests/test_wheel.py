"""A wheel built from this repository, installed in a fresh venv outside it, finds its prompts."""

from __future__ import annotations

import email.parser
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this repository (once for the module)."""
    dist = tmp_path_factory.mktemp("dist")
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
    (built,) = dist.glob("planner_agent-*.whl")
    return built


def test_wheel_metadata_declares_licence_python_and_dependencies(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = email.parser.Parser().parsestr(archive.read(meta_name).decode("utf-8"))
        licence = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert licence and archive.read(licence[0]) == (REPO / "LICENSE").read_bytes()
    assert meta["Name"] == "planner-agent" and meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Requires-Python"] == ">=3.11"
    classifiers = meta.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert "Typing :: Typed" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the expression says it
    assert meta["Author"] and "sagemaker" in (meta["Keywords"] or "")
    requires = meta.get_all("Requires-Dist") or []
    assert any(r.startswith("platformdirs") and "<5" in r for r in requires)
    # No invented links: any Project-URL would have to be a real https address.
    for url in meta.get_all("Project-URL") or []:
        assert url.split(", ", 1)[1].startswith("https://") and ".example" not in url


def test_wheel_installs_and_finds_prompts(wheel: Path, tmp_path: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "planner_agent/_data/prompts/planner_template.md" in names
    assert any(n.startswith("planner_agent/_data/prompts/knowledge/") for n in names)
    assert "planner_agent/_data/schemas/plan_draft.strict.schema.json" in names
    assert "planner_agent/py.typed" in names
    assert "planner_agent/_data/examples/requirements/model_calibration.md" in names
    assert "planner_agent/_data/examples/pipeline_repo/src/tinypipe/registry/step_names.py" in names
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

    def run(program: str, *args: str) -> subprocess.CompletedProcess[str]:
        """``program`` of the venv, run in the working folder outside the repository."""
        done = subprocess.run(
            [str(bindir / program), *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done

    probe = (
        "import planner_agent, pathlib; from planner_agent.prompt._knowledge import prompts_dir, Knowledge; "
        "k = Knowledge.default(); print(pathlib.Path(planner_agent.__file__).parent); print(prompts_dir()); "
        "print(len(k.examples))"
    )
    out = run("python", "-c", probe).stdout.splitlines()
    package_dir, prompts, examples = out
    assert str(venv) in package_dir and str(REPO) not in package_dir
    assert prompts.startswith(package_dir) and prompts.endswith("_data/prompts")
    assert int(examples) >= 3
    cli = run("planner-agent", "prompt", "req.md", "--model", "gpt-4o-mini")
    assert "## Requirements for the New Step" in cli.stdout and "total" in cli.stderr
    # The quick start's examples come from the installed wheel, whatever the working folder.
    quick = (
        "from planner_agent import plan_step, scaffold_step\n"
        "from planner_agent.quickstart import choose_backend, example_repository, "
        "example_requirements\n"
        "req = example_requirements()['model_calibration']\n"
        "print(req)\n"
        "with choose_backend('scripted') as backend:\n"
        "    result = plan_step(req, **backend.options)\n"
        "repo = example_repository('copy')\n"
        "print(scaffold_step(result, repo, dry_run=True).paths('contract'))\n"
    )
    shown_req, contracts = run("python", "-c", quick).stdout.splitlines()
    assert shown_req.startswith(package_dir) and shown_req.endswith("model_calibration.md")
    assert "src/tinypipe/steps/contracts/model_calibration_contract.py" in contracts
