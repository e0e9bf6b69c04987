"""`evalscale report RUN_DIR... [out=reports/NAME] [reference=PATH.csv] [labels=A,B,...] [ci_width=H]`.

See `evalscale.report` for what the folder holds. `labels=` names the series of each RUN_DIR
(comma-separated, one per RUN_DIR); by default they are named by what sets them apart. `ci_width=H`
is the CI *half*-width, ± H accuracy points at 95%, that the samples-needed table aims at (runs with
samples >= 2; default 2); that table is printed too.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from evalscale import analysis
from evalscale.commands import UsageError, run_command, run_dirs_and_options, split_labels
from evalscale.report import markdown_table, write_report
from evalscale.report_analyses import CONSTANT, DEFAULT_CI_WIDTH, SAMPLES_FORMATS, SAMPLES_SHOWN
from evalscale.store import StoreError

USAGE = (
    "usage: evalscale report RUN_DIR [RUN_DIR...] [out=reports/NAME] [reference=PATH.csv] [labels=A,B,...] "
    f"[ci_width=H]  (H: the 95% CI half-width in accuracy points, ±H, for the samples needed; "
    f"default {DEFAULT_CI_WIDTH:g})"
)


def main(argv: list[str]) -> int:
    """Write the report of the given runs; returns the exit code (2 for bad input)."""
    return run_command("report", USAGE, argv, _report, handled=(analysis.AnalysisError, StoreError))


def _report(argv: list[str]) -> int:
    paths, options = run_dirs_and_options(argv, ["out", "reference", "labels", "ci_width"])
    out = Path(options["out"]) if options.get("out") else None
    reference = Path(options["reference"]) if options.get("reference") else None
    ci_width = half_width(options.get("ci_width"))
    names = split_labels(options.get("labels"), len(paths))
    written = write_report(paths, out, reference, names, ci_width=ci_width)
    needed = written.parent / "samples_needed.csv"
    if needed.exists():
        print(f"samples needed for a 95% CI of ±{ci_width:g} accuracy points, per cell:")
        print(markdown_table(pd.read_csv(needed), SAMPLES_SHOWN, SAMPLES_FORMATS, CONSTANT, drop_empty=False))
    print(f"wrote {written}")
    return 0


def half_width(text: str | None) -> float:
    """`ci_width=H` as a positive number of accuracy points (the default when not given)."""
    if not text:
        return DEFAULT_CI_WIDTH
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UsageError(
            f"ci_width must be a positive number of accuracy points (the ± half-width), got {text!r}"
        )
    return value
