"""What one live-report refresh costs the sweep loop: grade and report a synthetic running run.

Usage: python bench/live_report.py [problems=30] [samples=64]

Writes a run the size of an s1-style AIME sweep (problems x samples x 5 caps x 5 Waits cells,
ungraded, status "running"), then times LiveReport.refresh (grading every cell, then the report
with its plots), the pause a refresh puts into the runner loop. Prints the seconds and their
share of the default 5-minute interval (refreshes back off to stay under 5% of the time), and the
CPU time (the fairer number on a shared machine). The first refresh pays for imports.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_analysis_helpers import write_run  # noqa: E402

from evalscale.commands import split_arguments  # noqa: E402
from evalscale.live_report import EveryMinutes, LiveReport  # noqa: E402

CAPS = (512, 1024, 2048, 4096, 8192)
WAITS = (0, 1, 2, 4, 6)


def main(argv: list[str]) -> None:
    _, options = split_arguments(argv, {"problems": "30", "samples": "64"})
    problems, samples = int(options["problems"]), int(options["samples"])
    with tempfile.TemporaryDirectory() as folder:
        run_dir = write_run(
            Path(folder) / "run",
            lambda p, s, cap, w: str((p * s + cap + w) % 9),  # many distinct answers, a ninth right
            caps=CAPS,
            waits=WAITS,
            problems=range(problems),
            samples=samples,
            status="running",
            graded=False,
        )
        live = LiveReport(run_dir, EveryMinutes(5))
        cells = problems * samples * len(CAPS) * len(WAITS)
        for attempt in ("first", "second"):
            start, cpu = time.perf_counter(), time.process_time()
            live.refresh()
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(
                f"{attempt} refresh of {cells:,} cells: wall {seconds:.1f} s = {seconds / 300:.1%} of a "
                f"5-minute interval; CPU of this process {cpu:.1f} s (load average {os.getloadavg()[0]:.0f})"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
