"""Answer flips between consecutive points of each scaling curve: does more budget fix answers or break them?

Steps follow the curve in budget order (`curve_steps`): cap steps along
waits = 0, then Wait steps at the largest cap (cap C → C + 1 Wait → C + 2 Waits);
another method's steps go from one of its points to the next (class-conditional
control: short → plain → long prompt).
The unit is the (problem, sample) pair present at both points: in shared
mode its two cells are prefixes of one trajectory, so a flip is one
trajectory's answer changing when it was given more budget. With one sample
per problem a pair is a problem.

Per step: counts of pairs right at both, wrong at both, wrong → right and
right → wrong; answer → no answer and no answer → answer (no answer: the
grader extracted none, reason `no_answer` or `ambiguous`; these pairs are
also counted as wrong at that point). Two tests of "no change":
`mcnemar_p`, the exact McNemar test (two-sided binomial test of wrong → right
among the discordant pairs, p = 1/2), which assumes independent pairs (exact
with one sample per problem; with several samples of a problem it is
optimistic), and `accuracy_change` with a 95% paired bootstrap CI over
problems, which keeps a problem's samples together.
"""

from __future__ import annotations

import pandas as pd
from scipy.stats import binomtest

from evalscale.analysis.curve_steps import iter_curves, paired_change, series_method
from evalscale.analysis.stats import N_BOOT
from evalscale.analysis.tables import NO_ANSWER_REASONS

PAIR = ["problem_id", "sample"]
FLIP_COLUMNS = [
    "model",
    "task",
    "method",
    "step",
    "kind",
    "from_cap",
    "from_waits",
    "from_condition",
    "to_cap",
    "to_waits",
    "to_condition",
    "n_pairs",
    "n_problems",
    "both_right",
    "both_wrong",
    "wrong_to_right",
    "right_to_wrong",
    "answer_to_none",
    "none_to_answer",
    "net",
    "mcnemar_p",
    "accuracy_change",
    "ci_low",
    "ci_high",
]


def answer_flips(cells: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """One row per step between consecutive curve points of each series (columns FLIP_COLUMNS).

    `step` numbers the steps of a series from 1; `kind` is "cap" (a larger
    cap, no Waits), "wait" (one more Wait at the largest cap) or "class" (the
    next prompt class of class-conditional control); `net` is
    wrong → right minus right → wrong; `accuracy_change` (points) is over the
    `n_problems` problems present at both points; `method` is the series' (`curve_steps.series_method`).
    """
    rows = []
    for model, task, points, steps in iter_curves(cells):
        method = series_method(points[0])
        for step in range(1, len(points)):
            before, after = points[step - 1], points[step]
            columns = [*PAIR, "correct", "reason"]
            pairs = before[columns].merge(after[columns], on=PAIR, how="inner", suffixes=("_a", "_b"))
            right_a, right_b = pairs["correct_a"].astype(bool), pairs["correct_b"].astype(bool)
            answered_a = ~pairs["reason_a"].isin(NO_ANSWER_REASONS)
            answered_b = ~pairs["reason_b"].isin(NO_ANSWER_REASONS)
            fixed, broken = int((~right_a & right_b).sum()), int((right_a & ~right_b).sum())
            change = paired_change(before, after, n_boot, seed)
            origin, target = steps.iloc[step - 1], steps.iloc[step]
            rows.append(
                {
                    "model": model,
                    "task": task,
                    "method": method,
                    "step": step,
                    "kind": step_kind(origin, target),
                    "from_cap": int(origin["cap"]),
                    "from_waits": int(origin["waits"]),
                    "from_condition": str(origin["condition"]),
                    "to_cap": int(target["cap"]),
                    "to_waits": int(target["waits"]),
                    "to_condition": str(target["condition"]),
                    "n_pairs": len(pairs),
                    "n_problems": change.n_problems,
                    "both_right": int((right_a & right_b).sum()),
                    "both_wrong": int((~right_a & ~right_b).sum()),
                    "wrong_to_right": fixed,
                    "right_to_wrong": broken,
                    "answer_to_none": int((answered_a & ~answered_b).sum()),
                    "none_to_answer": int((~answered_a & answered_b).sum()),
                    "net": fixed - broken,
                    "mcnemar_p": mcnemar_exact(fixed, broken),
                    "accuracy_change": change.change,
                    "ci_low": change.ci_low,
                    "ci_high": change.ci_high,
                }
            )
    return pd.DataFrame(rows, columns=FLIP_COLUMNS)


def step_kind(origin: pd.Series, target: pd.Series) -> str:
    """What a step between two curve points changes: "wait", "class" (the prompt class) or "cap"."""
    if target["waits"] > 0:
        return "wait"
    return "class" if target["condition"] != origin["condition"] else "cap"


def mcnemar_exact(wrong_to_right: int, right_to_wrong: int) -> float:
    """Two-sided exact McNemar p-value of the discordant counts (1.0 when there are none)."""
    discordant = wrong_to_right + right_to_wrong
    if discordant == 0:
        return 1.0
    return float(binomtest(wrong_to_right, discordant, 0.5, alternative="two-sided").pvalue)
