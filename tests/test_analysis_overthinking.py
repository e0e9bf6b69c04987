"""Overthinking: a curve's peak and the (paired) drop after it (analysis.overthinking)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from test_analysis_frames import curve_cells, outcomes

from evalscale.analysis.overthinking import OVERTHINKING_COLUMNS, overthinking

N = 30


def falling_curve() -> pd.DataFrame:
    """30 problems: 10, 20, 24 right along the caps (peak 80% at cap 400), then 12 and 15 right with
    1 and 2 Waits; every problem right after the peak was right at the peak (problems 0..k-1)."""
    return curve_cells(
        {
            (100, 0): outcomes(10, N),
            (200, 0): outcomes(20, N),
            (400, 0): outcomes(24, N),
            (400, 1): outcomes(12, N),
            (400, 2): outcomes(15, N),
            (100, 1): outcomes(30, N),  # a grid cell (off the curve): 100% must not be the peak
        }
    )


def test_known_peak_and_significant_drop_to_the_last_point() -> None:
    row = overthinking(falling_curve(), n_boot=1000).iloc[0]
    assert list(overthinking(falling_curve(), n_boot=200).columns) == OVERTHINKING_COLUMNS
    assert (row["n_points"], row["peak_cap"], row["peak_waits"], row["peak_accuracy"]) == (5, 400, 0, 80.0)
    assert row["peak_tokens"] == 200.0  # cap // 2 in the constructed cells
    assert (row["end_cap"], row["end_waits"], row["end_accuracy"]) == (400, 2, 50.0)
    assert row["n_problems"] == N
    assert row["drop"] == pytest.approx(30.0)
    # 9 of 30 problems lost: the CI of the drop is well above 0 and holds 30
    assert 5.0 < row["ci_low"] < 30.0 < row["ci_high"] < 60.0
    assert row["significant"]
    assert "peaks at 80.0% (cap 400, 200 thinking tokens)" in row["verdict"]
    assert "is 30.0 points lower" in row["verdict"]
    assert row["verdict"].endswith("a significant fall.")


def test_end_can_be_the_lowest_point_after_the_peak() -> None:
    row = overthinking(falling_curve(), end="lowest", n_boot=500).iloc[0]
    assert (row["end_cap"], row["end_waits"], row["end_accuracy"]) == (400, 1, 40.0)
    assert row["drop"] == pytest.approx(40.0)
    assert "the lowest point after it (cap 400 + 1 Wait" in row["verdict"]
    with pytest.raises(ValueError, match="end must be"):
        overthinking(falling_curve(), end="first")  # type: ignore[arg-type]


def test_a_one_problem_drop_is_not_significant() -> None:
    # 16 right at the peak, 15 at the end (problem 15 lost): the paired CI reaches 0
    cells = curve_cells({(100, 0): outcomes(10, N), (200, 0): outcomes(16, N), (400, 0): outcomes(15, N)})
    row = overthinking(cells, n_boot=1000).iloc[0]
    assert (row["peak_cap"], row["end_cap"]) == (200, 400)
    assert row["drop"] == pytest.approx(100.0 / N)
    assert row["ci_low"] == 0.0 and row["ci_high"] > 0.0
    assert not row["significant"]
    assert row["verdict"].endswith("not a significant fall (the CI includes 0).")


def test_pairing_matters_for_the_same_accuracies() -> None:
    # Peak 50% and end 30% both times; nested (the end's right problems were right at the peak: 6 lost)
    # the fall is significant; with 15 lost and 9 gained it is not.
    peak = outcomes(15, N)
    nested = overthinking(curve_cells({(100, 0): peak, (200, 0): outcomes(9, N)}), n_boot=1000).iloc[0]
    swapped = "W" * 15 + "R" * 9 + "W" * 6
    shuffled = overthinking(curve_cells({(100, 0): peak, (200, 0): swapped}), n_boot=1000).iloc[0]
    assert nested["drop"] == pytest.approx(20.0) and shuffled["drop"] == pytest.approx(20.0)
    assert nested["significant"] and not shuffled["significant"]
    assert shuffled["ci_low"] < 0.0 < nested["ci_low"]


def test_a_peak_at_the_end_has_no_drop_and_ties_take_the_smaller_budget() -> None:
    rising = overthinking(curve_cells({(100, 0): outcomes(5, N), (200, 0): outcomes(9, N)})).iloc[0]
    assert rising["peak_cap"] == 200
    assert pd.isna(rising["end_cap"]) and math.isnan(rising["drop"]) and not rising["significant"]
    assert rising["verdict"].endswith("at the end of the curve: no fall after it.")
    level = overthinking(curve_cells({(100, 0): outcomes(9, N), (200, 0): outcomes(9, N)})).iloc[0]
    assert (level["peak_cap"], level["end_cap"]) == (100, 200)
    assert level["drop"] == 0.0 and not level["significant"]
    assert "is level with it (drop 0.0," in level["verdict"]


def test_one_row_per_series() -> None:
    cells = pd.concat(
        [falling_curve(), curve_cells({(100, 0): "RW", (200, 0): "RR"}, model="b", task="t2")],
        ignore_index=True,
    )
    table = overthinking(cells, n_boot=200)
    assert list(zip(table["model"], table["task"], strict=True)) == [("b", "t2"), ("m", "t")]
    assert list(table["peak_cap"]) == [200, 400]


def test_a_tie_of_thirds_takes_the_smaller_budget_and_drops_zero() -> None:
    # 3 samples: both points are 1/3 right, 33.33333333333333 and 33.333333333333336 as floats
    cells = curve_cells({(100, 0): "WWWRWWRRW", (200, 0): "WWWWWWRRR"}, samples=3)
    row = overthinking(cells, n_boot=200).iloc[0]
    assert (row["peak_cap"], row["end_cap"]) == (100, 200)
    assert row["drop"] == 0.0 and math.copysign(1.0, row["drop"]) == 1.0
    assert "is level with it (drop 0.0, " in row["verdict"] and "-0.0" not in row["verdict"]


def test_an_end_that_shares_no_problems_with_the_peak_has_no_drop() -> None:
    cells = curve_cells({(100, 0): outcomes(9, N), (200, 0): outcomes(3, N)})
    later = cells["cap"] == 200
    cells.loc[later, "problem_id"] = "other-" + cells.loc[later, "problem_id"]
    row = overthinking(cells, n_boot=200).iloc[0]
    assert row["n_problems"] == 0 and math.isnan(row["drop"]) and not row["significant"]
    assert row["verdict"].endswith("; the last point (cap 200) shares no problems with it: no paired drop.")
