"""A server whose model ships sampling defaults gives what the in-process engine gives (slow, real engines).

The tiny model's `generation_config.json` carries Qwen2.5-Instruct's defaults
(repetition_penalty 1.05, top_k 20, top_p 0.8, temperature 0.7), which a
server applies to every field a request leaves out; its embedding has 400 rows
beyond the tokenizer's 400 ids, as Qwen3 pads its vocabulary. Its weights
are initialised large enough that greedy output varies with the context.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from engine import sweep_config
from openai_vllm_server import VllmServer, serving
from test_openai_backend import generations_by_key
from tiny_model import build_tiny_model
from vllm import SamplingParams
from vllm.inputs import TokensPrompt

from evalscale.backends.sampling import SAMPLING_DEFAULTS, Sampling
from evalscale.backends.vllm_engine import VllmBackend
from evalscale.plan import make_plan
from evalscale.sweep import generate

pytestmark = pytest.mark.engine

QWEN25_DEFAULTS = {"repetition_penalty": 1.05, "top_k": 20, "top_p": 0.8, "temperature": 0.7}
PADDED_ROWS = 400
SWEEP = (
    "model=s1-32b",
    "budget.caps=[8,16,32]",
    "budget.waits=[0,1,2]",
    "limit=6",
    "model.think_end=[a,e,i,o,u]",  # the random model ends thinking often: Waits in every run
    "model.max_answer_tokens=16",
    "engine.max_model_len=1024",
    "grade=false",
    "report=false",
    "progress=false",
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random model with a padded embedding and Qwen2.5's generation defaults."""
    directory = tmp_path_factory.mktemp("defaults") / "model"
    return build_tiny_model(
        directory, padded_rows=PADDED_ROWS, generation_config=QWEN25_DEFAULTS, initializer_range=0.5
    )


@pytest.fixture(scope="module")
def server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VllmServer]:
    """`vllm serve` on that model, started while the in-process engine loads."""
    with serving(model_dir, tmp_path_factory.mktemp("server") / "vllm-serve.log") as server:
        yield server


@pytest.fixture(scope="module")
def in_process(model_dir: Path, server: VllmServer) -> Iterator[VllmBackend]:
    """The in-process engine on the same model (greedy unless a test swaps its sampling)."""
    backend = VllmBackend(str(model_dir), dict(sweep_config("engine=cpu").engine.options), Sampling())
    yield backend
    backend.close()


def run_both(server: VllmServer, backend: VllmBackend, model_dir: Path, tmp_path: Path, *overrides: str):
    """The same sweep in-process and through the server; their stored generations."""
    common = (*SWEEP, f"model.path={model_dir}", *overrides)
    local = make_plan(sweep_config(*common, f"run_dir={tmp_path / 'local'}"))
    kept, backend.sampling = backend.sampling, local.config.sampling
    try:
        assert generate(local, backend) == "complete"
    finally:
        backend.sampling = kept
    server.wait_ready(timeout=900)  # two engines start at once on a loaded machine
    served = ("engine=openai", f"engine.base_url={server.base_url}", f"run_dir={tmp_path / 'served'}")
    assert generate(make_plan(sweep_config(*common, *served))) == "complete"
    return generations_by_key(tmp_path / "local"), generations_by_key(tmp_path / "served")


def test_greedy_sweeps_are_identical_despite_the_server_defaults(
    server: VllmServer, in_process: VllmBackend, model_dir: Path, tmp_path: Path
) -> None:
    local, served = run_both(server, in_process, model_dir, tmp_path)
    assert local == served
    assert any(key.endswith("/t1") for key in local), "some thinking was extended by a Wait"
    assert len({token for record in local.values() for token in record["token_ids"]}) > 50, "varied output"


def test_leaving_fields_out_lets_the_server_defaults_change_greedy_output(
    server: VllmServer, in_process: VllmBackend, model_dir: Path
) -> None:
    """What evalscale sent before (temperature and top_p only) is not what the engine computes."""
    server.wait_ready(timeout=900)  # two engines start at once on a loaded machine
    prompts = list(make_plan(sweep_config(*SWEEP, f"model.path={model_dir}")).prompts.values())
    request = {"model": str(model_dir), "max_tokens": 48, "return_token_ids": True, "seed": 0}

    def served(prompt: list[int], sampling: dict) -> list[int]:
        body = {**request, "prompt": prompt, **sampling}
        response = httpx.post(f"{server.base_url}/completions", json=body, timeout=120)
        return response.json()["choices"][0]["token_ids"]

    params = SamplingParams(**SAMPLING_DEFAULTS, max_tokens=48, seed=0, detokenize=False)
    for index, prompt in enumerate(prompts):
        in_process.engine.add_request(f"probe-{index}", TokensPrompt(prompt_token_ids=prompt), params)
    local = {}
    while in_process.engine.has_unfinished_requests():
        for output in in_process.engine.step():
            if output.finished:
                local[int(output.request_id.split("-")[1])] = list(output.outputs[0].token_ids)
    explicit = [served(prompt, SAMPLING_DEFAULTS) for prompt in prompts]
    partial = [served(prompt, {"temperature": 0.0, "top_p": 1.0}) for prompt in prompts]
    assert explicit == [local[index] for index in range(len(prompts))]
    assert partial != explicit, "repetition_penalty 1.05 from generation_config.json changes greedy output"


def test_padded_rows_are_never_sampled(
    server: VllmServer, in_process: VllmBackend, model_dir: Path, tmp_path: Path
) -> None:
    tokenizer_size = in_process.vocab_size
    unmasked = SamplingParams(temperature=1.0, max_tokens=64, seed=0, detokenize=False)
    in_process.engine.add_request("unmasked", TokensPrompt(prompt_token_ids=[1, 2, 3]), unmasked)
    sampled: list[int] = []
    while in_process.engine.has_unfinished_requests():
        sampled += [t for out in in_process.engine.step() if out.finished for t in out.outputs[0].token_ids]
    assert max(sampled) >= tokenizer_size, "without the bias the random model samples padded rows"

    local, served = run_both(server, in_process, model_dir, tmp_path, "sampling.temperature=1.0")
    assert local == served
    ids = [token for record in local.values() for token in record["token_ids"]]
    assert len(ids) > 200, "enough sampled tokens that unmasked padded rows would have shown up"
    assert max(ids) < tokenizer_size
