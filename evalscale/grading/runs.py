"""Grading stored runs: every cell's answer judged, the verdicts written to verdicts.jsonl.

`grade_run` serves `evalscale grade`, the end of a sweep and the reports. Answers are
extracted in-process (multiple-choice with the problem's stored options, so an
answer given as an option's text counts); each distinct (answer, gold, kind) is judged
once (memoised) by a pool of worker processes under a wall limit, with a progress
bar. Verdicts replace `verdicts.jsonl` atomically; cells and generations are
never touched. With `cross_check=math_verify`, math-verify grades every cell too and the
disagreements are written to `report/disagreements.md` in the run dir (see crosscheck.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from evalscale.grading import DEFAULT_TIMEOUT, Grade, Kind, extract, fast_compare, judge
from evalscale.grading.crosscheck import cross_check, require_checker
from evalscale.grading.limits import shared_pool
from evalscale.records import CellRecord, Problem, Verdict
from evalscale.store import (
    CELLS,
    PROBLEMS,
    VERDICTS,
    StoreError,
    encode,
    iter_records,
    read_manifest,
    replace_atomically,
)

DEFAULT_WORKERS = len(os.sched_getaffinity(0))  # the cores this process may use (SLURM, cgroups)
KIND_OF: dict[str, Kind] = {"integer": "math", "math": "math", "choice": "choice"}


@dataclass(frozen=True)
class GradeSummary:
    """What grading one run found: cells graded, how many were correct, and each failure reason's count."""

    cells: int
    correct: int
    failures: Counter[str]


def grade_run(
    run_dir: Path,
    workers: int = DEFAULT_WORKERS,
    timeout: float = DEFAULT_TIMEOUT,
    progress: bool = False,
    second_checker: str = "",
) -> GradeSummary:
    """Grade every cell of a run directory and rewrite its verdicts.jsonl (read it with `iter_records`).

    Cells are streamed: each answer is extracted as its line is read and put
    in a temporary spool file (key, extraction), so memory holds the distinct
    (answer, gold) checks, never the cells. With `second_checker`
    ("math_verify"), every cell is also cross-checked (see crosscheck.py).
    """
    if second_checker:
        require_checker(second_checker)
    read_manifest(run_dir)
    problems = {p.id: p for p in iter_records(run_dir / PROBLEMS, Problem)}
    with tempfile.TemporaryFile("w+", encoding="utf-8", dir=run_dir) as spool:
        pending: set[tuple[str, str, Kind]] = set()
        for cell in iter_records(run_dir / CELLS, CellRecord):
            problem = problems.get(cell.problem_id)
            if problem is None:
                raise StoreError(
                    f"{run_dir}: cells refer to problems missing from {PROBLEMS} ({cell.problem_id})"
                )
            kind = KIND_OF.get(problem.answer_type)
            if kind is None:
                raise StoreError(
                    f"{run_dir}: problem {problem.id}: unknown answer_type {problem.answer_type!r}"
                )
            options = problem.metadata.get("options") if kind == "choice" else None
            answer, reason = extract(cell.answer_text, kind, options)
            spool.write(json.dumps([cell.key, cell.problem_id, answer, reason], ensure_ascii=False) + "\n")
            if answer is not None:
                pending.add((answer, problem.gold, kind))
        grades = _judge_all(sorted(pending), workers, timeout, f"grade {run_dir.name}" if progress else None)
        spool.seek(0)
        summary = _write_verdicts(run_dir / VERDICTS, _spooled_verdicts(spool, problems, grades))
    if second_checker:
        _cross_check_run(run_dir, problems, workers, timeout)
    return summary


def _cross_check_run(run_dir: Path, problems: dict[str, Problem], workers: int, timeout: float) -> None:
    """Cross-check a graded run with math-verify (an audit mode: it holds the run's cells in memory)."""
    cells = list(iter_records(run_dir / CELLS, CellRecord))
    verdicts = list(iter_records(run_dir / VERDICTS, Verdict))
    cross_check(run_dir, cells, problems, dict(KIND_OF), verdicts, workers, timeout)


def _spooled_verdicts(
    spool: Iterable[str], problems: dict[str, Problem], grades: dict[tuple[str, str, Kind], Grade]
) -> Iterator[Verdict]:
    """The verdict of each spooled extraction, in cell order."""
    for line in spool:
        key, problem_id, answer, reason = json.loads(line)
        if answer is None:
            yield Verdict(key, False, None, reason)
            continue
        problem = problems[problem_id]
        grade = grades[(answer, problem.gold, KIND_OF[problem.answer_type])]
        yield Verdict(key, grade.correct, answer, grade.reason)


def _judge_all(
    pending: list[tuple[str, str, Kind]], workers: int, timeout: float, progress: str | None
) -> dict[tuple[str, str, Kind], Grade]:
    """The grade of each distinct (answer, gold, kind), judged by a pool of `workers` under `timeout`."""
    if not pending:
        return {}
    slow = sum(kind == "math" and fast_compare(answer, gold) is None for answer, gold, kind in pending)
    if slow:
        shared_pool(min(workers, slow))  # sympy workers only where sympy is needed
    with ThreadPoolExecutor(max_workers=workers) as executor:
        results = executor.map(lambda item: judge(item[0], item[1], item[2], timeout), pending)
        bar = tqdm(results, total=len(pending), desc=progress, unit="check", disable=progress is None)
        return dict(zip(pending, bar, strict=True))


def _write_verdicts(path: Path, verdicts: Iterable[Verdict]) -> GradeSummary:
    """Write verdicts over `path` atomically (`replace_atomically`); their summary."""
    cells, correct, failures = 0, 0, Counter[str]()

    def lines() -> Iterator[str]:
        nonlocal cells, correct
        for verdict in verdicts:
            yield encode(verdict)
            cells += 1
            correct += verdict.correct
            if not verdict.correct:
                failures[verdict.reason] += 1

    replace_atomically(path, lines())
    return GradeSummary(cells, correct, failures)
