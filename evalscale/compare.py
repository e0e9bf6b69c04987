"""Paired comparison of two runs of one task (`evalscale compare` writes it).

Only cells present in both runs (same problem, sample, cap, waits and prompt
class: `analysis.tables.POINT`, so two class-conditional runs pair class by
class) count, so every difference is paired. Writes compare.csv (per cell: accuracies, the
difference B - A with a 95% paired bootstrap CI over problems), compare.md and
compare.png/.pdf; prints the table and the difference in area under the curve.
Each side is named by what sets it apart from the other (`extension=Hmm`,
`model=ckpt-200`; see analysis.labels), by its config's `label`, or by the caller's names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evalscale import analysis, plotting
from evalscale.analysis import labels, metrics
from evalscale.analysis.runs import Grader
from evalscale.analysis.stats import N_BOOT, paired_change, percentile_ci, resample_counts
from evalscale.analysis.tables import POINT_FIELDS, condition_rank, with_condition
from evalscale.report import markdown_table

PAIR = ["problem_id", "sample", *POINT_FIELDS]
DELTA_SHOWN = {
    "cap": "cap",
    "waits": "waits",
    "condition": "class",
    "control": "kind",
    "n_problems": "problems",
    "n_pairs": "pairs",
    "accuracy_a": "acc A %",
    "accuracy_b": "acc B %",
    "diff": "B - A",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "tokens_a": "tokens A",
    "tokens_b": "tokens B",
}


@dataclass(frozen=True)
class AreaDifference:
    """Mean accuracy (points) over the token range both curves span, for A and B, and B - A with its CI."""

    low_tokens: float
    high_tokens: float
    area_a: float
    area_b: float
    diff: float
    ci_low: float
    ci_high: float
    n_problems: int


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing two runs."""

    label_a: str
    label_b: str
    task: str
    deltas: pd.DataFrame
    curves: pd.DataFrame
    area: AreaDifference


def load_side(path: Path, grader: Grader | None) -> analysis.Runs:
    """The graded runs of one side; they must form one series (one run, or the shards of one run)."""
    runs = analysis.load_runs([path], grader=grader)
    series = runs.cells[["model", "task"]].drop_duplicates()
    if len(series) != 1:
        names = ", ".join(f"{m}/{t}" for m, t in series.itertuples(index=False))
        raise analysis.AnalysisError(
            f"{path} holds several series ({names}); give one run or the shards of one run"
        )
    return runs


def side_labels(
    sides: tuple[analysis.Runs, analysis.Runs], names: tuple[str, str] | None = None
) -> list[str]:
    """The two sides' labels: `names`, else each config's `label`, else what sets the sides apart.

    Sides that would read the same get "(A)" and "(B)".
    """
    variants = [labels.common([run.variant for run in side.runs]) for side in sides]
    described = labels.describe(variants)
    chosen = (
        list(names)
        if names
        else [
            next((run.label for run in side.runs if run.label), text)
            for side, text in zip(sides, described, strict=True)
        ]
    )
    return [f"{chosen[0]} (A)", f"{chosen[1]} (B)"] if chosen[0] == chosen[1] else chosen


def paired_deltas(cells: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Per point (cap, waits, condition): accuracies of A and B and the paired difference B - A with its
    bootstrap CI.

    `cells` has one row per paired cell with `correct_a` and `correct_b`.
    """
    rows = []
    for (cap, waits, condition), cell in with_condition(cells).groupby(POINT_FIELDS, sort=True):
        per_problem = cell.groupby("problem_id")[["correct_a", "correct_b"]].mean() * 100.0
        change = paired_change(per_problem["correct_a"], per_problem["correct_b"], n_boot, seed)
        rows.append(
            {
                "cap": int(cap),
                "waits": int(waits),
                "condition": condition,
                "n_problems": len(per_problem),
                "n_pairs": len(cell),
                "accuracy_a": per_problem["correct_a"].mean(),
                "accuracy_b": per_problem["correct_b"].mean(),
                "diff": change.change,
                "ci_low": change.ci_low,
                "ci_high": change.ci_high,
                "tokens_a": cell["thinking_tokens_a"].mean(),
                "tokens_b": cell["thinking_tokens_b"].mean(),
            }
        )
    return pd.DataFrame(rows)


def area_difference(
    curve_cells: dict[str, pd.DataFrame], n_boot: int = N_BOOT, seed: int = 0
) -> AreaDifference:
    """Difference B - A of the mean accuracy over the token range both scaling curves span.

    `curve_cells` maps "a" and "b" to the cells of that side's curve points.
    The CI resamples problems (the same draws for both sides, so it is paired);
    only problems present at every curve point of both sides take part.
    """
    matrices = {side: _per_problem(cells) for side, cells in curve_cells.items()}
    problems = sorted(set.intersection(*(set(acc.index) for acc, _ in matrices.values())))
    if not problems:
        nan = float("nan")
        return AreaDifference(nan, nan, nan, nan, nan, nan, nan, 0)
    # row 0 takes every problem once (the estimate), the other rows are the bootstrap draws
    counts = np.vstack([np.ones(len(problems), dtype=int), resample_counts(len(problems), n_boot, seed)])
    curves = {
        side: (
            counts @ acc.loc[problems].to_numpy() / len(problems),
            counts @ tok.loc[problems].to_numpy() / len(problems),
        )
        for side, (acc, tok) in matrices.items()
    }
    areas = np.array([_areas(curves["a"], curves["b"], draw) for draw in range(len(counts))])
    low, high = percentile_ci(areas[1:, 1] - areas[1:, 0])
    area_a, area_b, low_tokens, high_tokens = map(float, areas[0])
    return AreaDifference(low_tokens, high_tokens, area_a, area_b, area_b - area_a, low, high, len(problems))


def _per_problem(cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accuracy (%) and mean thinking tokens by problem (rows) and curve point (columns); complete rows."""
    grouped = with_condition(cells).groupby(["problem_id", *POINT_FIELDS])
    accuracy = (grouped["correct"].mean() * 100.0).unstack(POINT_FIELDS)
    tokens = grouped["thinking_tokens"].mean().unstack(POINT_FIELDS)
    complete = accuracy.notna().all(axis=1)
    return accuracy[complete], tokens[complete]


def _areas(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], draw: int
) -> tuple[float, float, float, float]:
    """(area A, area B, low, high tokens) over the shared token range of one draw (row of the curves)."""
    points_a = list(zip(a[1][draw], a[0][draw], strict=True))
    points_b = list(zip(b[1][draw], b[0][draw], strict=True))
    low, high = metrics.shared_range(points_a, points_b)
    area_a = metrics.mean_accuracy_over(points_a, low, high)
    area_b = metrics.mean_accuracy_over(points_b, low, high)
    return area_a, area_b, low, high


def compare(
    path_a: Path, path_b: Path, n_boot: int = N_BOOT, names: tuple[str, str] | None = None
) -> Comparison:
    """Compare two runs of one task on their shared cells; `names` label them (default: side_labels)."""
    grader = analysis.default_grader()
    sides = (load_side(path_a, grader), load_side(path_b, grader))
    task_a, task_b = (side.runs[0].task for side in sides)
    if task_a != task_b:
        raise analysis.AnalysisError(f"the runs are of different tasks ({task_a} and {task_b})")
    label_a, label_b = side_labels(sides, names)
    cells_a, cells_b = (with_condition(side.cells) for side in sides)
    keys = cells_a[PAIR].merge(cells_b[PAIR], on=PAIR)
    if keys.empty:
        raise analysis.AnalysisError("the runs share no cell (same problem, sample, cap, waits and class)")
    shared = {side: cells.merge(keys, on=PAIR) for side, cells in (("a", cells_a), ("b", cells_b))}
    paired = shared["a"].merge(shared["b"], on=PAIR, suffixes=("_a", "_b"))
    summaries = {
        side: analysis.summarize(cells.assign(model=label), n_boot=n_boot)
        for (side, cells), label in zip(shared.items(), (label_a, label_b), strict=True)
    }
    kinds = summaries["a"][[*POINT_FIELDS, "control"]]
    deltas = paired_deltas(paired, n_boot).merge(kinds, on=POINT_FIELDS)
    curves = pd.concat([analysis.curve(summary) for summary in summaries.values()], ignore_index=True)
    on_curve = kinds[kinds["control"] != "grid"][POINT_FIELDS]
    area = area_difference({side: cells.merge(on_curve) for side, cells in shared.items()}, n_boot)
    return Comparison(label_a, label_b, task_a, deltas, curves, area)


def delta_labels(deltas: pd.DataFrame) -> pd.Series:
    """Short cell names for the figure: the cap, plus "+N W" for Waits; a prompt class by its name."""
    return deltas.apply(
        lambda r: r.condition if r.condition else f"{r.cap}" + (f" +{r.waits}W" if r.waits else ""), axis=1
    )


def area_sentence(result: Comparison) -> str:
    """One line on the area difference between the two scaling curves."""
    area = result.area
    if np.isnan(area.diff):
        return "Area under the scaling curve: not comparable (the curves share no token range)."
    return (
        f"Mean accuracy over the shared range {area.low_tokens:.0f}-{area.high_tokens:.0f} thinking tokens "
        f"(area under the curve in log2 tokens over its width, {area.n_problems} problems): "
        f"A {area.area_a:.1f}, B {area.area_b:.1f}, B - A {area.diff:+.1f} points "
        f"(95% paired CI {area.ci_low:+.1f} to {area.ci_high:+.1f})."
    )


def write_comparison(
    result: Comparison, path_a: Path, path_b: Path, out: Path, sections: Sequence[str] = ()
) -> None:
    """compare.csv, compare.png/.pdf and compare.md into `out`; `sections` are Markdown lines added at
    the end of compare.md (the drift check's)."""
    out.mkdir(parents=True, exist_ok=True)
    result.deltas.to_csv(out / "compare.csv", index=False)
    on_curve = result.deltas[result.deltas["control"] != "grid"]
    ranked = on_curve.assign(rank=condition_rank(on_curve["condition"]))  # classes short, plain, long
    order = ranked.sort_values(["control", "cap", "waits", "rank"]).drop(columns="rank")  # "cap" < "wait"
    styles = plotting.series_styles([result.label_a, result.label_b])
    roles = {result.label_a: "A", result.label_b: "B"}
    figure = plotting.plot_compare(result.curves, order.assign(label=delta_labels(order)), styles, roles)
    plotting.save_figure(figure, out, "compare")
    lines = [
        f"# evalscale compare: {result.task}",
        "",
        f"- A: {result.label_a} ({path_a})",
        f"- B: {result.label_b} ({path_b})",
        "",
        area_sentence(result),
        "",
        "![Scaling curves and paired differences](compare.png)",
        "",
        "Top: both scaling curves on their shared cells, 95% bootstrap CIs. Bottom: accuracy difference",
        "B - A per curve cell with 95% paired bootstrap CIs over problems ([PDF](compare.pdf)).",
        "",
        markdown_table(result.deltas, DELTA_SHOWN),
        "",
        *sections,
    ]
    (out / "compare.md").write_text("\n".join(lines), encoding="utf-8")
