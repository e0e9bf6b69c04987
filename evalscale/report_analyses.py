"""The report's analyses of a curve: overthinking, answer flips, censoring, thinking lengths,
samples needed, and the runs' environments.

Each analysis is computed by its function in `evalscale.analysis` and lands in
the report folder twice: in full as a CSV (overthinking.csv, flips.csv,
censoring.csv, lengths.csv, per_problem.csv, samples_needed.csv) and as a
compact Markdown section of report.md, never longer than the per-cell table
(one row per cell at most, series and task columns only when they vary, the
prompt class only when a run has one). A cell is a point of any method
(`analysis.tables.POINT`): class-conditional control's classes stay apart.
`analysis_sections` writes both; `environment_warnings` gives the report's
Warnings lines about runs made under different environments.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from evalscale import analysis, environment, plotting
from evalscale.analysis.censoring import censoring
from evalscale.analysis.curve_steps import curve_points, point_label
from evalscale.analysis.flip_plot import plot_flips
from evalscale.analysis.flips import answer_flips
from evalscale.analysis.lengths import per_problem_points, thinking_quartiles
from evalscale.analysis.overthinking import overthinking
from evalscale.analysis.samples_needed import samples_needed
from evalscale.analysis.tables import POINT, has_classes
from evalscale.report import markdown_table
from evalscale.store import read_manifest

NOTE_WIDTH = 100  # columns of a section's note in report.md
DEFAULT_CI_WIDTH = 2.0  # the CI half-width (± accuracy points) that samples_needed aims at
SERIES_SHOWN = {"model": "series", "task": "task"}
CLASS_SHOWN = {"condition": "class"}  # class-conditional control's prompt class, shown where a run has one
CONSTANT = [*SERIES_SHOWN, *CLASS_SHOWN]  # columns a section leaves out when they hold one value
FLIPS_SHOWN = {
    **SERIES_SHOWN,
    "step_label": "step",
    "n_pairs": "pairs",
    "wrong_to_right": "wrong→right",
    "right_to_wrong": "right→wrong",
    "answer_to_none": "answer→none",
    "net": "net",
    "mcnemar_p": "McNemar p",
    "accuracy_change": "Δ acc",
    "ci": "95% CI",
}
CENSORING_SHOWN = {
    **SERIES_SHOWN,
    "cap": "cap",
    "waits": "waits",
    **CLASS_SHOWN,
    "cap_closed_share": "cut %",
    "never_ended_share": "never ended %",
    "no_answer_share": "no answer %",
    "n_uncensored": "uncensored",
    "accuracy_uncensored": "acc % (uncensored only)",
    "accuracy_censored": "acc % (cut only)",
}
LENGTHS_SHOWN = {
    **SERIES_SHOWN,
    "cap": "cap",
    "waits": "waits",
    **CLASS_SHOWN,
    "tokens_min": "min",
    "tokens_q25": "25%",
    "tokens_median": "median",
    "tokens_q75": "75%",
    "tokens_max": "max",
    "tokens_mean": "mean",
}
SAMPLES_SHOWN = {
    **SERIES_SHOWN,
    "cap": "cap",
    "waits": "waits",
    **CLASS_SHOWN,
    "n_problems": "problems",
    "n_samples": "samples",
    "half_width": "± now",
    "half_width_floor": "± floor",
    "samples_needed": "samples/problem",
    "samples_needed_fixed_problems": "samples (problems fixed)",
    "problems_needed": "problems needed",
}
SAMPLES_FORMATS = {"samples_needed": ".0f"}  # whole samples, also when read back from the CSV


def analysis_sections(cells: pd.DataFrame, out: Path, ci_width: float = DEFAULT_CI_WIDTH) -> list[str]:
    """Write the analyses' CSVs (and flips.png/.pdf) into `out`; returns report.md's sections for them.

    `cells` are the graded cells of `analysis.load_runs`; `ci_width` is the target CI half-width in
    accuracy points (± around the accuracy) of the samples-needed section.
    """
    return [
        *overthinking_section(cells, out),
        *flips_section(cells, out),
        *censoring_section(cells, out),
        *lengths_section(cells, out),
        *samples_needed_section(cells, out, ci_width),
    ]


def overthinking_section(cells: pd.DataFrame, out: Path) -> list[str]:
    """One line per curve: its peak and whether accuracy falls significantly after it."""
    table = overthinking(cells)
    table.to_csv(out / "overthinking.csv", index=False)
    return section(
        "Overthinking",
        [f"- {line}" for line in table["verdict"]],
        "Peak: the first curve point (caps ascending, then Waits at the largest cap) with the highest "
        "accuracy; the drop is to the curve's last point, with a 95% paired bootstrap CI over the problems "
        "at both. The peak is picked from the data, so on few problems a CI just above 0 is optimistic "
        "(overthinking.csv)." + _classes_note(cells),
    )


def _classes_note(cells: pd.DataFrame) -> str:
    """A sentence on the order of prompt classes along a curve, when a run has them ("" otherwise)."""
    if "condition" not in cells or not has_classes(cells["condition"]):
        return ""
    return " Class-conditional control's curve takes its prompt classes in the order short, plain, long."


def flips_section(cells: pd.DataFrame, out: Path) -> list[str]:
    """Per step along each curve (cap steps, then Wait steps): answers fixed and broken, with tests."""
    table = answer_flips(cells)
    table.to_csv(out / "flips.csv", index=False)
    if table.empty:
        return []
    plotting.save_figure(plot_flips(table), out, "flips")
    shown = table.assign(
        step_label=[
            f"{point_label(row.from_cap, row.from_waits, row.from_condition, row.method)} → "
            f"{point_label(row.to_cap, row.to_waits, row.to_condition, row.method)}"
            for row in table.itertuples()
        ],
        ci=[ci_text(low, high) for low, high in zip(table["ci_low"], table["ci_high"], strict=True)],
    )
    return section(
        "Answer flips per step",
        [
            markdown_table(shown, FLIPS_SHOWN, {"mcnemar_p": ".2g"}, CONSTANT, drop_empty=False),
            "",
            "![Answers fixed and broken](flips.png)",
        ],
        "Between consecutive curve points, (problem, sample) pairs whose verdict changed: wrong→right "
        "fixed, right→wrong broken, answer→none lost its extractable answer; net = fixed - broken. McNemar: "
        "exact two-sided test on the changed pairs (exact with one sample per problem, optimistic with "
        "several); Δ acc: accuracy change in points with a 95% paired bootstrap CI over problems ('-': "
        "the two points share no problems) (flips.csv, [PDF](flips.pdf))." + _classes_note(cells),
    )


def ci_text(low: float, high: float) -> str:
    """A CI as "+1.2 to +3.4" (never "-0.0"), or "-" when it is missing (no shared problems)."""
    return "-" if pd.isna(low) or pd.isna(high) else f"{low:+z.1f} to {high:+z.1f}"


def censoring_section(cells: pd.DataFrame, out: Path) -> list[str]:
    """Per cell: how often the cap cut thinking, and accuracy over the uncut and the cut samples."""
    table = censoring(cells)
    table.to_csv(out / "censoring.csv", index=False)
    return section(
        "Censoring",
        [markdown_table(table, CENSORING_SHOWN, constant=CONSTANT, drop_empty=False)],
        "cut %: samples whose thinking the cap closed; never ended %: % of all samples cut without ever "
        "ending thinking on their own; no answer %: no extractable answer. acc % (uncensored only): "
        "accuracy over the samples that ended thinking themselves (their count: uncensored), acc % (cut "
        "only) over the others, both pooled over samples (the other accuracies are means over problems). "
        "These are conditional accuracies: the samples that finish under a cap are "
        "the ones that needed less thought, so neither is what the model would score without the cap "
        "(censoring.csv)." + _never_fit_note(cells),
    )


def _never_fit_note(cells: pd.DataFrame) -> str:
    """A sentence on rejection sampling's never-fit samples, when there are some ("" otherwise)."""
    if not (cells["end_reason"] == "never_fit").any():
        return ""
    return (
        " Rejection sampling: a sample whose thinking never fit its cap in method.max_tries draws counts as "
        "cut and never ended, with its cap's tokens (the per-cell summary's never fit %)."
    )


def lengths_section(cells: pd.DataFrame, out: Path) -> list[str]:
    """Thinking-token quartiles of the curve's points; every cell and the per-problem table as CSVs."""
    quartiles = thinking_quartiles(cells)
    quartiles.to_csv(out / "lengths.csv", index=False)
    per_problem_points(cells).to_csv(out / "per_problem.csv", index=False)
    on_curve = quartiles.merge(curve_points(cells)[POINT], on=POINT)
    return section(
        "Thinking lengths",
        [markdown_table(on_curve, LENGTHS_SHOWN, constant=CONSTANT, drop_empty=False)],
        "Thinking tokens per sample at each curve point (min, quartiles, max; the scaling plot draws the "
        "25%-75% range as a bar through each point). Every cell: lengths.csv; per problem, its tokens and "
        "accuracy at every curve point: per_problem.csv." + _never_fit_note(cells),
    )


def samples_needed_section(cells: pd.DataFrame, out: Path, ci_width: float) -> list[str]:
    """Per cell of a run with several samples per problem: the samples needed for a ± `ci_width` CI."""
    table = samples_needed(cells, half_width=ci_width)
    if table.empty:
        return []
    table.to_csv(out / "samples_needed.csv", index=False)
    return section(
        f"Samples needed for a 95% CI of ±{ci_width:g} points",
        [markdown_table(table, SAMPLES_SHOWN, SAMPLES_FORMATS, CONSTANT, drop_empty=False)],
        "± now: the CI half-width of the cell's accuracy from its per-problem variance (between and within "
        "problems); ± floor: the half-width with infinitely many samples per problem. samples/problem: the "
        f"samples (or seeds) per problem that bring it to ±{ci_width:g} ('-': the floor is above it, only "
        "more problems help: see problems needed); samples (problems fixed): the same for the run-to-run "
        "spread on these very problems. `evalscale report RUN ci_width=H` sets the half-width "
        "(samples_needed.csv).",
    )


def section(heading: str, body: Sequence[str], note: str) -> list[str]:
    """A report.md section: its heading, body lines, and a note wrapped at NOTE_WIDTH columns."""
    return [f"## {heading}", "", *body, "", *textwrap.wrap(note, NOTE_WIDTH), ""]


def environment_warnings(runs: analysis.Runs) -> list[str]:
    """Warnings about environments: runs made under different ones (versions, device, dtype, attention
    backend...), runs resumed under another one, and runs of one model whose weights differ."""
    manifests = {str(run.path): read_manifest(run.path) for run in runs.runs}
    names = _short_names(list(manifests))
    notes = []
    found = environment.differences(
        {names[path]: environment.environment_of(manifest) for path, manifest in manifests.items()}
    )
    if found:
        notes.append(
            "the runs were made under different environments (" + "; ".join(found) + "); their numbers may "
            "differ for that reason alone."
        )
    for path, manifest in manifests.items():
        resumed = environment.resumed_differences(manifest)
        if resumed:
            notes.append(f"run {path} was resumed under another environment ({'; '.join(resumed)}).")
    by_model: dict[str, dict[str, str]] = {}
    for path, manifest in manifests.items():
        if manifest.get("model_fingerprint"):
            by_model.setdefault(str(manifest.get("model")), {})[names[path]] = manifest["model_fingerprint"]
    for model, fingerprints in by_model.items():
        if len(set(fingerprints.values())) > 1:
            listed = ", ".join(f"{print_[:8]} ({name})" for name, print_ in fingerprints.items())
            notes.append(f"model {model}: the runs used different model folders (fingerprints {listed}).")
    return notes


def _short_names(paths: Sequence[str]) -> dict[str, str]:
    """Each run path by the shortest tail of its folders that tells it apart from the others."""
    parts = {path: Path(path).parts for path in paths}
    for depth in range(1, max((len(p) for p in parts.values()), default=1) + 1):
        names = {path: "/".join(p[-depth:]) for path, p in parts.items()}
        if len(set(names.values())) == len(names):
            return names
    return {path: path for path in paths}
