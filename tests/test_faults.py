"""SIGKILL at random points of a sweep, then resume: the same records, none lost or duplicated.

The process is the real runner and store on the fake engine (so a trial takes a
second, not an engine load); tests/test_engine_sweep.py kills real vLLM sweeps.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from engine import cells_by_key

from evalscale.records import CellRecord, Problem, to_json_dict
from evalscale.store import CELLS, GENERATIONS, MANIFEST, PROBLEMS, VERDICTS, read_jsonl, read_manifest

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


def write_math_run(run_dir: Path, problems: int = 150, cells_each: int = 80) -> None:
    """A run whose answers need the sympy path (so grading takes a while)."""
    run_dir.mkdir(parents=True)
    manifest = {
        "model": "m",
        "task": "t",
        "mode": "shared",
        "status": "complete",
        "config": {},
        "config_hash": "h",
        "expected_cells": problems * cells_each,
    }
    (run_dir / MANIFEST).write_text(json.dumps(manifest))
    golds = [Problem(f"p{p}", "q", f"\\frac{{{p + 1}}}{{{p + 2}}}", "math") for p in range(problems)]
    (run_dir / PROBLEMS).write_text("".join(json.dumps(to_json_dict(g)) + "\n" for g in golds))
    lines = []
    for p in range(problems):
        for cap in range(1, cells_each + 1):
            fraction = f"\\dfrac{{{(p + 1) * cap}}}{{{(p + 2) * (cap + p % 2)}}}"
            answer = f"\\boxed{{{fraction} + \\sqrt{{{cap}}}-\\sqrt{{{cap}}}}}"
            cell = CellRecord(f"p{p}", 0, cap, 0, "shared", 0, 0, cap, "cap", answer, 9, "stop", "t", {})
            lines.append(json.dumps(to_json_dict(cell)) + "\n")
    (run_dir / CELLS).write_text("".join(lines))


def test_sigkill_during_grading_never_tears_verdicts_or_touches_generations(tmp_path: Path) -> None:
    grade = [sys.executable, "-m", "evalscale.cli", "grade"]
    clean = tmp_path / "clean"
    write_math_run(clean)
    started = time.monotonic()
    subprocess.run([*grade, str(clean)], check=True, capture_output=True, timeout=300)
    clean_seconds = time.monotonic() - started
    expected = (clean / VERDICTS).read_text()
    run_dir = tmp_path / "killed"
    write_math_run(run_dir)
    cells_before = (run_dir / CELLS).read_bytes()
    rng = random.Random(11)
    kills = 0
    for _ in range(6):
        process = subprocess.Popen(
            [*grade, str(run_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(clean_seconds * rng.uniform(0.1, 0.85))  # kill points scale with this machine's speed
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        verdicts = run_dir / VERDICTS
        assert not verdicts.exists() or verdicts.read_text() == expected, "a torn or different verdicts file"
        assert (run_dir / CELLS).read_bytes() == cells_before
    assert kills >= 5, "too few grading runs were killed mid-way"
    subprocess.run([*grade, str(run_dir)], check=True, capture_output=True, timeout=300)
    assert (run_dir / VERDICTS).read_text() == expected
