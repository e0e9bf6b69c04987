"""The live report: refreshed mid-sweep from the cells finished so far, marked partial (fake engine, fast)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from engine import sweep_config
from fake_backend import FakeBackend
from test_forcing import GRID, machines

from evalscale.config import ConfigError
from evalscale.live_report import EveryMinutes, LiveReport, live_report
from evalscale.plan import make_plan
from evalscale.records import Problem
from evalscale.runner import SweepRunner
from evalscale.store import CELLS, VERDICTS, RunStore, read_jsonl

PROBLEMS = 6


class OnceAt:
    """A schedule due once, as soon as `cells` cells are written (the test's exact refresh point)."""

    def __init__(self, cells: int) -> None:
        self.cells = cells
        self.fired = False

    def due(self, cells_written: int) -> bool:
        if self.fired or cells_written < self.cells:
            return False
        self.fired = True
        return True

    def refreshed(self, seconds: float) -> None:
        pass


def fake_run(run_dir: Path, live: LiveReport) -> int:
    """A sweep of the fake engine through the real runner and store; returns the cells written."""
    manifest = {
        "model": "fake",
        "task": "letter_count",
        "mode": "shared",
        "config_hash": "live",
        "config": {},
        "expected_cells": PROBLEMS * len(GRID.cells),
    }
    store = RunStore(run_dir, manifest)
    for index in range(PROBLEMS):
        store.add_problem(Problem(f"p{index}", f"question {index}", "7", "integer"))
    runner = SweepRunner(FakeBackend(), store, max_active=2, show_progress=False, on_cells=live)
    return runner.run(machines("shared", problems=PROBLEMS), total_cells=0).cells_written


def test_a_partial_report_appears_mid_run_with_the_cells_finished_so_far(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    live = LiveReport(run_dir, OnceAt(cells=30))
    total = fake_run(run_dir, live)
    assert total == len(read_jsonl(run_dir / CELLS)) == PROBLEMS * len(GRID.cells)
    assert live.refreshes == 1 and 30 <= live.cells_reported < total
    report = run_dir / "report"
    title = (report / "report.md").read_text().splitlines()[0]
    assert title.endswith(f"(partial: {live.cells_reported} of {total} cells)")
    summary = pd.read_csv(report / "summary.csv")
    assert summary["n_problems"].sum() == live.cells_reported  # one sample: a problem per cell
    assert set(summary["status"]) == {"partial"}
    assert len(read_jsonl(run_dir / VERDICTS)) == live.cells_reported
    assert (report / "scaling.png").stat().st_size > 0


def test_no_refresh_without_new_cells_or_before_it_is_due(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    live = LiveReport(run_dir, OnceAt(cells=10**6))
    fake_run(run_dir, live)
    assert live.refreshes == 0 and not (run_dir / "report").exists()
    schedule = OnceAt(cells=0)
    live = LiveReport(run_dir, schedule)
    live(0)  # nothing written yet
    assert not schedule.fired and live.refreshes == 0


def test_a_failed_refresh_is_reported_and_the_sweep_goes_on(tmp_path: Path, capsys) -> None:
    live = LiveReport(tmp_path / "not-a-run", OnceAt(cells=1))
    live(5)
    assert live.refreshes == 0
    assert capsys.readouterr().err.startswith("live report: not refreshed (StoreError:")


def test_every_minutes_follows_the_clock_and_backs_off_after_slow_refreshes() -> None:
    now = [100.0]
    schedule = EveryMinutes(5, clock=lambda: now[0])
    now[0] = 399.0
    assert not schedule.due(10)
    now[0] = 400.0
    assert schedule.due(10)
    schedule.refreshed(2.0)
    assert not schedule.due(11)
    now[0] = 700.0
    assert schedule.due(11)
    schedule.refreshed(30.0)  # 30 s a refresh: the next one waits 600 s, so refreshes stay at 5% of the time
    now[0] = 1299.0
    assert not schedule.due(12)
    now[0] = 1300.0
    assert schedule.due(12)


def test_live_report_is_off_at_zero_minutes_and_negative_minutes_are_a_config_error(tmp_path: Path) -> None:
    assert live_report(tmp_path, 0) is None
    assert isinstance(live_report(tmp_path, 5).schedule, EveryMinutes)
    with pytest.raises(ConfigError, match="live_report_minutes must be >= 0"):
        make_plan(sweep_config("live_report_minutes=-1"))
