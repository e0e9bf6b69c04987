"""An installed wheel works on its own: built from the checkout, installed into a fresh virtual environment
outside it, run from another directory (real vLLM engine, toy reasoner).

The heavy dependencies (vLLM, torch, ...) come from this test run's environment through a path file, so
nothing is downloaded; evalscale itself, its configs and task YAMLs come from the wheel alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from engine import DATA_DIR, REPO

pytestmark = pytest.mark.engine

SOURCES = ("pyproject.toml", "README.md", "evalscale", "conf", "tasks")  # what the wheel is built from


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment holding the wheel of this checkout (and nothing else of evalscale's)."""
    root = tmp_path_factory.mktemp("wheel")
    source = (
        root / "source"
    )  # a copy: building in place leaves build/ behind, whose stale files a later wheel takes
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(REPO / name, source / name)
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(source)]
    subprocess.run([*build, "-w", str(root / "dist")], check=True, timeout=600, cwd=root)
    (wheel,) = (root / "dist").glob("evalscale-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "evalscale/conf/config.yaml" in names and "evalscale/lm_eval_tasks/math500.yaml" in names
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)]
    subprocess.run(install, check=True, timeout=600, env=outside_checkout())
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # after the install, so pip sees no evalscale there; a path line: the checkout's editable finder stays off
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def outside_checkout() -> dict[str, str]:
    """This process's environment without PYTHONPATH (a checkout on it would shadow the wheel)."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


def run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A command of the installed environment, from `cwd`, without this checkout on any path."""
    env = outside_checkout() | {
        "HF_HUB_OFFLINE": "1",
        "VLLM_CPU_KVCACHE_SPACE": "1",
        "EVALSCALE_CACHE": str(cwd / "cache"),
    }
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_the_wheel_lists_tasks_and_runs_a_toy_sweep_from_elsewhere(installed: Path, tmp_path: Path) -> None:
    where = run(installed, tmp_path, "python", "-c", "import evalscale.resources as r; print(r.CONF_DIR)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed), "evalscale must come from the wheel"
    tasks = run(installed, tmp_path, "evalscale", "tasks", f"data_dir={DATA_DIR}")
    assert tasks.returncode == 0, tasks.stderr
    rows = {line.split()[0]: line.split()[1] for line in tasks.stdout.splitlines()[1:]}
    assert rows == {
        "aime24": "30",
        "aime24_h4": "30",
        "gpqa_diamond": "198",
        "letter_count": "64",
        "math500": "500",
    }
    grid = ("budget.caps=[8,32]", "budget.waits=[0,1]", "limit=4", "progress=false")
    sweep = run(installed, tmp_path, "evalscale", "sweep", *grid, "run_dir=run")
    assert sweep.returncode == 0, sweep.stderr[-3000:]
    assert (tmp_path / "run" / "report" / "scaling.png").is_file()
    assert "best: " in sweep.stderr
