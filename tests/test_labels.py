"""Series named by what differs: labels from real composed sweep configs, in report and compare output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from engine import raw_config
from test_analysis_helpers import GOLD, right_from_cap, write_run

from evalscale import analysis
from evalscale.analysis.labels import describe, variant
from evalscale.commands import compare as compare_command
from evalscale.commands import report as report_command


@pytest.fixture(autouse=True)
def no_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Synthetic runs carry their verdicts; never call a real grader."""
    monkeypatch.setattr(analysis, "default_grader", lambda: None)


def variant_of(*overrides: str) -> dict[str, Any]:
    config = raw_config(*overrides)
    return variant(config, config["model"]["name"], config["mode"])


def test_runs_apart_in_one_key_are_named_by_it() -> None:
    wait, hmm = variant_of(), variant_of("model.extension=Hmm")
    assert describe([wait, hmm]) == ["extension=Wait", "extension=Hmm"]
    hot = variant_of("sampling.temperature=0.7")
    assert describe([wait, hot]) == ["temperature=0.0", "temperature=0.7"]
    assert describe([wait, variant_of("mode=independent")]) == ["mode=shared", "mode=independent"]


def test_another_model_is_named_by_the_model_alone() -> None:
    s1, s11 = variant_of("model=s1-32b"), variant_of("model=s1.1-32b")
    assert s1["model.path"] != s11["model.path"]  # implied by the model, so not in the label
    assert describe([s1, s11]) == ["model=s1-32b", "model=s1.1-32b"]
    mixed = [s1, variant_of("model=s1-32b", "model.extension=Hmm"), s11]
    assert describe(mixed) == [
        "model=s1-32b, extension=Wait",
        "model=s1-32b, extension=Hmm",
        "model=s1.1-32b, extension=Wait",
    ]


def test_settings_that_do_not_change_generations_never_name_a_series() -> None:
    quick, other = (
        variant_of("limit=4", "progress=false"),
        variant_of("limit=8", "run_dir=/elsewhere", "label=x"),
    )
    assert describe([quick, other]) == ["toy-reasoner", "toy-reasoner"]


def test_the_grid_names_series_only_when_nothing_else_does() -> None:
    short, long = variant_of("budget.caps=[8,16]"), variant_of("budget.caps=[8,16,32]")
    assert describe([short, long]) == ["caps=[8,16]", "caps=[8,16,32]"]
    hmm = variant_of("budget.caps=[8,16,32]", "model.extension=Hmm")
    assert describe([short, hmm]) == ["extension=Wait", "extension=Hmm"]


def test_only_differences_within_a_panel_count() -> None:
    aime, math = variant_of("task=aime24", "budget.min_thinking=4"), variant_of("task=math500")
    assert describe([aime, math], panels=["aime24", "math500"]) == ["toy-reasoner", "toy-reasoner"]
    hmm = variant_of("task=aime24", "budget.min_thinking=4", "model.extension=Hmm")
    labels = describe([aime, hmm, math], panels=["aime24", "aime24", "math500"])
    assert labels == ["extension=Wait", "extension=Hmm", "extension=Wait"]


def table4_runs(folder: Path, *extra: str) -> tuple[Path, Path]:
    """s1 Table 4 in miniature: two runs that differ only in model.extension (Wait, Hmm)."""
    runs = []
    for index, extension in enumerate(("Wait", "Hmm")):
        config = raw_config(f"model.extension={extension}", *extra)
        answer = right_from_cap(25) if extension == "Wait" else (lambda p, s, c, w: GOLD)
        runs.append(
            write_run(
                folder / extension,
                answer,
                model=config["model"]["name"],
                config=config,
                config_hash=f"hash-{index}",
                waits=(0, 1),
            )
        )
    return runs[0], runs[1]


def test_report_names_the_series_by_what_differs(tmp_path: Path) -> None:
    wait, hmm = table4_runs(tmp_path / "runs")
    assert report_command.main([str(wait), str(hmm), f"out={tmp_path / 'report'}"]) == 0
    text = (tmp_path / "report" / "report.md").read_text()
    assert "| extension=Wait | toy-reasoner |" in text and "| extension=Hmm  | toy-reasoner |" in text
    assert "(hash-" not in text
    assert report_command.main([str(wait), str(hmm), f"out={tmp_path / 'named'}", "labels=Wait,Hmm"]) == 0
    text = (tmp_path / "named" / "report.md").read_text()
    assert "| Wait     | toy-reasoner |" in text and "| Hmm      | toy-reasoner |" in text


def test_a_label_in_the_sweep_config_names_its_series(tmp_path: Path) -> None:
    wait, hmm = table4_runs(tmp_path / "runs", "label=s1 ablation")
    summary = analysis.summarize(analysis.load_runs([wait, hmm]).cells)
    assert set(summary["model"]) == {"s1 ablation (hash-0)", "s1 ablation (hash-1)"}  # the same name twice
    assert report_command.main([str(wait), str(hmm), f"out={tmp_path / 'r'}", "labels=a"]) == 2


def test_compare_names_the_sides_by_what_differs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wait, hmm = table4_runs(tmp_path / "runs")
    assert compare_command.main([str(wait), str(hmm), f"out={tmp_path / 'cmp'}"]) == 0
    assert "A: extension=Wait  B: extension=Hmm" in capsys.readouterr().out
    text = (tmp_path / "cmp" / "compare.md").read_text()
    assert f"- A: extension=Wait ({wait})" in text and f"- B: extension=Hmm ({hmm})" in text
    assert compare_command.main([str(wait), str(hmm), f"out={tmp_path / 'cmp2'}", "labels=Wait,Hmm"]) == 0
    assert "A: Wait  B: Hmm" in capsys.readouterr().out
    assert compare_command.main([str(wait), str(hmm), "labels=Wait"]) == 2
    assert "give 2 non-empty names" in capsys.readouterr().err
