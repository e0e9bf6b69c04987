"""The test-time scaling methods (methods.py): their machines on the scripted fake engine, their prompts on
the toy's tokenizer, their config and its one-sentence refusals (fast: no engine)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine import REPO, cells_by_key, raw_config, sweep_config
from fake_backend import (
    CLOSE,
    END_THINK,
    NEWLINE,
    THINK_START,
    FakeBackend,
    ScriptedModel,
    fake_decode,
    fake_ids,
)
from test_cli import evalscale

from evalscale import methods
from evalscale.analysis import labels
from evalscale.config import ConfigError, generation_config
from evalscale.forcing import Grid, Machine, SampleMachine
from evalscale.methods import MachineFactory, MethodConfig, NativeMarkers, Point, method_points
from evalscale.plan import make_plan
from evalscale.records import Result, cell_key
from evalscale.runner import SweepRunner
from evalscale.store import RunStore

PROBLEMS = 10
GRID = Grid(caps=(4, 8, 16), waits=(0,))
MARKERS = NativeMarkers("<s>", "<e>", THINK_START, END_THINK)


def prompt(index: int) -> list[int]:
    """A fake prompt that opens thinking like `<think>\\n` (one token after the start marker)."""
    return [21, 22, 20 + index, THINK_START, NEWLINE]


def point_machines(
    name: str,
    points: list[Point] | None = None,
    limit: int = 64,
    done: frozenset[str] = frozenset(),
    samples: int = 1,
    **factory: object,
) -> Iterator[Machine]:
    """The machines of a method's points for PROBLEMS fake prompts, as the plan builds them."""
    method = MethodConfig(name=name, **{k: v for k, v in factory.items() if k == "max_tries"})  # type: ignore[arg-type]
    options = {k: v for k, v in factory.items() if k != "max_tries"}
    options.setdefault("ids", fake_ids())
    build = MachineFactory(
        method=method, max_answer_tokens=6, run_seed=0, mode="shared", decode=fake_decode, **options
    )  # type: ignore[arg-type]
    for index in range(PROBLEMS):
        for sample in range(samples):
            for point in points or method_points(method, GRID):
                key = cell_key(f"p{index}", sample, point.cap, point.waits, point.condition)
                cap = point.limit if point.limit is not None else limit
                yield build.machine(f"p{index}", sample, point, prompt(index), cap, key in done)


def run(run_dir: Path, machines: Iterator[Machine], backend: FakeBackend | None = None) -> FakeBackend:
    """Run machines through the real runner and store (resuming what `run_dir` holds); the backend used."""
    backend = backend or FakeBackend()
    store = RunStore(run_dir, {"config_hash": "h", "config": {}, "expected_cells": 0})
    SweepRunner(backend, store, max_active=5, show_progress=False).run(machines, total_cells=0)
    store.finish("complete")
    return backend


def test_tcc_bf_cuts_at_each_instructed_cap_and_tcc_lets_thinking_run(tmp_path: Path) -> None:
    run(tmp_path / "tcc_bf", point_machines("tcc_bf"))
    cut = cells_by_key(tmp_path / "tcc_bf")
    assert len(cut) == PROBLEMS * 3
    assert all(c["thinking_tokens"] <= c["cap"] for c in cut.values())
    assert all(c["thinking_tokens"] == c["cap"] for c in cut.values() if c["end_reason"] == "cap")
    assert {c["trajectory"].split("/")[-1] for c in cut.values()} == {"C4", "C8", "C16"}
    run(tmp_path / "tcc", point_machines("tcc", limit=64))
    free = cells_by_key(tmp_path / "tcc")
    assert {c["cap"] for c in free.values()} == {4, 8, 16}, "cells named by the instructed N"
    assert any(c["thinking_tokens"] > c["cap"] for c in free.values()), "TCC does not cut at N"
    assert all(c["thinking_tokens"] <= 64 for c in free.values())


def test_ccc_cells_are_keyed_by_their_prompt_class_and_a_rerun_generates_nothing(tmp_path: Path) -> None:
    run(tmp_path, point_machines("ccc"))
    cells = cells_by_key(tmp_path)
    assert len(cells) == PROBLEMS * 3
    assert {key.rsplit("|", 1)[1] for key in cells} == {"short", "plain", "long"}
    assert {c["cap"] for c in cells.values()} == {0} and all("tries" not in c for c in cells.values())
    reopened = RunStore(tmp_path, {"config_hash": "h", "config": {}, "expected_cells": 0})
    assert reopened.cell_keys == set(cells), "the line heads give each cell's key with its class"
    reopened.finish("complete")
    keys = frozenset(cells)
    assert run(tmp_path, point_machines("ccc", done=keys)).submitted == []


def test_scc_bf_ends_thinking_where_the_model_writes_no_step_left() -> None:
    start_step, zero = 9, 30  # "<|im_start|>" and "0"
    (machine,) = list(
        point_machines(
            "scc_bf", [Point(2, sentence="2 steps", tag="/S2")], limit=40, step_end=(start_step, zero)
        )
    )[:1]
    (thinking,) = machine.start()
    assert zero in thinking.stop_token_ids and END_THINK in thinking.stop_token_ids
    # a "0" that is no step marker: thinking goes on after it
    (more,), _ = machine.feed(Result(thinking.key, (11, 12), "stop", zero))
    assert more.prompt_ids == (*prompt(0), 11, 12, zero) and more.max_tokens == 40 - 3
    # "<|im_start|>0": the marker is cut and the thinking closed as a finished one
    (answer,), _ = machine.feed(Result(more.key, (13, start_step), "stop", zero))
    assert answer.prompt_ids == (*prompt(0), 11, 12, zero, 13, CLOSE)
    _, (cell,) = machine.feed(Result(answer.key, (14,), "stop", 1))
    assert (cell.cap, cell.thinking_tokens, cell.end_reason) == (2, 4, "stop")


def test_rejection_sampling_draws_again_only_what_ran_too_long(tmp_path: Path) -> None:
    backend = run(
        tmp_path,
        point_machines("rejection_sampling", max_tries=3),
        FakeBackend(ScriptedModel(stop_every=25, seeded=True)),
    )
    cells = cells_by_key(tmp_path)
    assert len(cells) == PROBLEMS * 3
    fit = [c for c in cells.values() if c["end_reason"] != "never_fit"]
    never = [c for c in cells.values() if c["end_reason"] == "never_fit"]
    assert fit and never, "the fake model should both fit and fail some caps"
    assert all(c["thinking_tokens"] + 1 <= c["cap"] and c["end_reason"] == "stop" for c in fit)
    assert any(c["tries"] > 1 for c in fit), "a sample fit only after a redraw"
    assert all(c["tries"] == 3 and c["answer_text"] == "" and c["thinking_tokens"] == c["cap"] for c in never)
    for cell in cells.values():  # one thinking request per draw, an answer only for the draw that fit
        prefix = f"{cell['problem_id']}/0/C{cell['cap']}/"
        sent = [r for r in backend.submitted if r.key.startswith(prefix)]
        thinking = [r for r in sent if r.key.endswith("/t0")]
        assert len(thinking) == cell["tries"] and all(r.max_tokens == cell["cap"] for r in thinking)
        assert len(sent) - len(thinking) == (cell["end_reason"] == "stop")
        assert len({r.seed for r in thinking}) == len(thinking), "every draw has its own seed"
        sent_seeds = {r.seed for r in sent}
        assert set(cell["seeds"].values()) <= sent_seeds, "a cell names only seeds of requests sent"
    again = run(
        tmp_path,
        point_machines("rejection_sampling", max_tries=3),
        FakeBackend(ScriptedModel(stop_every=25, seeded=True)),
    )
    assert again.submitted == []


def test_native_cap_equals_cap_only_forcing_when_the_closing_is_the_end_delimiter(tmp_path: Path) -> None:
    ids = dataclasses.replace(
        fake_ids(), think_close=(END_THINK,), cap_close=(END_THINK,), cap_close_newline=(END_THINK,)
    )
    backend = run(tmp_path / "native", point_machines("native_cap", ids=ids, markers=MARKERS))
    requests = backend.submitted
    assert all(r.thinking_token_budget == int(r.key.split("/C")[1].split("/")[0]) + 1 for r in requests)
    assert all(END_THINK not in r.stop_token_ids for r in requests)
    forcing = [
        SampleMachine(
            problem_id=f"p{index}",
            sample=0,
            prompt_ids=prompt(index),
            grid=GRID,
            ids=ids,
            max_answer_tokens=6,
            run_seed=0,
            mode="shared",
            decode=fake_decode,
        )
        for index in range(PROBLEMS)
    ]
    run(tmp_path / "forcing", iter(forcing))
    native, forced = cells_by_key(tmp_path / "native"), cells_by_key(tmp_path / "forcing")
    same = ("thinking_tokens", "end_reason", "answer_text", "answer_tokens", "answer_finish")
    assert native.keys() == forced.keys()
    assert [{f: native[k][f] for f in same} for k in native] == [
        {f: forced[k][f] for f in same} for k in native
    ]
    assert {c["end_reason"] for c in native.values()} == {"cap", "stop"}


def test_native_cap_refuses_an_engine_that_ignored_the_budget() -> None:
    (machine,) = list(point_machines("native_cap", [Point(4, limit=4, tag="/C4")], markers=MARKERS))[:1]
    (request,) = machine.start()
    with pytest.raises(Exception, match="let thinking run 6 tokens past the thinking_token_budget for cap 4"):
        machine.feed(Result(request.key, (11, 12, 13, 14, 15, 16, END_THINK, 17), "stop", 1))


def test_nothinking_asks_for_the_answer_alone(tmp_path: Path) -> None:
    backend = run(tmp_path, point_machines("nothinking"))
    cells = cells_by_key(tmp_path)
    assert len(cells) == PROBLEMS == len(backend.submitted)
    assert all(
        (c["cap"], c["thinking_tokens"], c["end_reason"]) == (0, 0, "prefilled") for c in cells.values()
    )
    assert all(r.prompt_ids == tuple(prompt(int(r.key[1]))) and r.max_tokens == 6 for r in backend.submitted)


TOY = ("limit=2", "budget.caps=[8,16]")


def decoded(plan_overrides: tuple[str, ...]) -> dict[str, str]:
    """The text of the first problem's prompt at each point of a toy plan, by point tag."""
    plan = make_plan(sweep_config(*TOY, *plan_overrides))
    first = plan.problems[0].id
    return {
        tag: plan.builder.decode(ids)
        for (problem, tag), ids in plan.point_prompts.items()
        if problem == first
    }


def test_each_method_sends_s1s_sentences_and_nothinkings_closed_thinking() -> None:
    question = make_plan(sweep_config(*TOY)).problems[0].question
    tcc = decoded(("method=tcc",))
    assert tcc["/C8"].endswith(
        f"{question}\n\nThink for up to 8 tokens.<|im_end|>\n<|im_start|>assistant\n<think>\n"
    )
    scc = decoded(("method=scc", "+model.step_end='<|im_start|>0'", "method.steps=[16]"))
    assert f"{question}\n\nThink for up to 16 steps.<|im_end|>" in scc["/S16"]
    ccc = decoded(("method=ccc",))
    assert f"{question}\n\nAnswer after a short amount of thinking. Do not spend" in ccc["/short"]
    assert f"{question}\n\nAnswer after a long amount of thinking. If you feel" in ccc["/long"]
    assert f"{question}<|im_end|>" in ccc["/plain"]
    (nothinking,) = decoded(("method=nothinking",)).values()
    assert nothinking.endswith("<think>\nOkay, I think I have finished thinking.\n</think>\n")
    native = make_plan(sweep_config(*TOY, "method=native_cap"))
    assert native.markers == NativeMarkers("<think>", "</think>", 259, 260)
    assert native.engine.options["reasoning_config"] == {
        "reasoning_start_str": "<think>",
        "reasoning_end_str": "</think>",
    }
    assert "reasoning_config" not in make_plan(sweep_config(*TOY)).engine.options
    assert {native.markers.budget_offset(ids) for ids in native.prompts.values()} == {1}


def test_budget_forcing_keeps_its_hash_and_methods_are_named_by_difference() -> None:
    plain = sweep_config()
    assert sweep_config("method=budget_forcing").config_hash == plain.config_hash
    assert "method" not in generation_config(raw_config()) and plain.method == MethodConfig()
    assert generation_config(raw_config("method=tcc"))["method"] == {
        "name": "tcc",
        "max_thinking_tokens": None,
    }
    names = ["budget_forcing", "tcc", "rejection_sampling", "scc"]
    configs = [raw_config(f"method={n}", "sampling.temperature=1", "model=scc-32b") for n in names]
    variants = [labels.variant(c, "scc-32b", "shared") for c in configs]
    assert labels.describe(variants) == [f"method={n}" for n in names]


@pytest.mark.parametrize(
    ("overrides", "sentence"),
    [
        (("method=scc",), "method=scc needs a model trained to count its thinking steps down"),
        (("method=rejection_sampling",), "method=rejection_sampling under greedy decoding"),
        (("method.name=best",), "unknown method 'best'"),
    ],
)
def test_a_method_that_cannot_run_is_refused_in_one_sentence(
    overrides: tuple[str, ...], sentence: str
) -> None:
    with pytest.raises(ConfigError, match=sentence):
        sweep_config(*overrides)


def test_native_cap_is_refused_where_it_cannot_count_or_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    weights = str(REPO / "evalscale" / "toy" / "weights")
    with pytest.raises(
        ConfigError, match="opens thinking with '<\\|im_start\\|>think' .* use budget_forcing"
    ):
        make_plan(sweep_config(*TOY, "method=native_cap", "model=s1-32b", f"model.path={weights}"))
    monkeypatch.setattr(methods, "_installed_vllm", lambda: (0, 18, 1))
    with pytest.raises(ConfigError, match="needs vLLM >= 0.19.0 in-process .* installed: vLLM 0.18.1"):
        make_plan(sweep_config(*TOY, "method=native_cap"))
    dead = "engine.base_url=http://127.0.0.1:9/v1"
    with pytest.raises(
        ConfigError, match="server >= 0.22.0 .* the server at http://127.0.0.1:9 does not tell"
    ):
        make_plan(sweep_config(*TOY, "method=native_cap", "engine=openai", dead))


def test_the_command_refuses_a_bad_combination_with_exit_2() -> None:
    result = evalscale("sweep", "method=scc_bf")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evalscale sweep: method=scc_bf needs a model trained"), (
        lines
    )


def test_native_cap_probe_sends_the_key_and_names_a_refused_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    sent: list[dict[str, str]] = []

    def answer(status: int, body: dict[str, object]) -> Callable[..., httpx.Response]:
        def reply(url: str, headers: dict[str, str], **_: object) -> httpx.Response:
            sent.append(headers)
            return httpx.Response(status, json=body, request=httpx.Request("GET", url))

        return reply

    monkeypatch.setattr(httpx, "get", answer(200, {"version": "0.32.0"}))
    monkeypatch.setattr(httpx, "post", answer(401, {"error": {"message": "Unauthorized"}}))
    options = {"base_url": "http://127.0.0.1:8000/v1", "api_key": "secret"}
    with pytest.raises(methods.MethodError, match=r"HTTP 401: Unauthorized\); check engine.api_key"):
        methods.check_native_backend("openai", options, "m", MARKERS)
    assert sent == [{"Authorization": "Bearer secret"}] * 2
