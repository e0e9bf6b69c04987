"""Bootstrap over problems: confidence intervals for accuracies and their paired differences."""

from __future__ import annotations

import numpy as np

N_BOOT = 2000
LEVEL = 0.95


def resample_weights(n_problems: int, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """Bootstrap weights, shape (n_boot, n_problems): how often each problem is drawn, over n.

    `weights @ values` gives the bootstrap means of per-problem values; one
    weight matrix applied to several columns keeps them paired (same draws).
    """
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_problems, np.full(n_problems, 1.0 / n_problems), size=n_boot)
    return counts / n_problems


def percentile_ci(draws: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The central `level` interval of bootstrap draws (NaN draws ignored)."""
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.nanpercentile(draws, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_ci(values: np.ndarray, n_boot: int = N_BOOT, seed: int = 0) -> tuple[float, float]:
    """95% percentile CI of the mean of per-problem values (e.g. accuracies, or paired differences)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return float("nan"), float("nan")
    return percentile_ci(resample_weights(values.size, n_boot, seed) @ values)
