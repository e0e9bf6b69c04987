"""The report of stored runs: tables, s1 metrics and figures in one folder (`evalscale report` writes it).

Writes into the out folder: summary.csv (one row per model, task, cap, waits),
metrics.csv (Control, Scaling, Performance per model and task; s1's Table 3 per
method), parallel.csv (majority vote, when runs have several samples),
token_matched.csv and parallel.png/.pdf (parallel scaling at the tokens it
spends, beside sequential scaling), native_against_forcing.csv (when
native_cap and budget forcing runs meet), scaling.png/.pdf, the analyses of
`report_analyses` (overthinking, answer flips, censoring, thinking lengths,
samples needed: their CSVs and flips.png), and report.md showing them
together. Outputs written only when they have content (OPTIONAL_OUTPUTS) are
removed first, so a report into an earlier report's folder leaves none stale.
Series are named by the config values that set them apart (analysis.labels),
by their config's `label`, or by the caller's names (`labels=` on the command
line).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from evalscale import analysis, method_report, plotting
from evalscale.analysis import metrics
from evalscale.analysis.lengths import thinking_quartiles
from evalscale.analysis.reference import read_reference

OPTIONAL_OUTPUTS = (  # written only when there is something to show: removed first, never left stale
    "parallel.csv",
    "token_matched.csv",
    "parallel.png",
    "parallel.pdf",
    "native_against_forcing.csv",
    "flips.png",
    "flips.pdf",
    "samples_needed.csv",
)
SUMMARY_SHOWN = {
    "model": "series",
    "task": "task",
    "cap": "cap",
    "waits": "waits",
    "condition": "class",
    "control": "kind",
    "status": "status",
    "n_problems": "problems",
    "n_samples": "samples",
    "accuracy": "acc %",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "mean_thinking_tokens": "thinking tok",
    "mean_answer_tokens": "answer tok",
    "cut_share": "cut %",
    "no_answer_rate": "no answer %",
    "disagreement_rate": "disagree %",
    "pass_at_k": "pass@k %",
    "maj_accuracy": "maj %",
    "never_fit_share": "never fit %",
    "mean_tries": "tries",
}
METRICS_SHOWN = {
    "model": "series",
    "task": "task",
    "method": "method",
    "n_points": "points",
    "control": "Control %",
    "control_basis": "Control vs",
    "scaling": "Scaling",
    "performance": "Performance %",
    "best_cap": "best cap",
    "best_waits": "best waits",
    "best_condition": "best class",
    "never_fit_share": "never fit %",
    "mean_tries": "tries",
    "status": "status",
}


def markdown_table(
    table: pd.DataFrame,
    columns: Mapping[str, str],
    formats: Mapping[str, str] | None = None,
    constant: Sequence[str] = (),
    drop_empty: bool = True,
) -> str:
    """A table as Markdown with the given columns renamed, integers whole, other numbers to one decimal
    (or as `formats` says per column, e.g. {"mcnemar_p": ".2g"}); a missing value or "" shows as "-".

    A column with no value at all (pass@k with one sample per problem; the prompt class, "", of a method
    without classes) is left out, unless `drop_empty` is False (a section whose note explains its "-");
    the `constant` columns are left out when they hold one value (or none): the series and task of a
    report of one series.
    """
    kept = [c for c in columns if c in table.columns and not (c in constant and table[c].nunique() <= 1)]
    shown = table[kept].astype(object)
    shown = shown.mask(shown.eq("") | shown.isna())
    if drop_empty:
        shown = shown.dropna(axis="columns", how="all")
    floatfmt = [(formats or {}).get(column, ".1f") for column in shown.columns]
    shown = shown.where(shown.notna(), None).rename(columns=dict(columns))
    return shown.to_markdown(index=False, floatfmt=floatfmt, missingval="-")


def reference_metrics(reference: pd.DataFrame) -> pd.DataFrame:
    """Scaling and Performance of each reference curve (label, task)."""
    rows = []
    for (label, task), points in reference.groupby(["label", "task"], sort=True):
        xy = list(zip(points["mean_thinking_tokens"], points["accuracy"], strict=True))
        row = {"model": label, "task": task, "n_points": len(xy)}
        rows.append(row | {"scaling": metrics.scaling(xy), "performance": metrics.performance(xy)})
    return pd.DataFrame(rows)


def runs_table(runs: analysis.Runs) -> pd.DataFrame:
    """The runs that went into a report: series, model, task, mode, status, cells and path."""
    return pd.DataFrame(
        [
            {
                "series": r.series,
                "model": r.model,
                "task": r.task,
                "mode": r.mode,
                "status": r.status,
                "cells": f"{r.n_cells}/{r.expected_cells or '?'}",
                "config": r.config_hash[:8],
                "run": str(r.path),
            }
            for r in runs.runs
        ]
    )


def report_name(runs: analysis.Runs, paths: Sequence[Path]) -> str:
    """MODEL-TASK for one series, else the first run folder's name (safe as a folder name)."""
    series = {(r.series, r.task) for r in runs.runs}
    name = "-".join(series.pop()) if len(series) == 1 else Path(paths[0]).resolve().name
    return safe_name(name)


def safe_name(text: str) -> str:
    """`text` as a folder name: runs of other characters than letters, digits, "._+-" become "_"."""
    return re.sub(r"[^\w.+-]+", "_", text)


def partial_note(runs: analysis.Runs) -> str:
    """'partial: N of M cells' when a run is not complete (still running or interrupted), else ''."""
    if not any(r.partial for r in runs.runs):
        return ""
    expected = [r.expected_cells or 0 for r in runs.runs]
    total = sum(expected) if all(expected) else "?"
    return f"partial: {sum(r.n_cells for r in runs.runs)} of {total} cells"


def marked(figure: Figure, note: str) -> Figure:
    """The figure with `note` as its title (a partial report says so on its plots)."""
    if note:
        figure.suptitle(note, fontsize=8, color="0.3")
    return figure


def write_report(
    paths: Sequence[Path],
    out: Path | None = None,
    reference_path: Path | None = None,
    names: Sequence[str] | None = None,
    ci_width: float | None = None,
) -> Path:
    """Write the report of the runs under `paths` into `out` (default: reports/NAME); returns report.md.

    `names` (one per path) label the series. Warnings (interrupted runs, cells
    with many unanswered samples, runs made under different environments) go
    to stderr too. `ci_width`: the CI half-width (± accuracy points) the
    samples-needed section aims at (default `report_analyses.DEFAULT_CI_WIDTH`).
    """
    from evalscale import report_analyses  # it uses markdown_table from here

    reference = read_reference(reference_path) if reference_path else None  # a bad file fails before grading
    runs = analysis.load_runs(paths, grader=analysis.default_grader(), names=names)
    title = report_name(runs, paths)
    out = out or Path("reports") / title
    summary = analysis.summarize(runs.cells)
    curve = analysis.curve(summary)
    scaling = analysis.scaling_metrics(summary, runs)
    parallel = analysis.parallel_scaling(runs.cells)
    notes = analysis.warnings(summary, runs) + report_analyses.environment_warnings(runs)
    partial = partial_note(runs)
    out.mkdir(parents=True, exist_ok=True)
    for name in OPTIONAL_OUTPUTS:  # an earlier report into `out` may have written them
        (out / name).unlink(missing_ok=True)
    summary.to_csv(out / "summary.csv", index=False)
    scaling.to_csv(out / "metrics.csv", index=False)
    styles = plotting.series_styles(sorted(summary["model"].unique()))
    lengths = thinking_quartiles(runs.cells)
    scaling_figure = plotting.plot_scaling(curve, styles, reference, lengths=lengths)
    plotting.save_figure(marked(scaling_figure, partial), out, "scaling")
    lines = [
        f"# evalscale report: {title}" + (f" ({partial})" if partial else ""),
        "",
        "## Runs",
        "",
        runs_table(runs).to_markdown(index=False),
        "",
    ]
    if notes:
        lines += ["## Warnings", "", *[f"- {note}" for note in notes], ""]
    lines += [
        "## Scaling metrics (s1 paper, section 3.2)",
        "",
        markdown_table(method_report.shown_metrics(scaling), METRICS_SHOWN),
        "",
        "Over each scaling curve (cap- and Wait-controlled cells). Control: % of points within the",
        "requested thinking range (`budget.control_range`), else % of cap-controlled points under their cap.",
        "Scaling: mean slope over all pairs of points, accuracy points per doubling of thinking tokens.",
        "Performance: best accuracy.",
        "",
        *method_report.metrics_notes(scaling),
    ]
    if reference is not None:
        lines += [
            f"Reference ({reference_path}):",
            "",
            markdown_table(reference_metrics(reference), METRICS_SHOWN),
            "",
        ]
    lines += [
        "## Scaling curves",
        "",
        "![Accuracy against average thinking tokens](scaling.png)",
        "",
        "Accuracy against average thinking tokens (log2 axis) with 95% bootstrap CIs over problems;",
        "filled points vary the cap (no Wait), open points add Waits at the largest cap; the bar through",
        "each point spans its samples' 25%-75% thinking tokens ([PDF](scaling.pdf)).",
        "",
    ]
    if not parallel.empty:
        parallel.to_csv(out / "parallel.csv", index=False)
    lines += method_report.token_matched_section(runs, curve, styles, out, partial)
    lines += method_report.native_section(runs, out)
    cross_checked = bool(summary["disagreement_rate"].notna().any())
    shown = summary if cross_checked else summary.drop(columns="disagreement_rate")
    lines += [
        "## Per-cell summary",
        "",
        markdown_table(shown, SUMMARY_SHOWN),
        "",
        "kind: cap (no Wait), wait (Waits at the largest cap), grid (off the curve). cut %: samples whose",
        "thinking the cap closed. no answer %: samples without an extractable answer (counted wrong).",
        "pass@k and maj % (with several samples per problem) use all k samples of a problem.",
        *method_report.summary_notes(summary),
        *(
            [
                "disagree %: samples that math-verify grades otherwise (`evalscale grade RUN_DIR",
                "cross_check=math_verify`; each one is listed in the run's report/disagreements.md).",
            ]
            if cross_checked
            else []
        ),
        "",
    ]
    lines += report_analyses.analysis_sections(
        runs.cells, out, report_analyses.DEFAULT_CI_WIDTH if ci_width is None else ci_width
    )
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    return out / "report.md"
