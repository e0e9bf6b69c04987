"""`shard=i/n` splits a sweep's problems; a report reads the shards of a run as one run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from engine import cells_by_key, sweep_config

from evalscale.backends.vllm_engine import VllmBackend
from evalscale.report import write_report
from evalscale.sweep import generate, make_plan

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
    from evalscale.sweep import ConfigError

    with pytest.raises(ConfigError, match="shard"):
        make_plan(sweep_config(*GRID, "shard=3/3"))
