"""Tests of the answer checker: the labelled suite, wall limits, safety, and `evalscale grade`."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from grading_cases.megabyte import MEGABYTE_RESPONSES

from evalscale.commands.grade import main
from evalscale.grading import Kind, check, extract
from evalscale.grading.limits import STARTUP_LIMIT_S, WallTimeout, WorkerPool
from evalscale.grading.runs import grade_run
from evalscale.records import CellRecord, Problem, to_json_dict
from evalscale.store import CELLS, MANIFEST, PROBLEMS, VERDICTS, read_jsonl

SUITE = Path(__file__).parent / "grading_cases"
PACKAGE = Path(__file__).parents[1] / "evalscale" / "grading"


def _suite() -> list[dict[str, Any]]:
    return [
        json.loads(line) for path in sorted(SUITE.glob("*.jsonl")) for line in path.read_text().splitlines()
    ]


def test_suite_is_large_and_balanced() -> None:
    cases = _suite()
    assert len(cases) >= 500
    assert 0.3 < sum(c["label"] for c in cases) / len(cases) < 0.8
    assert {"math500_restated", "retraction", "thousands", "choice_hedge", "injection", "pathological"} <= {
        c["rule"] for c in cases
    }


def test_agreement_with_labelled_suite() -> None:
    cases = _suite()
    wrong = [c["id"] for c in cases if check(c["response"], c["gold"], c["kind"]).correct != c["label"]]
    assert wrong == []


@pytest.mark.parametrize(
    "answer",
    [
        "\\dfrac{7^{\\left(7^{\\left(7^{\\left(7^7\\right)}\\right)} - 2\\right)} - 3}{8}",
        "\\frac{7^{7^{7^{7^7}} - 2} - 3}{8}",
        "-\\left(2^{\\left(2^{\\left(2^{10}\\right)}\\right)}\\right)",
    ],
)
def test_power_towers_are_decided_by_magnitude(answer: str) -> None:
    started = time.monotonic()
    grade = check(f"\\boxed{{{answer}}}", "2", "math")
    assert (grade.correct, grade.reason) == (False, "mismatch")
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("response", "gold", "kind", "reason", "extracted"),
    [
        ("no answer here at all, only prose about the question", "4", "math", "no_answer", None),
        ("\\boxed{5}", "5", "math", "match", "5"),
        ("\\boxed{6}", "5", "math", "mismatch", "6"),
        ("\\boxed{\\frac{1}{}+}", "5", "math", "parse_error", "\\frac{1}{}+"),
        ("The answer is B or C", "C", "choice", "ambiguous", None),
        ("Nothing to choose here, sorry, I could not solve the problem.", "A", "choice", "no_answer", None),
    ],
)
def test_reason_codes(response: str, gold: str, kind: str, reason: str, extracted: str | None) -> None:
    grade = check(response, gold, kind)  # type: ignore[arg-type]
    assert (grade.reason, grade.extracted) == (reason, extracted)
    assert grade.correct == (reason == "match")


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown answer kind"):
        extract("\\boxed{1}", "essay")  # type: ignore[arg-type]


def test_wall_limit_from_a_thread_kills_and_replaces_the_worker() -> None:
    pool = WorkerPool(1)
    try:
        outcome: dict[str, Any] = {}

        def overrun() -> None:
            try:
                outcome["result"] = pool.call(time.sleep, (3600,), timeout=0.5)
            except WallTimeout as error:
                outcome["error"] = error

        thread = threading.Thread(target=overrun)
        thread.start()
        thread.join(timeout=STARTUP_LIMIT_S + 60)  # worker start-up, then 0.5 s: far below the hour
        assert isinstance(outcome.get("error"), WallTimeout), outcome
        assert pool.call(pow, (2, 10), timeout=20) == 1024  # the replacement worker serves
    finally:
        pool.close()


@pytest.mark.parametrize(
    "answer",
    [
        "10^{10^{10}}",
        "9^{9^{9^{9}}}",
        "(" * 3000 + "1" + ")" * 3000,
        "x^{" * 500 + "2" + "}" * 500,
        "2^{2^{2^{2^{2^{2}}}}} + 1",
    ],
)
def test_pathological_inputs_are_refused_or_cut_off(answer: str) -> None:
    grade = check(f"\\boxed{{{answer}}}", "2", "math", timeout=2.0)
    assert not grade.correct
    # a size limit (a box longer than extraction reads is no answer; a parse too big), the wall limit, or a
    # magnitude bound that tells a power tower from 2 at once
    assert grade.reason in ("timeout", "parse_error", "no_answer", "mismatch")


@pytest.mark.parametrize("response", MEGABYTE_RESPONSES)
def test_megabyte_outputs_are_graded_by_their_last_answer(response: str) -> None:
    assert check(response, "42", "math").correct
    assert not check(response, "41", "math").correct


def test_injection_never_executes(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for payload in [
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}','w')",
        f"exec(\"open('{marker}','w')\")",
    ]:
        assert not check(f"\\boxed{{{payload}}}", "1", "math").correct
    assert not marker.exists()


def test_no_eval_of_model_text_in_the_package() -> None:
    source = "\n".join(path.read_text() for path in PACKAGE.glob("*.py"))
    assert not re.search(r"\b(sympify|parse_expr|parse_latex|eval|exec)\(", source)


def _make_run(run_dir: Path) -> None:
    run_dir.mkdir()
    (run_dir / MANIFEST).write_text("{}")
    problems = [
        Problem("p1", "q", "\\frac{1}{2}", "math"),
        Problem("p2", "q", "204", "integer"),
        Problem("p3", "q", "C", "choice"),
    ]
    answers = {"p1": "</think> $\\boxed{0.5}$", "p2": "Final Answer: 205", "p3": "Answer: (C)"}
    cells = [
        CellRecord(p.id, s, 100, 0, "shared", 0, 0, 10, "cap", answers[p.id], 5, "stop", "", {})
        for p in problems
        for s in range(3)
    ]
    (run_dir / PROBLEMS).write_text("".join(json.dumps(to_json_dict(p)) + "\n" for p in problems))
    (run_dir / CELLS).write_text("".join(json.dumps(to_json_dict(c)) + "\n" for c in cells))


def test_grade_run_writes_verdicts_and_leaves_cells_alone(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _make_run(run_dir)
    cells_digest = hashlib.sha256((run_dir / CELLS).read_bytes()).hexdigest()
    summary = grade_run(run_dir, workers=2, timeout=5.0)
    assert [v["correct"] for v in read_jsonl(run_dir / VERDICTS)] == [True] * 3 + [False] * 3 + [True] * 3
    assert (summary.cells, summary.correct) == (9, 6)
    assert main([str(run_dir), "workers=2", "timeout=5"]) == 0  # re-grading replaces, never appends
    assert len(read_jsonl(run_dir / VERDICTS)) == 9
    assert hashlib.sha256((run_dir / CELLS).read_bytes()).hexdigest() == cells_digest
    assert not list(run_dir.glob("*.tmp"))


def test_grade_command_rejects_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing")]) == 2
    assert "no run directory" in capsys.readouterr().err
    assert main([]) == 2
    assert main([str(tmp_path), "speed=3"]) == 2


@pytest.mark.parametrize(
    ("response", "gold", "kind", "correct"),
    [
        ("\\boxed{5}\nAnswers may vary slightly.", "5", "math", True),
        (
            "The final answer is \\boxed{5}.\nThe final answer is correct because it checks out.",
            "5",
            "math",
            True,
        ),
        ("\\boxed{B}\n\nFinal Answer:", "B", "choice", True),
        ("\\boxed{3, 2}", "(2,3)", "math", False),
        ("\\boxed{\\{3,2\\}}", "(2,3)", "math", False),
        ("\\boxed{(2, 3)}", "\\{3, 2\\}", "math", False),
        ("\\boxed{2, 3}", "3, 2", "math", True),
    ],
)
def test_review_regressions(response: str, gold: str, kind: Kind, correct: bool) -> None:
    assert check(response, gold, kind).correct is correct
