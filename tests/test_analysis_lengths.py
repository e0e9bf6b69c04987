"""Thinking-length quartiles per cell and the per-problem table of tokens and accuracy per curve point."""

from __future__ import annotations

import pandas as pd
from test_analysis_frames import curve_cells

from evalscale.analysis.lengths import QUARTILE_COLUMNS, per_problem_points, thinking_quartiles


def test_known_quartiles() -> None:
    cells = curve_cells(
        {(200, 0): "RRRRR", (100, 0): "RRWW"},
        tokens={(200, 0): [40, 10, 100, 20, 30], (100, 0): [4, 1, 3, 2]},
    )
    table = thinking_quartiles(cells)
    assert list(table.columns) == QUARTILE_COLUMNS
    assert list(table["cap"]) == [100, 200]
    numbers = QUARTILE_COLUMNS[QUARTILE_COLUMNS.index("n_samples") :]  # n_samples, min, q25, median, ...
    spread = table.set_index("cap")[numbers]
    # 1, 2, 3, 4 interpolated linearly: 1.75, 2.5, 3.25
    assert spread.loc[100].tolist() == [4, 1.0, 1.75, 2.5, 3.25, 4.0, 2.5]
    assert spread.loc[200].tolist() == [5, 10.0, 20.0, 30.0, 40.0, 100.0, 40.0]


def test_per_problem_table_over_curve_points_in_budget_order() -> None:
    cells = curve_cells(
        {(200, 0): "RRWR", (100, 0): "RWWW", (200, 1): "RRRW", (100, 1): "RRRR"},  # (100, 1) is off the curve
        samples=2,
        tokens={(100, 0): [50, 70, 10, 30], (200, 0): [90, 110, 20, 40], (200, 1): [150, 170, 60, 80]},
    )
    table = per_problem_points(cells)
    assert list(table.columns) == [
        "model",
        "task",
        "problem_id",
        "n_samples",
        "tokens_c100_w0",
        "accuracy_c100_w0",
        "tokens_c200_w0",
        "accuracy_c200_w0",
        "tokens_c200_w1",
        "accuracy_c200_w1",
    ]
    first, second = table.iloc[0], table.iloc[1]
    assert (first["problem_id"], first["n_samples"]) == ("p000", 2)
    assert first[["tokens_c100_w0", "tokens_c200_w0", "tokens_c200_w1"]].tolist() == [60.0, 100.0, 160.0]
    assert first[["accuracy_c100_w0", "accuracy_c200_w0", "accuracy_c200_w1"]].tolist() == [
        50.0,
        100.0,
        100.0,
    ]
    assert second[["tokens_c100_w0", "tokens_c200_w0", "tokens_c200_w1"]].tolist() == [20.0, 30.0, 70.0]
    assert second[["accuracy_c100_w0", "accuracy_c200_w0", "accuracy_c200_w1"]].tolist() == [0.0, 50.0, 50.0]


def test_per_problem_table_leaves_missing_points_empty() -> None:
    cells = pd.concat(
        [curve_cells({(100, 0): "RW", (200, 0): "R"}), curve_cells({(100, 0): "W"}, model="b")],
        ignore_index=True,
    )
    table = per_problem_points(cells).set_index(["model", "problem_id"])
    assert table.loc[("m", "p001"), "accuracy_c100_w0"] == 0.0
    assert pd.isna(table.loc[("m", "p001"), "accuracy_c200_w0"])  # not generated at cap 200
    assert pd.isna(table.loc[("b", "p000"), "tokens_c200_w0"])  # series b has no cap 200
