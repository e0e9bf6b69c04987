"""End-to-end greedy sweeps of the five real profiles, in-process and through a real server.

One tiny random model with the real vocabulary (tiny_model.build_real_vocab_model)
stands in for every family: it carries the Qwen2.5-Instruct tokenizer and
generation_config.json of s1 / s1.1, and the other profiles build their prompts
from their own family's test tokenizer (`model.tokenizer`). The engines see only
ids, so one in-process engine and one `vllm serve` process serve all five
profiles. The server fills every sampling field a request leaves out from
generation_config.json (repetition_penalty 1.05, top_k 20, top_p 0.8, T 0.7), so
greedy parity holds only if evalscale sends every field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine import cells_by_key, generations_by_key, sweep_config
from family_tokenizers import PROFILE_FAMILIES, SERVED_FAMILY
from openai_vllm_server import VllmServer

from evalscale.backends.vllm_engine import VllmBackend
from evalscale.config import SweepConfig
from evalscale.plan import make_plan
from evalscale.sweep import generate

pytestmark = pytest.mark.engine

SWEEP = (
    "task=letter_count",
    "limit=4",
    "budget.caps=[16,48]",
    "budget.waits=[0,1,2]",
    "model.max_answer_tokens=16",
    "engine.max_model_len=1024",
    "grade=false",
    "report=false",
    "progress=false",
)
CELLS_PER_RUN = 4 * 2 * 3


def profile_config(
    profile: str, model: Path, tokenizers: dict[str, Path], run_dir: Path, *extra: str
) -> SweepConfig:
    """The sweep config of `profile` on the tiny model, prompts from the family's own tokenizer."""
    family = PROFILE_FAMILIES[profile]
    tokenizer = () if family == SERVED_FAMILY else (f"model.tokenizer={tokenizers[family]}",)
    return sweep_config(
        f"model={profile}", f"model.path={model}", *tokenizer, *SWEEP, f"run_dir={run_dir}", *extra
    )


@pytest.fixture(scope="module")
def in_process_runs(
    family_model: Path,
    family_tokenizers: dict[str, Path],
    family_server: VllmServer,  # starts while the in-process engine works
    family_engine: VllmBackend,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """A greedy sweep of every profile on the session's in-process engine; run dirs by profile."""
    root = tmp_path_factory.mktemp("in-process")
    configs = {
        profile: profile_config(profile, family_model, family_tokenizers, root / profile)
        for profile in PROFILE_FAMILIES
    }
    for config in configs.values():
        assert generate(make_plan(config), family_engine) == "complete"
    return {profile: Path(str(config.run.run_dir)) for profile, config in configs.items()}


@pytest.mark.parametrize("profile", PROFILE_FAMILIES)
def test_greedy_sweep_ends_thinking_only_on_the_familys_ids(
    in_process_runs: dict[str, Path], family_model: Path, family_tokenizers: dict[str, Path], profile: str
) -> None:
    run_dir = in_process_runs[profile]
    plan = make_plan(profile_config(profile, family_model, family_tokenizers, run_dir))
    cells = cells_by_key(run_dir)
    assert len(cells) == CELLS_PER_RUN
    assert all(cell["thinking_tokens"] <= cell["cap"] for cell in cells.values())
    assert all(cell["answer_text"] for cell in cells.values()), "every cell has an answer"
    thinking = [record for record in generations_by_key(run_dir).values() if "/t" in record["key"]]
    stops = {record["stop_token_id"] for record in thinking} - {None}
    assert stops and stops <= set(plan.builder.ids.think_stop_ids), "thinking ends on the family's ids"
    assert any(cell["waits_used"] for cell in cells.values()), "a Wait replaced the end of thinking"


@pytest.mark.parametrize("profile", PROFILE_FAMILIES)
def test_server_reproduces_the_in_process_greedy_sweep(
    in_process_runs: dict[str, Path],
    family_server: VllmServer,
    family_model: Path,
    family_tokenizers: dict[str, Path],
    tmp_path: Path,
    profile: str,
) -> None:
    family_server.wait_ready()
    served = tmp_path / "served"
    server = ("engine=openai", f"engine.base_url={family_server.base_url}")
    config = profile_config(profile, family_model, family_tokenizers, served, *server)
    assert generate(make_plan(config)) == "complete"
    reference = generations_by_key(in_process_runs[profile])
    differing = [key for key, record in generations_by_key(served).items() if record != reference.get(key)]
    assert not differing, (
        f"{len(differing)} of {len(reference)} generations differ from in-process: {differing[:4]}"
    )
    assert cells_by_key(served) == cells_by_key(in_process_runs[profile])
