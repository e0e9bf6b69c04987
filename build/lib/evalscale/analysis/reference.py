"""Reference points to overlay or score, e.g. the s1 paper's Figure 1 CSV.

A reference CSV has one row per point with the columns `benchmark` (or
`task`), `avg_thinking_tokens` and `accuracy_pct`, and optionally `label`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from evalscale.analysis.runs import AnalysisError

REFERENCE_COLUMNS = ["task", "label", "mean_thinking_tokens", "accuracy"]


def read_reference(path: Path) -> pd.DataFrame:
    """Reference points: columns task, label, mean_thinking_tokens, accuracy (label: file name if absent)."""
    if not path.is_file():
        raise AnalysisError(f"reference file {path} does not exist")
    table = pd.read_csv(path).rename(columns={"benchmark": "task"})
    needed = {"task", "avg_thinking_tokens", "accuracy_pct"}
    if not needed <= set(table.columns):
        raise AnalysisError(
            f"reference file {path} needs columns benchmark (or task), avg_thinking_tokens and accuracy_pct"
        )
    if "label" not in table.columns:
        table["label"] = path.stem
    table = table.rename(columns={"avg_thinking_tokens": "mean_thinking_tokens", "accuracy_pct": "accuracy"})
    return table[REFERENCE_COLUMNS]


def task_key(name: str) -> str:
    """A task name reduced for matching spellings: "AIME24" ~ "aime24", "GPQA-Diamond" ~ "gpqa_diamond"."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def for_task(reference: pd.DataFrame | None, task: str) -> pd.DataFrame:
    """The reference points whose task matches `task` (empty without a reference)."""
    if reference is None:
        return pd.DataFrame(columns=REFERENCE_COLUMNS)
    return reference[reference["task"].map(task_key) == task_key(task)]
