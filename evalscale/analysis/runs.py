"""Stored runs as one pandas table: every graded cell with its model, task and run status.

Several run directories combine as follows: directories with the same
config_hash are shards of one run and merge (cells de-duplicated by key);
runs of one (model, task) with different configs form one scaling curve when
their cells do not overlap (e.g. other caps), and separate series, labelled by
mode or config hash, when they do (e.g. `shared` against `independent`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalscale.analysis.votes import vote_keys
from evalscale.records import Verdict, cell_key, from_json_dict, to_json_dict
from evalscale.store import CELLS, VERDICTS, iter_jsonl, iter_run_dirs, read_manifest

KEY_COLUMNS = ["problem_id", "sample", "cap", "waits"]
CELL_COLUMNS = [
    "problem_id",
    "sample",
    "cap",
    "waits",
    "waits_used",
    "thinking_tokens",
    "answer_tokens",
    "end_reason",
]
VERDICT_COLUMNS = ["correct", "extracted", "reason"]


class AnalysisError(ValueError):
    """Stored runs cannot be analysed as asked (missing verdicts, mismatched runs, bad input)."""


@dataclass(frozen=True)
class RunInfo:
    """One run directory as it enters an analysis."""

    path: Path
    model: str
    task: str
    mode: str
    status: str
    config_hash: str
    n_cells: int
    expected_cells: int | None
    control_range: tuple[float, float] | None
    series: str = ""

    @property
    def partial(self) -> bool:
        """True when the run was interrupted (its manifest is not marked complete)."""
        return self.status != "complete"


@dataclass(frozen=True)
class Runs:
    """Graded cells of several runs (`cells`, one row per cell) and the runs they came from."""

    cells: pd.DataFrame
    runs: list[RunInfo]

    def control_range(self, model: str, task: str) -> tuple[float, float] | None:
        """The requested [a_min, a_max] of thinking tokens of a series, if its config sets one."""
        ranges = {r.control_range for r in self.runs if r.series == model and r.task == task}
        ranges.discard(None)
        return ranges.pop() if len(ranges) == 1 else None


Grader = Callable[[Path], Iterable[Verdict]]


def default_grader() -> Grader:
    """The project's grader: `evalscale.grading.command.grade_run`, then its verdicts.jsonl streamed."""
    from evalscale.grading.command import grade_run

    def grade(run_dir: Path) -> Iterator[Verdict]:
        grade_run(run_dir)
        return (from_json_dict(Verdict, record) for record in iter_jsonl(run_dir / VERDICTS))

    return grade


def load_runs(paths: Sequence[Path], grader: Grader | None = None) -> Runs:
    """Read run directories (or folders of them) into one table of graded cells.

    Runs without a complete verdicts.jsonl are graded with `grader` when given;
    otherwise an AnalysisError asks for `evalscale grade`. Cells and verdicts are
    streamed into columns (never held as records); the `vote` column holds each
    answer's majority-vote key.
    """
    frames: list[pd.DataFrame] = []
    infos: list[RunInfo] = []
    for run_dir in iter_run_dirs([Path(p) for p in paths]):
        info, frame = _load_run(run_dir, grader)
        infos.append(info)
        frames.append(frame)
    labelled = _label_series(infos, frames)
    infos = [info for info, _ in labelled]
    cells = pd.concat([frame for _, frame in labelled], ignore_index=True)
    cells = cells.drop_duplicates(subset=["model", "task", "key"])  # shards of one run may repeat cells
    if cells.empty:
        raise AnalysisError(f"no graded cells in {', '.join(str(p) for p in paths)}")
    cells["vote"] = vote_keys(cells["extracted"])
    return Runs(cells=cells.reset_index(drop=True), runs=infos)


def _load_run(run_dir: Path, grader: Grader | None) -> tuple[RunInfo, pd.DataFrame]:
    """One run directory: its manifest facts and its cells joined with their verdicts."""
    manifest = read_manifest(run_dir)
    missing = [k for k in ("model", "task", "config_hash") if k not in manifest]
    if missing:
        raise AnalysisError(f"{run_dir}: manifest.json lacks {', '.join(missing)}")
    cells = _columns(
        ({"key": cell_key(*(r[c] for c in KEY_COLUMNS)), **r} for r in iter_jsonl(run_dir / CELLS)),
        ["key", *CELL_COLUMNS],
    )
    frame = cells.merge(_verdicts(run_dir, cells["key"], grader), on="key", how="left", validate="one_to_one")
    frame["correct"] = frame["correct"].astype(bool)
    frame["disagrees"] = _disagreements(run_dir, frame)
    budget = manifest.get("config", {}).get("budget", {}) or {}
    control = budget.get("control_range")
    info = RunInfo(
        path=run_dir,
        model=str(manifest["model"]),
        task=str(manifest["task"]),
        mode=str(manifest.get("mode", "")),
        status=str(manifest.get("status", "running")),
        config_hash=str(manifest["config_hash"]),
        n_cells=len(frame),
        expected_cells=manifest.get("expected_cells"),
        control_range=(float(control[0]), float(control[1])) if control else None,
    )
    return info, frame


def _disagreements(run_dir: Path, frame: pd.DataFrame) -> pd.Series:
    """1.0 where math-verify's cross-check verdict differs from ours, 0.0 where it agrees, NaN unchecked."""
    from evalscale.grading.crosscheck import read_second_opinions

    second = read_second_opinions(run_dir)
    other = frame["key"].map(second)
    return (other != frame["correct"]).astype(float).where(other.notna())


def _columns(records: Iterable[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A table of the given fields of streamed records, one row per key (a later record wins)."""
    values: dict[str, list[Any]] = {column: [] for column in columns}
    for record in records:
        for column in columns:
            values[column].append(record[column])
    return pd.DataFrame(values, columns=columns).drop_duplicates("key", keep="last")


def _verdicts(run_dir: Path, keys: pd.Series, grader: Grader | None) -> pd.DataFrame:
    """Verdict columns by cell key for every key; grades the run when verdicts are missing."""
    columns = ["key", *VERDICT_COLUMNS]
    stored = _columns(iter_jsonl(run_dir / VERDICTS), columns)  # a later line (re-grade) wins
    ungraded = int((~keys.isin(stored["key"])).sum())
    if ungraded:
        if grader is None:
            raise AnalysisError(
                f"{run_dir}: {ungraded} of {len(keys)} cells have no verdict; "
                f"run `evalscale grade {run_dir}` first"
            )
        stored = _columns((to_json_dict(v) for v in grader(run_dir)), columns)
        ungraded = int((~keys.isin(stored["key"])).sum())
        if ungraded:
            raise AnalysisError(f"{run_dir}: grading left {ungraded} cells without a verdict")
    return stored[stored["key"].isin(keys)]


def _label_series(infos: list[RunInfo], frames: list[pd.DataFrame]) -> list[tuple[RunInfo, pd.DataFrame]]:
    """Give every run its series label and add model/task/run/partial columns to its cells."""
    by_config: dict[tuple[str, str, str], list[int]] = {}
    for index, info in enumerate(infos):
        by_config.setdefault((info.model, info.task, info.config_hash), []).append(index)
    by_curve: dict[tuple[str, str], list[tuple[str, list[int]]]] = {}
    for (model, task, config_hash), members in by_config.items():
        by_curve.setdefault((model, task), []).append((config_hash, members))
    labels: dict[int, str] = {}
    for (model, _), configs in by_curve.items():
        key_sets = [set().union(*(set(frames[i]["key"]) for i in members)) for _, members in configs]
        overlap = any(a & b for i, a in enumerate(key_sets) for b in key_sets[i + 1 :])
        modes = {infos[members[0]].mode for _, members in configs}
        for config_hash, members in configs:
            suffix = infos[members[0]].mode if len(modes) == len(configs) else config_hash[:8]
            for i in members:
                labels[i] = f"{model} ({suffix})" if overlap else model
    labelled = []
    for index, (info, frame) in enumerate(zip(infos, frames, strict=True)):
        info = dataclasses.replace(info, series=labels[index])
        frame = frame.assign(model=info.series, task=info.task, run=str(info.path), partial=info.partial)
        labelled.append((info, frame))
    return labelled
