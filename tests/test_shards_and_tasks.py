"""Shards (`shard=i/n`) read back as one run, and short sweeps on benchmark tasks, on the toy engine."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from engine import DATA_DIR, cells_by_key, sweep_config

from evalscale.backends.vllm_engine import VllmBackend
from evalscale.plan import make_plan
from evalscale.report import write_report
from evalscale.sweep import generate

pytestmark = pytest.mark.engine

GRID = ("budget.caps=[8,32]", "budget.waits=[0,1]", "limit=10", "progress=false")


def test_shards_split_problems_and_report_as_one_run(toy_engine: VllmBackend, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    shard_problems = []
    for index in range(3):
        plan = make_plan(sweep_config(*GRID, f"run_dir={run_dir}", f"shard={index}/3"))
        assert plan.run_dir == run_dir / f"shard-{index}-of-3"
        assert generate(plan, toy_engine) == "complete"
        shard_problems.append({cell["problem_id"] for cell in cells_by_key(plan.run_dir).values()})
    assert sum(len(problems) for problems in shard_problems) == 10
    assert set.union(*shard_problems) == {f"count-{index:04d}" for index in range(10)}
    # a shard run again resumes its own directory and adds nothing
    generate(make_plan(sweep_config(*GRID, f"run_dir={run_dir}", "shard=1/3")), toy_engine)
    assert sum(len(cells_by_key(run_dir / f"shard-{i}-of-3")) for i in range(3)) == 10 * 4
    report = write_report([run_dir], tmp_path / "report")
    summary = pd.read_csv(report.parent / "summary.csv")
    assert len(summary) == 4 and set(summary["n_problems"]) == {10}


def test_bad_shard_is_a_config_error() -> None:
    from evalscale.config import ConfigError

    with pytest.raises(ConfigError, match="shard"):
        make_plan(sweep_config(*GRID, "shard=3/3"))


@pytest.mark.skipif(not DATA_DIR.is_dir(), reason="needs ../shared/data")
def test_a_short_math500_sweep_runs_end_to_end(toy_engine: VllmBackend, tmp_path: Path) -> None:
    ids = "[test/algebra/1255.json,test/prealgebra/1302.json]"
    plan = make_plan(
        sweep_config(
            *GRID, "task=math500", f"data_dir={DATA_DIR}", f"problems={ids}", f"run_dir={tmp_path / 'run'}"
        )
    )
    assert generate(plan, toy_engine) == "complete"
    assert len(cells_by_key(plan.run_dir)) == 2 * 4
    report = write_report([plan.run_dir], tmp_path / "report")  # grades the toy's (wrong) answers
    assert pd.read_csv(report.parent / "summary.csv")["n_problems"].eq(2).all()
