"""Tests of evalscale.plotting: series styles, log2 token ticks, panels, markers and reference overlays."""

from __future__ import annotations

import colorsys
import logging
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from test_analysis_helpers import right_from_cap, write_run

from evalscale import analysis, plotting
from evalscale.analysis.lengths import thinking_quartiles
from evalscale.analysis.reference import for_task


def curve_of(*runs: Path) -> pd.DataFrame:
    """The scaling-curve rows of some synthetic runs."""
    return analysis.curve(analysis.summarize(analysis.load_runs(list(runs)).cells, n_boot=200))


def hue_degrees(color: str) -> float:
    return colorsys.rgb_to_hsv(*to_rgb(color))[0] * 360.0


def test_series_styles_differ_in_color_marker_and_line_style() -> None:
    names = [f"ckpt-{i}" for i in range(8)]
    styles = plotting.series_styles(names)
    for attribute in ("color", "marker", "linestyle"):
        assert len({str(getattr(style, attribute)) for style in styles.values()}) == 8, attribute
    assert plotting.series_styles(["b", "a", "b"]) == {"b": styles["ckpt-0"], "a": styles["ckpt-1"]}
    hues = [hue_degrees(style.color) for style in list(styles.values())[:3]]
    gaps = [min(abs(a - b), 360 - abs(a - b)) for i, a in enumerate(hues) for b in hues[i + 1 :]]
    assert gaps[0] > 90 and min(gaps) > 30  # not two blues (as once): two series take opposite hues


def test_two_series_read_apart_in_greyscale(tmp_path: Path) -> None:
    answer = right_from_cap(25)
    curve = curve_of(
        write_run(
            tmp_path / "a", answer, waits=(0, 1), config={"model": {"name": "toy", "extension": "Wait"}}
        ),
        write_run(
            tmp_path / "b",
            answer,
            waits=(0, 1),
            config={"model": {"name": "toy", "extension": "Hmm"}},
            config_hash="b",
        ),
    )
    names = sorted(curve["model"].unique())
    assert names == ["extension=Hmm", "extension=Wait"]
    figure = plotting.plot_scaling(curve, plotting.series_styles(names))
    ax = figure.axes[0]
    lines = [line for line in ax.get_lines() if line.get_linestyle() != "None"]
    points = [line for line in ax.get_lines() if line.get_linestyle() == "None"]
    assert len(lines) == 2 and len({line.get_color() for line in lines}) == 2
    assert len({line.get_linestyle() for line in lines}) == 2
    assert len({line.get_marker() for line in points}) == 2
    legend = figure.legends[0]
    keys = {
        text.get_text(): handle
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }
    wait, hmm = keys["extension=Wait"], keys["extension=Hmm"]
    assert wait.get_marker() != hmm.get_marker() and wait.get_linestyle() != hmm.get_linestyle()
    assert wait.get_color() != hmm.get_color()


def test_token_ticks_are_powers_of_two() -> None:
    locator = plotting.TokenLocator()
    assert list(locator.tick_values(400, 9000)) == [256, 512, 1024, 2048, 4096, 8192, 16384]
    assert list(locator.tick_values(7, 50)) == [4, 6, 8, 12, 16, 24, 32, 48, 64, 96]  # short view: 1.5 x 2^k
    assert len(locator.tick_values(2, 2**20)) <= plotting.TokenLocator.MAX_TICKS
    assert plotting._tokens_label(32768, 0) == "32k" and plotting._tokens_label(4096, 0) == "4096"


def test_scaling_figure_has_a_panel_per_task_and_marks_point_kinds(tmp_path: Path) -> None:
    answer = right_from_cap(25)
    curve = curve_of(
        write_run(tmp_path / "a", answer, task="aime24", caps=(50, 100), waits=(0, 1)),
        write_run(tmp_path / "b", answer, task="math500", caps=(50, 100), waits=(0,), config_hash="b"),
    )
    reference = pd.DataFrame(
        {"task": ["AIME24"], "label": ["paper"], "mean_thinking_tokens": [60.0], "accuracy": [50.0]}
    )
    figure = plotting.plot_scaling(curve, plotting.series_styles(curve["model"]), reference)
    axes = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["aime24", "math500"]
    faces = {ax.get_title(): {str(line.get_markerfacecolor()) for line in ax.get_lines()} for ax in axes}
    assert "white" in faces["aime24"] and "white" not in faces["math500"]  # Wait points are open
    markers = {ax.get_title(): {line.get_marker() for line in ax.get_lines()} for ax in axes}
    assert "x" in markers["aime24"] and "x" not in markers["math500"]  # reference points
    assert axes[0].get_xscale() == "log"
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend == ["toy", "cap-controlled", "Wait-controlled", "paper"]
    written = plotting.save_figure(figure, tmp_path / "fig", "scaling")
    assert [p.suffix for p in written] == [".png", ".pdf"] and all(p.stat().st_size for p in written)


def test_saving_figures_logs_nothing_at_info_level(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    curve = curve_of(write_run(tmp_path / "a", right_from_cap(25), task="aime24", caps=(50, 100), waits=(0,)))
    figure = plotting.plot_scaling(curve, plotting.series_styles(curve["model"]))
    with caplog.at_level(logging.INFO):
        plotting.save_figure(figure, tmp_path / "fig", "scaling")
    assert not caplog.records, [record.getMessage() for record in caplog.records[:3]]


def test_reference_task_names_match_across_spellings() -> None:
    reference = pd.DataFrame(
        {"task": ["GPQA-Diamond", "AIME24"], "label": "x", "mean_thinking_tokens": 1.0, "accuracy": 1.0}
    )
    assert list(for_task(reference, "gpqa_diamond")["task"]) == ["GPQA-Diamond"]
    assert for_task(None, "aime24").empty


def test_length_bars_span_each_points_quartiles(tmp_path: Path) -> None:
    def tokens(p: int, s: int, cap: int, w: int) -> int:
        return min(cap, 10 * (p + 1))  # 10, 20, 30, 40 thinking tokens, cut at the cap

    run = write_run(tmp_path / "run", right_from_cap(25), caps=(25, 100), tokens=tokens)
    cells = analysis.load_runs([run]).cells
    curve = analysis.curve(analysis.summarize(cells, n_boot=200))
    figure = plotting.plot_scaling(
        curve, plotting.series_styles(curve["model"]), lengths=thinking_quartiles(cells)
    )
    (bars,) = [c for c in figure.axes[0].collections if isinstance(c, LineCollection)]
    spans = sorted((round(s[0][0], 2), round(s[1][0], 2)) for s in bars.get_segments())
    # cap 25: 10, 20, 25, 25 -> quartiles 17.5 and 25; cap 100: 10..40 -> 17.5 and 32.5
    assert spans == [(17.5, 25.0), (17.5, 32.5)]
    assert "thinking tokens 25%-75%" in [t.get_text() for t in figure.legends[0].get_texts()]
    assert not [
        c
        for c in plotting.plot_scaling(curve, plotting.series_styles(curve["model"])).axes[0].collections
        if isinstance(c, LineCollection)
    ], "no lengths, no bars"
