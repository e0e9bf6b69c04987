"""The figure of an answer-flip table (`flips.answer_flips`): fixed answers above the axis, broken below.

Kept apart from the statistics so that `flips` needs no matplotlib. Built on
`matplotlib.figure.Figure` (no pyplot state), in the report's paper style.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from evalscale.analysis.methods import STEPPED
from evalscale.plotting import COLUMN_WIDTH, PANEL_HEIGHT, PANEL_WIDTH, paper_style

FIXED_COLOR = "#009E73"  # Okabe-Ito bluish green
BROKEN_COLOR = "#D55E00"  # Okabe-Ito vermillion
LOST_COLOR = "0.55"
BAR_WIDTH = 0.38


def step_labels(flips: pd.DataFrame) -> list[str]:
    """Tick labels of the steps: "512→1024" for a cap step ("8→16 steps" for step-conditional control),
    "+1W" for a Wait step, "short→plain" for a step between prompt classes."""
    labels = {
        "wait": lambda row: f"+{row.to_waits}W",
        "class": lambda row: f"{row.from_condition}→{row.to_condition}",
        "cap": lambda row: f"{row.from_cap}→{row.to_cap}" + (" steps" if row.method in STEPPED else ""),
    }
    return [labels[row.kind](row) for row in flips.itertuples()]


def plot_flips(flips: pd.DataFrame) -> Figure:
    """One panel per series: wrong → right as bars up, right → wrong as bars down, answer → no answer
    as hatched grey bars down beside them, and the net change as a black dot."""
    series = list(flips.groupby(["model", "task"], sort=True))
    with paper_style():
        width = COLUMN_WIDTH if len(series) == 1 else PANEL_WIDTH * len(series)
        figure = Figure(figsize=(width, PANEL_HEIGHT + 0.4), layout="constrained")
        axes = figure.subplots(1, max(1, len(series)), sharey=True, squeeze=False)[0]
        for ax, ((model, task), table) in zip(axes, series, strict=False):
            x = np.arange(len(table))
            ax.bar(x - BAR_WIDTH / 2, table["wrong_to_right"], BAR_WIDTH, color=FIXED_COLOR)
            ax.bar(x - BAR_WIDTH / 2, -table["right_to_wrong"], BAR_WIDTH, color=BROKEN_COLOR)
            ax.bar(
                x + BAR_WIDTH / 2,
                -table["answer_to_none"],
                BAR_WIDTH,
                color="none",
                edgecolor=LOST_COLOR,
                hatch="////",
            )
            ax.plot(x, table["net"], "o", color="black", markersize=3, zorder=3)
            ax.axhline(0, color="black", linewidth=0.6)
            ax.set_xticks(x, step_labels(table), rotation=45, ha="right")
            ax.set_title(f"{model} / {task}")
            ax.grid(axis="x", visible=False)
        axes[0].set_ylabel("Samples (problem, sample pairs)")
        figure.legend(
            handles=[
                Patch(color=FIXED_COLOR, label="wrong → right"),
                Patch(color=BROKEN_COLOR, label="right → wrong"),
                Patch(facecolor="none", edgecolor=LOST_COLOR, hatch="////", label="answer → none"),
                Line2D([], [], marker="o", color="black", linestyle="none", markersize=3, label="net"),
            ],
            loc="outside upper center",
            ncol=2,  # four keys do not fit one column's width
        )
    return figure
