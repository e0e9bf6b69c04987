"""Thinking-length distributions: per-cell quartiles (a band or box on the scaling plot's x-axis) and a
per-problem table of tokens and accuracy at every curve point (a report data file)."""

from __future__ import annotations

import pandas as pd

from evalscale.analysis.curve_steps import curve_points
from evalscale.analysis.tables import CELL, SERIES

QUARTILE_COLUMNS = [
    *CELL,
    "n_samples",
    "tokens_min",
    "tokens_q25",
    "tokens_median",
    "tokens_q75",
    "tokens_max",
    "tokens_mean",
]


def thinking_quartiles(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, task, cap, waits): the thinking tokens' min, quartiles, max and mean over its
    samples (quartiles interpolate linearly between samples, pandas' default)."""
    described = cells.groupby(CELL, sort=True)["thinking_tokens"].describe()
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


def point_name(cap: int, waits: int) -> str:
    """The column suffix of a curve point: "c512_w0"."""
    return f"c{cap}_w{waits}"


def per_problem_points(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, task, problem_id) with `n_samples` and, for each curve point in budget order,
    `tokens_c{cap}_w{waits}` (mean thinking tokens over the problem's samples) and
    `accuracy_c{cap}_w{waits}` (% of them correct: 0 or 100 with one sample); empty where a series lacks
    the point or the problem lacks the cell. Written as CSV it is the per-problem data file."""
    points = curve_points(cells)
    on_curve = cells.merge(points[CELL], on=CELL)
    by_problem = on_curve.groupby([*SERIES, "problem_id", "cap", "waits"], sort=True)
    values = pd.DataFrame(
        {"tokens": by_problem["thinking_tokens"].mean(), "accuracy": 100.0 * by_problem["correct"].mean()}
    )
    wide = values.unstack(["cap", "waits"])
    order = points[["waits", "cap"]].drop_duplicates().sort_values(["waits", "cap"])
    columns = [
        (kind, cap, waits) for waits, cap in order.itertuples(index=False) for kind in ("tokens", "accuracy")
    ]
    wide = wide.reindex(columns=pd.MultiIndex.from_tuples(columns))
    wide.columns = [f"{kind}_{point_name(cap, waits)}" for kind, cap, waits in columns]
    samples = on_curve.groupby([*SERIES, "problem_id"], sort=True)["sample"].nunique().rename("n_samples")
    return pd.concat([samples, wide], axis=1).reset_index()
