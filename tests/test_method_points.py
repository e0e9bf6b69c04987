"""The analyses of issue 19 on runs of the other methods (issue 18): a point is (cap, waits, condition), so
class-conditional control's prompt classes stay apart, its curve runs short → plain → long, and rejection
sampling's never-fit samples count as censored (synthetic runs with answers known by hand, no engine)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from test_analysis_helpers import GOLD, write_run

from evalscale import analysis, compare, plotting, report_analyses
from evalscale.analysis.censoring import censoring
from evalscale.analysis.curve_steps import curve_points
from evalscale.analysis.flip_plot import step_labels
from evalscale.analysis.flips import answer_flips
from evalscale.analysis.lengths import per_problem_points, thinking_quartiles
from evalscale.analysis.overthinking import overthinking
from evalscale.analysis.samples_needed import samples_needed
from evalscale.analysis.tables import CONDITION_ORDER, NO_CONDITION, summarize
from evalscale.commands import report as report_command
from evalscale.finish import best_accuracy
from evalscale.methods import CCC_SENTENCES

CLASSES = ("long", "short", "plain")  # written in this order; the curve takes them short, plain, long
RIGHT = {"short": 4, "plain": 8, "long": 5}  # of 10 problems, the first ones
TOKENS = {"short": 40, "plain": 60, "long": 50}


@pytest.fixture(autouse=True)
def no_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Synthetic runs carry their verdicts; never call a real grader."""
    monkeypatch.setattr(analysis, "default_grader", lambda: None)


def ccc_run(path: Path, samples: int = 1, right: dict[str, int] = RIGHT, config_hash: str = "ccc") -> Path:
    """A ccc run of 10 problems: short right for 4, plain for 8 (the peak), long for 5 (or as `right`
    says); sample 1 (when there is one) is right where sample 0 is, and on one more problem. Thinking:
    TOKENS + the sample."""

    def answer(p: int, s: int, index: int, w: int) -> str:
        return GOLD if p < right[CLASSES[index]] + s else "0"

    return write_run(
        path,
        answer,
        caps=(0,),
        conditions=CLASSES,
        problems=range(10),
        samples=samples,
        tokens=lambda p, s, index, w: TOKENS[CLASSES[index]] + s,
        method="ccc",
        uncapped=True,
        config_hash=config_hash,
    )


def test_the_condition_is_empty_not_none_in_every_table(tmp_path: Path) -> None:
    forcing = write_run(tmp_path / "bf", lambda p, s, c, w: GOLD, samples=2, config_hash="bf")
    runs = analysis.load_runs([forcing, ccc_run(tmp_path / "ccc")])
    summary = summarize(runs.cells, n_boot=50)
    by_method = summary.groupby(summary["model"].str.split(",").str[0])["condition"].agg(set)
    assert by_method.to_dict() == {"method=budget_forcing": {NO_CONDITION}, "method=ccc": set(CLASSES)}
    assert set(analysis.parallel_scaling(runs.cells, n_boot=50)["condition"]) == {NO_CONDITION}
    # a table whose cells say None for "no class" loses none of them to pandas' groupby
    unset = runs.cells.assign(condition=runs.cells["condition"].replace(NO_CONDITION, None))
    assert summarize(unset, n_boot=50)["n_cells"].sum() == len(runs.cells)


def test_the_order_of_prompt_classes_is_the_methods_own() -> None:
    assert CONDITION_ORDER == tuple(CCC_SENTENCES)


def test_a_ccc_curve_runs_short_plain_long_whatever_it_thinks(tmp_path: Path) -> None:
    cells = analysis.load_runs([ccc_run(tmp_path / "ccc")]).cells
    points = curve_points(cells)
    assert list(points["condition"]) == ["short", "plain", "long"]  # long thinks less than plain
    assert list(points["position"]) == [0, 1, 2] and set(points["control"]) == {"cap"}


def test_overthinking_and_flips_of_a_ccc_run_by_hand(tmp_path: Path) -> None:
    cells = analysis.load_runs([ccc_run(tmp_path / "ccc")]).cells
    (row,) = overthinking(cells, n_boot=200).to_dict("records")
    assert (row["n_points"], row["peak_condition"], row["peak_accuracy"]) == (3, "plain", 80.0)
    assert (row["end_condition"], row["end_accuracy"], row["drop"]) == ("long", 50.0, 30.0)
    assert "accuracy peaks at 80.0% (plain prompt, 60 thinking tokens)" in row["verdict"]
    assert "the last point (long prompt, 50 tokens) is 30.0 points lower" in row["verdict"]
    flips = answer_flips(cells, n_boot=200)
    steps = flips[["from_condition", "to_condition", "kind"]].itertuples(index=False, name=None)
    assert list(steps) == [("short", "plain", "class"), ("plain", "long", "class")]
    assert list(flips["wrong_to_right"]) == [4, 0] and list(flips["right_to_wrong"]) == [0, 3]
    assert list(flips["n_pairs"]) == [10, 10], "pairs of one class each, never the three merged"


def test_censoring_lengths_and_samples_needed_keep_the_classes_apart(tmp_path: Path) -> None:
    cells = analysis.load_runs([ccc_run(tmp_path / "ccc", samples=2)]).cells
    censored = censoring(cells).set_index("condition")
    assert list(censored["n_samples"]) == [20, 20, 20]
    assert censored.loc["plain", "accuracy_uncensored"] == 85.0  # 8 of 10, then 9 of 10
    quartiles = thinking_quartiles(cells).set_index("condition")
    assert quartiles.loc[list(CONDITION_ORDER), "tokens_mean"].tolist() == [40.5, 60.5, 50.5]
    needed = samples_needed(cells).set_index("condition")
    assert sorted(needed.index) == sorted(CLASSES) and set(needed["n_samples"]) == {2}
    per_problem = per_problem_points(cells)
    assert list(per_problem.columns[4:]) == [
        f"{kind}_c0_w0_{condition}" for condition in CONDITION_ORDER for kind in ("tokens", "accuracy")
    ]
    first = per_problem.set_index("problem_id").loc["p4"]
    assert first[["accuracy_c0_w0_short", "accuracy_c0_w0_plain", "accuracy_c0_w0_long"]].tolist() == [
        50.0,
        100.0,
        100.0,
    ]


def never_fit_cells() -> pd.DataFrame:
    """Rejection sampling at cap 100, one sample of four problems: two fit (one right), two never did."""
    rows = [
        ("stop", 30, True, "match", 1),
        ("stop", 50, False, "mismatch", 3),
        ("never_fit", 100, False, "no_answer", 4),
        ("never_fit", 100, False, "no_answer", 4),
    ]
    return pd.DataFrame(
        [
            {
                "model": "rs",
                "task": "t",
                "problem_id": f"p{index}",
                "sample": 0,
                "cap": 100,
                "waits": 0,
                "condition": NO_CONDITION,
                "waits_used": 0,
                "thinking_tokens": tokens,
                "answer_tokens": 0 if end == "never_fit" else 5,
                "end_reason": end,
                "correct": correct,
                "reason": reason,
                "extracted": "7" if correct else None,
                "vote": "",
                "tries": tries,
                "partial": False,
            }
            for index, (end, tokens, correct, reason, tries) in enumerate(rows)
        ]
    )


def test_never_fit_samples_are_censored_and_keep_their_caps_tokens() -> None:
    cells = never_fit_cells()
    (row,) = censoring(cells).to_dict("records")
    assert (row["cap_closed_share"], row["never_ended_share"], row["no_answer_share"]) == (50.0, 50.0, 50.0)
    assert (row["n_uncensored"], row["accuracy_uncensored"], row["accuracy_censored"]) == (2, 50.0, 0.0)
    (quartiles,) = thinking_quartiles(cells).to_dict("records")
    (summary,) = summarize(cells, n_boot=50).to_dict("records")
    assert quartiles["tokens_mean"] == summary["mean_thinking_tokens"] == 70.0
    assert (summary["never_fit_share"], summary["mean_tries"]) == (50.0, 3.0)


def test_the_scaling_plot_draws_each_classs_own_length_bar(tmp_path: Path) -> None:
    cells = analysis.load_runs([ccc_run(tmp_path / "ccc", samples=2)]).cells
    curve = analysis.curve(summarize(cells, n_boot=50))
    styles = plotting.series_styles(curve["model"])
    figure = plotting.plot_scaling(curve, styles, lengths=thinking_quartiles(cells))
    (bars,) = [c for c in figure.axes[0].collections if isinstance(c, LineCollection)]
    spans = sorted((segment[0][0], segment[1][0]) for segment in bars.get_segments())
    assert spans == [(40.0, 41.0), (50.0, 51.0), (60.0, 61.0)]  # each class's 25%-75% tokens


def test_a_report_of_a_ccc_run_names_its_classes_in_every_section(tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert report_command.main([str(ccc_run(tmp_path / "ccc", samples=2)), f"out={out}"]) == 0
    text = (out / "report.md").read_text()
    assert best_accuracy(out) == "55.0% accuracy at 50 thinking tokens (long prompt)"  # s1: over short, long
    assert "| short prompt → plain prompt " in text and "| plain prompt → long prompt " in text
    for name in ("censoring.csv", "lengths.csv", "samples_needed.csv"):
        assert sorted(pd.read_csv(out / name)["condition"]) == sorted(CLASSES), name
    lengths = text.split("## Thinking lengths")[1].split("##")[0]
    assert "| class " in lengths and lengths.count("| short ") == 1
    assert "in the order short, plain, long" in " ".join(text.split())  # a note wrapped over lines


def test_a_budget_forcing_report_shows_no_class_column(tmp_path: Path) -> None:
    out = tmp_path / "report"
    run = write_run(tmp_path / "bf", lambda p, s, c, w: GOLD if c > 50 else "0", samples=2)
    assert report_command.main([str(run), f"out={out}"]) == 0
    text = (out / "report.md").read_text()
    assert "class" not in text and "prompt" not in text.split("## Overthinking")[1]
    assert math.isnan(pd.read_csv(out / "censoring.csv")["condition"].iloc[0])  # "" reads back empty


def test_two_ccc_runs_compare_class_by_class(tmp_path: Path) -> None:
    a = ccc_run(tmp_path / "a")
    b = ccc_run(tmp_path / "b", right={"short": 10, "plain": 10, "long": 5}, config_hash="b")
    result = compare.compare(a, b, n_boot=200, names=("A", "B"))
    deltas = result.deltas.set_index("condition")
    assert list(deltas["n_pairs"]) == [10, 10, 10], "each cell pairs with its own class only"
    assert deltas.loc[["short", "plain", "long"], "diff"].tolist() == [60.0, 20.0, 0.0]
    assert set(deltas["control"]) == {"cap"} and result.area.n_problems == 10
    assert list(compare.delta_labels(result.deltas)) == list(result.deltas["condition"])
    # over 40-60 tokens, linear in log2 tokens: A at short 40, long 50, plain 60 tokens is 40, 50, 80 %;
    # B is 100, 50, 100 %, a mean of 75 (both halves average 75)
    left, right = math.log2(50 / 40), math.log2(60 / 50)
    area_a = (45.0 * left + 65.0 * right) / (left + right)
    assert (result.area.area_a, result.area.area_b) == (pytest.approx(area_a), pytest.approx(75.0))


def test_a_nothinking_run_has_one_point_named_so(tmp_path: Path) -> None:
    run = write_run(tmp_path / "nothinking", lambda p, s, c, w: GOLD, caps=(0,), tokens=lambda *_: 0)
    (row,) = overthinking(analysis.load_runs([run]).cells, n_boot=50).to_dict("records")
    assert (
        row["n_points"] == 1 and "(no thinking, 0 thinking tokens) at the end of the curve" in row["verdict"]
    )


def test_scc_points_are_named_by_their_instructed_steps(tmp_path: Path) -> None:
    def answer(p: int, s: int, cap: int, w: int) -> str:
        return GOLD if p < {8: 6, 16: 3}[cap] else "0"  # peak at 8 steps, lower at 16

    run = write_run(tmp_path / "scc", answer, caps=(8, 16), problems=range(10), method="scc", uncapped=True)
    cells = analysis.load_runs([run]).cells
    (row,) = overthinking(cells, n_boot=50).to_dict("records")
    assert row["method"] == "scc" and "peaks at 60.0% (8 steps, " in row["verdict"]
    assert "the last point (16 steps, " in row["verdict"] and "cap" not in row["verdict"]
    flips = answer_flips(cells, n_boot=50)
    assert step_labels(flips) == ["8→16 steps"]
    section = "\n".join(report_analyses.flips_section(cells, tmp_path))
    assert "| 8 steps → 16 steps |" in section
    assert report_command.main([str(run), f"out={tmp_path / 'report'}"]) == 0
    assert best_accuracy(tmp_path / "report").startswith("60.0% accuracy at ")  # the peak, named by its steps
    assert best_accuracy(tmp_path / "report").endswith(" thinking tokens (8 steps)")
