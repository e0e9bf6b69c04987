"""Tables over graded cells: per-cell summary, majority vote (parallel scaling), s1 metrics.

Accuracies are in percentage points throughout. A problem weighs the same in
every mean: accuracy is the mean over problems of the mean over its samples.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evalscale.analysis import metrics
from evalscale.analysis.runs import Runs
from evalscale.analysis.stats import N_BOOT, bootstrap_ci
from evalscale.methods import DEFAULT_METHOD

SERIES = ["model", "task"]
CELL = [*SERIES, "cap", "waits"]
POINT_FIELDS = ["cap", "waits", "condition"]  # a point within its series
# A cell of any method: its prompt class too (class-conditional control; NO_CONDITION for every other method).
POINT = [*SERIES, *POINT_FIELDS]
NO_CONDITION = ""  # the `condition` of a cell without a prompt class, in every table (records leave it out)
# Class-conditional control's prompt classes in the order of the thinking they ask for (methods.CCC_SENTENCES)
CONDITION_ORDER = ("short", "plain", "long")
NO_ANSWER_REASONS = ("no_answer", "ambiguous")  # the grader found no single answer: `extracted` is None
NO_ANSWER_WARN = 20.0  # % of a cell's samples without an extracted answer that earns a warning

SUMMARY_COLUMNS = [
    "model",
    "task",
    "cap",
    "waits",
    "condition",
    "control",
    "status",
    "n_problems",
    "n_samples",
    "n_cells",
    "accuracy",
    "ci_low",
    "ci_high",
    "mean_thinking_tokens",
    "mean_answer_tokens",
    "cut_share",
    "no_answer_rate",
    "disagreement_rate",
    "mean_waits_used",
    "pass_at_k",
    "maj_accuracy",
    "never_fit_share",
    "mean_tries",
]


def with_condition(cells: pd.DataFrame) -> pd.DataFrame:
    """`cells` with a `condition` column that holds NO_CONDITION ("") where a cell has no prompt class.

    Tables key a cell by POINT; a missing condition must be "" rather than None
    or NaN, which pandas' groupby would drop and merges would not match.
    """
    if "condition" not in cells:
        return cells.assign(condition=NO_CONDITION)
    if cells["condition"].isna().any():
        return cells.assign(condition=cells["condition"].astype(object).fillna(NO_CONDITION))
    return cells


def has_classes(conditions: pd.Series) -> bool:
    """Whether any of `conditions` names a prompt class (not "", None or NaN, as read back from a CSV)."""
    named = conditions.astype(object).where(conditions.notna(), NO_CONDITION) != NO_CONDITION
    return bool(named.any())


def condition_rank(conditions: pd.Series) -> pd.Series:
    """A sort key of prompt classes: none first, then CONDITION_ORDER (short, plain, long), then others."""
    rank = {NO_CONDITION: -1, **{name: index for index, name in enumerate(CONDITION_ORDER)}}
    return conditions.map(rank).fillna(len(CONDITION_ORDER)).astype(int)


def summarize(cells: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """One row per (model, task, cap, waits, condition): accuracy with 95% bootstrap CI over problems,
    tokens, rates.

    `control` says how the cell sits on the scaling curve: "cap" (waits = 0),
    "wait" (waits > 0 at the series' largest cap) or "grid" (off the curve).
    `cut_share` is the % of samples whose thinking the cap closed, `no_answer_rate` the % without an
    extracted answer (reason in NO_ANSWER_REASONS); `pass_at_k`
    and `maj_accuracy` use all k = n_samples samples (NaN with one sample).
    `condition` is class-conditional control's prompt class (NO_CONDITION, "", elsewhere);
    `never_fit_share` and `mean_tries` are rejection sampling's (NaN elsewhere).
    """
    rows = []
    cells = with_condition(cells if "tries" in cells else cells.assign(tries=math.nan))
    for (model, task, cap, waits, condition), cell in cells.groupby(POINT, sort=True):
        by_problem = cell.groupby("problem_id")
        per_problem = 100.0 * by_problem["correct"].mean()
        n_samples = int(by_problem.size().max())
        parallel = n_samples > 1
        rows.append(
            {
                **_cell_columns(model, task, cap, waits),
                "status": "partial" if cell["partial"].any() else "complete",
                "n_samples": n_samples,
                "n_cells": len(cell),
                **_accuracy_columns(per_problem, n_boot, seed),
                "mean_thinking_tokens": cell["thinking_tokens"].mean(),
                "mean_answer_tokens": cell["answer_tokens"].mean(),
                "cut_share": 100.0 * (cell["end_reason"] == "cap").mean(),
                "no_answer_rate": 100.0 * cell["reason"].isin(NO_ANSWER_REASONS).mean(),
                "disagreement_rate": 100.0 * cell["disagrees"].mean() if "disagrees" in cell else math.nan,
                "mean_waits_used": cell["waits_used"].mean(),
                "pass_at_k": 100.0 * by_problem["correct"].any().mean() if parallel else math.nan,
                "maj_accuracy": 100.0 * majority_correct(cell, n_samples).mean() if parallel else math.nan,
                "condition": condition,
                **_tries_columns(cell),
            }
        )
    summary = pd.DataFrame(rows)
    summary["control"] = control_kind(summary)
    return summary[SUMMARY_COLUMNS]


def _tries_columns(cell: pd.DataFrame) -> dict[str, float]:
    """Rejection sampling's columns: % of samples that never fit their cap, and draws per sample."""
    if cell["tries"].isna().all():
        return {"never_fit_share": math.nan, "mean_tries": math.nan}
    never = 100.0 * (cell["end_reason"] == "never_fit").mean()
    return {"never_fit_share": never, "mean_tries": cell["tries"].mean()}


def _cell_columns(model: str, task: str, cap: int, waits: int) -> dict[str, object]:
    return {"model": model, "task": task, "cap": int(cap), "waits": int(waits)}


def _accuracy_columns(per_problem: pd.Series, n_boot: int, seed: int) -> dict[str, float]:
    """Problems, mean accuracy and its 95% bootstrap CI over problems."""
    low, high = bootstrap_ci(per_problem.to_numpy(), n_boot, seed)
    return {"n_problems": len(per_problem), "accuracy": per_problem.mean(), "ci_low": low, "ci_high": high}


def control_kind(summary: pd.DataFrame) -> pd.Series:
    """Per row of points (model, task, cap, waits): "cap" for waits = 0, "wait" for waits > 0 at the series'
    largest cap, else "grid" (off the curve)."""
    largest = summary.groupby(SERIES)["cap"].transform("max")
    kind = np.where(summary["waits"] == 0, "cap", np.where(summary["cap"] == largest, "wait", "grid"))
    return pd.Series(kind, index=summary.index)


def curve(summary: pd.DataFrame) -> pd.DataFrame:
    """The scaling-curve rows (cap- and Wait-controlled; every point of another method) of a summary, by
    series and thinking tokens, the order the scaling plot draws them in (`curve_steps` takes the same
    points in budget order: see its docstring)."""
    on_curve = summary[summary["control"] != "grid"]
    return on_curve.sort_values([*SERIES, "mean_thinking_tokens"]).reset_index(drop=True)


def majority_correct(cell: pd.DataFrame, k: int) -> pd.Series:
    """Per problem of one cell: is the majority answer of its first k samples correct?

    Votes go to the `vote` column (`votes.vote_key` of the extracted answer, made
    once by `load_runs`; empty: no vote); a tie goes to the answer of the
    smallest sample index, and that sample's verdict decides. A problem with no
    answer at all counts as wrong.
    """
    ordered = cell.sort_values(["problem_id", "sample"])
    tallies: dict[str, dict[str, list]] = {}  # problem -> answer -> [votes, verdict of its first sample]
    drawn: dict[str, int] = {}
    for problem, answer, correct in zip(
        ordered["problem_id"], ordered["vote"], ordered["correct"], strict=True
    ):
        drawn[problem] = drawn.get(problem, 0) + 1
        tally = tallies.setdefault(problem, {})
        if drawn[problem] > k or not answer:
            continue
        tally.setdefault(answer, [0, bool(correct)])[0] += 1  # dicts keep insertion (sample) order
    # max() keeps the first of equal counts: the answer whose first vote has the smallest sample index
    winners = {p: bool(max(t.values(), key=lambda v: v[0])[1]) if t else False for p, t in tallies.items()}
    return pd.Series(winners, dtype=bool).rename_axis("problem_id")


def vote_sizes(n_samples: int) -> list[int]:
    """Numbers of samples to vote over: 1, 2, 4, ... and n_samples itself."""
    sizes = [2**i for i in range(int(math.log2(n_samples)) + 1)]
    return sizes if sizes[-1] == n_samples else [*sizes, n_samples]


def parallel_scaling(cells: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Majority-vote accuracy over the first k samples, for each cell with several samples.

    x is `mean_total_thinking_tokens`: the thinking tokens of the k samples
    summed per problem and averaged over problems (s1 Figure 4's parallel scaling).
    """
    rows = []
    for (model, task, cap, waits, condition), cell in with_condition(cells).groupby(POINT, sort=True):
        n_samples = int(cell.groupby("problem_id").size().max())
        if n_samples < 2:
            continue
        ordered = cell.sort_values("sample")
        for k in vote_sizes(n_samples):
            per_problem = 100.0 * majority_correct(ordered, k).astype(float)
            tokens = ordered.groupby("problem_id").head(k).groupby("problem_id")["thinking_tokens"].sum()
            rows.append(
                {
                    **_cell_columns(model, task, cap, waits),
                    "condition": condition,
                    "k": k,
                    **_accuracy_columns(per_problem, n_boot, seed),
                    "mean_total_thinking_tokens": tokens.mean(),
                }
            )
    columns = [
        "model",
        "task",
        "cap",
        "waits",
        "condition",
        "k",
        "n_problems",
        "accuracy",
        "ci_low",
        "ci_high",
        "mean_total_thinking_tokens",
    ]
    return pd.DataFrame(rows, columns=columns)


def scaling_metrics(summary: pd.DataFrame, runs: Runs) -> pd.DataFrame:
    """Control, Scaling and Performance (s1 §3.2) of each series' scaling curve.

    Control is against the config's `budget.control_range` when set (basis
    "range"), else the share of cap-controlled points within their cap ("caps").
    A series of another method is scored as s1 scores it (analysis.methods.table3_row).
    """
    from evalscale.analysis.methods import curve_row, method_name, table3_row

    rows = []
    for (model, task), points in curve(summary).groupby(SERIES, sort=True):
        status = "partial" if (points["status"] == "partial").any() else "complete"
        method = runs.method(str(model), str(task))
        if method_name(method) != DEFAULT_METHOD:
            rows.append({"model": model, "task": task, **table3_row(points, method), "status": status})
            continue
        requested = runs.control_range(model, task)
        if requested is not None:
            control, basis = metrics.control(points["mean_thinking_tokens"], *requested), "range"
        else:
            capped = points[points["control"] == "cap"]
            control = metrics.control_against_caps(list(capped["mean_thinking_tokens"]), list(capped["cap"]))
            basis = "caps"
        row = curve_row(points, DEFAULT_METHOD, control, basis)
        rows.append({"model": model, "task": task, **row, "status": status})
    return pd.DataFrame(rows)


def warnings(summary: pd.DataFrame, runs: Runs) -> list[str]:
    """What went wrong, one sentence each: interrupted runs and cells with many unanswered samples."""
    notes = [
        f"{r.series}/{r.task}: run {r.path} is {r.status!r}, not complete "
        f"({r.n_cells} of {r.expected_cells or '?'} cells); its numbers are partial."
        for r in runs.runs
        if r.partial
    ]
    high = summary[summary["no_answer_rate"] > NO_ANSWER_WARN]
    notes += [
        f"{row.model}/{row.task} cap={row.cap} waits={row.waits}"
        + (f" class={row.condition}" if row.condition else "")
        + f": {row.no_answer_rate:.0f}% of samples have no extractable answer"
        + (f" ({row.never_fit_share:.0f}% never fit the cap)." if row.never_fit_share > 0 else ".")
        for row in high.itertuples()
    ]
    return notes
