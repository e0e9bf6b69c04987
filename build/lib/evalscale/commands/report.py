"""`evalscale report RUN_DIR... [out=reports/NAME] [reference=PATH.csv] [labels=A,B,...]`: tables, figures.

See `evalscale.report` for what the folder holds. `labels=` names the series of each RUN_DIR
(comma-separated, one per RUN_DIR); by default they are named by what sets them apart.
"""

from __future__ import annotations

from pathlib import Path

from evalscale import analysis
from evalscale.commands import run_command, run_dirs_and_options, split_labels
from evalscale.report import write_report
from evalscale.store import StoreError

USAGE = (
    "usage: evalscale report RUN_DIR [RUN_DIR...] [out=reports/NAME] [reference=PATH.csv] [labels=A,B,...]"
)


def main(argv: list[str]) -> int:
    """Write the report of the given runs; returns the exit code (2 for bad input)."""
    return run_command("report", USAGE, argv, _report, handled=(analysis.AnalysisError, StoreError))


def _report(argv: list[str]) -> int:
    paths, options = run_dirs_and_options(argv, ["out", "reference", "labels"])
    out = Path(options["out"]) if options.get("out") else None
    reference = Path(options["reference"]) if options.get("reference") else None
    written = write_report(paths, out, reference, split_labels(options.get("labels"), len(paths)))
    print(f"wrote {written}")
    return 0
