"""Cross-check mode: `evalscale grade RUN_DIR cross_check=math_verify` and the report's disagreement rate."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from evalscale import analysis
from evalscale.commands.grade import main
from evalscale.grading.crosscheck import CROSSCHECK, DISAGREEMENTS
from evalscale.records import CellRecord, Problem, to_json_dict
from evalscale.store import CELLS, MANIFEST, PROBLEMS, VERDICTS, read_jsonl

OPTIONS = ["0.85", "1.7", "3.4", "6.8"]


def _make_run(run_dir: Path) -> None:
    """Three problems: both checkers right (p1), only evalscale reads the option value (p2), both
    abstain from a truncated response (p3)."""
    run_dir.mkdir()
    manifest = {"model": "m", "task": "t", "config_hash": "abc", "status": "done"}
    (run_dir / MANIFEST).write_text(json.dumps(manifest))
    problems = [
        Problem("p1", "q", "\\frac{1}{2}", "math"),
        Problem("p2", "q", "A", "choice", {"options": OPTIONS}),
        Problem("p3", "q", "4", "math"),
    ]
    answers = {
        "p1": "</think> The answer is $\\boxed{0.5}$.",
        "p2": "The ratio comes out as $\\boxed{0.85}$.",
        "p3": "Expanding, we reach $(y-1/3)^2 + 4$ and then",
    }
    cells = [
        CellRecord(p.id, 0, 100, 0, "shared", 0, 0, 10, "cap", answers[p.id], 5, "stop", "", {})
        for p in problems
    ]
    (run_dir / PROBLEMS).write_text("".join(json.dumps(to_json_dict(p)) + "\n" for p in problems))
    (run_dir / CELLS).write_text("".join(json.dumps(to_json_dict(c)) + "\n" for c in cells))


@pytest.mark.skipif(importlib.util.find_spec("math_verify") is None, reason="needs the crosscheck extra")
def test_cross_check_lists_every_disagreement_and_report_shows_the_rate(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _make_run(run_dir)
    assert main([str(run_dir), "workers=2", "cross_check=math_verify"]) == 0
    verdicts = {v["key"]: v["correct"] for v in read_jsonl(run_dir / VERDICTS)}
    second = {row["key"]: row["math_verify_correct"] for row in read_jsonl(run_dir / CROSSCHECK)}
    assert second.keys() == verdicts.keys()
    differing = {key for key in verdicts if verdicts[key] != second[key]}
    assert any(key.startswith("p2") for key in differing)  # math-verify cannot map 0.85 to option A
    report = (run_dir / DISAGREEMENTS).read_text()
    assert f"{len(differing)} of 3 cells" in report
    for key in verdicts:
        assert (f"## {key}" in report) == (key in differing)
    assert "The ratio comes out as" in report and "math-verify: wrong" in report

    summary = analysis.summarize(analysis.load_runs([run_dir]).cells)
    assert summary["disagreement_rate"].tolist() == pytest.approx([100 * len(differing) / 3])


def test_report_has_no_disagreement_rate_without_cross_check(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _make_run(run_dir)
    assert main([str(run_dir), "workers=1"]) == 0
    summary = analysis.summarize(analysis.load_runs([run_dir]).cells)
    assert summary["disagreement_rate"].isna().all()
    assert not (run_dir / DISAGREEMENTS).exists()


def test_missing_math_verify_is_one_clear_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    _make_run(run_dir)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "math_verify" else real_find_spec(name, *a),
    )
    assert main([str(run_dir), "cross_check=math_verify"]) == 2
    error = capsys.readouterr().err
    assert "needs math-verify, which is not installed" in error and "evalscale[crosscheck]" in error
    assert not (run_dir / VERDICTS).exists()
    assert main([str(run_dir), "cross_check=sympy"]) == 2
    assert "unknown cross_check 'sympy'" in capsys.readouterr().err
