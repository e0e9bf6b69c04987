"""What a real sweep shows: one screen without library noise (the engine's output in engine.log), and a
live partial report mid-run (real vLLM engine, toy reasoner)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from engine import REPO, sweep_config
from test_live_report import OnceAt

from evalscale.backends.vllm_engine import VllmBackend
from evalscale.console import ENGINE_LOG
from evalscale.finish import grade_and_report
from evalscale.live_report import LiveReport
from evalscale.plan import make_plan
from evalscale.sweep import generate

pytestmark = pytest.mark.engine

GRID = ("budget.caps=[8,16,32,64]", "budget.waits=[0,1]", "limit=8")
LIBRARY_NOISE = re.compile(r"WARNING|INFO|Warning|Triton|deprecated|force killing|pid=\d+")


def test_a_quiet_sweep_fits_one_screen_and_logs_the_engine(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "VLLM_LOGGING_LEVEL": "INFO"}  # INFO: more lines to hide
    command = [sys.executable, "-m", "evalscale.cli", "sweep", *GRID, f"run_dir={run_dir}"]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=900)
    terminal = (result.stdout + result.stderr).decode()  # bytes: text mode would turn "\r" into "\n"
    assert result.returncode == 0, terminal
    lines = terminal.split("\n")  # a progress bar redraws its line with carriage returns
    assert len(lines) <= 25, terminal
    assert not LIBRARY_NOISE.search(terminal), terminal
    assert [line.split(":")[0] for line in lines if re.match(r"\w+: ", line)] == [
        "evalscale", "load", "grade", "report", "best"
    ], terminal  # fmt: skip
    assert f"report: {run_dir / 'report' / 'report.md'}" in terminal
    assert re.search(r"^best: \d+\.\d% accuracy at \d+ thinking tokens \(cap \d+", terminal, re.MULTILINE)
    assert re.search(r"\rgenerate: 100%\|.*\| 64/64 .* tok/s\]", terminal), terminal
    log = (run_dir / ENGINE_LOG).read_text()
    assert re.search(r"\(EngineCore[^)]*pid=\d+\) INFO", log), "the engine-core process logs there"
    assert "INFO" in log and "Loading safetensors checkpoint shards" in log


def test_live_report_mid_sweep_then_the_final_report(toy_engine: VllmBackend, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    config = sweep_config(*GRID, f"run_dir={run_dir}", "progress=false")
    live = LiveReport(run_dir, OnceAt(cells=20))
    assert generate(make_plan(config), toy_engine, live=live) == "complete"
    assert live.refreshes == 1 and 20 <= live.cells_reported < 64
    report = run_dir / "report" / "report.md"
    assert report.read_text().splitlines()[0].endswith(f"(partial: {live.cells_reported} of 64 cells)")
    assert pd.read_csv(run_dir / "report" / "summary.csv")["n_problems"].sum() == live.cells_reported
    grade_and_report(run_dir)
    assert "partial" not in report.read_text().splitlines()[0]
    summary = pd.read_csv(run_dir / "report" / "summary.csv")
    assert summary["n_problems"].sum() == 64 and set(summary["status"]) == {"complete"}
