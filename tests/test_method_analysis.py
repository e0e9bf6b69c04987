"""Methods side by side in the analysis and the report: s1's Table 3 from its own Tables 11-13, token-matched
parallel scaling, native cap against budget forcing (synthetic runs, no engine)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from test_analysis_helpers import GOLD, write_run

from evalscale.analysis import load_runs
from evalscale.analysis.methods import native_against_forcing, pass_at_k, table3_row, token_matched
from evalscale.commands import report as report_command

# s1 paper v3, AIME24 (30 problems): Tables 11 and 12 (per instructed budget), 13 (CCC). Accuracies are
# whole problems of 30. (tokens, correct of 30) per setting.
TABLE_11_12_13 = {
    "tcc": ([1024, 2048, 4096, 8192, 16384], [7939, 7158, 8263, 7108, 7500], [8, 9, 10, 10, 12]),
    "tcc_bf": ([1024, 2048, 4096, 8192, 16384], [1024, 2048, 4031, 5664, 6330], [1, 9, 10, 10, 12]),
    "scc": ([16, 32, 64, 128, 256], [7252, 6277, 5396, 5552, 7551], [10, 7, 10, 11, 10]),
    "scc_bf": ([16, 32, 64, 128, 256], [1517, 2963, 4636, 5409, 7551], [7, 7, 10, 11, 10]),
}
# s1's Table 3: (Control %, Scaling, Performance %)
TABLE_3 = {
    "tcc": (40, -24, 40.0),
    "tcc_bf": (100, 13, 40.0),
    "scc": (60, 3, 36.7),
    "scc_bf": (100, 6, 36.7),
    "ccc": (50, 25, 36.7),
}


def points(
    caps: list[int], tokens: list[int], correct: list[int], conditions: list[str | None]
) -> pd.DataFrame:
    """A series' curve rows as analysis.curve gives them."""
    return pd.DataFrame(
        {
            "cap": caps,
            "waits": 0,
            "condition": conditions,
            "mean_thinking_tokens": tokens,
            "accuracy": [100.0 * c / 30 for c in correct],
            "never_fit_share": math.nan,
            "mean_tries": math.nan,
        }
    )


@pytest.mark.parametrize("method", TABLE_3)
def test_table_3_from_the_papers_own_settings(method: str) -> None:
    if method == "ccc":  # Table 13: short, long, plain
        curve = points([0, 0, 0], [8033, 9651, 6109], [9, 11, 15], ["short", "long", "plain"])
    else:
        curve = points(*TABLE_11_12_13[method], [None] * 5)
    row = table3_row(curve, {"name": method, "tokens_per_step": 100})
    assert (row["control"], round(row["scaling"]), round(row["performance"], 1)) == TABLE_3[method]
    assert row["n_points"] == (2 if method == "ccc" else 5), "CCC's A is {short, long}"


def test_pass_at_k_is_the_unbiased_estimate() -> None:
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)  # 1 - C(3,2)/C(4,2)
    assert (pass_at_k(4, 0, 3), pass_at_k(4, 3, 2), pass_at_k(5, 2, 1)) == (0.0, 1.0, pytest.approx(0.4))


def test_token_matched_votes_at_the_tokens_k_samples_spend(tmp_path: Path) -> None:
    # p0: right in samples 1 and 2 of 4; p1: never; thinking 10 (p0) and 30 (p1) tokens each sample
    answer = {0: ["1", GOLD, GOLD, "1"], 1: ["1"] * 4}
    tokens = {0: 10, 1: 30}
    run = write_run(
        tmp_path / "tcc",
        lambda p, s, cap, w: answer[p][s],
        caps=(100,),
        samples=4,
        problems=range(2),
        tokens=lambda p, s, cap, w: tokens[p],
        method="tcc",
    )
    nothinking = write_run(
        tmp_path / "nothinking",
        lambda p, s, cap, w: GOLD,
        caps=(100,),
        samples=2,
        problems=range(2),
        method="nothinking",
        config_hash="n",
    )
    runs = load_runs([run, nothinking])
    matched = token_matched(runs.cells, runs, n_boot=50).set_index(["method", "k"])
    assert list(matched.loc["tcc"].index) == [1, 2, 4]
    assert list(matched.loc["tcc", "tokens"]) == [20.0, 40.0, 80.0]  # k x (10 + 30) / 2
    assert list(matched.loc["tcc", "pass_at_k"]) == pytest.approx([25.0, 100 * (1 - 1 / 6) / 2, 50.0])
    assert list(matched.loc["tcc", "maj_accuracy"]) == [0.0, 0.0, 0.0]  # k=2: "1" first; k=4: a 2-2 tie
    assert list(matched.loc["nothinking", "tokens"]) == [5.0, 10.0] and set(matched["spent"]) == {
        "thinking",
        "answer",
    }


def test_native_cap_pairs_with_the_cap_only_cells_of_budget_forcing(tmp_path: Path) -> None:
    native = write_run(
        tmp_path / "native", lambda p, s, cap, w: GOLD if p else "1", caps=(50, 100), method="native_cap"
    )
    forcing = write_run(
        tmp_path / "forcing",
        lambda p, s, cap, w: GOLD,
        caps=(50, 100),
        waits=(0, 2),
        tokens=lambda p, s, cap, w: min(cap, 60 * (w + 1) + p) - (cap == 100 and p == 3),
        config_hash="f",
    )
    runs = load_runs([native, forcing])
    paired = native_against_forcing(runs.cells, runs, n_boot=50).set_index("cap")
    assert list(paired.index) == [50, 100] and set(paired["n_pairs"]) == {4}
    assert list(paired["diff"]) == [-25.0, -25.0]  # problem 0 is wrong only natively
    assert list(paired["same_share"]) == [75.0, 50.0]  # p0's answer differs; at 100, p3's length too


def test_a_report_over_methods_shows_table_3_per_method_and_their_classes(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs / "bf", lambda p, s, cap, w: GOLD if cap > 50 else "0", caps=(50, 100), samples=2)
    write_run(
        runs / "ccc",
        lambda p, s, cap, w: GOLD if cap == 1 else "0",  # the class's index is added to the cap: plain right
        caps=(0,),
        conditions=("short", "plain", "long"),
        tokens=lambda p, s, cap, w: {0: 40, 1: 50, 2: 45}[cap],  # short, plain, long
        method="ccc",
        samples=2,
        config_hash="c",
    )
    out = tmp_path / "report"
    assert report_command.main([str(runs), f"out={out}"]) == 0
    summary = pd.read_csv(out / "summary.csv")
    ccc = summary[summary["model"] == "method=ccc"].set_index("condition")
    assert list(ccc["accuracy"]) == [0.0, 100.0, 0.0] and list(ccc.index) == ["long", "plain", "short"]
    metrics = pd.read_csv(out / "metrics.csv").set_index("model")
    assert metrics.loc["method=ccc", "control"] == 50.0  # short thinks less than plain; long is not more
    assert metrics.loc["method=ccc", "n_points"] == 2 and metrics.loc["method=ccc", "performance"] == 0.0
    assert metrics.loc["method=budget_forcing", "method"] == "budget_forcing"
    text = (out / "report.md").read_text()
    assert "- CCC: the short prompt thinks less than the plain one" in text
    assert "## Sequential against parallel scaling, token-matched" in text and (out / "parallel.png").exists()
    matched = pd.read_csv(out / "token_matched.csv")
    assert set(matched.loc[matched["method"] == "ccc", "condition"]) == {"plain"}
