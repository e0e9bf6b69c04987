"""Runs of the other methods (issue 18) through what issue 19 reads back: the prompt hashes of the manifest,
the drift check and `evalscale export`. A scripted model answers every request on the toy's real tokenizer
(fast, no engine), so each exported cell can be checked against the requests the model was really sent.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from engine import sweep_config
from fake_backend import FakeBackend

from evalscale.analysis.divergence import generation_divergence
from evalscale.commands import export as export_command
from evalscale.drift import drift_check
from evalscale.forcing import Request, Result
from evalscale.manifest import combined_prompt_hash, prompt_hash, prompt_name, read_prompt_hashes
from evalscale.plan import SweepPlan, make_plan
from evalscale.replay import answer_branch
from evalscale.store import CELLS, GENERATIONS, read_jsonl, read_manifest
from evalscale.sweep import generate

TOY = ("limit=2", "budget.caps=[8,16]", "budget.waits=[0,1]", "progress=false", "live_report_minutes=0")
METHODS = {
    "tcc": ("method=tcc",),
    "tcc_bf": ("method=tcc_bf",),
    "scc_bf": ("method=scc_bf", "+model.step_end='<|im_start|>0'", "method.steps=[16]"),
    "ccc": ("method=ccc",),
    "nothinking": ("method=nothinking",),
    "rejection_sampling": ("method=rejection_sampling", "sampling.temperature=1", "method.max_tries=2"),
    "native_cap": ("method=native_cap",),
}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


class ScriptedToy:
    """Thinking of 4 to 13 letters (by the request's seed), ended by `</think>` unless max_tokens cuts
    it; an answer is `\\boxed{1}` then `<|im_end|>`. native_cap's one request holds both, its thinking
    within the request's thinking budget, as the engine's `thinking_token_budget` keeps it."""

    def __init__(self, plan: SweepPlan) -> None:
        encode = plan.builder.tokenizer.encode
        self.letters = tuple(encode(LETTERS, add_special_tokens=False))
        self.answer = tuple(encode("\\boxed{1}", add_special_tokens=False))
        self.end, self.stop = plan.builder.ids.think_end[0][0], plan.builder.ids.answer_stop[0]
        self.start = plan.markers.start_id if plan.markers else None

    def generate(self, request: Request) -> Result:
        thinking = self.letters[: 4 + (request.seed or 0) % 10]
        if request.thinking_token_budget is not None:
            counted = request.prompt_ids[::-1].index(self.start)  # prompt tokens after the start marker
            thinking = thinking[: request.thinking_token_budget - counted]
            return Result(request.key, (*thinking, self.end, *self.answer), "stop", self.stop)
        if not request.key.rsplit("/", 1)[1].startswith("t"):
            return Result(request.key, self.answer, "stop", self.stop)
        if len(thinking) >= request.max_tokens:
            return Result(request.key, thinking[: request.max_tokens], "length", None)
        return Result(request.key, thinking, "stop", self.end)


@pytest.fixture(scope="module")
def method_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[SweepPlan, list[Request]]]:
    """A run of a method (`METHODS`, or "budget_forcing"), made once per name: its plan and every request
    the scripted model was sent."""
    made: dict[str, tuple[SweepPlan, list[Request]]] = {}

    def run(name: str) -> tuple[SweepPlan, list[Request]]:
        if name not in made:
            run_dir = tmp_path_factory.mktemp(name) / "run"
            plan = make_plan(sweep_config(*TOY, *METHODS.get(name.split(".")[0], ()), f"run_dir={run_dir}"))
            backend = FakeBackend(ScriptedToy(plan))  # type: ignore[arg-type]
            assert generate(plan, backend, console=io.StringIO()) == "complete"
            made[name] = (plan, backend.submitted)
        return made[name]

    return run


@pytest.mark.parametrize("name", METHODS)
def test_the_manifest_hashes_the_prompts_each_point_sends(
    method_run: Callable[..., tuple[SweepPlan, list[Request]]], name: str
) -> None:
    plan, submitted = method_run(name)
    sent = {prompt_name(*key): prompt_hash(ids) for key, ids in plan.point_prompts.items()}
    assert read_prompt_hashes(plan.run_dir) == sent and len(sent) == 2 * len(plan.points)
    manifest = read_manifest(plan.run_dir)
    assert manifest["prompt_ids_sha256"] == combined_prompt_hash(sent)
    asked = {tuple(request.prompt_ids) for request in submitted if request.key.endswith(("/t0", "/a"))}
    assert asked == {tuple(ids) for ids in plan.point_prompts.values()}, "the hashed ones are those sent"
    limits = manifest["sampling"]["thinking_limits"]
    assert manifest["sampling"]["max_thinking_tokens"] == max(plan.limits.values())
    assert set(limits) == {point.tag.lstrip("/") or name for point in plan.points}
    if name in ("tcc_bf", "rejection_sampling", "native_cap"):
        assert limits == {f"C{cap}": [cap, cap] for cap in (8, 16)}, "the enforced caps"
    if name == "ccc":
        assert limits["plain"][0] > limits["short"][0] > limits["long"][0], "what each prompt leaves"


def test_budget_forcing_keeps_its_prompt_hashes_and_limit(
    method_run: Callable[..., tuple[SweepPlan, list[Request]]],
) -> None:
    plan, _ = method_run("budget_forcing")
    manifest = read_manifest(plan.run_dir)
    assert read_prompt_hashes(plan.run_dir) == {pid: prompt_hash(ids) for pid, ids in plan.prompts.items()}
    assert manifest["sampling"]["max_thinking_tokens"] == 16 and "thinking_limits" not in manifest["sampling"]
    assert all("point" not in line for line in read_jsonl(plan.run_dir / "prompt_hashes.jsonl"))


def seen_thinking(cell: dict, prompt: list[int], requests: dict[str, Request], generated: dict) -> list[int]:
    """The thinking ids the model really saw before a cell's answer, from the requests it was sent: its
    answer request's ids after the prompt; native_cap: its one output up to the end marker; a sample
    that never fit: its last draw's thinking."""
    cut = cell["thinking_tokens"]
    answer = requests.get(f"{cell['trajectory']}/{answer_branch(cell)}")
    if answer is not None:
        return list(answer.prompt_ids[len(prompt) : len(prompt) + cut])
    return list(generated[f"{cell['trajectory']}/t0"]["token_ids"][:cut])


@pytest.mark.parametrize("name", METHODS)
def test_export_gives_each_cell_its_points_prompt_and_the_thinking_it_saw(
    method_run: Callable[..., tuple[SweepPlan, list[Request]]],
    name: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan, submitted = method_run(name)
    out = tmp_path / "export"
    assert export_command.main([str(plan.run_dir), f"out={out}"]) == 0
    assert "without" not in capsys.readouterr().err, "every prompt and thinking rebuilt"
    table = pd.read_parquet(out / "samples.parquet")
    cells = read_jsonl(plan.run_dir / CELLS)
    assert len(table) == len(cells) == 2 * len(plan.points) and table["key"].is_unique
    assert table["correct"].notna().all(), "each row found its cell's verdict"
    tags = {(point.cap, point.condition): point.tag for point in plan.points}
    requests = {request.key: request for request in submitted}
    generated = {record["key"]: record for record in read_jsonl(plan.run_dir / GENERATIONS)}
    hashes = read_prompt_hashes(plan.run_dir)
    for row, cell in zip(table.itertuples(), cells, strict=True):
        tag = tags[(cell["cap"], cell.get("condition"))]
        prompt = plan.point_prompts[(cell["problem_id"], tag)]
        assert plan.builder.decode(prompt) == row.prompt_text
        assert hashes[prompt_name(cell["problem_id"], tag)] == prompt_hash(prompt)
        assert list(row.thinking_ids) == seen_thinking(cell, prompt, requests, generated), row.key
        assert row.thinking_text == plan.builder.decode(list(row.thinking_ids))
    if name == "ccc":
        assert list(table["condition"]) == [c["condition"] for c in cells]
        assert table.loc[table["condition"] == "short", "prompt_text"].str.contains("a short amount").all()
    if name == "nothinking":
        assert table["prompt_text"].str.endswith("Okay, I think I have finished thinking.\n</think>\n").all()
        assert table["thinking_text"].eq("").all()
    if name == "rejection_sampling":
        assert table["tries"].notna().all() and set(table["end_reason"]) == {"stop", "never_fit"}
        never = table[table["end_reason"] == "never_fit"]
        assert (never["thinking_tokens"] == never["cap"]).all() and (never["tries"] == 2).all()
    else:
        assert table["tries"].isna().all()


def test_drift_compares_two_ccc_runs_point_by_point(
    method_run: Callable[..., tuple[SweepPlan, list[Request]]],
) -> None:
    (first, _), (second, _) = method_run("ccc"), method_run("ccc.again")
    drift = drift_check(first.run_dir, second.run_dir)
    assert drift.lines[0].endswith("0 of 6 samples diverge.")
    assert drift.lines[2] == "Prompt ids: identical for all 6 shared prompts (problem and point)."
    assert drift.table is not None
    assert set(drift.table["problem_id"]) == {problem.id for problem in first.problems}
    assert set(drift.table["sample"]) == {0}
    forcing, _ = method_run("budget_forcing")
    nothinking, _ = method_run("nothinking")
    versus = drift_check(forcing.run_dir, nothinking.run_dir)
    assert versus.lines[2] == (
        f"Prompt ids: differ for 2 of 2 shared prompts (problem and point) (e.g. {first.problems[0].id}): "
        "the methods differ (budget_forcing and nothinking)."
    )


def test_divergence_reads_problem_and_sample_from_every_methods_keys() -> None:
    keys = ["p/1/0/t0", "p/1/0/C8W1/t0", "p/1/2/C8/t0", "p/1/2/S16/t0", "p/1/0/short/a", "p/1/3/C8/r1/t0"]
    table = generation_divergence({key: [1, 2] for key in keys}, {key: [1, 2] for key in keys})
    assert set(table["problem_id"]) == {"p/1"}, "a problem id may hold a slash"
    assert sorted(table["sample"]) == [0, 0, 0, 2, 2, 3]
