"""Tests of `evalscale report` on synthetic runs with known answers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from matplotlib.image import imread
from test_analysis_helpers import GOLD, right_from_cap, write_run

from evalscale import analysis
from evalscale.commands import report as report_command
from evalscale.records import Verdict
from evalscale.report import markdown_table

REQUIRED = ["model", "task", "cap", "waits", "n_problems", "n_samples", "accuracy", "ci_low", "ci_high"]


@pytest.fixture
def no_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave as if evalscale.grading were not installed."""
    monkeypatch.setattr(analysis, "default_grader", lambda: None)


def test_report_writes_tables_figures_and_markdown(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs / "base", right_from_cap(25), model="base", caps=(50, 100), waits=(0, 2), samples=2)
    write_run(runs / "tuned", lambda p, s, cap, w: GOLD, model="tuned", caps=(50, 100), config_hash="hash-t")
    out = tmp_path / "report"
    assert report_command.main([str(runs), f"out={out}"]) == 0
    summary = pd.read_csv(out / "summary.csv")
    assert set(REQUIRED + ["mean_thinking_tokens"]) <= set(summary.columns)
    # the runs differ in model and samples (their grids too, but those show as points)
    base_label, tuned_label = "model=base, samples=2", "model=tuned, samples=1"
    assert set(summary["model"]) == {base_label, tuned_label}
    base = summary[summary["model"] == base_label].set_index(["cap", "waits"])
    assert base.loc[(50, 0), "accuracy"] == 50.0 and base.loc[(100, 2), "accuracy"] == 100.0
    assert base.loc[(100, 2), "control"] == "wait" and base.loc[(50, 2), "control"] == "grid"
    assert base.loc[(100, 2), "mean_thinking_tokens"] == 100.0  # 180 + problem, cut at 100
    assert base.loc[(50, 0), "n_samples"] == 2 and base.loc[(50, 0), "n_problems"] == 4
    metrics = pd.read_csv(out / "metrics.csv").set_index("model")
    assert set(metrics.columns) >= {"task", "control", "scaling", "performance"}
    assert metrics.loc[tuned_label, "performance"] == 100.0 and metrics.loc[tuned_label, "scaling"] == 0.0
    assert metrics.loc[base_label, "control"] == 100.0  # every cap-controlled point within its cap
    for name in ("scaling.png", "scaling.pdf", "parallel.png", "parallel.pdf", "parallel.csv"):
        assert (out / name).stat().st_size > 0, name
    text = (out / "report.md").read_text()
    assert "![Accuracy against average thinking tokens](scaling.png)" in text and "parallel.png" in text
    assert "Warnings" not in text


def test_report_single_task_is_one_column_wide(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", right_from_cap(25))
    out = tmp_path / "report"
    assert report_command.main([str(run), f"out={out}"]) == 0
    height, width, _ = imread(out / "scaling.png").shape
    assert width == pytest.approx(3.3 * 300, abs=2)  # a column of a two-column paper at 300 dpi
    assert not (out / "parallel.png").exists()  # one sample: no majority vote
    text = (out / "report.md").read_text()
    assert "pass@k" not in text.split("## Per-cell summary")[1].splitlines()[2], "no column without values"
    assert "nan" not in text


def test_report_flags_partial_runs_and_unanswered_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    run = write_run(tmp_path / "run", lambda p, s, cap, w: None if p < 2 else GOLD, status="running")
    out = tmp_path / "report"
    assert report_command.main([str(run), f"out={out}"]) == 0
    assert "partial" in capsys.readouterr().err
    assert set(pd.read_csv(out / "summary.csv")["status"]) == {"partial"}
    text = (out / "report.md").read_text()
    assert "## Warnings" in text and "50% of samples have no extractable answer" in text


def test_report_overlays_reference_points(tmp_path: Path) -> None:
    reference = tmp_path / "ref.csv"
    reference.write_text(
        "benchmark,avg_thinking_tokens,accuracy_pct,label\nLetter-Count,50,40.0,paper\nLetter-Count,100,80.0,paper\n"
    )
    run = write_run(tmp_path / "run", right_from_cap(25))
    out = tmp_path / "report"
    assert report_command.main([str(run), f"out={out}", f"reference={reference}"]) == 0
    text = (out / "report.md").read_text()
    assert "| paper    | Letter-Count |" in text  # the reference's metrics are listed
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n")
    assert report_command.main([str(run), f"out={out}", f"reference={bad}"]) == 2


def test_report_grades_or_asks_for_grading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    run = write_run(tmp_path / "run", right_from_cap(25), graded=False)
    monkeypatch.setattr(analysis, "default_grader", lambda: None)
    assert report_command.main([str(run), f"out={tmp_path / 'r'}"]) == 2
    assert f"run `evalscale grade {run}` first" in capsys.readouterr().err

    def grade_run(run_dir: Path) -> list[Verdict]:
        return [Verdict(f"p{p}|0|{c}|0", False, "0", "mismatch") for p in range(4) for c in (50, 100)]

    monkeypatch.setattr(analysis, "default_grader", lambda: grade_run)
    assert report_command.main([str(run), f"out={tmp_path / 'r'}"]) == 0
    assert set(pd.read_csv(tmp_path / "r" / "summary.csv")["accuracy"]) == {0.0}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "usage"),
        (["missing-dir"], "no such run directory: missing-dir"),
        (["{run}", "colour=red"], "unknown option 'colour'"),
        (["out=x"], "no run directory given"),
    ],
)
def test_report_bad_input_exits_2(tmp_path: Path, argv: list[str], message: str, capsys, no_grader) -> None:
    run = write_run(tmp_path / "run", right_from_cap(25))
    assert report_command.main([a.format(run=run) for a in argv]) == 2
    captured = capsys.readouterr()
    assert message in captured.err + captured.out


def test_report_on_a_folder_without_runs_exits_2(tmp_path: Path, capsys) -> None:
    assert report_command.main([str(tmp_path)]) == 2
    assert "no run directory" in capsys.readouterr().err


def test_report_default_out_is_named_after_the_series(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = write_run(tmp_path / "runs" / "shared-1234", right_from_cap(25), model="org/model v2")
    monkeypatch.chdir(tmp_path)
    assert report_command.main([str(run)]) == 0
    assert (tmp_path / "reports" / "org_model_v2-letter_count" / "report.md").exists()


def test_markdown_tables_format_per_column_and_leave_out_what_holds_nothing() -> None:
    table = pd.DataFrame(
        {"model": ["m", "m"], "cap": [8, 16], "p": [0.01234, 1.0], "acc": [50.0, None], "cls": ["", ""]}
    )
    columns = {"model": "series", "cap": "cap", "p": "p", "acc": "acc %", "cls": "class"}
    rows = [line.split("|")[1:-1] for line in markdown_table(table, columns).splitlines()]
    assert [cell.strip() for cell in rows[0]] == ["series", "cap", "p", "acc %"]
    assert [cell.strip() for cell in rows[3]] == ["m", "16", "1.0", "-"]
    kept = markdown_table(table.assign(acc=None), columns, {"p": ".2g"}, ["model", "cls"], drop_empty=False)
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in kept.splitlines()]
    assert rows[0] == ["cap", "p", "acc %"] and rows[2] == ["8", "0.012", "-"]
