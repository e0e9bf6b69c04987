"""SIGKILL at random points of a sweep, then resume: the same records, none lost or duplicated.

The process is the real runner and store on the fake engine (so a trial takes a
second, not an engine load); tests/test_engine_sweep.py kills real vLLM sweeps.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from engine import cells_by_key

from evalscale.store import GENERATIONS, read_jsonl, read_manifest

WORKER = Path(__file__).parent / "fault_worker.py"


def test_sigkill_at_random_points_then_resume_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    subprocess.run([sys.executable, WORKER, tmp_path / "clean"], check=True, timeout=120)
    expected = cells_by_key(tmp_path / "clean")
    rng = random.Random(7)
    run_dir = tmp_path / "killed"
    kills = 0
    for _ in range(6):
        target = len(read_jsonl(run_dir / GENERATIONS)) + rng.randint(5, 50)
        process = subprocess.Popen([sys.executable, WORKER, run_dir])
        while process.poll() is None and len(read_jsonl(run_dir / GENERATIONS)) < target:
            time.sleep(rng.uniform(0.001, 0.02))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        stored = read_jsonl(run_dir / GENERATIONS)
        assert len({g["key"] for g in stored}) == len(stored), "a generation was stored twice"
    assert kills >= 5, "too few trials were killed mid-run"
    subprocess.run([sys.executable, WORKER, run_dir], check=True, timeout=120)
    assert cells_by_key(run_dir) == expected
    assert read_manifest(run_dir)["status"] == "complete"
