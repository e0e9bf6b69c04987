"""`evalscale compare RUN_A RUN_B [out=reports/NAME] [labels=A,B]`: paired comparison of two runs.

Prints the per-cell table and the difference in area under the curve, and writes compare.csv,
compare.md and compare.png/.pdf (see `evalscale.compare`). For two runs of one model and task it
adds the drift check (`evalscale.drift`): per sample, the first token where their generations
diverge (divergence.csv; "0 of N samples diverge" for the same config in the same environment),
and whether their prompt ids and environments differ.
"""

from __future__ import annotations

from pathlib import Path

from evalscale import analysis
from evalscale.commands import UsageError, run_command, run_dirs_and_options, split_labels
from evalscale.compare import DELTA_SHOWN, area_sentence, compare, write_comparison
from evalscale.drift import drift_check, write_divergence
from evalscale.report import markdown_table, safe_name
from evalscale.store import StoreError

USAGE = "usage: evalscale compare RUN_A RUN_B [out=reports/NAME] [labels=NAME_A,NAME_B]"


def main(argv: list[str]) -> int:
    """Compare two runs; returns the exit code (2 for bad input)."""
    return run_command("compare", USAGE, argv, _compare, handled=(analysis.AnalysisError, StoreError))


def _compare(argv: list[str]) -> int:
    paths, options = run_dirs_and_options(argv, ["out", "labels"])
    if len(paths) != 2:
        raise UsageError(f"compare needs exactly two runs, got {len(paths)}")
    path_a, path_b = paths
    names = split_labels(options.get("labels"), 2)
    result = compare(path_a, path_b, names=(names[0], names[1]) if names else None)
    default = Path("reports") / safe_name(f"compare-{result.task}-{result.label_a}-vs-{result.label_b}")
    out = Path(options.get("out") or default)
    drift = drift_check(path_a, path_b)
    written = write_divergence(drift, out)
    csv_note = [f"Per sample: {written.name}."] if written else []
    write_comparison(
        result, path_a, path_b, out, sections=["## Drift check", "", *drift.lines, *csv_note, ""]
    )
    print(f"A: {result.label_a}  B: {result.label_b}  task: {result.task}")
    print(markdown_table(result.deltas, DELTA_SHOWN))
    print(area_sentence(result))
    for line in drift.lines:
        print(line)
    print(f"wrote {out / 'compare.md'}" + (f" and {written}" if written else ""))
    return 0
