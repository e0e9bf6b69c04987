"""Tests of evalscale.analysis: metrics on the s1 paper's points, tables on synthetic runs."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from test_analysis_helpers import GOLD, right_from_cap, write_run

from evalscale.analysis import (
    AnalysisError,
    curve,
    load_runs,
    parallel_scaling,
    scaling_metrics,
    summarize,
    votes,
    warnings,
)
from evalscale.analysis.censoring import censoring
from evalscale.analysis.metrics import (
    control,
    control_against_caps,
    mean_accuracy_over,
    performance,
    scaling,
    shared_range,
)
from evalscale.analysis.tables import majority_correct, vote_sizes
from evalscale.analysis.votes import vote_key
from evalscale.records import Verdict
from evalscale.store import VERDICTS

S1_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "s1"
FIGURE_1 = S1_DATA / "s1_fig1_budget_forcing_points.csv"


def figure_1_points(benchmark: str) -> list[tuple[float, float]]:
    """The paper's Figure 1 budget-forcing points of one benchmark, as (tokens, accuracy %)."""
    if not FIGURE_1.exists():
        pytest.skip(f"the s1 reference data is not there ({FIGURE_1}); it lives in ../shared/data/s1")
    with FIGURE_1.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["benchmark"] == benchmark]
    return [(float(r["avg_thinking_tokens"]), float(r["accuracy_pct"])) for r in rows]


def test_paper_aime24_budget_forcing_metrics() -> None:
    points = figure_1_points("AIME24")
    assert len(points) == 7
    assert round(performance(points), 1) == 56.7  # Table 3: Performance 56.7
    assert scaling(points) == pytest.approx(15, abs=0.5)  # Table 3: Scaling 15 (14.8 over all 7 points)
    assert control([t for t, _ in points], 0, 8192) == 100.0


def test_scaling_is_mean_pairwise_log2_slope() -> None:
    assert scaling([(1000, 10.0), (2000, 20.0), (4000, 30.0)]) == pytest.approx(10.0)
    # slopes 10 (1k->2k), -10 (2k->4k), 0 (1k->4k); the duplicate token level adds no pair with itself
    assert scaling([(2000, 20.0), (1000, 10.0), (4000, 10.0)]) == pytest.approx(0.0)
    assert math.isnan(scaling([(1000, 10.0), (1000, 20.0)]))  # one token level: no slope
    assert math.isnan(scaling([(1000, 10.0)]))


def test_control_and_area() -> None:
    assert control([100, 200, 300, 400], 150, 300) == 50.0
    assert control_against_caps([100, 210], [128, 200]) == 50.0
    with pytest.raises(ValueError):
        control_against_caps([100], [])
    line = [(1000, 0.0), (4000, 20.0)]  # 10 points per doubling
    assert mean_accuracy_over(line, 1000, 4000) == pytest.approx(10.0)
    assert mean_accuracy_over(line, 2000, 4000) == pytest.approx(15.0)
    assert math.isnan(mean_accuracy_over(line, 500, 4000))
    assert shared_range(line, [(2000, 5.0), (8000, 9.0)]) == (2000, 4000)


def test_summary_accuracy_ci_tokens(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", right_from_cap(25), caps=(50, 100))
    runs = load_runs([run])
    summary = summarize(runs.cells)
    assert list(summary[["cap", "accuracy"]].itertuples(index=False, name=None)) == [(50, 50.0), (100, 100.0)]
    first = summary.iloc[0]
    assert (first.n_problems, first.n_samples, first.n_cells, first.status) == (4, 1, 4, "complete")
    assert first.ci_low <= 50.0 <= first.ci_high and first.ci_low >= 0.0 and first.ci_high <= 100.0
    assert (summary.iloc[1].ci_low, summary.iloc[1].ci_high) == (100.0, 100.0)
    assert first.mean_thinking_tokens == 50.0  # every sample cut at 50
    assert first.cut_share == 100.0 and summary.iloc[1].cut_share == 0.0
    assert summary.iloc[1].mean_thinking_tokens == 61.5  # 60 + problem index
    assert math.isnan(first.pass_at_k) and math.isnan(first.maj_accuracy)


def test_control_kinds_and_curve(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", right_from_cap(25), caps=(50, 200), waits=(0, 1, 2))
    summary = summarize(load_runs([run]).cells)
    kinds = {(r.cap, r.waits): r.control for r in summary.itertuples()}
    assert kinds == {
        (50, 0): "cap",
        (50, 1): "grid",
        (50, 2): "grid",
        (200, 0): "cap",
        (200, 1): "wait",
        (200, 2): "wait",
    }
    on_curve = curve(summary)
    assert list(on_curve["mean_thinking_tokens"]) == sorted(on_curve["mean_thinking_tokens"])
    assert len(on_curve) == 4


def test_scaling_metrics_of_a_run(tmp_path: Path) -> None:
    tokens = {50: 40, 100: 80, 200: 160}
    run = write_run(
        tmp_path / "run", right_from_cap(50), caps=(50, 100, 200), tokens=lambda p, s, cap, w: tokens[cap]
    )
    runs = load_runs([run])
    row = scaling_metrics(summarize(runs.cells), runs).iloc[0]
    # accuracies 25, 50, 100 at 40, 80, 160 tokens: slopes 25, 50 and 37.5
    assert row.scaling == pytest.approx(37.5)
    assert (row.performance, row.control, row.control_basis, row.best_cap) == (100.0, 100.0, "caps", 200)
    ranged = write_run(
        tmp_path / "ranged", right_from_cap(50), caps=(50, 100, 200), budget={"control_range": [0, 60]}
    )
    runs = load_runs([ranged])
    row = scaling_metrics(summarize(runs.cells), runs).iloc[0]
    assert (row.control_basis, row.control) == ("range", pytest.approx(100 / 3))


def test_majority_vote_and_pass_at_k(tmp_path: Path) -> None:
    # p0: 7,7,1 -> maj right; p1: 1,7,1 -> wrong, pass; p2: 1,7 tie + None -> tie goes to sample 0 -> wrong
    answers = {0: [GOLD, GOLD, "1"], 1: ["1", GOLD, "1"], 2: ["1", GOLD, None], 3: [None, None, None]}
    run = write_run(tmp_path / "run", lambda p, s, cap, w: answers[p][s], caps=(100,), samples=3)
    runs = load_runs([run])
    row = summarize(runs.cells).iloc[0]
    assert row.n_samples == 3 and row.n_cells == 12
    assert row.accuracy == pytest.approx(100 * (2 / 3 + 1 / 3 + 1 / 3) / 4)
    assert row.pass_at_k == 75.0
    assert row.maj_accuracy == 25.0
    assert row.no_answer_rate == pytest.approx(100 * 4 / 12)
    votes = majority_correct(runs.cells, 2)
    assert votes.to_dict() == {"p0": True, "p1": False, "p2": False, "p3": False}
    assert vote_sizes(3) == [1, 2, 3] and vote_sizes(8) == [1, 2, 4, 8]


def test_votes_pool_answers_written_differently(tmp_path: Path) -> None:
    # p0: "1" and "01" are one answer and outvote the gold; p1: "x + 1" and "x+1" likewise
    answers = {0: [GOLD, "1", "01"], 1: [GOLD, "x + 1", "$x+1$"], 2: ["2", GOLD, f" {GOLD} "]}
    run = write_run(
        tmp_path / "run", lambda p, s, cap, w: answers[p][s], caps=(100,), samples=3, problems=range(3)
    )
    votes = majority_correct(load_runs([run]).cells, 3)
    assert votes.to_dict() == {"p0": False, "p1": False, "p2": True}
    keys = [vote_key(answer) for answer in ("025", "-07", "\\frac{1}{2}", None, "  ")]
    assert keys == ["25", "-7", "\\frac{1}{2}", "", ""]


def test_parallel_scaling_sums_tokens_over_samples(tmp_path: Path) -> None:
    run = write_run(
        tmp_path / "run",
        lambda p, s, cap, w: GOLD if s == 1 else "1",
        caps=(50, 100),
        samples=4,
        tokens=lambda p, s, cap, w: 10 * (s + 1),
    )
    runs = load_runs([run])
    parallel = parallel_scaling(runs.cells)
    base = parallel[(parallel["cap"] == 100) & (parallel["waits"] == 0)]  # the unforced cell
    assert list(base["k"]) == [1, 2, 4]
    assert list(base["mean_total_thinking_tokens"]) == [10.0, 30.0, 100.0]
    assert list(base["accuracy"]) == [0.0, 0.0, 0.0]  # k=2: tie 1 vs 7 -> sample 0's "1"; k=4: "1" x3


def test_shards_merge_and_series_labels(tmp_path: Path) -> None:
    answer = right_from_cap(25)
    shard_a = write_run(tmp_path / "runs" / "a", answer, problems=range(0, 3))
    shard_b = write_run(tmp_path / "runs" / "b", answer, problems=range(2, 4))  # p2 in both: de-duplicated
    runs = load_runs([tmp_path / "runs"])
    assert {r.path for r in runs.runs} == {shard_a, shard_b}
    summary = summarize(runs.cells)
    assert list(summary["n_problems"]) == [4, 4] and list(summary["model"]) == ["toy", "toy"]
    # same model and task, other config, overlapping cells: separate series named by what differs
    write_run(tmp_path / "indep", answer, config_hash="hash-b", mode="independent")
    labels = set(summarize(load_runs([tmp_path / "runs", tmp_path / "indep"]).cells)["model"])
    assert labels == {"mode=shared", "mode=independent"}
    # other caps, no overlap: one curve
    write_run(tmp_path / "more", answer, caps=(200,), config_hash="hash-c")
    summary = summarize(load_runs([tmp_path / "runs", tmp_path / "more"]).cells)
    assert list(summary["cap"]) == [50, 100, 200] and set(summary["model"]) == {"toy"}


def test_missing_verdicts_grade_or_fail(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", right_from_cap(25), graded=False)
    with pytest.raises(AnalysisError, match="evalscale grade"):
        load_runs([run], grader=None)

    def grader(run_dir: Path) -> list[Verdict]:
        keys = [f"p{p}|0|{cap}|0" for p in range(4) for cap in (50, 100)]
        return [Verdict(key, True, GOLD, "match") for key in keys]

    assert set(summarize(load_runs([run], grader=grader).cells)["accuracy"]) == {100.0}


def test_partial_runs_and_no_answer_warnings(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", lambda p, s, cap, w: None if cap == 50 else GOLD, status="running")
    runs = load_runs([run])
    summary = summarize(runs.cells)
    assert set(summary["status"]) == {"partial"}
    notes = warnings(summary, runs)
    assert len(notes) == 2
    assert "'running'" in notes[0] and "partial" in notes[0]
    assert "cap=50" in notes[1] and "100%" in notes[1]
    assert scaling_metrics(summary, runs).iloc[0].status == "partial"


def test_each_distinct_answer_is_normalised_once_for_all_votes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {0: [GOLD, "1", "01", GOLD], 1: ["x + 1", GOLD, "x+1", None], 2: [GOLD] * 4, 3: [None] * 4}
    run = write_run(tmp_path / "run", lambda p, s, cap, w: answers[p][s], caps=(50, 100), samples=4)
    normalised: list[object] = []
    real = votes.vote_key
    monkeypatch.setattr(votes, "vote_key", lambda answer: normalised.append(answer) or real(answer))
    runs = load_runs([run])
    summarize(runs.cells)
    parallel = parallel_scaling(runs.cells)
    assert list(parallel["k"]) == [1, 2, 4, 1, 2, 4]
    assert sorted(a for a in normalised if isinstance(a, str)) == ["01", "1", "7", "x + 1", "x+1"]
    assert len(normalised) == 6, "no answer (None) is looked at once too"


def test_no_answer_counts_ambiguous_answers_as_the_censoring_section_does(tmp_path: Path) -> None:
    answers = {0: GOLD, 1: None, 2: "1", 3: "2"}
    run = write_run(tmp_path / "run", lambda p, s, cap, w: answers[p], caps=(100,))
    verdicts = (run / VERDICTS).read_text()
    verdicts = verdicts.replace(
        '"extracted": "1", "reason": "mismatch"', '"extracted": null, "reason": "ambiguous"'
    )
    (run / VERDICTS).write_text(verdicts)
    cells = load_runs([run]).cells
    assert summarize(cells).iloc[0].no_answer_rate == 50.0
    assert censoring(cells).iloc[0].no_answer_share == 50.0
