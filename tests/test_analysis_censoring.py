"""Censoring per cell: cap-closed, never-ended and unanswered shares, accuracy with and without them."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from evalscale.analysis.censoring import CENSORING_COLUMNS, censoring


def cell_rows(cap: int, waits: int, samples: list[tuple[str, int, bool, str]]) -> list[dict]:
    """Rows of one cell from (end_reason, waits_used, correct, reason) per sample (one problem each)."""
    return [
        {
            "model": "m",
            "task": "t",
            "problem_id": f"p{index}",
            "sample": 0,
            "cap": cap,
            "waits": waits,
            "end_reason": end,
            "waits_used": used,
            "correct": correct,
            "reason": reason,
            "thinking_tokens": cap if end == "cap" else cap // 2,
        }
        for index, (end, used, correct, reason) in enumerate(samples)
    ]


def known_cells() -> pd.DataFrame:
    return pd.DataFrame(
        cell_rows(
            100,
            0,
            [
                ("cap", 0, False, "no_answer"),
                ("cap", 0, True, "match"),
                ("cap", 0, False, "mismatch"),
                ("stop", 0, True, "match"),
                ("stop", 0, True, "match"),
                ("stop", 0, False, "mismatch"),
                ("stop", 0, False, "mismatch"),
                ("stop", 0, True, "match"),
            ],
        )
        + cell_rows(
            400,
            1,
            [
                ("cap", 0, False, "no_answer"),  # never stopped within the cap
                ("cap", 1, False, "ambiguous"),  # stopped once, cut during the forced continuation
                ("waits_exhausted", 1, True, "match"),
                ("waits_exhausted", 1, True, "match"),
            ],
        )
        + cell_rows(50, 0, [("cap", 0, True, "match"), ("cap", 0, False, "mismatch")])
    )


def test_known_censoring() -> None:
    table = censoring(known_cells()).set_index(["cap", "waits"])
    assert list(censoring(known_cells()).columns) == CENSORING_COLUMNS
    low = table.loc[(100, 0)]
    assert low["n_samples"] == 8
    assert low["cap_closed_share"] == pytest.approx(37.5)
    assert low["never_ended_share"] == pytest.approx(37.5)  # at waits = 0 every cap-closed sample never ended
    assert low["no_answer_share"] == pytest.approx(12.5)
    assert low["n_uncensored"] == 5
    assert low["accuracy_uncensored"] == pytest.approx(60.0)  # 3 of the 5 that stopped
    assert low["accuracy_censored"] == pytest.approx(100.0 / 3)
    waited = table.loc[(400, 1)]
    assert waited["cap_closed_share"] == pytest.approx(50.0)
    assert waited["never_ended_share"] == pytest.approx(25.0)
    assert waited["no_answer_share"] == pytest.approx(50.0)  # no_answer and ambiguous both count
    assert (waited["n_uncensored"], waited["accuracy_uncensored"], waited["accuracy_censored"]) == (
        2,
        100.0,
        0.0,
    )


def test_a_cell_the_cap_closed_entirely_has_no_uncensored_accuracy() -> None:
    row = censoring(known_cells()).set_index(["cap", "waits"]).loc[(50, 0)]
    assert row["cap_closed_share"] == 100.0 and row["n_uncensored"] == 0
    assert math.isnan(row["accuracy_uncensored"])
    assert row["accuracy_censored"] == 50.0


def test_an_uncapped_cell_has_no_censored_accuracy() -> None:
    cells = pd.DataFrame(cell_rows(100, 0, [("stop", 0, True, "match"), ("stop", 0, False, "mismatch")]))
    row = censoring(cells).iloc[0]
    assert (row["cap_closed_share"], row["never_ended_share"], row["n_uncensored"]) == (0.0, 0.0, 2)
    assert row["accuracy_uncensored"] == 50.0 and math.isnan(row["accuracy_censored"])
