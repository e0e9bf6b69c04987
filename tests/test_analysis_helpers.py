"""Synthetic run directories with known answers, for the analysis, report and compare tests.

Every problem's gold answer is "7"; a cell is correct when the `answer`
function returns "7" for it, and unanswered (reason "no_answer") when it returns None.
Its answer text boxes that answer, so grading the run gives the same verdicts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from evalscale.records import CellRecord, Problem, Verdict, to_json_dict
from evalscale.store import CELLS, MANIFEST, PROBLEMS, VERDICTS

GOLD = "7"
Answer = Callable[[int, int, int, int], str | None]  # (problem, sample, cap, waits) -> extracted answer
Tokens = Callable[[int, int, int, int], int]


def default_tokens(problem: int, sample: int, cap: int, waits: int) -> int:
    """Thinking tokens that grow with the Waits and stop at the cap."""
    return min(cap, 60 * (waits + 1) + problem)


def write_jsonl(path: Path, records: list[dict]) -> None:
    """Write records as JSONL."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def write_run(
    run_dir: Path,
    answer: Answer,
    *,
    model: str = "toy",
    task: str = "letter_count",
    caps: Sequence[int] = (50, 100),
    waits: Sequence[int] = (0,),
    problems: Sequence[int] = range(4),
    samples: int = 1,
    tokens: Tokens = default_tokens,
    status: str = "complete",
    config_hash: str = "hash-a",
    mode: str = "shared",
    budget: dict | None = None,
    graded: bool = True,
    config: dict | None = None,
    conditions: Sequence[str | None] = (None,),
    method: str | None = None,
    uncapped: bool = False,
) -> Path:
    """Write a run directory whose cells answer as `answer` says; returns `run_dir`.

    `config` (e.g. a composed sweep config) is stored in the manifest, with the grid, samples and mode set.
    `method` names the run's method (its config's method node), `conditions` its prompt classes (each
    cell of the grid once per class; `tokens` and `answer` see the class's index added to the cap).
    `uncapped`: the caps are instructed budgets that do not cut thinking (tcc, ccc): no cell is cap-closed.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    budget = {"caps": list(caps), "waits": list(waits), "min_thinking": 0, **(budget or {})}
    manifest = {
        "model": model,
        "task": task,
        "mode": mode,
        "status": status,
        "config": {
            **(config or {}),
            "budget": budget,
            "samples": samples,
            "mode": mode,
            **({"method": {"name": method}} if method else {}),
        },
        "config_hash": config_hash,
        "created": "2025-01-01T00:00:00",
        "versions": {},
        "expected_cells": len(problems) * samples * len(caps) * len(waits) * len(conditions),
    }
    (run_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    write_jsonl(
        run_dir / PROBLEMS,
        [to_json_dict(Problem(f"p{p}", f"question {p}", GOLD, "integer")) for p in problems],
    )
    cells, verdicts = [], []
    for p in problems:
        for s in range(samples):
            for cap in caps:
                for w in waits:
                    for index, condition in enumerate(conditions):
                        thinking = tokens(p, s, cap + index, w)
                        capped = thinking >= cap and not uncapped
                        end = "cap" if capped else ("waits_exhausted" if w else "stop")
                        extracted = answer(p, s, cap + index, w)
                        cells.append(cell := _cell(p, s, cap, w, condition, mode, thinking, end, extracted))
                        reason = (
                            "no_answer"
                            if extracted is None
                            else ("match" if extracted == GOLD else "mismatch")
                        )
                        verdicts.append(to_json_dict(Verdict(cell.key, extracted == GOLD, extracted, reason)))
    write_jsonl(run_dir / CELLS, [to_json_dict(cell) for cell in cells])
    if graded:
        write_jsonl(run_dir / VERDICTS, verdicts)
    return run_dir


def _cell(
    p: int,
    s: int,
    cap: int,
    w: int,
    condition: str | None,
    mode: str,
    thinking: int,
    end: str,
    extracted: str | None,
) -> CellRecord:
    return CellRecord(
        problem_id=f"p{p}",
        sample=s,
        cap=cap,
        waits=w,
        condition=condition,
        mode=mode,
        waits_used=w,
        forced_waits=w,
        thinking_tokens=thinking,
        end_reason=end,  # type: ignore[arg-type]
        answer_text="" if extracted is None else f"\\boxed{{{extracted}}}",
        answer_tokens=5,
        answer_finish="stop",
        trajectory="",
        seeds={},
    )


def right_from_cap(threshold: int) -> Answer:
    """Answers: problem p is right exactly when the cap reaches threshold * (p + 1)."""
    return lambda p, s, cap, w: GOLD if cap >= threshold * (p + 1) else "0"
