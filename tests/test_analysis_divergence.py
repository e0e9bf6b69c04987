"""Drift check: the first token where two runs' generations differ, per sample."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from evalscale.analysis.divergence import (
    BLOCK,
    DIVERGENCE_COLUMNS,
    divergence_summary,
    first_divergence,
    generation_divergence,
    request_divergences,
    run_divergence,
)
from evalscale.store import GENERATIONS


def test_first_divergence_of_id_sequences() -> None:
    assert first_divergence([1, 2, 3], [1, 2, 3]) is None
    assert first_divergence([1, 2, 3, 4], [1, 2, 9, 4]) == 2
    assert first_divergence([1, 2], [1, 2, 3]) == 2  # a prefix: where the shorter ends
    assert first_divergence([], [5]) == 0
    assert first_divergence([], []) is None


@pytest.mark.parametrize("at", [0, BLOCK - 1, BLOCK, 2 * BLOCK + 5, 3 * BLOCK - 1])
def test_a_difference_is_found_in_any_block(at: int) -> None:
    a = list(range(3 * BLOCK))
    b = a.copy()
    b[at] = -1
    compared = request_divergences(
        lambda: [{"key": "p/0/t0", "token_ids": a}], lambda: [{"key": "p/0/t0", "token_ids": b}]
    )
    assert compared.positions == {"p/0/t0": at}


@pytest.mark.parametrize("length", [BLOCK - 3, BLOCK, BLOCK + 7, 2 * BLOCK])
def test_a_generation_that_stops_early_diverges_where_it_ends(length: int) -> None:
    longer = list(range(2 * BLOCK + 10))
    compared = generation_divergence({"p/0/t0": longer[:length]}, {"p/0/t0": longer})
    assert compared.iloc[0]["request_position"] == length
    assert compared.iloc[0]["thinking_position"] == length


def test_only_the_stop_differs() -> None:
    a = [{"key": "p/0/t0", "token_ids": [1, 2, 3], "finish": "stop", "stop_token_id": 9}]
    b = [{"key": "p/0/t0", "token_ids": [1, 2, 3], "finish": "length", "stop_token_id": None}]
    assert request_divergences(lambda: a, lambda: b).positions == {"p/0/t0": 3}
    assert request_divergences(lambda: a, lambda: a).positions == {"p/0/t0": None}


def two_runs() -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Sample "q/1"/0 (a problem id with a slash): t0 the same (300 tokens), t1 differs at its token 5,
    one answer branch differs; sample q/1/1 the same; p2/0 differs in an answer only; p3/0 in A only."""
    t0 = list(range(300))
    a = {
        "q/1/0/t0": t0,
        "q/1/0/t1": [7] * 20,
        "q/1/0/a150c": [1, 2],
        "q/1/0/a400s1": [3, 4, 5],
        "q/1/1/t0": [4, 4],
        "q/1/1/a2s0": [1],
        "p2/0/t0": [8, 8, 8],
        "p2/0/a3s0": [1, 1, 1],
        "p2/0/a2c": [1, 2, 3],
        "p3/0/t0": [1],
    }
    b = {
        **a,
        "q/1/0/t1": [7] * 5 + [6] * 15,
        "q/1/0/a400s1": [3, 4, 6],
        "p2/0/a3s0": [1, 0, 1],
        "p2/0/a2c": [1, 2],
    }
    del b["p3/0/t0"]
    b["q/1/1/a9c"] = [5]  # a request of an identical sample that run A lacks
    return a, b


def test_known_divergence_per_sample() -> None:
    table = generation_divergence(*two_runs())
    assert list(table.columns) == DIVERGENCE_COLUMNS
    rows = table.set_index("trajectory")
    assert list(rows.index) == ["p2/0", "p3/0", "q/1/0", "q/1/1"]
    drifted = rows.loc["q/1/0"]
    assert (drifted["problem_id"], drifted["sample"]) == ("q/1", 0)
    assert (drifted["n_compared"], drifted["n_divergent"], drifted["divergent"]) == (4, 2, True)
    assert (drifted["first_request"], drifted["request_position"]) == ("t1", 5)
    assert drifted["thinking_position"] == 305  # the 300 tokens of t0, then 5 into t1
    assert drifted["answers_divergent"] == 1
    answers = rows.loc["p2/0"]
    assert (answers["divergent"], answers["first_request"], answers["request_position"]) == (True, "a2c", 2)
    assert pd.isna(answers["thinking_position"]) and answers["answers_divergent"] == 2
    same = rows.loc["q/1/1"]
    assert (same["divergent"], same["n_compared"], same["missing_in_a"], same["missing_in_b"]) == (
        False,
        2,
        "a9c",
        "",
    )
    assert pd.isna(same["first_request"]) and pd.isna(same["request_position"])
    alone = rows.loc["p3/0"]
    assert (alone["n_compared"], alone["divergent"], alone["missing_in_b"]) == (0, False, "t0")
    assert divergence_summary(table) == (
        "2 of 3 samples diverge; first divergent thinking token at median 305 (min 305, max 305); "
        "1 of them only in answers; 1 sample stored in one run only; "
        "1 sample identical but with requests in one run only (unfinished?)."
    )


def test_identical_runs_and_independent_mode_keys() -> None:
    generations = {"p1/0/C100W0/t0": [1, 2], "p1/0/C100W0/a2s0": [3], "p1/1/C100W0/t0": [5]}
    table = generation_divergence(generations, dict(generations))
    assert list(table["problem_id"]) == ["p1", "p1"] and list(table["sample"]) == [0, 1]
    assert not table["divergent"].any()
    assert divergence_summary(table) == "0 of 2 samples diverge."


def write_generations(run_dir: Path, generations: dict[str, list[int]]) -> Path:
    run_dir.mkdir()
    lines = [
        json.dumps({"key": k, "token_ids": v, "finish": "stop", "stop_token_id": 0})
        for k, v in generations.items()
    ]
    (run_dir / GENERATIONS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_dir


def test_run_dirs_stream_to_the_same_table(tmp_path: Path) -> None:
    a, b = two_runs()
    long = list(range(2 * BLOCK + 40))
    a["p9/0/t0"], b["p9/0/t0"] = long, long[: BLOCK + 3] + [-1] + long[BLOCK + 4 :]
    streamed = run_divergence(write_generations(tmp_path / "a", a), write_generations(tmp_path / "b", b))
    in_memory = generation_divergence(a, b)
    pd.testing.assert_frame_equal(streamed, in_memory)
    assert streamed.set_index("trajectory").loc["p9/0", "thinking_position"] == BLOCK + 3
    with pytest.raises(FileNotFoundError, match="has no generations.jsonl"):
        run_divergence(tmp_path / "a", tmp_path)
