"""SIGKILL at exact points of a sweep or a grading run, then rerun: nothing lost, torn or regenerated.

Each process kills itself at a record or call the test names (tests/kill_worker.py), so
the outcome never depends on how fast this machine is. The sweep is the real runner and
store on the fake engine (a trial takes a second, not an engine load);
tests/test_engine_sweep.py kills real vLLM sweeps the same way.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from engine import cells_by_key, generations_by_key

from evalscale.records import CellRecord, Problem, to_json_dict
from evalscale.store import (
    CELLS,
    GENERATIONS,
    MANIFEST,
    PROBLEMS,
    TRAJECTORIES,
    VERDICTS,
    read_jsonl,
    read_manifest,
)

HERE = Path(__file__).parent
SWEEP_WORKER = HERE / "fault_worker.py"
KILL_WORKER = HERE / "kill_worker.py"
# (file, records this process appends before it dies, whether it leaves half of the next one)
SWEEP_FAULTS = [
    (GENERATIONS, 40, False),
    (CELLS, 60, True),
    (GENERATIONS, 0, True),
    (GENERATIONS, 25, True),
    (CELLS, 0, False),
    (CELLS, 45, False),
]
# Methods with a generation per point (methods.py): one whose points differ in their prompt, and
# rejection sampling, whose draws must replay in order after a kill.
METHOD_FAULTS = {
    "budget_forcing": SWEEP_FAULTS,
    "tcc": [(GENERATIONS, 17, True), (CELLS, 9, False), (TRAJECTORIES, 4, True)],
    "rejection_sampling": [(GENERATIONS, 13, True), (CELLS, 6, True), (GENERATIONS, 20, False)],
}


@pytest.mark.parametrize("method", METHOD_FAULTS)
def test_sigkill_at_exact_records_then_resume_matches_an_uninterrupted_run(
    tmp_path: Path, method: str
) -> None:
    subprocess.run([sys.executable, SWEEP_WORKER, tmp_path / "clean", "-", method], check=True, timeout=120)
    run_dir = tmp_path / "killed"
    for name, more, torn in METHOD_FAULTS[method]:
        before = {path: read_jsonl(run_dir / path) for path in (GENERATIONS, CELLS, TRAJECTORIES)}
        fault = f"{name}:{more}" + (":torn" if torn else "")
        worker = [sys.executable, SWEEP_WORKER, run_dir, fault, method]
        assert subprocess.run(worker, start_new_session=True, timeout=120).returncode == -signal.SIGKILL
        assert len(read_jsonl(run_dir / name)) == len(before[name]) + more
        assert (run_dir / name).read_bytes().endswith(b"\n") != torn
        for path, records in before.items():
            assert read_jsonl(run_dir / path)[: len(records)] == records, f"stored {path} was rewritten"
        generations_by_key(run_dir)
        cells_by_key(run_dir)
        assert read_manifest(run_dir)["status"] == "running"
    subprocess.run([sys.executable, SWEEP_WORKER, run_dir, "-", method], check=True, timeout=120)
    assert generations_by_key(run_dir) == generations_by_key(tmp_path / "clean")
    assert cells_by_key(run_dir) == cells_by_key(tmp_path / "clean")
    assert read_manifest(run_dir)["status"] == "complete"
    if method == "rejection_sampling":
        assert {cell.get("tries") for cell in cells_by_key(run_dir).values()} > {1}, "draws were replayed"


def write_math_run(run_dir: Path, problems: int = 20, cells_each: int = 8) -> None:
    """A run whose answers need the sympy path (about half of them correct)."""
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


# the call at which a grading process dies, and how many such calls complete before it
GRADE_FAULTS = [
    "evalscale.grading.runs:judge:40",  # mid-way through judging
    "evalscale.grading.runs:encode:70",  # mid-way through writing the verdicts
    "os:replace:0",  # every verdict written, not yet moved into place
]


def test_sigkill_at_exact_points_of_grading_never_tears_verdicts_or_touches_cells(tmp_path: Path) -> None:
    grade = ["grade", "workers=2"]
    clean = tmp_path / "clean"
    write_math_run(clean)
    subprocess.run([sys.executable, "-m", "evalscale.cli", *grade, clean], check=True, timeout=300)
    expected = (clean / VERDICTS).read_text()
    run_dir = tmp_path / "killed"
    write_math_run(run_dir)
    cells_before = (run_dir / CELLS).read_bytes()
    verdicts = run_dir / VERDICTS
    for regrade in (False, True):  # first with no verdicts yet, then over a finished grade's
        if regrade:
            subprocess.run([sys.executable, "-m", "evalscale.cli", *grade, run_dir], check=True, timeout=300)
            assert verdicts.read_text() == expected
        before = verdicts.read_text() if regrade else None
        for fault in GRADE_FAULTS:
            worker = [sys.executable, KILL_WORKER, fault, *grade, run_dir]
            killed = subprocess.run(worker, start_new_session=True, capture_output=True, timeout=300)
            assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
            assert (verdicts.read_text() if verdicts.exists() else None) == before, "torn or changed verdicts"
            assert (run_dir / CELLS).read_bytes() == cells_before
    subprocess.run([sys.executable, "-m", "evalscale.cli", *grade, run_dir], check=True, timeout=300)
    assert verdicts.read_text() == expected
    assert not list(run_dir.glob(".verdicts.jsonl.*.tmp")), "the killed gradings' temporary files are gone"
