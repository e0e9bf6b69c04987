"""Answer flips between consecutive curve points, their exact McNemar test, and their plot."""

from __future__ import annotations

import pandas as pd
import pytest
from test_analysis_frames import curve_cells

from evalscale.analysis.flip_plot import plot_flips, step_labels
from evalscale.analysis.flips import FLIP_COLUMNS, answer_flips, mcnemar_exact


def test_known_flip_table() -> None:
    # pair by pair: R->R, R->W, W->R, W->N (answer lost), N->R (answer found), R->R, A->W (answer found)
    flips = answer_flips(curve_cells({(100, 0): "RRWWNRA", (200, 0): "RWRNRRW"}), n_boot=200)
    assert list(flips.columns) == FLIP_COLUMNS
    row = flips.iloc[0]
    assert (row["step"], row["kind"], row["from_cap"], row["to_cap"]) == (1, "cap", 100, 200)
    assert (row["n_pairs"], row["n_problems"]) == (7, 7)
    assert (row["both_right"], row["both_wrong"], row["wrong_to_right"], row["right_to_wrong"]) == (
        2,
        2,
        2,
        1,
    )
    assert (row["answer_to_none"], row["none_to_answer"], row["net"]) == (1, 2, 1)
    assert row["mcnemar_p"] == 1.0  # 2 against 1 of 3 discordant: every outcome is at least as likely
    assert row["accuracy_change"] == pytest.approx(100.0 / 7)


def test_exact_mcnemar_on_nine_fixed_one_broken() -> None:
    # two-sided binomial, 9 of 10 discordant pairs: 2 * (1 + 10) / 2**10
    assert mcnemar_exact(9, 1) == pytest.approx(22 / 1024)
    assert mcnemar_exact(1, 9) == pytest.approx(22 / 1024)
    assert mcnemar_exact(0, 0) == 1.0
    row = answer_flips(curve_cells({(100, 0): "W" * 9 + "R" * 11, (200, 0): "R" * 10 + "W" + "R" * 9})).iloc[
        0
    ]
    assert (row["wrong_to_right"], row["right_to_wrong"]) == (9, 1)
    assert row["mcnemar_p"] == pytest.approx(22 / 1024)
    assert row["accuracy_change"] == pytest.approx(40.0)
    assert 0.0 < row["ci_low"] < 40.0 < row["ci_high"]


def test_steps_follow_caps_then_waits_and_skip_the_grid() -> None:
    cells = curve_cells({(100, 0): "WWW", (200, 0): "RWW", (100, 1): "RRR", (200, 1): "RRW", (200, 2): "WRW"})
    flips = answer_flips(cells, n_boot=200)
    steps = list(
        flips[["kind", "from_cap", "from_waits", "to_cap", "to_waits"]].itertuples(index=False, name=None)
    )
    assert steps == [("cap", 100, 0, 200, 0), ("wait", 200, 0, 200, 1), ("wait", 200, 1, 200, 2)]
    assert list(flips["wrong_to_right"]) == [1, 1, 0]
    assert list(flips["right_to_wrong"]) == [0, 0, 1]
    assert list(flips["step"]) == [1, 2, 3]


def test_the_unit_is_the_problem_sample_pair() -> None:
    # 2 problems x 3 samples; sample-level flips: p0 gains samples 1 and 2, p1 loses sample 0
    flips = answer_flips(curve_cells({(100, 0): "RWWRRW", (200, 0): "RRRWRW"}, samples=3), n_boot=200)
    row = flips.iloc[0]
    assert (row["n_pairs"], row["n_problems"]) == (6, 2)
    assert (row["wrong_to_right"], row["right_to_wrong"], row["both_right"], row["both_wrong"]) == (
        2,
        1,
        2,
        1,
    )
    # accuracy per problem: p0 33.3 -> 100, p1 66.7 -> 33.3: mean change (66.7 - 33.3) / 2
    assert row["accuracy_change"] == pytest.approx((200.0 / 3 - 100.0 / 3) / 2)


def test_pairs_missing_at_one_point_are_left_out() -> None:
    before = curve_cells({(100, 0): "RRW"})
    after = curve_cells({(200, 0): "RW"})  # problem 2 was not generated at cap 200 (an interrupted run)
    row = answer_flips(pd.concat([before, after], ignore_index=True), n_boot=200).iloc[0]
    assert (row["n_pairs"], row["n_problems"], row["both_right"], row["right_to_wrong"]) == (2, 2, 1, 1)


def test_flip_plot_draws_the_counts() -> None:
    cells = pd.concat(
        [
            curve_cells({(100, 0): "WWWN", (200, 0): "RWRW", (200, 1): "RNWW"}),
            curve_cells({(10, 0): "RR", (20, 0): "WR"}, model="b"),
        ],
        ignore_index=True,
    )
    flips = answer_flips(cells, n_boot=100)
    figure = plot_flips(flips)
    axes = figure.axes
    assert [ax.get_title() for ax in axes] == ["b / t", "m / t"]
    mine = flips[flips["model"] == "m"]
    assert step_labels(mine) == ["100→200", "+1W"]
    assert [label.get_text() for label in axes[1].get_xticklabels()] == ["100→200", "+1W"]
    heights = [patch.get_height() for patch in axes[1].patches]
    # bars in drawing order: fixed (up), broken (down), answers lost (down), one per step each
    assert heights == [2, 0, 0, -1, 0, -1]
    assert list(mine["answer_to_none"]) == [0, 1]
