"""The s1 paper's metrics of a scaling curve (Control, Scaling, Performance) and its area.

Each takes plain numbers, so the paper's own points can be fed in: a point is
(mean thinking tokens, accuracy in percentage points). See S1-FACTS.md:
Scaling is the mean pairwise slope of accuracy against log2 of the tokens.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

import numpy as np

Point = tuple[float, float]


def scaling(points: Iterable[Point]) -> float:
    """Mean over all pairs a < b of (f(b) - f(a)) / (log2 b - log2 a); NaN with fewer than 2 token levels.

    Pairs at the same token count have no slope and are left out, as are points at
    0 thinking tokens (no place on a log axis).
    """
    logged = sorted((math.log2(tokens), accuracy) for tokens, accuracy in _on_log_axis(points))
    slopes = [(fb - fa) / (xb - xa) for (xa, fa), (xb, fb) in itertools.combinations(logged, 2) if xb > xa]
    return float(np.mean(slopes)) if slopes else float("nan")


def performance(points: Iterable[Point]) -> float:
    """The best accuracy of the curve (max over its settings); NaN for no points."""
    accuracies = [accuracy for _, accuracy in points]
    return max(accuracies) if accuracies else float("nan")


def control(tokens: Iterable[float], low: float, high: float) -> float:
    """Share (%) of settings whose mean thinking tokens fall within the requested [low, high]."""
    values = list(tokens)
    if not values:
        return float("nan")
    return 100.0 * sum(low <= t <= high for t in values) / len(values)


def control_against_caps(tokens: Sequence[float], caps: Sequence[float]) -> float:
    """Share (%) of cap-controlled settings whose mean thinking tokens stay within their cap."""
    if len(tokens) != len(caps):
        raise ValueError("control_against_caps needs one cap per setting")
    if not tokens:
        return float("nan")
    return 100.0 * sum(t <= c for t, c in zip(tokens, caps, strict=True)) / len(tokens)


def mean_accuracy_over(points: Iterable[Point], low: float, high: float) -> float:
    """Area under the curve between `low` and `high` tokens, over the log2 width: mean accuracy (points).

    The curve is the points sorted by tokens (accuracies at equal tokens averaged),
    joined linearly in log2 tokens; NaN when [low, high] is not inside its range.
    """
    xs, ys = _as_function(points)
    if not (0 < low < high):
        return float("nan")
    lo, hi = math.log2(low), math.log2(high)
    if xs.size < 2 or lo < xs[0] or hi > xs[-1]:
        return float("nan")
    inside = (xs > lo) & (xs < hi)
    grid = np.concatenate([[lo], xs[inside], [hi]])
    values = np.interp(grid, xs, ys)
    area = np.sum((values[1:] + values[:-1]) / 2.0 * np.diff(grid))
    return float(area / (hi - lo))


def shared_range(*curves: Iterable[Point]) -> tuple[float, float]:
    """The token range [low, high] that every curve spans (low > high when they do not overlap)."""
    ranges = [[tokens for tokens, _ in _on_log_axis(curve)] or [math.nan] for curve in curves]
    return max(min(r) for r in ranges), min(max(r) for r in ranges)


def _as_function(points: Iterable[Point]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique log2 tokens and the mean accuracy at each."""
    pairs = np.array([(math.log2(t), a) for t, a in _on_log_axis(points)], dtype=float).reshape(-1, 2)
    xs, inverse = np.unique(pairs[:, 0], return_inverse=True)
    ys = np.bincount(inverse, weights=pairs[:, 1]) / np.bincount(inverse)
    return xs, ys


def _on_log_axis(points: Iterable[Point]) -> list[Point]:
    """The points with a positive token count (log2 needs one)."""
    return [(tokens, accuracy) for tokens, accuracy in points if tokens > 0]
