"""Samples needed: how many samples per problem (or seeds, or runs) a chosen CI half-width asks for.

From a run with k ≥ 2 samples per problem, each cell's correctness y (0 or
100 points) splits into two variance components (one-way random effects,
method of moments): `var_within`, the pooled variance of y among one
problem's samples, and `var_between`, the variance of the problems' true
accuracies, var(problem means) − var_within · mean(1/k_i), clipped at 0.

The accuracy of a cell is the mean over n problems of each problem's mean
over m samples. Its variance is

    var_between / n + var_within / (n · m)

and its normal-approximation CI half-width is z · sqrt(that), z = 1.96 at
95%. Solving half-width ≤ h for m gives

    m ≥ var_within / (n · (h / z)² − var_between)

When n · (h / z)² ≤ var_between no m reaches h: with n problems fixed, the
half-width never drops below the floor z · sqrt(var_between / n); more
problems are needed (`problems_needed`, at the run's k samples: n ≥ z² ·
(var_between + var_within / k) / h²). This is the CI the report shows
(bootstrap over problems: the problems are a sample of possible problems).
Holding the problems fixed instead (how far a rerun with other seeds would
move the score on this very benchmark), var_between drops out and
m ≥ z² · var_within / (n · h²): `samples_needed_fixed_problems`. A run of
other seeds adds one sample per problem, so m counts seeds as well.

Worked example (AIME-sized, 30 problems, 8 samples each): 10 problems always
solved, 10 never, 10 solved by 4 of 8 samples. var_within = 952.4 and
var_between = 1605.1 (points²); the 95% half-width is 14.9 points, and no
number of samples brings it under the floor of 14.3 points: ±2 points needs
about 1656 problems. Seed-to-seed spread alone (problems fixed) is ±2 points
with 31 samples per problem.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

from evalscale.analysis.stats import LEVEL
from evalscale.analysis.tables import POINT, with_condition

SAMPLES_NEEDED_COLUMNS = [
    *POINT,
    "n_problems",
    "n_samples",
    "var_between",
    "var_within",
    "half_width",
    "half_width_floor",
    "target_half_width",
    "reachable",
    "samples_needed",
    "samples_needed_fixed_problems",
    "problems_needed",
]


def samples_needed(cells: pd.DataFrame, half_width: float = 2.0, level: float = LEVEL) -> pd.DataFrame:
    """Per point (a cell of any method, `tables.POINT`) with several samples of a problem: the variance
    components (points²), the CI half-width now and its floor (points), and the samples per problem
    needed for `half_width` (points).

    `samples_needed` is missing (and `reachable` False) when the floor is above
    the target; cells with one sample per problem are left out (no within-problem
    variance to estimate). `n_samples` is the largest number of samples of a problem.
    """
    if half_width <= 0:
        raise ValueError(f"half_width must be positive (accuracy points), got {half_width}")
    z = float(norm.ppf(0.5 + level / 2.0))
    rows = []
    for (model, task, cap, waits, condition), cell in with_condition(cells).groupby(POINT, sort=True):
        y = cell["correct"].astype(float) * 100.0
        by_problem = y.groupby(cell["problem_id"])
        k = by_problem.size().to_numpy()
        if k.max() < 2:
            continue
        between, within = variance_components(by_problem.mean().to_numpy(), by_problem.var().to_numpy(), k)
        n = len(k)
        denominator = n * (half_width / z) ** 2 - between
        reachable = denominator > 0
        rows.append(
            {
                "model": model,
                "task": task,
                "cap": int(cap),
                "waits": int(waits),
                "condition": condition,
                "n_problems": n,
                "n_samples": int(k.max()),
                "var_between": between,
                "var_within": within,
                "half_width": z * math.sqrt((between + within * float(np.mean(1.0 / k))) / n),
                "half_width_floor": z * math.sqrt(between / n),
                "target_half_width": half_width,
                "reachable": reachable,
                "samples_needed": max(1, math.ceil(within / denominator)) if reachable else None,
                "samples_needed_fixed_problems": max(1, math.ceil(within / (n * (half_width / z) ** 2))),
                "problems_needed": math.ceil(z**2 * (between + within / k.max()) / half_width**2),
            }
        )
    table = pd.DataFrame(rows, columns=SAMPLES_NEEDED_COLUMNS)
    return table.astype({"samples_needed": "Int64", "reachable": bool})


def variance_components(means: np.ndarray, variances: np.ndarray, counts: np.ndarray) -> tuple[float, float]:
    """(between, within) variance of per-problem correctness from each problem's mean, sample variance
    (ddof 1; NaN for a single sample) and sample count: within pools the variances of the problems with
    two or more samples, between is var(means) − within · mean(1/count), at least 0."""
    several = counts >= 2
    within = float(np.sum((counts[several] - 1) * variances[several]) / np.sum(counts[several] - 1))
    spread = float(np.var(means, ddof=1)) if len(means) > 1 else 0.0
    return max(0.0, spread - within * float(np.mean(1.0 / counts))), within
