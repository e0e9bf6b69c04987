"""Samples needed for a CI half-width, from between- and within-problem variance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_analysis_frames import curve_cells

from evalscale.analysis.samples_needed import SAMPLES_NEEDED_COLUMNS, samples_needed, variance_components
from evalscale.analysis.stats import bootstrap_ci

Z = 1.959963984540054  # the 97.5% normal quantile


def aime_sized() -> str:
    """30 problems x 8 samples: 10 always right, 10 never, 10 right in 4 of 8 samples."""
    return "R" * 80 + "W" * 80 + "RRRRWWWW" * 10


def test_the_worked_aime_example() -> None:
    table = samples_needed(curve_cells({(100, 0): aime_sized()}, samples=8), half_width=2.0)
    assert list(table.columns) == SAMPLES_NEEDED_COLUMNS
    row = table.iloc[0]
    within = 20000 / 21  # ten problems with variance 4 * 50**2 * 2 / 7 each, pooled over 30 * 7 degrees
    between = 50000 / 29 - within / 8  # 20 problem means 50 points from the mean, over 29 degrees
    assert (row["n_problems"], row["n_samples"]) == (30, 8)
    assert row["var_within"] == pytest.approx(within)
    assert row["var_between"] == pytest.approx(between)
    assert row["half_width"] == pytest.approx(Z * math.sqrt(50000 / 29 / 30))  # 14.86
    assert row["half_width_floor"] == pytest.approx(14.336, abs=1e-3)
    assert not row["reachable"] and pd.isna(row["samples_needed"])
    assert row["samples_needed_fixed_problems"] == 31  # 952.4 / (30 * (2 / 1.96)**2) = 30.49
    assert row["problems_needed"] == 1656  # 1.96**2 * 1724.1 / 2**2 = 1655.8


def test_the_formula_agrees_with_the_report_bootstrap() -> None:
    cells = curve_cells({(100, 0): aime_sized()}, samples=8)
    per_problem = 100.0 * cells.groupby("problem_id")["correct"].mean().to_numpy()
    low, high = bootstrap_ci(per_problem, 4000, seed=1)
    row = samples_needed(cells).iloc[0]
    assert (high - low) / 2 == pytest.approx(row["half_width"], rel=0.1)


def test_a_reachable_width_takes_the_smallest_sufficient_m() -> None:
    # 30 problems x 4 samples, 2 right each: no between-problem spread, within 4 * 50**2 / 3
    row = samples_needed(curve_cells({(100, 0): "RRWW" * 30}, samples=4), half_width=2.0).iloc[0]
    within = 10000 / 3
    assert row["var_between"] == 0.0 and row["var_within"] == pytest.approx(within)
    assert row["reachable"] and row["half_width_floor"] == 0.0
    m = row["samples_needed"]
    assert m == 107
    assert Z * math.sqrt(within / (30 * m)) <= 2.0 < Z * math.sqrt(within / (30 * (m - 1)))
    assert row["samples_needed_fixed_problems"] == m  # no between-problem term: both ways agree


def test_a_target_above_the_floor_is_reachable() -> None:
    # half-width 15 points on the AIME-sized cell, just above its floor of 14.3: 7 samples, not 6
    row = samples_needed(curve_cells({(100, 0): aime_sized()}, samples=8), half_width=15.0).iloc[0]
    between, within = 50000 / 29 - 20000 / 21 / 8, 20000 / 21
    assert row["reachable"] and row["samples_needed"] == 7
    assert (
        Z * math.sqrt(between / 30 + within / (30 * 7))
        <= 15.0
        < Z * math.sqrt(between / 30 + within / (30 * 6))
    )
    assert row["samples_needed_fixed_problems"] == 1  # seed-to-seed spread alone is under 15 with one sample


def test_single_sample_cells_are_skipped_and_bad_targets_refused() -> None:
    cells = curve_cells({(100, 0): "RRWW" * 3, (200, 0): "RWRW"}, samples=3)
    cells = cells[~((cells["cap"] == 200) & (cells["sample"] > 0))]  # one sample per problem at cap 200
    assert list(samples_needed(cells)["cap"]) == [100]
    with pytest.raises(ValueError, match="half_width must be positive"):
        samples_needed(cells, half_width=0.0)


def test_variance_components_pool_unequal_sample_counts() -> None:
    # problem a: 100, 0 (var 5000, 1 degree); problem b: 100, 100, 0, 0 (var 3333.3, 3 degrees); c: one sample
    means = np.array([50.0, 50.0, 100.0])
    variances = np.array([5000.0, 10000.0 / 3, np.nan])
    between, within = variance_components(means, variances, np.array([2, 4, 1]))
    assert within == pytest.approx((5000.0 + 10000.0) / 4)
    assert between == pytest.approx(max(0.0, np.var(means, ddof=1) - within * (1 / 2 + 1 / 4 + 1) / 3))
