"""Unit tests of the budget-forcing state machine and the runner, on a scripted fake engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_backend import (
    CLOSE,
    END_THINK,
    FINAL,
    MERGED_WAIT,
    NEWLINE,
    WAIT,
    FakeBackend,
    ScriptedModel,
    fake_decode,
    fake_ids,
    fake_text_extend,
)

from evalscale.forcing import Grid, Request, Result, SampleMachine
from evalscale.prompting import PromptIds
from evalscale.runner import SweepRunner
from evalscale.store import CELLS, GENERATIONS, RunStore, read_jsonl

GRID = Grid(caps=(4, 8, 16, 32, 64), waits=(0, 1, 2, 4))
AGREEING = ("thinking_tokens", "end_reason", "waits_used", "answer_text", "answer_tokens", "seeds")


def machines(
    mode: str, grid: Grid = GRID, ids: PromptIds | None = None, problems: int = 12, done=(), extend=None
):
    """Machines for `problems` prompts, as the sweep builds them."""
    groups = [grid] if mode == "shared" else [Grid((c,), (w,), grid.min_thinking) for c, w in grid.cells]
    for index in range(problems):
        for group in groups:
            yield SampleMachine(
                problem_id=f"p{index}",
                sample=0,
                prompt_ids=[20 + index, 21, 22],
                grid=group,
                ids=ids or fake_ids(),
                max_answer_tokens=6,
                run_seed=0,
                mode=mode,
                decode=fake_decode,
                extend=extend,
                tag="" if mode == "shared" else f"/C{group.caps[0]}W{group.waits[0]}",
                done_cells=done,
            )


def run(tmp_path: Path, mode: str, backend: FakeBackend | None = None, **kwargs) -> dict[str, dict]:
    """Run machines through the real runner and store; cells by key."""
    store = RunStore(tmp_path / mode, {"config_hash": "h", "config": {}, "expected_cells": 0})
    SweepRunner(backend or FakeBackend(), store, max_active=5, show_progress=False).run(
        machines(mode, **kwargs), total_cells=0
    )
    store.finish("complete")
    return {f"{c['problem_id']}|{c['cap']}|{c['waits']}": c for c in read_jsonl(tmp_path / mode / CELLS)}


def test_every_cell_respects_its_cap_and_waits(tmp_path: Path) -> None:
    cells = run(tmp_path, "shared")
    assert len(cells) == 12 * len(GRID.cells)
    for cell in cells.values():
        assert cell["thinking_tokens"] <= cell["cap"]
        assert cell["waits_used"] <= cell["waits"]
        if cell["end_reason"] == "cap":
            assert cell["thinking_tokens"] == cell["cap"]
        else:
            assert cell["waits_used"] == cell["waits"]
    reasons = {cell["end_reason"] for cell in cells.values()}
    assert reasons == {"cap", "stop", "waits_exhausted"}, "the fake model should exercise every ending"


def test_shared_and_independent_agree_in_every_cell(tmp_path: Path) -> None:
    shared = run(tmp_path, "shared")
    independent = run(tmp_path, "independent")
    assert shared.keys() == independent.keys()
    for key in shared:
        assert {f: shared[key][f] for f in AGREEING} == {f: independent[key][f] for f in AGREEING}, key


@pytest.mark.parametrize("waits", [(0, 1, 2, 4), (1, 3)])
def test_text_extension_keeps_shared_and_independent_identical(tmp_path: Path, waits: tuple) -> None:
    grid = Grid(caps=(4, 8, 16, 32, 64), waits=waits)
    model = ScriptedModel(stop_every=4)
    shared = run(tmp_path, "shared", FakeBackend(model), grid=grid, extend=fake_text_extend, problems=20)
    independent = run(
        tmp_path, "independent", FakeBackend(model), grid=grid, extend=fake_text_extend, problems=20
    )
    assert shared.keys() == independent.keys()
    for key in shared:
        assert {f: shared[key][f] for f in AGREEING} == {f: independent[key][f] for f in AGREEING}, key
    for cell in shared.values():
        assert cell["thinking_tokens"] <= cell["cap"] and cell["waits_used"] <= cell["waits"]
    ids_mode = run(tmp_path / "ids", "shared", FakeBackend(model), grid=grid, problems=20)
    assert ids_mode != shared, "the merged Wait changes what the model sees"


def test_text_extension_replaces_the_tail_and_cells_before_it_keep_the_generated_ids() -> None:
    machine = next(
        machines("shared", grid=Grid(caps=(64,), waits=(0, 1)), problems=1, extend=fake_text_extend)
    )
    (first,) = machine.start()
    requests, _ = machine.feed(Result(first.key, (11, 15, 12), "stop", END_THINK))
    prompt = first.prompt_ids
    by_key = {request.key.rsplit("/", 1)[1]: request for request in requests}
    assert by_key["t1"].prompt_ids == (*prompt, 11, MERGED_WAIT), "15 and 12 merged with Wait"
    assert by_key["t1"].max_tokens == 64 - 2 and by_key["t1"].min_tokens == 1
    assert by_key["a3s0"].prompt_ids == (*prompt, 11, 15, 12, CLOSE), "the W=0 cell as generated"
    requests, _ = machine.feed(Result(by_key["t1"].key, (13,), "stop", END_THINK))
    assert [request.key.rsplit("/", 1)[1] for request in requests] == ["a3s1"], "same position, other prefix"
    assert requests[0].prompt_ids == (*prompt, 11, MERGED_WAIT, 13, CLOSE)


def test_shared_generates_far_fewer_tokens_than_independent(tmp_path: Path) -> None:
    shared, independent = FakeBackend(), FakeBackend()
    run(tmp_path, "shared", shared)
    run(tmp_path, "independent", independent)
    assert len(shared.submitted) < len(independent.submitted) / 3


def test_wait_replaces_the_delimiter_and_forbids_an_immediate_stop() -> None:
    backend = FakeBackend(ScriptedModel(stop_every=4))
    machine = next(machines("shared", problems=1))
    pending = machine.start()
    continuations: list[Request] = []
    while pending:
        request = pending.pop()
        if "/t" in request.key and request.key != "p0/0/t0":
            continuations.append(request)
        follow_ups, _ = machine.feed(backend.model.generate(request))
        pending.extend(follow_ups)
    assert continuations, "the model should stop early at least once"
    for request in continuations:
        assert request.prompt_ids[-1] == WAIT and END_THINK not in request.prompt_ids
        assert request.min_tokens == 1
    assert machine.finished


def test_cap_close_adds_a_newline_only_when_thinking_lacks_one() -> None:
    machine = next(machines("shared", problems=1))
    machine.thinking = [11, NEWLINE, 12]
    request = machine._answer_request("k", "a3c", 3, by_cap=True)
    assert request.prompt_ids[-3:] == (NEWLINE, CLOSE, FINAL)
    request = machine._answer_request("k", "a2c", 2, by_cap=True)
    assert request.prompt_ids[-4:] == (11, NEWLINE, CLOSE, FINAL)
    request = machine._answer_request("k", "a3s", 3, by_cap=False)
    assert request.prompt_ids[-2:] == (12, CLOSE)


def test_multi_token_delimiter_is_matched_as_a_sequence(tmp_path: Path) -> None:
    ids = fake_ids(think_end=((NEWLINE, END_THINK),))
    cells = run(tmp_path, "shared", ids=ids, problems=6)
    independent = run(tmp_path, "independent", ids=ids, problems=6)
    assert cells.keys() == independent.keys()
    for key, cell in cells.items():
        assert cell["thinking_tokens"] <= cell["cap"]
        assert cell["answer_text"] == independent[key]["answer_text"]


def test_min_thinking_turns_early_stops_into_waits(tmp_path: Path) -> None:
    grid = Grid(caps=(64,), waits=(0,), min_thinking=40)
    cells = run(tmp_path, "shared", grid=grid, backend=FakeBackend(ScriptedModel(stop_every=5)))
    assert all(cell["thinking_tokens"] >= 40 for cell in cells.values())
    assert any(cell["forced_waits"] > 0 for cell in cells.values())


def test_resume_replays_stored_generations_and_writes_no_duplicates(tmp_path: Path) -> None:
    complete = run(tmp_path / "a", "shared")
    partial_dir = tmp_path / "b" / "shared"
    run(tmp_path / "b", "shared")
    generations = (partial_dir / GENERATIONS).read_text().splitlines(keepends=True)
    cells = (partial_dir / CELLS).read_text().splitlines(keepends=True)
    (partial_dir / GENERATIONS).write_text("".join(generations[: len(generations) // 2]) + '{"key": "torn')
    (partial_dir / CELLS).write_text("".join(cells[: len(cells) // 3]))
    backend = FakeBackend()
    resumed = run(tmp_path / "b", "shared", backend=backend)
    assert resumed == complete
    assert len(read_jsonl(partial_dir / CELLS)) == len(complete)
    stored_before = {line.split('"token_ids"')[0] for line in generations[: len(generations) // 2]}
    assert len(backend.submitted) == len(generations) - len(stored_before)


def test_grid_rejects_bad_budgets() -> None:
    with pytest.raises(ValueError, match="caps must be positive"):
        Grid(caps=(0, 8), waits=(0,))
    with pytest.raises(ValueError, match="Wait counts"):
        Grid(caps=(8,), waits=(-1,))


def test_a_run_dir_refuses_another_config(tmp_path: Path) -> None:
    from evalscale.store import StoreError

    manifest = {"config_hash": "a", "config": {"budget": {"caps": [8, 16]}}, "expected_cells": 1}
    RunStore(tmp_path, manifest).finish("complete")
    other = {"config_hash": "b", "config": {"budget": {"caps": [8, 32]}}, "expected_cells": 1}
    with pytest.raises(StoreError, match=r"budget.caps: \[8, 16\] -> \[8, 32\]"):
        RunStore(tmp_path, other)


def test_resumed_machine_stops_thinking_once_its_open_cells_are_decided() -> None:
    backend = FakeBackend(ScriptedModel(stop_every=4))
    grid = Grid(caps=(8, 64), waits=(0, 4))
    machine = next(machines("shared", grid=grid, problems=1, done=[(64, 0), (64, 4)]))
    pending = machine.start()
    while pending:
        pending.extend(machine.feed(backend.model.generate(pending.pop()))[0])
    assert machine.finished
    assert len(machine.thinking) < 64, "the trajectory went on after the cap-8 cells were decided"
