"""`evalscale grade RUN_DIR [RUN_DIR...] [workers=N] [timeout=S] [cross_check=math_verify]`: (re)grade runs.

Each run's verdicts.jsonl is rewritten atomically (grading.runs); with `cross_check=math_verify`
math-verify grades every cell too and the disagreements land in the run's `report/disagreements.md`.
"""

from __future__ import annotations

from pathlib import Path

from evalscale.commands import UsageError, run_command, split_arguments
from evalscale.grading import DEFAULT_TIMEOUT
from evalscale.grading.crosscheck import DISAGREEMENTS, require_checker
from evalscale.grading.runs import DEFAULT_WORKERS, GradeSummary, grade_run
from evalscale.store import StoreError, iter_run_dirs

USAGE = "usage: evalscale grade RUN_DIR [RUN_DIR...] [workers=N] [timeout=SECONDS] [cross_check=math_verify]"


def main(argv: list[str]) -> int:
    """Grade the runs under the given paths; one summary line per run (exit 2 for bad input)."""
    return run_command("grade", USAGE, argv, _grade, handled=(ValueError, StoreError))


def _grade(argv: list[str]) -> int:
    paths, workers, timeout, second_checker = _parse_args(argv)
    for run_dir in list(iter_run_dirs(paths)):
        summary = grade_run(run_dir, workers, timeout, progress=True, second_checker=second_checker)
        print(_summary(run_dir, summary))
        if second_checker:
            print(f"{run_dir}: disagreements with {second_checker} in {run_dir / DISAGREEMENTS}")
    return 0


def _parse_args(argv: list[str]) -> tuple[list[Path], int, float, str]:
    arguments, options = split_arguments(
        argv, {"workers": str(DEFAULT_WORKERS), "timeout": str(DEFAULT_TIMEOUT), "cross_check": ""}
    )
    if not arguments:
        raise UsageError("no run directory given")
    try:
        workers, timeout = int(options["workers"]), float(options["timeout"])
    except ValueError as error:
        raise UsageError(f"workers and timeout must be numbers ({error})") from None
    if workers < 1 or timeout <= 0:
        raise UsageError("workers must be at least 1 and timeout positive")
    if options["cross_check"]:
        require_checker(options["cross_check"])
    return [Path(argument) for argument in arguments], workers, timeout, options["cross_check"]


def _summary(run_dir: Path, summary: GradeSummary) -> str:
    """One line per run: cells, accuracy, and the share of each failure reason."""
    if not summary.cells:
        return f"{run_dir}: no cells to grade"
    total = summary.cells
    failures = ", ".join(f"{reason} {count / total:.1%}" for reason, count in summary.failures.most_common())
    accuracy = summary.correct / total
    return f"{run_dir}: {total} cells, accuracy {accuracy:.1%}" + (f" ({failures})" if failures else "")
