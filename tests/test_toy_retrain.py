"""The shipped toy reasoner is what the recipe trains: retraining it (seed 0, default recipe) gives a
scaling curve like the shipped one on the real engine. Slow: the recipe's full training, about 4 minutes
on 2 cores."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine import cells_by_key, sweep_config

from evalscale.backends import Backend
from evalscale.backends.sampling import Sampling
from evalscale.backends.vllm_engine import VllmBackend
from evalscale.grading.runs import grade_run
from evalscale.plan import make_plan
from evalscale.store import VERDICTS, iter_jsonl
from evalscale.sweep import generate
from evalscale.toy import cache

pytestmark = pytest.mark.engine

GRID = ("budget.caps=[8,16,32,64]", "budget.waits=[0,1,2]", "limit=32")
TOLERANCE = 0.1  # accuracy per cell, as a share: 3 of the 32 problems
CAP_DECIDED = 16  # caps this small cut nearly every trace before its count ends


def accuracy_by_cell(backend: Backend, run_dir: Path, *overrides: str) -> dict[tuple[int, int], float]:
    """Accuracy per (cap, waits) of a greedy sweep on `backend`."""
    plan = make_plan(sweep_config(*GRID, f"run_dir={run_dir}", "progress=false", *overrides))
    assert generate(plan, backend) == "complete"
    grade_run(run_dir, workers=1)
    correct = {verdict["key"]: verdict["correct"] for verdict in iter_jsonl(run_dir / VERDICTS)}
    by_cell: dict[tuple[int, int], list[bool]] = {}
    for key, cell in cells_by_key(run_dir).items():
        by_cell.setdefault((cell["cap"], cell["waits"]), []).append(correct[key])
    return {cell: sum(values) / len(values) for cell, values in by_cell.items()}


def test_the_default_sweep_uses_the_shipped_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALSCALE_CACHE", str(tmp_path))  # an empty cache: nothing trained here
    assert cache.shipped_toy_model(seed=0) == cache.SHIPPED_DIR
    assert make_plan(sweep_config()).model_path == str(cache.SHIPPED_DIR)


def test_retraining_gives_the_shipped_scaling_curve(
    toy_engine: VllmBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training is deterministic on one machine, but its float reductions differ between CPU types, so
    retrained weights are not the shipped ones everywhere (on an AMD EPYC with AVX2 the retrained model
    scored 87.5% at cap 64 where the shipped one scores 59.4%). What must hold anywhere: the cells that
    the cap decides (too short to finish counting) agree, and both models show the scaling curve: more
    accurate with a larger cap, and Waits at the largest cap never lower it."""
    monkeypatch.setenv("EVALSCALE_CACHE", str(tmp_path / "cache"))
    retrained = cache.ensure_toy_model(seed=0, force=True)
    assert retrained.parent == tmp_path / "cache"
    shipped = accuracy_by_cell(toy_engine, tmp_path / "shipped")
    backend = VllmBackend(str(retrained), dict(sweep_config().engine.options), Sampling())
    try:
        again = accuracy_by_cell(backend, tmp_path / "retrained", f"model.path={retrained}")
    finally:
        backend.close()
    assert again.keys() == shipped.keys()
    cut_short = {cell: again[cell] - shipped[cell] for cell in shipped if cell[0] <= CAP_DECIDED}
    assert all(abs(diff) <= TOLERANCE for diff in cut_short.values()), cut_short
    for curve in (shipped, again):
        assert curve[(64, 0)] - curve[(8, 0)] >= 0.3, curve  # a larger cap, more correct answers
        assert curve[(64, 2)] >= curve[(64, 1)] >= curve[(64, 0)], curve  # Waits help or are level
