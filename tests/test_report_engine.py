"""`evalscale report` and `compare` on a run the real engine produced with the toy reasoner (slow)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from engine import sweep_config

from evalscale import compare
from evalscale.backends.sampling import Sampling
from evalscale.backends.vllm_engine import VllmBackend
from evalscale.commands import compare as compare_command
from evalscale.commands import report as report_command
from evalscale.plan import make_plan
from evalscale.sweep import generate

pytestmark = pytest.mark.engine

CAPS = (8, 16, 32)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory, toy_engine: VllmBackend) -> Path:
    """A finished, ungraded shared-mode run: 8 problems x 2 samples (temperature 1) x 3 caps x 2 Waits."""
    run_dir = tmp_path_factory.mktemp("toy") / "run"
    overrides = [f"budget.caps=[{','.join(map(str, CAPS))}]", "budget.waits=[0,1]", "limit=8", "samples=2"]
    overrides += ["sampling.temperature=1.0", f"run_dir={run_dir}", "progress=false"]
    greedy, toy_engine.sampling = toy_engine.sampling, Sampling(temperature=1.0)
    try:
        assert generate(make_plan(sweep_config(*overrides)), toy_engine) == "complete"
    finally:
        toy_engine.sampling = greedy
    return run_dir


def test_report_grades_and_summarizes_an_engine_run(toy_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert report_command.main([str(toy_run), f"out={out}"]) == 0  # grades first: the run has no verdicts yet
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


@pytest.fixture(scope="module")
def table4_runs(tmp_path_factory: pytest.TempPathFactory, toy_engine: VllmBackend) -> tuple[Path, Path]:
    """s1 Table 4 in miniature on the real engine: two greedy runs that differ only in model.extension."""
    folder = tmp_path_factory.mktemp("table4")
    runs = []
    for extension in ("Wait", "Hmm"):
        overrides = ["budget.caps=[8,16]", "budget.waits=[0,1]", "limit=4", "progress=false"]
        overrides += [f"model.extension={extension}", f"run_dir={folder / extension}"]
        assert generate(make_plan(sweep_config(*overrides)), toy_engine) == "complete"
        runs.append(folder / extension)
    return runs[0], runs[1]


def test_report_and_compare_name_engine_runs_by_their_extension(
    table4_runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wait, hmm = table4_runs
    assert report_command.main([str(wait), str(hmm), f"out={tmp_path / 'report'}"]) == 0
    summary = pd.read_csv(tmp_path / "report" / "summary.csv")
    assert set(summary["model"]) == {"extension=Wait", "extension=Hmm"}
    text = (tmp_path / "report" / "report.md").read_text()
    assert "| extension=Wait | toy-reasoner |" in text and "| extension=Hmm  | toy-reasoner |" in text
    assert compare_command.main([str(wait), str(hmm), f"out={tmp_path / 'compare'}"]) == 0
    assert "A: extension=Wait  B: extension=Hmm" in capsys.readouterr().out
