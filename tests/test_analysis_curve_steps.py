"""The curve in budget order and the paired change between two of its points (analysis.curve_steps)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_analysis_frames import curve_cells

from evalscale.analysis.curve_steps import curve_points, paired_change, point_accuracy, point_label
from evalscale.analysis.stats import bootstrap_ci


def test_curve_points_take_caps_then_waits_at_the_largest_cap_and_drop_the_grid() -> None:
    grid = {(cap, waits): "RW" for cap in (400, 100, 200) for waits in (2, 0, 1)}
    other = curve_cells({(50, 0): "R", (50, 1): "R", (25, 0): "W"}, model="other")
    points = curve_points(pd.concat([curve_cells(grid), other], ignore_index=True))
    mine = points[points["model"] == "m"]
    assert list(zip(mine["cap"], mine["waits"], strict=True)) == [
        (100, 0),
        (200, 0),
        (400, 0),
        (400, 1),
        (400, 2),
    ]
    assert list(mine["control"]) == ["cap", "cap", "cap", "wait", "wait"]
    assert list(mine["position"]) == [0, 1, 2, 3, 4]
    theirs = points[points["model"] == "other"]
    assert list(zip(theirs["cap"], theirs["waits"], theirs["position"], strict=True)) == [
        (25, 0, 0),
        (50, 0, 1),
        (50, 1, 2),
    ]


def test_point_accuracy_weighs_problems_equally() -> None:
    # problem 0: 2 of 2 samples right, problem 1: 1 of 2 -> (100 + 50) / 2
    assert point_accuracy(curve_cells({(100, 0): "RRRW"}, samples=2)) == 75.0


def test_paired_change_over_shared_problems_reuses_the_bootstrap() -> None:
    before = curve_cells({(100, 0): "RWWWR"})
    after = curve_cells({(200, 0): "RRRWWR"})  # a sixth problem only here: left out
    change = paired_change(before, after, n_boot=500, seed=3)
    # per problem after - before: 0, +100, +100, 0, -100
    assert change.n_problems == 5
    assert change.change == 20.0
    assert (change.ci_low, change.ci_high) == bootstrap_ci(np.array([0.0, 100.0, 100.0, 0.0, -100.0]), 500, 3)
    assert change.ci_low < 20.0 < change.ci_high


def test_point_labels() -> None:
    assert point_label(512, 0) == "cap 512"
    assert point_label(8192, 1) == "cap 8192 + 1 Wait"
    assert point_label(8192, 2) == "cap 8192 + 2 Waits"
