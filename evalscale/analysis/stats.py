"""Bootstrap over problems: confidence intervals for accuracies and their paired differences."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

N_BOOT = 2000
LEVEL = 0.95


@functools.lru_cache(maxsize=64)
def resample_counts(n_problems: int, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """Bootstrap draws as counts, shape (n_boot, n_problems): how often each problem is drawn.

    `counts @ values / n_problems` gives the bootstrap means of per-problem
    values; one count matrix applied to several columns keeps them paired
    (same draws). Cached and read-only.
    """
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_problems, size=(n_boot, n_problems))
    offsets = np.arange(n_boot)[:, None] * n_problems
    counts = np.bincount((draws + offsets).ravel(), minlength=n_boot * n_problems)
    counts = counts.reshape(n_boot, n_problems)
    counts.flags.writeable = False
    return counts


def percentile_ci(draws: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The central `level` interval of bootstrap draws (NaN draws ignored)."""
    if np.isnan(draws).all():
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.nanpercentile(draws, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_ci(values: np.ndarray, n_boot: int = N_BOOT, seed: int = 0) -> tuple[float, float]:
    """95% percentile CI of the mean of per-problem values (e.g. accuracies, or paired differences)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return float("nan"), float("nan")
    return percentile_ci(resample_counts(values.size, n_boot, seed) @ values / values.size)


@dataclass(frozen=True)
class PairedChange:
    """Accuracy after minus before (points) over the problems present at both, with a 95% bootstrap CI."""

    n_problems: int
    change: float
    ci_low: float
    ci_high: float


def paired_change(before: pd.Series, after: pd.Series, n_boot: int = N_BOOT, seed: int = 0) -> PairedChange:
    """The paired change between two per-problem accuracies (indexed by problem_id): per problem present in
    both, after - before; their mean and its `bootstrap_ci` over the problems in sorted order (the same
    draws of problems for both sides, so the CI is paired). NaN when they share no problem."""
    shared = before.index.intersection(after.index).sort_values()
    diffs = (after[shared] - before[shared]).to_numpy(dtype=float)
    low, high = bootstrap_ci(diffs, n_boot, seed)
    return PairedChange(len(diffs), float(diffs.mean()) if len(diffs) else float("nan"), low, high)
