"""Cross-check mode: grade a run with a second checker (math-verify) and list every disagreement.

`evalscale grade RUN_DIR cross_check=math_verify` grades as usual, then asks math-verify for its
verdict on every cell (in the worker pool, under the wall limit) and writes, in the run dir,
`crosscheck.jsonl` (one line per cell: both verdicts) and `report/disagreements.md` (every cell
where the two checkers disagree: the response's tail, both extractions, both verdicts), so a
researcher can audit a run in minutes. `evalscale report` shows the disagreement rate per cell.
math-verify is the optional extra `crosscheck` (pip install 'evalscale[crosscheck]').
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from evalscale.grading.limits import WallTimeout, WorkerError, shared_pool
from evalscale.records import CellRecord, Problem, Verdict

CHECKERS = ("math_verify",)
CROSSCHECK = "crosscheck.jsonl"
DISAGREEMENTS = Path("report") / "disagreements.md"
TAIL_CHARS = 1200
WARM_UP_LIMIT_S = 120.0


@dataclass(frozen=True)
class SecondOpinion:
    """The second checker's verdict on one cell and what it extracted (`error: ...` when it failed)."""

    key: str
    correct: bool
    extracted: str


def require_checker(name: str) -> None:
    """Raise ValueError (one sentence) unless `name` is a known second checker that is installed."""
    if name not in CHECKERS:
        raise ValueError(f"unknown cross_check {name!r}; expected one of {', '.join(CHECKERS)}")
    if importlib.util.find_spec("math_verify") is None:
        raise ValueError(
            "cross_check=math_verify needs math-verify, which is not installed "
            "(pip install 'evalscale[crosscheck]')"
        )


def math_verify_grade(response: str, gold: str, kind: str) -> tuple[bool, str]:
    """math-verify's verdict and extraction (its letter extraction for choice); runs in a worker."""
    from math_verify import parse, verify
    from math_verify.parser import ExprExtractionConfig, LatexExtractionConfig, StringExtractionConfig

    configs = (
        [StringExtractionConfig()] if kind == "choice" else [LatexExtractionConfig(), ExprExtractionConfig()]
    )
    parsed_gold = parse(gold if kind == "choice" else f"${gold}$", extraction_config=configs)
    parsed = parse(response, extraction_config=configs)
    extracted = str(parsed[-1]) if parsed else ""
    return bool(verify(parsed_gold, parsed)), extracted


def _warm_up() -> bool:
    import math_verify  # noqa: F401  (the first import takes seconds: keep it out of the wall limit)

    return True


def cross_check(
    run_dir: Path,
    cells: Sequence[CellRecord],
    problems: dict[str, Problem],
    kinds: dict[str, str],
    verdicts: Sequence[Verdict],
    workers: int,
    timeout: float,
) -> list[SecondOpinion]:
    """Grade every cell with math-verify; write crosscheck.jsonl and report/disagreements.md."""
    pool = shared_pool(workers)
    with ThreadPoolExecutor(max_workers=workers) as executor:
        list(executor.map(lambda _: pool.call(_warm_up, (), WARM_UP_LIMIT_S), range(pool.size)))

        def opinion(cell: CellRecord) -> SecondOpinion:
            problem = problems[cell.problem_id]
            try:
                args = (cell.answer_text, problem.gold, kinds[problem.answer_type])
                correct, extracted = pool.call(math_verify_grade, args, timeout)
            except WallTimeout:
                return SecondOpinion(cell.key, False, "error: timeout")
            except WorkerError as error:
                return SecondOpinion(cell.key, False, f"error: {str(error)[:200]}")
            return SecondOpinion(cell.key, correct, extracted)

        opinions = list(executor.map(opinion, cells))
    with (run_dir / CROSSCHECK).open("w", encoding="utf-8") as stream:
        for verdict, other in zip(verdicts, opinions, strict=True):
            row = {
                "key": verdict.key,
                "correct": verdict.correct,
                "math_verify_correct": other.correct,
                "math_verify_extracted": other.extracted,
            }
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    write_disagreements(run_dir, cells, problems, verdicts, opinions)
    return opinions


def write_disagreements(
    run_dir: Path,
    cells: Sequence[CellRecord],
    problems: dict[str, Problem],
    verdicts: Sequence[Verdict],
    opinions: Sequence[SecondOpinion],
) -> Path:
    """report/disagreements.md: every cell the two checkers grade differently, with what each read."""
    rows = [
        (cell, verdict, other)
        for cell, verdict, other in zip(cells, verdicts, opinions, strict=True)
        if verdict.correct != other.correct
    ]
    share = len(rows) / len(cells) if cells else 0.0
    lines = [
        f"# Cross-check of {run_dir.name}: evalscale against math-verify",
        "",
        f"{len(rows)} of {len(cells)} cells graded differently ({share:.1%}).",
        "",
    ]
    for cell, verdict, other in rows:
        tail = cell.answer_text[-TAIL_CHARS:]
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", tail)), default=0))
        lines += [
            f"## {cell.key}",
            "",
            f"- gold: {_code(problems[cell.problem_id].gold)}",
            f"- evalscale: {_word(verdict.correct)} ({verdict.reason}), extracted {_code(verdict.extracted)}",
            f"- math-verify: {_word(other.correct)}, extracted {_code(other.extracted)}",
            "",
            f"Response tail ({len(tail):,} of {len(cell.answer_text):,} characters):",
            "",
            f"{fence}text",
            tail,
            fence,
            "",
        ]
    path = run_dir / DISAGREEMENTS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _code(text: str | None) -> str:
    return f"`` {text} ``" if text else "nothing"


def _word(correct: bool) -> str:
    return "correct" if correct else "wrong"


def read_second_opinions(run_dir: Path) -> dict[str, bool]:
    """math-verify's verdict by cell key from a cross-checked run (empty when never cross-checked).

    Compared with the current verdicts when read, so a later plain re-grade never shows stale rates.
    """
    path = run_dir / CROSSCHECK
    if not path.exists():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["key"]: bool(row["math_verify_correct"]) for row in rows}
