"""Overthinking: where each scaling curve peaks, and whether accuracy falls significantly after the peak.

The peak is the first curve point (in budget order, see `curve_steps`) with
the highest accuracy (accuracies equal to DECIMALS decimals tie). It is
compared with one later point, the end: the last point of the curve (the
largest budget; default) or the lowest point after the peak. The drop is peak
minus end, in accuracy points (positive: accuracy fell), over the problems
present at both, with a 95% paired bootstrap CI over problems; the fall is
significant when the CI lies above 0. When the two points share no problems
there is no drop (NaN, and the verdict says so).

The peak is picked from the data, so a curve that is flat in truth still
shows a small drop after its highest point; the CI does not account for that
choice and is optimistic when several points sit near the top. A
"significant" verdict on a curve of few problems deserves that caveat.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalscale.analysis.curve_steps import (
    iter_curves,
    paired_change,
    point_accuracy,
    point_label,
    series_method,
)
from evalscale.analysis.stats import N_BOOT

End = Literal["last", "lowest"]
DECIMALS = 9  # accuracies (points) equal to this many decimals are equal: 1/3 sums differ in the last bit

OVERTHINKING_COLUMNS = [
    "model",
    "task",
    "method",
    "n_points",
    "peak_cap",
    "peak_waits",
    "peak_condition",
    "peak_tokens",
    "peak_accuracy",
    "end_cap",
    "end_waits",
    "end_condition",
    "end_tokens",
    "end_accuracy",
    "n_problems",
    "drop",
    "ci_low",
    "ci_high",
    "significant",
    "verdict",
]
_INTEGER_COLUMNS = ["peak_cap", "peak_waits", "end_cap", "end_waits", "n_problems"]


def overthinking(cells: pd.DataFrame, end: End = "last", n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """One row per series: its peak, the end point after it, the drop (points) with its CI, and a verdict.

    Accuracies and tokens of the peak and end are over all their samples (as
    in `tables.summarize`); `drop`, its CI and `n_problems` are over the
    problems present at both. When the peak is the last point there is no end:
    the end columns are missing, `significant` is False.
    """
    if end not in ("last", "lowest"):
        raise ValueError(f"end must be 'last' or 'lowest', got {end!r}")
    rows = []
    for model, task, points, steps in iter_curves(cells):
        accuracy = np.array([point_accuracy(point) for point in points])
        tokens = [float(point["thinking_tokens"].mean()) for point in points]
        ranked = np.round(accuracy, DECIMALS)
        peak = int(np.argmax(ranked))  # the first of equal highest points: the smallest budget
        row: dict[str, Any] = {
            "model": model,
            "task": task,
            "method": series_method(points[0]),
            "n_points": len(points),
            **_point_columns("peak", steps.iloc[peak], tokens[peak], accuracy[peak]),
        }
        if peak == len(points) - 1:
            row.update(_point_columns("end", None, math.nan, math.nan))
            row.update(n_problems=0, drop=math.nan, ci_low=math.nan, ci_high=math.nan, significant=False)
        else:
            later = len(points) - 1 if end == "last" else peak + 1 + int(np.argmin(ranked[peak + 1 :]))
            change = paired_change(points[peak], points[later], n_boot, seed)
            row.update(_point_columns("end", steps.iloc[later], tokens[later], accuracy[later]))
            row.update(
                n_problems=change.n_problems,
                drop=_negated(change.change),
                ci_low=_negated(change.ci_high),
                ci_high=_negated(change.ci_low),
                significant=bool(change.ci_high < 0),
            )
        row["verdict"] = verdict(row, end)
        rows.append(row)
    table = pd.DataFrame(rows, columns=OVERTHINKING_COLUMNS)
    return table.astype({column: "Int64" for column in _INTEGER_COLUMNS})


def _negated(points: float) -> float:
    """-`points` rounded to DECIMALS, never -0.0 (a level curve drops 0.0); NaN stays NaN."""
    return round(-points, DECIMALS) + 0.0


def _point_columns(prefix: str, step: pd.Series | None, tokens: float, accuracy: float) -> dict[str, Any]:
    return {
        f"{prefix}_cap": None if step is None else int(step["cap"]),
        f"{prefix}_waits": None if step is None else int(step["waits"]),
        f"{prefix}_condition": None if step is None else str(step["condition"]),
        f"{prefix}_tokens": tokens,
        f"{prefix}_accuracy": float(accuracy),
    }


def verdict(row: dict[str, Any] | pd.Series, end: End = "last") -> str:
    """The one line a report prints for a series' overthinking row."""
    head = (
        f"{row['model']}/{row['task']}: accuracy peaks at {row['peak_accuracy']:.1f}% "
        f"({_label(row, 'peak')}, {row['peak_tokens']:,.0f} thinking tokens)"
    )
    if pd.isna(row["end_cap"]):
        return f"{head} at the end of the curve: no fall after it."
    where = "the last point" if end == "last" else "the lowest point after it"
    if not row["n_problems"]:
        return f"{head}; {where} ({_label(row, 'end')}) shares no problems with it: no paired drop."
    drop = row["drop"]
    size = "level with it" if drop == 0 else f"{abs(drop):.1f} points {'lower' if drop > 0 else 'higher'}"
    body = (
        f"{head}; {where} ({_label(row, 'end')}, {row['end_tokens']:,.0f} tokens) "
        f"is {size} (drop {drop:z.1f}, 95% paired CI {row['ci_low']:z.1f} to {row['ci_high']:z.1f} "
        f"over {row['n_problems']} problems)"
    )
    if row["significant"]:
        return f"{body}: a significant fall."
    return f"{body}: not a significant fall (the CI includes 0)."


def _label(row: dict[str, Any] | pd.Series, prefix: str) -> str:
    """The peak's or end's point in words (`curve_steps.point_label`)."""
    return point_label(
        row[f"{prefix}_cap"], row[f"{prefix}_waits"], row.get(f"{prefix}_condition"), row["method"]
    )
