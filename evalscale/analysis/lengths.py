"""Thinking-length distributions: per-point quartiles (a band or box on the scaling plot's x-axis) and a
per-problem table of tokens and accuracy at every curve point (a report data file).

A point is a cell of any method (`tables.POINT`, its prompt class included). A
rejection-sampled sample that never fit its cap counts the cap's tokens, as
`tables.summarize`'s mean does (its record's `thinking_tokens`: its last draw
ran that long), so the band sits around the point the scaling plot draws.
"""

from __future__ import annotations

import pandas as pd

from evalscale.analysis.curve_steps import curve_points
from evalscale.analysis.tables import POINT, POINT_FIELDS, SERIES, condition_rank, with_condition

QUARTILE_COLUMNS = [
    *POINT,
    "n_samples",
    "tokens_min",
    "tokens_q25",
    "tokens_median",
    "tokens_q75",
    "tokens_max",
    "tokens_mean",
]


def thinking_quartiles(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per point (model, task, cap, waits, condition): the thinking tokens' min, quartiles, max and
    mean over its samples (quartiles interpolate linearly between samples, pandas' default)."""
    described = with_condition(cells).groupby(POINT, sort=True)["thinking_tokens"].describe()
    described = described.rename(
        columns={
            "count": "n_samples",
            "min": "tokens_min",
            "25%": "tokens_q25",
            "50%": "tokens_median",
            "75%": "tokens_q75",
            "max": "tokens_max",
            "mean": "tokens_mean",
        }
    )
    described["n_samples"] = described["n_samples"].astype(int)
    return described.reset_index()[QUARTILE_COLUMNS]


def point_name(cap: int, waits: int, condition: str = "") -> str:
    """The column suffix of a curve point: "c512_w0", and with a prompt class "c0_w0_short"."""
    return f"c{cap}_w{waits}" + (f"_{condition}" if condition else "")


def per_problem_points(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, task, problem_id) with `n_samples` and, for each curve point in budget order,
    `tokens_{point}` (mean thinking tokens over the problem's samples) and `accuracy_{point}` (% of them
    correct: 0 or 100 with one sample), the point named by `point_name` (`c{cap}_w{waits}`, and
    `_{condition}` after it for a prompt class); empty where a series lacks the point or the problem lacks
    the cell. Written as CSV it is the per-problem data file."""
    cells = with_condition(cells)
    points = curve_points(cells)
    on_curve = cells.merge(points[POINT], on=POINT)
    by_problem = on_curve.groupby([*SERIES, "problem_id", *POINT_FIELDS], sort=True)
    values = pd.DataFrame(
        {"tokens": by_problem["thinking_tokens"].mean(), "accuracy": 100.0 * by_problem["correct"].mean()}
    )
    wide = values.unstack(POINT_FIELDS)
    order = points[POINT_FIELDS].drop_duplicates().assign(rank=condition_rank(points["condition"]))
    order = order.sort_values(["waits", "cap", "rank", "condition"])  # each series' budget order, merged
    columns = [
        (kind, cap, waits, condition)
        for cap, waits, condition, _ in order.itertuples(index=False)
        for kind in ("tokens", "accuracy")
    ]
    wide = wide.reindex(columns=pd.MultiIndex.from_tuples(columns))
    wide.columns = [f"{kind}_{point_name(cap, waits, condition)}" for kind, cap, waits, condition in columns]
    samples = on_curve.groupby([*SERIES, "problem_id"], sort=True)["sample"].nunique().rename("n_samples")
    return pd.concat([samples, wide], axis=1).reset_index()
