"""Paper-style figures of scaling curves: accuracy against mean thinking tokens on a log2 axis.

Figures are built on `matplotlib.figure.Figure` (no pyplot state, Agg canvas),
sized for a paper: one panel is a column wide (3.3 in), several panels span
the text width. Every series has its own color, marker and line style
(`series_styles`), the same in every figure of a report, so curves stay apart
in greyscale print too; cap-controlled points are filled, Wait-controlled
points open, reference points grey crosses.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, Locator, NullLocator

from evalscale.analysis.reference import for_task
from evalscale.analysis.tables import POINT, with_condition

# Embedding fonts in PDFs runs fontTools' subsetter, which logs dozens of lines at INFO (the level a
# sweep's logging shows): keep it to warnings.
logging.getLogger("fontTools").setLevel(logging.WARNING)

# Okabe-Ito (color-blind safe) without its yellow (pale on white) and black, plus a brown and an indigo,
# ordered so that the first colors are furthest apart; grey and black are kept for references and legend keys
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C564B", "#332288"]
SERIES_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<"]
LineStyle = str | tuple[float, tuple[float, ...]]
SERIES_LINESTYLES: list[LineStyle] = [
    "-",
    "--",
    ":",
    "-.",
    (0, (5, 1)),
    (0, (3, 1, 1, 1, 1, 1)),
    (0, (1, 3)),
    (0, (8, 2, 2, 2)),
]
REFERENCE_COLOR = "0.45"
KEY_COLOR = "0.3"  # legend keys that explain a marker or line, not a series
REFERENCE_MARKER = "x"
KIND_NAMES = {
    "cap": "cap-controlled",
    "wait": "Wait-controlled",
    "parallel": "majority vote",
    "reference": "reference",
}
COLUMN_WIDTH = 3.3  # inches: one column of a two-column paper
PANEL_WIDTH = 2.4  # inches per panel when several panels share the text width
PANEL_HEIGHT = 2.2
MAX_COLUMNS = 3
STYLE = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "legend.frameon": False,
    "savefig.dpi": 300,
    "pdf.fonttype": 42,
}
X_LABEL = "Average thinking tokens"
Y_LABEL = "Accuracy (%)"


@dataclass(frozen=True)
class SeriesStyle:
    """How one series is drawn: its color, marker and line style."""

    color: str
    marker: str
    linestyle: LineStyle


def series_styles(names: Iterable[str]) -> dict[str, SeriesStyle]:
    """A style per series, in order of first appearance: the n-th series takes the n-th color, marker
    and line style, so no two of the first eight share any of them (past eight, markers shift)."""
    styles: dict[str, SeriesStyle] = {}
    for index, name in enumerate(dict.fromkeys(names)):
        styles[name] = SeriesStyle(
            color=PALETTE[index % len(PALETTE)],
            marker=SERIES_MARKERS[(index + index // len(PALETTE)) % len(SERIES_MARKERS)],
            linestyle=SERIES_LINESTYLES[index % len(SERIES_LINESTYLES)],
        )
    return styles


@contextmanager
def paper_style() -> Iterator[None]:
    """rcParams for figures read at column width (8 pt text, thin grid, embedded TrueType fonts)."""
    with matplotlib.rc_context(STYLE):
        yield


def save_figure(figure: Figure, directory: Path, stem: str) -> list[Path]:
    """Write `stem`.png and `stem`.pdf into `directory`; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{stem}.png", directory / f"{stem}.pdf"]
    with paper_style():
        for path in paths:
            figure.savefig(path)
    return paths


def _tokens_label(value: float, _position: float) -> str:
    """Tick label for a token count: 512, 4096, 16k."""
    return f"{value / 1024:g}k" if value >= 10_000 else f"{value:g}"


class TokenLocator(Locator):
    """Ticks at powers of 2 (every n-th beyond MAX_TICKS), plus 1.5 x 2^k on views of <= SHORT doublings."""

    MAX_TICKS = 8
    SHORT = 3.0

    def __call__(self) -> np.ndarray:
        """Ticks for the axis' current view."""
        low, high = sorted(self.axis.get_view_interval())
        return self.tick_values(low, high)

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        """Ticks covering [vmin, vmax]; matplotlib drops those outside the view."""
        low, high = math.log2(max(vmin, 1e-9)), math.log2(max(vmax, 1e-9))
        exponents = np.arange(math.floor(low), math.ceil(high) + 1)
        powers = 2.0 ** exponents[:: max(1, math.ceil(len(exponents) / self.MAX_TICKS))]
        return np.sort(np.concatenate([powers, 1.5 * powers])) if high - low <= self.SHORT else powers


def _log2_axis(ax: Axes) -> None:
    """A log2 x axis labelled in tokens (512, 4096, 16k)."""
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(TokenLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(_tokens_label))
    ax.xaxis.set_minor_locator(NullLocator())


def _panels(tasks: list[str], x_label: str = X_LABEL) -> tuple[Figure, dict[str, Axes]]:
    """A figure with one panel per task: a column wide for one task, else up to three per row."""
    columns = min(len(tasks), MAX_COLUMNS)
    rows = math.ceil(len(tasks) / columns)
    width = COLUMN_WIDTH if len(tasks) == 1 else PANEL_WIDTH * columns
    figure = Figure(figsize=(width, PANEL_HEIGHT * rows + 0.5), layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False)
    axes = dict(zip(tasks, grid.flat, strict=False))
    for ax in list(grid.flat)[len(tasks) :]:
        ax.set_visible(False)
    for index, (task, ax) in enumerate(axes.items()):
        _log2_axis(ax)
        ax.set_title(task)
        if index % columns == 0:
            ax.set_ylabel(Y_LABEL)
        if index >= len(tasks) - columns:
            ax.set_xlabel(x_label)
    return figure, axes


def _draw_curve(
    ax: Axes, points: pd.DataFrame, x: str, style: SeriesStyle, linestyle: LineStyle, band: bool = True
) -> None:
    """One series: its CI (a band, or bars), a line in token order, and its marker at each point,
    filled where the cap controls thinking and open where Waits do."""
    points = points.sort_values(x)
    if band:
        ax.fill_between(
            points[x], points["ci_low"], points["ci_high"], color=style.color, alpha=0.15, linewidth=0
        )
    else:
        errors = [points["accuracy"] - points["ci_low"], points["ci_high"] - points["accuracy"]]
        ax.errorbar(
            points[x], points["accuracy"], yerr=errors, fmt="none", ecolor=style.color, elinewidth=0.7
        )
    ax.plot(points[x], points["accuracy"], color=style.color, linestyle=linestyle)
    for kind, group in points.groupby("control"):
        ax.plot(
            group[x], group["accuracy"], linestyle="none", **_marker(style.marker, style.color, str(kind))
        )


def _marker(marker: str, color: str, kind: str) -> dict[str, object]:
    """Marker properties of a point kind: open for Wait-controlled points, filled for the others."""
    if kind == "wait":
        return {"marker": marker, "color": color, "markerfacecolor": "white", "markeredgewidth": 1.0}
    return {"marker": marker, "color": color, "markeredgecolor": "white", "markeredgewidth": 0.5}


def _draw_reference(ax: Axes, reference: pd.DataFrame) -> None:
    """Reference points as grey crosses joined by a dotted line, one line per label."""
    for _, points in reference.groupby("label"):
        points = points.sort_values("mean_thinking_tokens")
        ax.plot(
            points["mean_thinking_tokens"],
            points["accuracy"],
            color=REFERENCE_COLOR,
            linestyle=":",
            marker=REFERENCE_MARKER,
        )


def _legend(figure: Figure, handles: list[Line2D]) -> None:
    """The figure's legend under its panels."""
    width = figure.get_figwidth()
    figure.legend(
        handles=handles, loc="outside lower center", ncols=max(1, min(len(handles), int(width / 1.6)))
    )


def _series_handles(
    styles: dict[str, SeriesStyle], labels: dict[str, str], solid: bool = False
) -> list[Line2D]:
    """Legend entries: one line per series in its color, marker and line style (`solid`: solid lines),
    in the order of their labels."""
    ordered = sorted(labels.items(), key=lambda item: item[1])
    return [
        Line2D(
            [],
            [],
            color=styles[model].color,
            linestyle="-" if solid else styles[model].linestyle,
            marker=styles[model].marker,
            markeredgecolor="white",
            markeredgewidth=0.5,
            label=label,
        )
        for model, label in ordered
    ]


def _marker_handles(kinds: Iterable[str], names: dict[str, str]) -> list[Line2D]:
    """Legend entries: a grey key per point kind (filled, open, or the reference's cross)."""
    return [Line2D([], [], linestyle="none", label=names[kind], **_kind_key(kind)) for kind in kinds]


def _kind_key(kind: str) -> dict[str, object]:
    """Marker properties of a kind's legend key."""
    if kind == "reference":
        return {"marker": REFERENCE_MARKER, "color": KEY_COLOR}
    return _marker("o", KEY_COLOR, kind)


def series_labels(points: pd.DataFrame) -> dict[str, str]:
    """Legend label per model: its name, with "(partial)" when a run of it was interrupted."""
    partial = set(points.loc[points["status"] == "partial", "model"])
    return {m: f"{m} (partial)" if m in partial else m for m in points["model"].unique()}


def plot_scaling(
    curve: pd.DataFrame,
    styles: dict[str, SeriesStyle],
    reference: pd.DataFrame | None = None,
    lengths: pd.DataFrame | None = None,
) -> Figure:
    """Accuracy against mean thinking tokens: a panel per task, a line per series, 95% CI bands.

    `curve` holds the scaling-curve rows of a summary (see analysis.curve);
    `reference` optional points (analysis.reference.read_reference) drawn in grey;
    `lengths` optional thinking-token quartiles per cell (analysis.lengths.thinking_quartiles),
    drawn as a bar through each point from its 25th to its 75th percentile.
    """
    tasks = sorted(curve["task"].unique())
    with paper_style():
        figure, axes = _panels(tasks)
        for (model, task), points in curve.groupby(["model", "task"]):
            style = styles[str(model)]
            if lengths is not None:
                on_curve = with_condition(points).merge(with_condition(lengths), on=POINT)
                _draw_lengths(axes[str(task)], on_curve, style)
            _draw_method_points(axes[str(task)], points, style)
        matched = {task: for_task(reference, task) for task in tasks}
        for task, points in matched.items():
            if not points.empty:
                _draw_reference(axes[task], points)
        overlaid = any(not points.empty for points in matched.values())
        kinds = [k for k in ("cap", "wait") if (curve["control"] == k).any()] + ["reference"] * overlaid
        names = {**KIND_NAMES, "reference": _reference_name(reference)}
        handles = _series_handles(styles, series_labels(curve)) + _marker_handles(kinds, names)
        _legend(figure, handles + ([_lengths_key()] if lengths is not None else []))
    return figure


LENGTH_BAR = {"linewidth": 3.0, "alpha": 0.3, "capstyle": "butt"}


def _draw_lengths(ax: Axes, points: pd.DataFrame, style: SeriesStyle) -> None:
    """A translucent bar through each point from its 25th to its 75th thinking-token percentile (at
    least one token: the axis is logarithmic), with a tick at the median."""
    low, high = points["tokens_q25"].clip(lower=1), points["tokens_q75"].clip(lower=1)
    ax.hlines(points["accuracy"], low, high, color=style.color, zorder=1, **LENGTH_BAR)
    ax.plot(
        points["tokens_median"].clip(lower=1),
        points["accuracy"],
        linestyle="none",
        marker="|",
        color=style.color,
        alpha=0.6,
        markersize=5,
    )


def _lengths_key() -> Line2D:
    """The legend key of the length bars."""
    return Line2D(
        [],
        [],
        color=KEY_COLOR,
        linewidth=LENGTH_BAR["linewidth"],
        alpha=LENGTH_BAR["alpha"],
        label="thinking tokens 25%-75%",
    )


def _reference_name(reference: pd.DataFrame | None) -> str:
    """Legend text for the reference points: their label(s)."""
    if reference is None:
        return KIND_NAMES["reference"]
    return ", ".join(sorted(reference["label"].astype(str).unique()))


def _draw_method_points(ax: Axes, points: pd.DataFrame, style: SeriesStyle) -> None:
    """One series of the scaling plot: its curve; a prompt class (class-conditional control) written
    beside its point; a series that does not think (NoThinking) as a level line with its CI band."""
    thinking = points[points["mean_thinking_tokens"] > 0]
    if not thinking.empty:
        _draw_curve(ax, thinking, "mean_thinking_tokens", style, style.linestyle)
    for row in with_condition(thinking).query("condition != ''").itertuples():
        ax.annotate(
            str(row.condition),
            (row.mean_thinking_tokens, row.accuracy),
            fontsize=6,
            xytext=(3, -8),
            textcoords="offset points",
            color=style.color,
        )
    for row in points[points["mean_thinking_tokens"] <= 0].itertuples():
        ax.axhline(row.accuracy, color=style.color, linestyle=style.linestyle, linewidth=1.0)
        ax.axhspan(row.ci_low, row.ci_high, color=style.color, alpha=0.1, linewidth=0)


def plot_token_matched(curve: pd.DataFrame, matched: pd.DataFrame, styles: dict[str, SeriesStyle]) -> Figure:
    """Sequential against parallel scaling at the tokens each spends (a panel per task).

    Solid: each series' scaling curve (mean single-sample accuracy at its mean
    thinking tokens). Dashed: majority vote over k samples, dotted: pass@k, at
    k x the mean tokens of one sample (analysis.methods.token_matched: thinking
    tokens, NoThinking's answer tokens); k is written beside its majority point.
    """
    tasks = sorted(set(curve["task"]) | set(matched["task"]))
    with paper_style():
        figure, axes = _panels(tasks, x_label="Tokens spent per problem (k samples)")
        for (model, task), points in curve[curve["mean_thinking_tokens"] > 0].groupby(["model", "task"]):
            _draw_curve(axes[str(task)], points, "mean_thinking_tokens", styles[str(model)], "-")
        for (model, task), points in matched.groupby(["model", "task"]):
            ax, style = axes[str(task)], styles[str(model)]
            for column, linestyle in (("maj_accuracy", "--"), ("pass_at_k", ":")):
                prefix = "maj" if column == "maj_accuracy" else "pass"
                shown = points.assign(
                    accuracy=points[column],
                    ci_low=points[f"{prefix}_ci_low"],
                    ci_high=points[f"{prefix}_ci_high"],
                    control="parallel",
                )
                _draw_curve(ax, shown, "tokens", style, linestyle, band=False)
            for row in points.itertuples():
                ax.annotate(
                    f"k={row.k}",
                    (row.tokens, row.maj_accuracy),
                    fontsize=6,
                    xytext=(-2, 5),
                    ha="right",
                    textcoords="offset points",
                    color=style.color,
                )
        keys = [
            Line2D([], [], color=KEY_COLOR, label="sequential (one sample)"),
            Line2D([], [], color=KEY_COLOR, linestyle="--", label="majority vote of k"),
            Line2D([], [], color=KEY_COLOR, linestyle=":", label="pass@k"),
        ]
        labels = series_labels(pd.concat([curve[["model", "status"]], matched[["model"]].assign(status="")]))
        _legend(figure, _series_handles(styles, labels, solid=True) + keys)
    return figure


def _reference_name(reference: pd.DataFrame | None) -> str:
    """Legend text for the reference points: their label(s)."""
    if reference is None:
        return KIND_NAMES["reference"]
    return ", ".join(sorted(reference["label"].astype(str).unique()))


def plot_compare(
    curves: pd.DataFrame, deltas: pd.DataFrame, styles: dict[str, SeriesStyle], roles: dict[str, str]
) -> Figure:
    """Two runs compared: their scaling curves (top), per-cell difference B - A with paired CI (bottom).

    `deltas` has one row per paired cell with `label`, `diff`, `ci_low`, `ci_high`;
    `roles` maps each model to "A" or "B" for the legend.
    """
    with paper_style():
        figure = Figure(figsize=(COLUMN_WIDTH, 4.4), layout="constrained")
        top, bottom = figure.subplots(2, 1, height_ratios=[1.3, 1])
        _log2_axis(top)
        top.set_xlabel(X_LABEL)
        top.set_ylabel(Y_LABEL)
        for model, points in curves.groupby("model"):
            style = styles[str(model)]
            _draw_curve(top, points, "mean_thinking_tokens", style, style.linestyle)
        positions = range(len(deltas))
        errors = [deltas["diff"] - deltas["ci_low"], deltas["ci_high"] - deltas["diff"]]
        bottom.axhline(0.0, color="0.3", linewidth=0.8)
        bottom.errorbar(positions, deltas["diff"], yerr=errors, fmt="o", color="0.2", capsize=2, markersize=3)
        bottom.set_xticks(list(positions), deltas["label"], rotation=45, ha="right", rotation_mode="anchor")
        bottom.set_ylabel("Accuracy B \u2212 A (points)")
        bottom.set_xlabel("Cell: cap (+ Waits)")
        bottom.grid(axis="x", visible=False)
        kinds = [k for k in ("cap", "wait") if (curves["control"] == k).any()]
        labels = {model: f"{roles[model]}: {label}" for model, label in series_labels(curves).items()}
        handles = _series_handles(styles, labels) + _marker_handles(kinds, KIND_NAMES)
        top.legend(handles=handles, loc="best")
    return figure
