"""End-to-end budget forcing on the real vLLM engine (CPU build) with the toy reasoner."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from engine import REPO, cells_by_key, sweep_config

from evalscale.backends.vllm_engine import VllmBackend
from evalscale.grading.runs import grade_run
from evalscale.plan import make_plan
from evalscale.records import cell_key
from evalscale.store import CELLS, GENERATIONS, VERDICTS, read_jsonl, read_manifest
from evalscale.sweep import generate

pytestmark = pytest.mark.engine

GRID = ("budget.caps=[8,16,32,64]", "budget.waits=[0,1,2]", "limit=32")
KILL_WORKER = Path(__file__).parent / "kill_worker.py"


def run_in_process(engine: VllmBackend, run_dir: Path, *overrides: str) -> dict[str, dict]:
    plan = make_plan(sweep_config(*GRID, f"run_dir={run_dir}", "progress=false", *overrides))
    assert generate(plan, engine) == "complete"
    return cells_by_key(run_dir)


@pytest.fixture(scope="session")
def shared_run(toy_engine: VllmBackend, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("shared") / "run"
    run_in_process(toy_engine, run_dir)
    return run_dir


def test_every_cell_within_its_cap_and_waits(shared_run: Path) -> None:
    cells = cells_by_key(shared_run)
    assert len(cells) == 32 * 4 * 3
    for cell in cells.values():
        assert cell["thinking_tokens"] <= cell["cap"]
        assert cell["waits_used"] <= cell["waits"]
        assert cell["answer_text"], "every cell has an answer"
    assert {cell["end_reason"] for cell in cells.values()} >= {"cap", "stop"}
    assert any(cell["waits_used"] > 0 for cell in cells.values()), "the toy model should stop early sometimes"
    assert read_manifest(shared_run)["status"] == "complete"


def test_shared_and_independent_agree_under_greedy(
    shared_run: Path, toy_engine: VllmBackend, tmp_path: Path
) -> None:
    shared = cells_by_key(shared_run)
    independent = run_in_process(toy_engine, tmp_path / "independent", "mode=independent")
    assert independent.keys() == shared.keys()
    fields = ("thinking_tokens", "end_reason", "waits_used", "answer_text")
    mismatches = [key for key in shared if any(shared[key][f] != independent[key][f] for f in fields)]
    assert not mismatches, f"cells differ between modes: {mismatches[:5]}"
    shared_tokens = sum(len(g["token_ids"]) for g in read_jsonl(shared_run / GENERATIONS))
    independent_tokens = sum(len(g["token_ids"]) for g in read_jsonl(tmp_path / "independent" / GENERATIONS))
    assert shared_tokens * 3 < independent_tokens


def test_rerun_of_a_complete_run_generates_nothing(shared_run: Path, toy_engine: VllmBackend) -> None:
    before = (shared_run / GENERATIONS).read_bytes(), (shared_run / CELLS).read_bytes()
    run_in_process(toy_engine, shared_run)
    assert ((shared_run / GENERATIONS).read_bytes(), (shared_run / CELLS).read_bytes()) == before


def test_sigkill_at_random_points_then_resume_gives_the_same_records(
    shared_run: Path, tmp_path: Path
) -> None:
    """Five real sweeps killed (engine processes and all) after a random number of cells, some
    halfway through writing a record, then one run to the end."""
    run_dir = tmp_path / "killed"
    sweep = [
        *GRID,
        f"run_dir={run_dir}",
        "grade=false",
        "report=false",
        "progress=false",
        "max_active_samples=4",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    rng = random.Random(3)
    for _ in range(5):
        done, more, torn = len(read_jsonl(run_dir / CELLS)), rng.randint(10, 60), rng.random() < 0.5
        fault = f"{CELLS}:{more}" + (":torn" if torn else "")
        command = [sys.executable, str(KILL_WORKER), fault, "sweep", *sweep]
        process = subprocess.run(command, cwd=REPO, env=env, start_new_session=True, timeout=600)
        assert process.returncode == -signal.SIGKILL
        assert len(read_jsonl(run_dir / CELLS)) == done + more
        assert (run_dir / CELLS).read_bytes().endswith(b"\n") != torn
        assert read_manifest(run_dir)["status"] == "running"
    command = [sys.executable, "-m", "evalscale.cli", "sweep", *sweep]
    subprocess.run(command, cwd=REPO, env=env, check=True, timeout=600)
    assert cells_by_key(run_dir) == cells_by_key(shared_run)
    keys = [g["key"] for g in read_jsonl(run_dir / GENERATIONS)]
    assert len(keys) == len(set(keys)), "a generation was stored twice"
    assert read_manifest(run_dir)["status"] == "complete"


def test_toy_accuracy_rises_with_the_cap_and_with_waits(shared_run: Path) -> None:
    grade_run(shared_run, workers=1)
    correct = {verdict["key"]: verdict["correct"] for verdict in read_jsonl(shared_run / VERDICTS)}
    cells = cells_by_key(shared_run)

    def accuracy(keys: list[str]) -> float:
        return sum(correct[key] for key in keys) / len(keys)

    def cell_keys(cap: int, waits: int) -> list[str]:
        return [key for key, cell in cells.items() if (cell["cap"], cell["waits"]) == (cap, waits)]

    assert accuracy(cell_keys(64, 0)) - accuracy(cell_keys(8, 0)) >= 0.3
    stopped_early = [
        cell["problem_id"]
        for cell in cells.values()
        if (cell["cap"], cell["waits"], cell["end_reason"]) == (64, 0, "stop")
    ]
    assert stopped_early, "under greedy decoding some samples should stop early"
    without = accuracy([cell_key(problem, 0, 64, 0) for problem in stopped_early])
    with_waits = accuracy([cell_key(problem, 0, 64, 2) for problem in stopped_early])
    assert with_waits > without
