"""Methods side by side: s1 Table 3 per method, token-matched parallel scaling, native cap against forcing.

Each series is one method's run (methods.py), found from its run's method
node. s1 scores every method over its set of settings A (paper section 3.2;
Appendix D gives each method's Control bound):

| method | A (the curve's points) | Control: a point is within bounds when its mean thinking tokens ... |
|---|---|---|
| budget_forcing | caps and Waits | ... are at most its cap (or inside `budget.control_range`) |
| tcc, tcc_bf, rejection_sampling, native_cap | caps | ... are at most the instructed / enforced N |
| scc, scc_bf | steps | ... are at most tokens_per_step (100) x the instructed steps |
| ccc | short, long | ... are below the plain prompt's (short), above it (long) |
| nothinking | one point | (no budget: no Control, no Scaling) |

s1's CCC row of Table 3 (Control 50, Scaling 25, |A| = 2) is reproduced by
A = {short, long} with the plain prompt as Control's reference only, so the
plain point is drawn but not scored.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from evalscale.analysis import metrics
from evalscale.analysis.runs import Runs, method_name
from evalscale.analysis.stats import N_BOOT, bootstrap_ci, paired_change
from evalscale.analysis.tables import SERIES, majority_correct, vote_sizes
from evalscale.methods import DEFAULT_METHOD, MethodConfig

CAPPED = ("tcc", "tcc_bf", "rejection_sampling", "native_cap")
STEPPED = ("scc", "scc_bf")


def table3_row(points: pd.DataFrame, node: dict[str, Any]) -> dict[str, Any]:
    """Control, Scaling and Performance of one method's curve (a summary's rows of one series).

    Scaling and Performance are over A (class-conditional control: short and
    long); `control_basis` says what Control compares with.
    """
    name = method_name(node)
    scored = points[points["condition"] != "plain"] if name == "ccc" else points
    tokens = list(scored["mean_thinking_tokens"])
    if name in CAPPED:
        control, basis = metrics.control_against_caps(tokens, list(scored["cap"])), "instructed N"
    elif name in STEPPED:
        per_step = int(node.get("tokens_per_step") or MethodConfig().tokens_per_step)
        bounds = [per_step * steps for steps in scored["cap"]]
        control, basis = metrics.control_against_caps(tokens, bounds), f"{per_step} x steps"
    elif name == "ccc":
        control, basis = class_control(points), "plain prompt"
    else:
        control, basis = math.nan, "none"
    return curve_row(scored, name, control, basis)


def curve_row(points: pd.DataFrame, name: str, control: float, basis: str) -> dict[str, Any]:
    """The metrics row of a method's scored points (A) with its Control: Scaling, Performance and where
    the best accuracy is."""
    xy = list(zip(points["mean_thinking_tokens"], points["accuracy"], strict=True))
    best = points.loc[points["accuracy"].idxmax()]
    return {
        "method": name,
        "n_points": len(points),
        "control": control,
        "control_basis": basis,
        "scaling": metrics.scaling(xy),
        "performance": metrics.performance(xy),
        "best_cap": int(best["cap"]),
        "best_waits": int(best["waits"]),
        "best_condition": best["condition"],
        "never_fit_share": points["never_fit_share"].mean(),
        "mean_tries": points["mean_tries"].mean(),
    }


def class_control(points: pd.DataFrame) -> float:
    """Class-conditional Control (%): short thinks less than the plain prompt, long more (s1 Appendix D)."""
    tokens = dict(zip(points["condition"], points["mean_thinking_tokens"], strict=True))
    if "plain" not in tokens:
        return math.nan
    kept = [tokens["short"] < tokens["plain"]] if "short" in tokens else []
    kept += [tokens["long"] > tokens["plain"]] if "long" in tokens else []
    return 100.0 * sum(kept) / len(kept) if kept else math.nan


def base_point(points: pd.DataFrame, name: str) -> pd.DataFrame:
    """The point of a series whose samples vote in parallel scaling: the most thinking allowed without a
    Wait (budget forcing: the largest cap at 0 Waits; ccc: the plain prompt; else the largest cap)."""
    unforced = points[points["waits"] == 0]
    if name == "ccc" and (unforced["condition"] == "plain").any():
        return unforced[unforced["condition"] == "plain"]
    return unforced[unforced["cap"] == unforced["cap"].max()]


def token_matched(cells: pd.DataFrame, runs: Runs, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Parallel scaling at the tokens it spends: majority vote and pass@k over k samples of each series'
    base point, at x = k x the mean tokens of one sample (thinking; NoThinking: answer tokens;
    rejection sampling: the kept draw's thinking, not the rejected draws').

    Majority vote takes the first k samples (tables.majority_correct); pass@k is
    the unbiased estimate over all n samples, 1 - C(n - c, k) / C(n, k) per problem
    (Chen et al. 2021). Series with one sample per problem have no rows.
    """
    rows = []
    for (model, task), series in cells.groupby(SERIES, sort=True):
        name = method_name(runs.method(str(model), str(task)))
        point = base_point(series, name)
        n_samples = int(point.groupby("problem_id").size().min()) if len(point) else 0
        if n_samples < 2:
            continue
        spent = "answer_tokens" if name == "nothinking" else "thinking_tokens"
        per_sample = point[spent].mean()
        counts = point.groupby("problem_id")["correct"].agg(["size", "sum"])
        ordered = point.sort_values("sample")
        for k in vote_sizes(n_samples):
            majority = 100.0 * majority_correct(ordered, k).astype(float)
            passing = pd.Series([100.0 * pass_at_k(int(n), int(c), k) for n, c in counts.to_numpy()])
            maj_low, maj_high = bootstrap_ci(majority.to_numpy(), n_boot, seed)
            pass_low, pass_high = bootstrap_ci(passing.to_numpy(), n_boot, seed)
            rows.append(
                {
                    "model": model,
                    "task": task,
                    "method": name,
                    "cap": int(point["cap"].iloc[0]),
                    "condition": point["condition"].iloc[0],
                    "k": k,
                    "tokens": k * per_sample,
                    "spent": spent.removesuffix("_tokens"),
                    "maj_accuracy": majority.mean(),
                    "maj_ci_low": maj_low,
                    "maj_ci_high": maj_high,
                    "pass_at_k": passing.mean(),
                    "pass_ci_low": pass_low,
                    "pass_ci_high": pass_high,
                }
            )
    return pd.DataFrame(rows, columns=TOKEN_MATCHED_COLUMNS)


TOKEN_MATCHED_COLUMNS = [
    "model",
    "task",
    "method",
    "cap",
    "condition",
    "k",
    "tokens",
    "spent",
    "maj_accuracy",
    "maj_ci_low",
    "maj_ci_high",
    "pass_at_k",
    "pass_ci_low",
    "pass_ci_high",
]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that k of n samples (c of them correct), drawn without replacement, hold a correct one."""
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def native_against_forcing(
    cells: pd.DataFrame, runs: Runs, n_boot: int = N_BOOT, seed: int = 0
) -> pd.DataFrame:
    """Per cap: native_cap against budget forcing's cap-only cells (waits = 0) of the same model and task.

    Cells pair by (problem, sample, cap); `diff` is native - forcing accuracy with
    its paired 95% bootstrap CI over problems, `same_share` the % of pairs with the
    same thinking length and the same extracted answer.
    """
    kinds = {(r.series, r.task): (method_name(r.method), r.model) for r in runs.runs}
    rows = []
    for (native, task), (name, model) in sorted(kinds.items()):
        if name != "native_cap":
            continue
        for (forcing, other_task), (other, other_model) in sorted(kinds.items()):
            if other != DEFAULT_METHOD or other_task != task or other_model != model:
                continue
            rows += _paired_rows(cells, task, native, forcing, n_boot, seed)
    return pd.DataFrame(rows, columns=NATIVE_COLUMNS)


NATIVE_COLUMNS = [
    "task",
    "native",
    "forcing",
    "cap",
    "n_pairs",
    "accuracy_native",
    "accuracy_forcing",
    "diff",
    "ci_low",
    "ci_high",
    "tokens_native",
    "tokens_forcing",
    "same_share",
]


def _paired_rows(
    cells: pd.DataFrame, task: str, native: str, forcing: str, n_boot: int, seed: int
) -> list[dict[str, Any]]:
    of_task = cells[cells["task"] == task]
    a = of_task[of_task["model"] == native]
    b = of_task[(of_task["model"] == forcing) & (of_task["waits"] == 0)]
    pairs = a.merge(b, on=["problem_id", "sample", "cap"], suffixes=("_n", "_f"))
    rows = []
    for cap, pair in pairs.groupby("cap", sort=True):
        per_problem = pair.groupby("problem_id")[["correct_n", "correct_f"]].mean() * 100.0
        change = paired_change(per_problem["correct_f"], per_problem["correct_n"], n_boot, seed)
        same = (pair["thinking_tokens_n"] == pair["thinking_tokens_f"]) & (pair["vote_n"] == pair["vote_f"])
        rows.append(
            {
                "task": task,
                "native": native,
                "forcing": forcing,
                "cap": int(cap),
                "n_pairs": len(pair),
                "accuracy_native": per_problem["correct_n"].mean(),
                "accuracy_forcing": per_problem["correct_f"].mean(),
                "diff": change.change,
                "ci_low": change.ci_low,
                "ci_high": change.ci_high,
                "tokens_native": pair["thinking_tokens_n"].mean(),
                "tokens_forcing": pair["thinking_tokens_f"].mean(),
                "same_share": 100.0 * same.mean(),
            }
        )
    return rows
