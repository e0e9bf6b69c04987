"""Analysis of stored runs: graded cells as pandas tables, CIs, majority vote and the s1 metrics.

Works on run directories alone (no GPU, no model): `load_runs` reads and
merges them, `summarize` makes the per-cell table, `scaling_metrics` the s1
Control/Scaling/Performance per series, `parallel_scaling` the majority vote.
"""

from evalscale.analysis.metrics import control, control_against_caps, performance, scaling
from evalscale.analysis.runs import AnalysisError, RunInfo, Runs, default_grader, load_runs
from evalscale.analysis.tables import (
    curve,
    parallel_scaling,
    scaling_metrics,
    summarize,
    warnings,
)

__all__ = [
    "AnalysisError",
    "RunInfo",
    "Runs",
    "control",
    "control_against_caps",
    "curve",
    "default_grader",
    "load_runs",
    "parallel_scaling",
    "performance",
    "scaling",
    "scaling_metrics",
    "summarize",
    "warnings",
]
