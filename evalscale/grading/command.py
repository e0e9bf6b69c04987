"""`evalscale grade RUN_DIR [RUN_DIR...] [workers=N] [timeout=S] [cross_check=math_verify]`: (re)grade runs.

Answers are extracted in-process (multiple-choice with the problem's stored options, so an
answer given as an option's text counts); each distinct (answer, gold, kind) is judged
once (memoised) by a pool of worker processes under a wall limit, with a progress
bar. Verdicts replace `verdicts.jsonl` atomically; cells and generations are
never touched. With `cross_check=math_verify`, math-verify grades every cell too and the
disagreements are written to `report/disagreements.md` in the run dir (see crosscheck.py).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from evalscale.cli import split_arguments
from evalscale.grading import DEFAULT_TIMEOUT, Grade, Kind, extract, fast_compare, judge
from evalscale.grading.crosscheck import DISAGREEMENTS, cross_check, require_checker
from evalscale.grading.limits import shared_pool
from evalscale.records import CellRecord, Problem, Verdict, from_json_dict, to_json_dict
from evalscale.store import CELLS, PROBLEMS, VERDICTS, StoreError, iter_run_dirs, read_jsonl, read_manifest

DEFAULT_WORKERS = len(os.sched_getaffinity(0))  # the cores this process may use (SLURM, cgroups)
KIND_OF: dict[str, Kind] = {"integer": "math", "math": "math", "choice": "choice"}
USAGE = "usage: evalscale grade RUN_DIR [RUN_DIR...] [workers=N] [timeout=SECONDS] [cross_check=math_verify]"


def grade_run(
    run_dir: Path,
    workers: int = DEFAULT_WORKERS,
    timeout: float = DEFAULT_TIMEOUT,
    progress: bool = False,
    second_checker: str = "",
) -> list[Verdict]:
    """Grade every cell of a run directory, rewrite its verdicts.jsonl, and return the verdicts.

    With `second_checker` ("math_verify"), also cross-check every cell (see crosscheck.py).
    """
    if second_checker:
        require_checker(second_checker)
    read_manifest(run_dir)
    problems = {p.id: p for p in (from_json_dict(Problem, r) for r in read_jsonl(run_dir / PROBLEMS))}
    cells = [from_json_dict(CellRecord, r) for r in read_jsonl(run_dir / CELLS)]
    missing = sorted({c.problem_id for c in cells} - problems.keys())
    if missing:
        raise StoreError(f"{run_dir}: cells refer to problems missing from {PROBLEMS} ({missing[0]}, ...)")
    extracted: list[tuple[str | None, str, str, Kind]] = []
    for cell in cells:
        problem = problems[cell.problem_id]
        kind = KIND_OF.get(problem.answer_type)
        if kind is None:
            raise StoreError(f"{run_dir}: problem {problem.id}: unknown answer_type {problem.answer_type!r}")
        options = problem.metadata.get("options") if kind == "choice" else None
        answer, reason = extract(cell.answer_text, kind, options)
        extracted.append((answer, reason, problem.gold, kind))
    pending = sorted({(a, g, k) for a, _, g, k in extracted if a is not None})
    grades: dict[tuple[str, str, Kind], Grade] = {}
    if pending:
        slow = sum(kind == "math" and fast_compare(answer, gold) is None for answer, gold, kind in pending)
        if slow:
            shared_pool(min(workers, slow))  # sympy workers only where sympy is needed
        with ThreadPoolExecutor(max_workers=workers) as executor:
            results = executor.map(lambda item: judge(item[0], item[1], item[2], timeout), pending)
            bar = tqdm(
                results, total=len(pending), desc=f"grade {run_dir.name}", unit="check", disable=not progress
            )
            grades = dict(zip(pending, bar, strict=True))
    verdicts = [
        Verdict(cell.key, False, None, reason)
        if answer is None
        else Verdict(
            cell.key, grades[(answer, gold, kind)].correct, answer, grades[(answer, gold, kind)].reason
        )
        for cell, (answer, reason, gold, kind) in zip(cells, extracted, strict=True)
    ]
    _write_atomically(run_dir / VERDICTS, verdicts)
    if second_checker:
        cross_check(run_dir, cells, problems, dict(KIND_OF), verdicts, workers, timeout)
    return verdicts


def _write_atomically(path: Path, verdicts: list[Verdict]) -> None:
    """Write all verdicts to a temporary file in the same folder, then rename it over `path`."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            for verdict in verdicts:
                stream.write(json.dumps(to_json_dict(verdict), ensure_ascii=False) + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _parse_args(argv: list[str]) -> tuple[list[Path], int, float, str]:
    arguments, options = split_arguments(
        argv, {"workers": str(DEFAULT_WORKERS), "timeout": str(DEFAULT_TIMEOUT), "cross_check": ""}
    )
    if not arguments:
        raise ValueError("no run directory given")
    workers, timeout = int(options["workers"]), float(options["timeout"])
    if workers < 1 or timeout <= 0:
        raise ValueError("workers must be at least 1 and timeout positive")
    if options["cross_check"]:
        require_checker(options["cross_check"])
    return [Path(argument) for argument in arguments], workers, timeout, options["cross_check"]


def main(argv: list[str]) -> int:
    """Entry point of `evalscale grade`; returns the exit code (2 for bad arguments or run dirs)."""
    if any(arg in {"-h", "--help"} for arg in argv):
        print(USAGE)
        return 0
    try:
        paths, workers, timeout, second_checker = _parse_args(argv)
        run_dirs = list(iter_run_dirs(paths))
        for run_dir in run_dirs:
            verdicts = grade_run(run_dir, workers, timeout, progress=True, second_checker=second_checker)
            print(_summary(run_dir, verdicts))
            if second_checker:
                print(f"{run_dir}: disagreements with {second_checker} in {run_dir / DISAGREEMENTS}")
    except (ValueError, StoreError) as error:
        print(f"evalscale grade: {error}\n{USAGE}", file=sys.stderr)
        return 2
    return 0


def _summary(run_dir: Path, verdicts: list[Verdict]) -> str:
    """One line per run: cells, accuracy, and the share of each failure reason."""
    if not verdicts:
        return f"{run_dir}: no cells to grade"
    total = len(verdicts)
    reasons = Counter(v.reason for v in verdicts if not v.correct)
    failures = ", ".join(f"{reason} {count / total:.1%}" for reason, count in reasons.most_common())
    accuracy = sum(v.correct for v in verdicts) / total
    return f"{run_dir}: {total} cells, accuracy {accuracy:.1%}" + (f" ({failures})" if failures else "")
