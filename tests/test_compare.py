"""Tests of `evalscale compare` on synthetic runs with known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_analysis_helpers import GOLD, right_from_cap, write_run

from evalscale import analysis, compare
from evalscale.commands import compare as compare_command


@pytest.fixture(autouse=True)
def no_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Synthetic runs carry their verdicts; never call a real grader."""
    monkeypatch.setattr(analysis, "default_grader", lambda: None)


def pair_of_runs(tmp_path: Path) -> tuple[Path, Path]:
    """A: half right at cap 50, all at cap 100. B: always right; problem 4 only in B (unpaired)."""
    a = write_run(tmp_path / "a", right_from_cap(25), model="ckpt-100")
    b = write_run(
        tmp_path / "b", lambda p, s, c, w: GOLD, model="ckpt-200", problems=range(5), config_hash="b"
    )
    return a, b


def test_paired_differences_and_area(tmp_path: Path) -> None:
    a, b = pair_of_runs(tmp_path)
    result = compare.compare(a, b)
    assert (result.label_a, result.label_b, result.task) == (
        "model=ckpt-100",
        "model=ckpt-200",
        "letter_count",
    )
    deltas = result.deltas.set_index("cap")
    assert list(deltas["n_problems"]) == [4, 4]  # problem 4 is not in A
    assert deltas.loc[50, ["accuracy_a", "accuracy_b", "diff"]].tolist() == [50.0, 100.0, 50.0]
    assert deltas.loc[100, ["diff", "ci_low", "ci_high"]].tolist() == [0.0, 0.0, 0.0]
    low, high = deltas.loc[50, ["ci_low", "ci_high"]]
    assert 0.0 <= low <= 50.0 <= high <= 100.0
    area = result.area
    # both curves run from 50 to 61.5 tokens; A rises linearly (in log2) from 50 to 100: mean 75
    assert (area.low_tokens, area.high_tokens) == (50.0, 61.5)
    assert (area.area_a, area.area_b, area.diff) == (pytest.approx(75.0), 100.0, pytest.approx(25.0))
    assert area.ci_low <= 25.0 <= area.ci_high and area.n_problems == 4


def test_compare_main_writes_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    a, b = pair_of_runs(tmp_path)
    out = tmp_path / "cmp"
    assert compare_command.main([str(a), str(b), f"out={out}"]) == 0
    printed = capsys.readouterr().out
    assert "B - A +25.0 points" in printed
    table = pd.read_csv(out / "compare.csv")
    assert list(table["diff"]) == [50.0, 0.0] and list(table["control"]) == ["cap", "cap"]
    for name in ("compare.png", "compare.pdf", "compare.md"):
        assert (out / name).stat().st_size > 0
    assert "![Scaling curves and paired differences](compare.png)" in (out / "compare.md").read_text()


def test_same_model_names_get_roles(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", right_from_cap(25))
    b = write_run(tmp_path / "b", right_from_cap(50), config_hash="other")
    result = compare.compare(a, b)
    assert (result.label_a, result.label_b) == ("toy (A)", "toy (B)")
    assert result.deltas.set_index("cap").loc[50, "diff"] == -25.0


def test_curves_without_shared_range_have_no_area(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", right_from_cap(25), tokens=lambda p, s, c, w: c // 10)
    b = write_run(tmp_path / "b", right_from_cap(25), tokens=lambda p, s, c, w: c * 10, config_hash="b")
    result = compare.compare(a, b)
    assert np.isnan(result.area.diff)
    assert "not comparable" in compare.area_sentence(result)


def two_models(folder: Path) -> Path:
    """A folder with runs of two models."""
    for model in ("m1", "m2"):
        write_run(folder / model, right_from_cap(25), model=model, config_hash=model)
    return folder


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("other-task", "different tasks"),
        ("disjoint", "share no cell"),
        ("one", "exactly two runs"),
        ("two-series", "holds several series"),
    ],
)
def test_compare_bad_input_exits_2(tmp_path: Path, kind: str, message: str, capsys) -> None:
    a = write_run(tmp_path / "a", right_from_cap(25))
    others = {
        "other-task": lambda: [write_run(tmp_path / "b", right_from_cap(25), task="aime24", config_hash="b")],
        "disjoint": lambda: [
            write_run(tmp_path / "b", right_from_cap(25), problems=range(9, 12), config_hash="b")
        ],
        "one": lambda: [],
        "two-series": lambda: [two_models(tmp_path / "both")],
    }
    assert compare_command.main([str(a), *map(str, others[kind]())]) == 2
    assert message in capsys.readouterr().err


def test_compare_default_out_is_named_after_the_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = pair_of_runs(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert compare_command.main([str(a), str(b)]) == 0
    assert (
        tmp_path / "reports" / "compare-letter_count-model_ckpt-100-vs-model_ckpt-200" / "compare.md"
    ).exists()
