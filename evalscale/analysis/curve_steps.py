"""The points of each scaling curve in budget order, and paired per-problem changes between two points.

A series' curve (`model`, `task`) is its cap-controlled points (waits = 0, caps
ascending) followed by its Wait-controlled points (waits = 1, 2, ... at the
series' largest cap), the same points `tables.summarize` marks "cap" and
"wait". In shared mode every cell of a sample is a prefix of one trajectory,
so along this order each sample's thinking only grows: a step is "more budget
for the same samples". Accuracies are in percentage points; a problem weighs
the same whatever its number of samples (as in `tables`).

A point is a cell of any method (`tables.POINT`: cap, waits and prompt class).
The other methods' points (methods.py) all have waits = 0, so their curve is
their points in the order of the budget they ask for: the instructed or
enforced cap N (tcc, tcc_bf, rejection_sampling, native_cap), the instructed
steps (scc, scc_bf), and for class-conditional control (ccc) its prompt
classes short → plain → long (`tables.CONDITION_ORDER`), whatever thinking each
class then spent: the order is what was asked, as for every other method,
and flips and overthinking of two ccc runs line up class by class. A
NoThinking run has one point. `tables.curve` and the scaling plot hold the
same points, placed by their mean thinking tokens on the x axis; the two
orders agree wherever the thinking follows the budget (always in shared mode;
for ccc exactly when its Control is 100%: short < plain < long in tokens).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from evalscale.analysis import stats
from evalscale.analysis.methods import STEPPED
from evalscale.analysis.stats import N_BOOT, PairedChange
from evalscale.analysis.tables import (
    POINT,
    POINT_FIELDS,
    SERIES,
    condition_rank,
    control_kind,
    with_condition,
)
from evalscale.methods import DEFAULT_METHOD


def curve_points(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per curve point: model, task, cap, waits, condition, control ("cap"/"wait"), position
    (0, 1, ... in budget order: see the module docstring).

    Grid cells (waits > 0 below the series' largest cap) are left out.
    """
    points = with_condition(cells)[POINT].drop_duplicates()
    points = points.assign(control=control_kind(points), rank=condition_rank(points["condition"]))
    points = points[points["control"] != "grid"]
    points = points.sort_values([*SERIES, "waits", "cap", "rank", "condition"]).reset_index(drop=True)
    points["position"] = points.groupby(SERIES).cumcount()
    return points[[*POINT, "control", "position"]]


def iter_curves(cells: pd.DataFrame) -> Iterator[tuple[str, str, list[pd.DataFrame], pd.DataFrame]]:
    """Per series: model, task, the cells of each curve point in budget order, and those points' rows."""
    cells = with_condition(cells)
    points = curve_points(cells)
    for (model, task), steps in points.groupby(SERIES, sort=True):
        series = cells[(cells["model"] == model) & (cells["task"] == task)]
        groups = dict(iter(series.groupby(POINT_FIELDS)))
        yield (
            str(model),
            str(task),
            [groups[tuple(point)] for point in steps[POINT_FIELDS].itertuples(index=False)],
            steps,
        )


def series_method(cells: pd.DataFrame) -> str:
    """The method of one series' cells (their `method` column, as `runs.load_runs` gives it; budget forcing
    for cells without one)."""
    return str(cells["method"].iloc[0]) if "method" in cells and len(cells) else DEFAULT_METHOD


def problem_accuracy(cells: pd.DataFrame) -> pd.Series:
    """Accuracy (%) of each problem over its samples, by problem_id (sorted)."""
    return 100.0 * cells.groupby("problem_id", sort=True)["correct"].mean()


def point_accuracy(cells: pd.DataFrame) -> float:
    """Accuracy (%) of one point: the mean over problems of each problem's mean over its samples."""
    return float(problem_accuracy(cells).mean())


def paired_change(
    before: pd.DataFrame, after: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0
) -> PairedChange:
    """The paired change in accuracy between the cells of two points (`stats.paired_change` of their
    problems' accuracies): problems missing at either point are left out."""
    return stats.paired_change(problem_accuracy(before), problem_accuracy(after), n_boot, seed)


def point_label(cap: int, waits: int, condition: str | None = None, method: str = DEFAULT_METHOD) -> str:
    """A curve point in words: "cap 512", "cap 8192 + 2 Waits", "16 steps" (step-conditional control, whose
    `cap` holds the instructed steps), "short prompt" (a prompt class; an empty or missing one, NaN as read
    back from a CSV, names none), "no thinking" (NoThinking's cap 0; budget forcing's caps are positive)."""
    if condition and isinstance(condition, str):
        return f"{condition} prompt"
    if not cap and not waits:
        return "no thinking"
    if method in STEPPED:
        return f"{cap} steps"
    if not waits:
        return f"cap {cap}"
    return f"cap {cap} + {waits} Wait{'s' if waits > 1 else ''}"
