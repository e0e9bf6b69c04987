"""Hydra multirun through hydra-submitit-launcher's local executor, on every benchmark task."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from engine import DATA_DIR, REPO, cells_by_key
from tiny_model import build_tiny_model

from evalscale.store import read_manifest

pytestmark = pytest.mark.engine


@pytest.mark.skipif(not DATA_DIR.is_dir(), reason="needs ../shared/data")
def test_two_job_multirun_on_the_local_executor_runs_each_task(tmp_path: Path) -> None:
    model = build_tiny_model(tmp_path / "tiny")
    runs = tmp_path / "runs"
    command = [
        sys.executable,
        "-m",
        "evalscale.cli",
        "sweep",
        "-m",
        "hydra/launcher=local",
        f"hydra.sweep.dir={tmp_path / 'multirun'}",
        "task=aime24,gpqa_diamond",
        f"data_dir={DATA_DIR}",
        "model=r1-distill-qwen-32b",
        f"model.path={model}",
        "model.name=tiny",
        "model.max_answer_tokens=4",
        "budget.caps=[4,8]",
        "budget.waits=[0,1]",
        "limit=2",
        "grade=false",
        "report=false",
        "run_dir=" + str(runs) + "/${task.name}",
        "progress=false",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    subprocess.run(command, cwd=REPO, env=env, check=True, timeout=900)
    for task in ("aime24", "gpqa_diamond"):
        assert read_manifest(runs / task)["status"] == "complete"
        cells = cells_by_key(runs / task)
        assert len(cells) == 2 * 2 * 2
        assert all(cell["thinking_tokens"] <= cell["cap"] for cell in cells.values())
