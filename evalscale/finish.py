"""After generation: grade a run's answers, then write its report into the run's `report/` folder.

One function serves the end of a sweep (with its terminal lines) and the live
report that refreshes a running sweep's curve (without them: only the
report's warnings are printed, to stderr). Both read the stored records only,
as `evalscale grade` and `evalscale report` do.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from evalscale.grading.runs import GradeSummary, grade_run
from evalscale.store import VERDICTS

REPORT_DIR = "report"


@dataclass(frozen=True)
class Finished:
    """What finishing did: the grading summary and the report written (None where skipped)."""

    graded: GradeSummary | None
    report: Path | None


def grade_and_report(
    run_dir: Path,
    grade: bool = True,
    report: bool = True,
    progress: bool = False,
    console: TextIO | None = None,
) -> Finished:
    """Grade the run (when `grade`), then write `run_dir/report/` (when `report` and it is graded).

    With a `console`, one line per phase goes there (grade, report, best), and so do the grading
    progress bar and the report's warnings; without one, only the warnings are printed (to stderr).
    """

    def say(text: str) -> None:
        if console is not None:
            print(text, file=console)

    to_console = contextlib.redirect_stderr(console) if console else contextlib.nullcontext()
    graded = None
    if grade:
        with to_console:
            graded = grade_run(run_dir, progress=progress)
        say(f"grade: {graded.cells} cells, {graded.correct} correct" + _share(graded))
    written = None
    if report and (run_dir / VERDICTS).exists():
        from evalscale.report import write_report

        with to_console:
            written = write_report([run_dir], run_dir / REPORT_DIR)
        say(f"report: {written} (and scaling.png)")
        say(f"best: {best_accuracy(written.parent)}")
    return Finished(graded, written)


def _share(graded: GradeSummary) -> str:
    """ " (52.3%)": the share of correct cells, when there are cells."""
    return f" ({graded.correct / graded.cells:.1%})" if graded.cells else ""


def best_accuracy(report_dir: Path) -> str:
    """The best accuracy of a written report with its thinking tokens and point (`point_label`: "cap 64 + 1
    Wait", "16 steps", "short prompt"), one phrase per series."""
    import pandas as pd

    from evalscale.analysis.curve_steps import point_label

    summary = pd.read_csv(report_dir / "summary.csv")
    metrics = pd.read_csv(report_dir / "metrics.csv")
    phrases = []
    for row in metrics.itertuples():
        condition = getattr(row, "best_condition", None)
        condition = condition if isinstance(condition, str) and condition else None  # "" or NaN: no class
        same = (summary["model"] == row.model) & (summary["task"] == row.task)
        same &= (summary["cap"] == row.best_cap) & (summary["waits"] == row.best_waits)
        if condition:  # class-conditional control: the prompt class tells its points apart
            same &= summary["condition"] == condition
        tokens = summary.loc[same, "mean_thinking_tokens"].iloc[0]
        where = f"{row.model}/{row.task}: " if len(metrics) > 1 else ""
        cell = point_label(row.best_cap, row.best_waits, condition, row.method)
        phrases.append(f"{where}{row.performance:.1f}% accuracy at {tokens:.0f} thinking tokens ({cell})")
    return "; ".join(phrases)
