"""Tests of evalscale.plotting: stable colors, log2 token ticks, panels, markers and reference overlays."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from test_analysis_helpers import right_from_cap, write_run

from evalscale import analysis, plotting
from evalscale.analysis.reference import for_task


def curve_of(*runs: Path) -> pd.DataFrame:
    """The scaling-curve rows of some synthetic runs."""
    return analysis.curve(analysis.summarize(analysis.load_runs(list(runs)).cells, n_boot=200))


def test_model_colors_are_stable_and_distinct() -> None:
    names = [f"ckpt-{i}" for i in range(8)]
    colors = plotting.model_colors(names)
    assert len(set(colors.values())) == 8
    assert plotting.model_colors(reversed(names)) == colors  # order of appearance does not matter
    assert plotting.model_colors(["s1-32B"]) == plotting.model_colors(["s1-32B"])
    assert set(colors.values()) <= set(plotting.PALETTE)


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
    figure = plotting.plot_scaling(curve, plotting.model_colors(curve["model"]), reference)
    axes = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["aime24", "math500"]
    markers = {ax.get_title(): {line.get_marker() for line in ax.get_lines()} for ax in axes}
    assert markers["aime24"] >= {"o", "^", "x"}  # cap, Wait and reference points
    assert "^" not in markers["math500"] and "x" not in markers["math500"]
    assert axes[0].get_xscale() == "log"
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend == ["toy", "cap-controlled", "Wait-controlled", "paper"]
    written = plotting.save_figure(figure, tmp_path / "fig", "scaling")
    assert [p.suffix for p in written] == [".png", ".pdf"] and all(p.stat().st_size for p in written)


def test_saving_figures_logs_nothing_at_info_level(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    curve = curve_of(write_run(tmp_path / "a", right_from_cap(25), task="aime24", caps=(50, 100), waits=(0,)))
    figure = plotting.plot_scaling(curve, plotting.model_colors(curve["model"]))
    with caplog.at_level(logging.INFO):
        plotting.save_figure(figure, tmp_path / "fig", "scaling")
    assert not caplog.records, [record.getMessage() for record in caplog.records[:3]]


def test_reference_task_names_match_across_spellings() -> None:
    reference = pd.DataFrame(
        {"task": ["GPQA-Diamond", "AIME24"], "label": "x", "mean_thinking_tokens": 1.0, "accuracy": 1.0}
    )
    assert list(for_task(reference, "gpqa_diamond")["task"]) == ["GPQA-Diamond"]
    assert for_task(None, "aime24").empty
