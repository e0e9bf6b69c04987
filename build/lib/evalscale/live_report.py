"""A live curve: a running sweep's `report/` refreshed now and then from the cells finished so far.

The runner calls a LiveReport after each batch of finished requests, which is cheap unless its
schedule says a refresh is due; then it grades the run and writes the report as `evalscale report`
would. The run's manifest still says "running", so the report marks itself partial (title, plot,
warning). The final report, written when the sweep ends, replaces it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TextIO

from tqdm import tqdm

MAX_SHARE = 0.05  # refreshes take at most this share of the sweep's time


class Schedule(Protocol):
    """When a refresh is due, given the cells written so far."""

    def due(self, cells_written: int) -> bool: ...

    def refreshed(self, seconds: float) -> None: ...


class EveryMinutes:
    """Due every `minutes` by `clock`, and never more often than keeps refreshes to MAX_SHARE of the time."""

    def __init__(self, minutes: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = minutes * 60
        self.clock = clock
        self.next_due = clock() + self.interval

    def due(self, cells_written: int) -> bool:
        """True once the interval since the start (or the last refresh) has passed."""
        return self.clock() >= self.next_due

    def refreshed(self, seconds: float) -> None:
        """Start the next interval; a slow refresh stretches it."""
        self.next_due = self.clock() + max(self.interval, seconds / MAX_SHARE)


class LiveReport:
    """Refreshes `run_dir/report/` from the cells stored so far, when `schedule` says so."""

    def __init__(self, run_dir: Path, schedule: Schedule, console: TextIO | None = None) -> None:
        self.run_dir = run_dir
        self.schedule = schedule
        self.console = console or sys.stderr
        self.refreshes = 0
        self.cells_reported = 0

    def __call__(self, cells_written: int) -> None:
        """Refresh the report if it is due and new cells were written since the last refresh."""
        if cells_written == self.cells_reported or not self.schedule.due(cells_written):
            return
        start = time.perf_counter()
        self.refresh()
        self.cells_reported = cells_written
        self.schedule.refreshed(time.perf_counter() - start)

    def refresh(self) -> None:
        """Grade the stored cells and write the (partial) report; a failure is reported, never raised."""
        from evalscale.finish import grade_and_report

        try:
            written = grade_and_report(self.run_dir).report
        except Exception as error:  # a live report is a courtesy: the sweep goes on without it
            tqdm.write(f"live report: not refreshed ({type(error).__name__}: {error})", file=self.console)
            return
        if not self.refreshes:
            tqdm.write(f"live report: {written} (partial, refreshed as the sweep goes)", file=self.console)
        self.refreshes += 1


def live_report(run_dir: Path, minutes: float, console: TextIO | None = None) -> LiveReport | None:
    """A LiveReport refreshed every `minutes` of wall time, or None when `minutes` is 0 (off)."""
    return LiveReport(run_dir, EveryMinutes(minutes), console) if minutes else None
