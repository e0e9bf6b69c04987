"""Constructed cells tables (the columns `analysis.load_runs` gives) for the analysis tests; no tests here.

A point's outcomes are a string with one letter per (problem, sample) pair,
problem-major: R right, W wrong (an answer, mismatch), N no answer, A
ambiguous (both wrong, without an extracted answer).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from evalscale.records import cell_key

Point = tuple[int, int]  # (cap, waits)
REASONS = {"R": "match", "W": "mismatch", "N": "no_answer", "A": "ambiguous"}
EXTRACTED = {"R": "7", "W": "3", "N": None, "A": None}


def problem_name(index: int) -> str:
    """Problem ids sort as their index does."""
    return f"p{index:03d}"


def curve_cells(
    points: Mapping[Point, str],
    *,
    samples: int = 1,
    tokens: Mapping[Point, Sequence[int]] | None = None,
    model: str = "m",
    task: str = "t",
) -> pd.DataFrame:
    """A cells table with the given outcomes per point. Thinking tokens default to half the cap plus
    10 per Wait (the model stops on its own); a pair whose tokens reach the cap is closed by it."""
    rows = []
    for (cap, waits), outcomes in points.items():
        for index, outcome in enumerate(outcomes):
            problem, sample = divmod(index, samples)
            thinking = (
                tokens[(cap, waits)][index] if tokens and (cap, waits) in tokens else cap // 2 + 10 * waits
            )
            capped = thinking >= cap
            rows.append(
                {
                    "key": cell_key(problem_name(problem), sample, cap, waits),
                    "problem_id": problem_name(problem),
                    "sample": sample,
                    "cap": cap,
                    "waits": waits,
                    "waits_used": 0 if capped else waits,
                    "thinking_tokens": min(thinking, cap),
                    "answer_tokens": 5,
                    "end_reason": "cap" if capped else ("waits_exhausted" if waits else "stop"),
                    "correct": outcome == "R",
                    "extracted": EXTRACTED[outcome],
                    "reason": REASONS[outcome],
                    "model": model,
                    "task": task,
                    "run": "run",
                    "partial": False,
                }
            )
    return pd.DataFrame(rows)


def outcomes(right: int, total: int, fill: str = "W") -> str:
    """`right` problems right (the first ones), the rest `fill`."""
    return "R" * right + fill * (total - right)
