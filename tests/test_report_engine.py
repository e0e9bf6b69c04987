"""`evalscale report` and `compare` on a run the real engine produced with the toy reasoner (slow)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from engine import sweep_config

from evalscale import compare, report
from evalscale.backends.sampling import sampling_settings
from evalscale.backends.vllm_engine import VllmBackend
from evalscale.sweep import generate, make_plan

pytestmark = pytest.mark.engine

CAPS = (8, 16, 32)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory, toy_engine: VllmBackend) -> Path:
    """A finished, ungraded shared-mode run: 8 problems x 2 samples (temperature 1) x 3 caps x 2 Waits."""
    run_dir = tmp_path_factory.mktemp("toy") / "run"
    overrides = [f"budget.caps=[{','.join(map(str, CAPS))}]", "budget.waits=[0,1]", "limit=8", "samples=2"]
    overrides += ["sampling.temperature=1.0", f"run_dir={run_dir}", "progress=false"]
    greedy, toy_engine.sampling = toy_engine.sampling, sampling_settings({"temperature": 1.0})
    try:
        assert generate(make_plan(sweep_config(*overrides)), toy_engine) == "complete"
    finally:
        toy_engine.sampling = greedy
    return run_dir


def test_report_grades_and_summarizes_an_engine_run(toy_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert report.main([str(toy_run), f"out={out}"]) == 0  # grades first: the run has no verdicts yet
    summary = pd.read_csv(out / "summary.csv").set_index(["cap", "waits"])
    assert len(summary) == len(CAPS) * 2
    assert set(summary["n_problems"]) == {8} and set(summary["n_samples"]) == {2}
    assert summary["accuracy"].between(0, 100).all() and (summary["ci_low"] <= summary["accuracy"]).all()
    capped = summary.xs(0, level="waits")
    assert (capped["mean_thinking_tokens"] <= capped.index).all()  # the cap holds
    # one trajectory per sample: more Waits never shorten thinking at the largest cap
    assert summary.loc[(32, 1), "mean_thinking_tokens"] >= summary.loc[(32, 0), "mean_thinking_tokens"]
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics["control"]) == [100.0] and list(metrics["control_basis"]) == ["caps"]
    for name in ("scaling.png", "parallel.png", "report.md"):
        assert (out / name).stat().st_size > 0


def test_a_run_compared_with_itself_differs_by_zero(toy_run: Path, tmp_path: Path) -> None:
    result = compare.compare(toy_run, toy_run)
    assert set(result.deltas["diff"]) == {0.0}
    assert set(result.deltas["ci_low"]) == {0.0} and set(result.deltas["ci_high"]) == {0.0}
    assert result.area.diff == 0.0
