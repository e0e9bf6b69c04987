"""Every test-time scaling method end to end on real engines: the toy in-process, and the tiny
real-vocabulary model in-process and through `vllm serve`, with identical greedy generations on both.

The engines are the session's (conftest: `toy_engine`, `family_engine`, `family_server`, each with
the reasoning config native_cap needs); grids are tiny. The real-vocabulary runs use Qwen3's profile
(single-token `<think>` / `</think>`) and, for step-conditional control, s1's SCC-model profile, both
on the folder's own Qwen2.5-Instruct tokenizer (with Qwen3's own template this random model ends
thinking at once; after Qwen2.5's system turn it thinks 4-23 tokens). Rejection sampling samples
(temperature 1, seeded requests), so its server run reproduces the in-process draws too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine import cells_by_key, generations_by_key, sweep_config
from openai_vllm_server import VllmServer

from evalscale.backends.vllm_engine import VllmBackend
from evalscale.config import SweepConfig
from evalscale.plan import make_plan
from evalscale.sweep import generate

pytestmark = pytest.mark.engine

FREE = "method.max_thinking_tokens=40"  # the thinking limit of the methods that do not cut
STEPS = ("method.steps=[2,4]", FREE)
# method -> its overrides, on top of a run's common ones
METHODS = {
    "budget_forcing": (),
    "tcc": (FREE,),
    "tcc_bf": (),
    "scc": STEPS,
    "scc_bf": STEPS,
    "ccc": (FREE,),
    "rejection_sampling": ("sampling.temperature=1.0", "method.max_tries=3"),
    "nothinking": (),
    "native_cap": (),
}
CAPPED = ("budget_forcing", "tcc_bf", "rejection_sampling", "native_cap")
COMMON = ("limit=3", "budget.waits=[0]", "grade=false", "report=false", "progress=false")
TOY = (*COMMON, "budget.caps=[16,64]")
# The toy has no step format: step-conditional control runs on it with s1's marker text declared
TOY_STEPS = "+model.step_end='<|im_start|>0'"
# Qwen3's profile closing thinking with the delimiter alone: native_cap and cap-only forcing then agree
FAMILY = (*COMMON, "budget.caps=[4,16]", "model.max_answer_tokens=12", "engine.max_model_len=1024")
AS_NATIVE = ("model.cap_close='</think>'", "model.cap_close_newline=false", "model.think_close='</think>'")


def run_all(engine: VllmBackend, configs: dict[str, SweepConfig]) -> dict[str, Path]:
    """Generate each method's run on one shared engine (its sampling set per run); run dirs by method."""
    greedy = engine.sampling
    try:
        for config in configs.values():
            engine.sampling = config.sampling
            assert generate(make_plan(config), engine) == "complete"
    finally:
        engine.sampling = greedy
    return {method: Path(str(config.run.run_dir)) for method, config in configs.items()}


def family_config(method: str, model: Path, run_dir: Path, *extra: str) -> SweepConfig:
    """A method's config on the real-vocabulary model: Qwen3's profile (SCC: s1's SCC-model profile), its
    prompts from the folder's Qwen2.5-Instruct tokenizer (the default system turn, then `<think>\n`)."""
    profile = ("model=scc-32b",) if method in ("scc", "scc_bf") else ("model=qwen3-32b", *AS_NATIVE)
    overrides = (*FAMILY, *profile, f"model.path={model}", f"method={method}", *METHODS[method])
    return sweep_config(*overrides, f"run_dir={run_dir}", *extra)


@pytest.fixture(scope="module")
def toy_runs(toy_engine: VllmBackend, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("toy-methods")
    configs = {
        method: sweep_config(
            *TOY,
            f"method={method}",
            *METHODS[method],
            *((TOY_STEPS,) if method.startswith("scc") else ()),
            f"run_dir={root / method}",
        )
        for method in METHODS
    }
    return run_all(toy_engine, configs)


@pytest.fixture(scope="module")
def family_runs(
    family_engine: VllmBackend,
    family_server: VllmServer,  # starting while the in-process engine works
    family_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("family-methods")
    configs = {method: family_config(method, family_model, root / method) for method in METHODS}
    return run_all(family_engine, configs)


def check_cells(run_dir: Path, method: str, points: int) -> dict[str, dict]:
    """The run's cells: one per problem and point, each within what its method allows."""
    cells = cells_by_key(run_dir)
    assert len(cells) == 3 * points
    for cell in cells.values():
        if method in CAPPED:
            assert cell["thinking_tokens"] <= cell["cap"], cell
        elif method == "nothinking":
            assert (cell["thinking_tokens"], cell["end_reason"]) == (0, "prefilled")
        else:
            assert cell["thinking_tokens"] <= 40, cell
        if cell["end_reason"] == "never_fit":
            assert cell["tries"] == 3 and cell["answer_text"] == ""
        else:
            assert cell["answer_tokens"] > 0, cell
    return cells


POINTS = {"ccc": 3, "nothinking": 1}


@pytest.mark.parametrize("method", METHODS)
def test_every_method_runs_on_the_toy(toy_runs: dict[str, Path], method: str) -> None:
    cells = check_cells(toy_runs[method], method, POINTS.get(method, 2))
    if method == "rejection_sampling":
        assert all(c["thinking_tokens"] + 1 <= c["cap"] for c in cells.values() if c["end_reason"] == "stop")
        assert any(c["end_reason"] == "stop" for c in cells.values()), "the toy fits a cap of 64"
    if method == "native_cap":
        assert {c["end_reason"] for c in cells.values()} == {"cap", "stop"}, "the cap and the model end it"


@pytest.mark.parametrize("method", METHODS)
def test_every_method_runs_on_the_real_vocabulary_model_in_process(
    family_runs: dict[str, Path], method: str
) -> None:
    check_cells(family_runs[method], method, POINTS.get(method, 2))


def test_native_cap_equals_cap_only_budget_forcing_token_for_token(family_runs: dict[str, Path]) -> None:
    native, forcing = (cells_by_key(family_runs[m]) for m in ("native_cap", "budget_forcing"))
    generated = {m: generations_by_key(family_runs[m]) for m in ("native_cap", "budget_forcing")}
    assert native.keys() == forcing.keys()
    end = 151668  # </think>
    for key, cell in native.items():
        other = forcing[key]
        ids = generated["native_cap"][f"{cell['trajectory']}/t0"]["token_ids"]
        trajectory = generated["budget_forcing"][f"{other['trajectory']}/t0"]["token_ids"]
        thinking = trajectory[: other["thinking_tokens"]]
        answer_key = next(k for k in other["seeds"] if k.startswith("a"))
        answer = generated["budget_forcing"][f"{other['trajectory']}/{answer_key}"]["token_ids"]
        assert ids[: len(thinking) + 1 + len(answer)] == [*thinking, end, *answer], key
        same = ("thinking_tokens", "end_reason", "answer_text", "answer_tokens", "answer_finish")
        assert {f: cell[f] for f in same} == {f: other[f] for f in same}, key
    assert {c["end_reason"] for c in native.values()} == {"cap", "stop"}


@pytest.mark.parametrize("method", METHODS)
def test_the_server_reproduces_every_method(
    family_runs: dict[str, Path],
    family_server: VllmServer,
    family_model: Path,
    tmp_path: Path,
    method: str,
) -> None:
    family_server.wait_ready()
    server = ("engine=openai", f"engine.base_url={family_server.base_url}")
    config = family_config(method, family_model, tmp_path / "served", *server)
    assert generate(make_plan(config)) == "complete"
    reference = generations_by_key(family_runs[method])
    served = generations_by_key(tmp_path / "served")
    differing = [key for key, record in served.items() if record != reference.get(key)]
    assert not differing and served.keys() == reference.keys(), f"{len(differing)} differ: {differing[:3]}"
    assert cells_by_key(tmp_path / "served") == cells_by_key(family_runs[method])
