"""Stored runs as one pandas table: every graded cell with its model, task and run status.

Several run directories combine as follows: directories with the same
config_hash are shards of one run and merge (cells de-duplicated by key);
runs of one (model, task) with different configs form one scaling curve when
their cells do not overlap (e.g. other caps), and separate series when they do
(e.g. `shared` against `independent`). Series are labelled by the config
values that set them apart (analysis.labels), unless a run's config sets
`label` or the caller names the runs of a path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalscale.analysis import labels
from evalscale.analysis.votes import vote_keys
from evalscale.methods import DEFAULT_METHOD
from evalscale.records import Verdict, to_json_dict
from evalscale.store import (
    CELLS,
    VERDICTS,
    iter_jsonl,
    iter_records,
    iter_run_dirs,
    read_manifest,
    stored_cell_key,
)

CELL_COLUMNS = [
    "problem_id",
    "sample",
    "cap",
    "waits",
    "waits_used",
    "thinking_tokens",
    "answer_tokens",
    "end_reason",
    "condition",
    "tries",
]
# The optional cell fields of methods other than budget forcing (records.CellRecord), as read when absent.
OPTIONAL_CELL_FIELDS = {"condition": None, "tries": None}
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
    variant: dict[str, Any] = field(default_factory=dict, compare=False)  # see labels.variant
    label: str | None = None  # the series name the run's config or the caller gives it
    method: dict[str, Any] = field(default_factory=dict, compare=False)  # its method node; {}: budget forcing

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

    def method(self, model: str, task: str) -> dict[str, Any]:
        """The method node (conf/method/) of a series' runs: {"name": ...} ({} for budget forcing)."""
        return next((r.method for r in self.runs if r.series == model and r.task == task), {})


Grader = Callable[[Path], Iterable[Verdict]]


def method_name(node: dict[str, Any]) -> str:
    """The method a run's method node names (an empty node: budget forcing)."""
    return str(node.get("name") or DEFAULT_METHOD)


def default_grader() -> Grader:
    """The project's grader: `evalscale.grading.runs.grade_run`, then its verdicts.jsonl streamed."""
    from evalscale.grading.runs import grade_run

    def grade(run_dir: Path) -> Iterator[Verdict]:
        grade_run(run_dir)
        return iter_records(run_dir / VERDICTS, Verdict)

    return grade


def load_runs(
    paths: Sequence[Path], grader: Grader | None = None, names: Sequence[str] | None = None
) -> Runs:
    """Read run directories (or folders of them) into one table of graded cells.

    Runs without a complete verdicts.jsonl are graded with `grader` when given;
    otherwise an AnalysisError asks for `evalscale grade`. Cells and verdicts are
    streamed into columns (never held as records); the `vote` column holds each
    answer's majority-vote key, `method` the run's method (`method_name`).
    `names`, one per path, label the series of the runs under that path.
    """
    if names is not None and len(names) != len(paths):
        raise AnalysisError(f"{len(names)} labels for {len(paths)} run directories; give one per directory")
    frames: list[pd.DataFrame] = []
    infos: list[RunInfo] = []
    for index, path in enumerate(paths):
        for run_dir in iter_run_dirs([Path(path)]):
            info, frame = _load_run(run_dir, grader)
            infos.append(dataclasses.replace(info, label=names[index]) if names else info)
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
        ({**OPTIONAL_CELL_FIELDS, **r, "key": stored_cell_key(r)} for r in iter_jsonl(run_dir / CELLS)),
        ["key", *CELL_COLUMNS],
    )
    cells["condition"] = cells["condition"].fillna("")  # "" where a cell has none (budget forcing)
    cells["tries"] = pd.to_numeric(cells["tries"])  # NaN where a cell has none (not rejection sampling)
    frame = cells.merge(_verdicts(run_dir, cells["key"], grader), on="key", how="left", validate="one_to_one")
    frame["correct"] = frame["correct"].astype(bool)
    frame["disagrees"] = _disagreements(run_dir, frame)
    config = manifest.get("config") or {}
    control = (config.get("budget") or {}).get("control_range")
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
        variant=labels.variant(config, str(manifest["model"]), str(manifest.get("mode", ""))),
        label=str(config["label"]) if config.get("label") is not None else None,
        method=dict(config.get("method") or {}),
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
    series = _group_series(infos, frames)
    described = labels.describe(
        [labels.common([infos[i].variant for i in members]) for members in series],
        panels=[infos[members[0]].task for members in series],
    )
    chosen = [
        next((infos[i].label for i in members if infos[i].label), text)
        for members, text in zip(series, described, strict=True)
    ]
    names: dict[int, str] = {}
    for k, members in enumerate(series):
        first = infos[members[0]]
        clash = any(
            j != k and chosen[j] == chosen[k] and infos[series[j][0]].task == first.task
            for j in range(len(series))
        )
        for i in members:  # the same name for two series of one task: told apart by config hash
            names[i] = f"{chosen[k]} ({first.config_hash[:8]})" if clash else chosen[k]
    labelled = []
    for index, (info, frame) in enumerate(zip(infos, frames, strict=True)):
        info = dataclasses.replace(info, series=names[index])
        frame = frame.assign(
            model=info.series,
            task=info.task,
            method=method_name(info.method),
            run=str(info.path),
            partial=info.partial,
        )
        labelled.append((info, frame))
    return labelled


def _group_series(infos: list[RunInfo], frames: list[pd.DataFrame]) -> list[list[int]]:
    """Runs (by index) that form one series: shards of one config; configs of one (model, task, method)
    whose cells do not overlap (one curve from several runs); else each config alone."""
    by_config: dict[tuple[str, str, str], list[int]] = {}
    for index, info in enumerate(infos):
        by_config.setdefault((info.model, info.task, info.config_hash), []).append(index)
    by_curve: dict[tuple[str, str, str], list[list[int]]] = {}
    for (model, task, _), members in by_config.items():
        method = method_name(infos[members[0]].method)  # methods never join
        by_curve.setdefault((model, task, method), []).append(members)
    series: list[list[int]] = []
    for configs in by_curve.values():
        key_sets = [set().union(*(set(frames[i]["key"]) for i in members)) for members in configs]
        overlap = any(a & b for i, a in enumerate(key_sets) for b in key_sets[i + 1 :])
        series += configs if overlap else [[i for members in configs for i in members]]
    return series
