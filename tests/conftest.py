"""Shared test setup: tests import helpers from this folder; the hub is never reached."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")


# The engines' reasoning config (method=native_cap) for <think> ... </think>: the toy's and Qwen3's markers.
# vLLM tracks only the requests that set a thinking budget, so every other request runs as without it.
THINK_MARKERS = {"reasoning_start_str": "<think>", "reasoning_end_str": "</think>"}


@pytest.fixture(scope="session")
def toy_engine() -> Iterator[Any]:
    """One vLLM engine on the toy reasoner for the whole session (greedy unless a test says otherwise),
    with the reasoning config of native_cap."""
    from engine import sweep_config

    from evalscale.backends.vllm_engine import VllmBackend
    from evalscale.plan import make_plan

    config = sweep_config()
    options = {**config.engine.options, "reasoning_config": THINK_MARKERS}
    backend = VllmBackend(make_plan(config).model_path, options, config.sampling)
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def family_tokenizers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Test tokenizer folders of the real model families, built from ../shared/tokenizers/qwen3."""
    from family_tokenizers import FAMILIES, QWEN3_TOKENIZER, build_family_tokenizer

    if not (QWEN3_TOKENIZER / "tokenizer.json").is_file():
        pytest.skip(
            f"the real Qwen3 tokenizer is not at {QWEN3_TOKENIZER} (CI puts it in ../shared/tokenizers)"
        )
    root = tmp_path_factory.mktemp("family-tokenizers")
    return {family: build_family_tokenizer(family, root / family) for family in FAMILIES}


@pytest.fixture(scope="session")
def family_model(family_tokenizers: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny real-vocabulary model folder (tiny_model.build_real_vocab_model), with s1's tokenizer and
    Qwen2.5-Instruct's generation defaults."""
    from family_tokenizers import SERVED_FAMILY
    from tiny_model import build_real_vocab_model

    return build_real_vocab_model(
        tmp_path_factory.mktemp("family-model") / "model", family_tokenizers[SERVED_FAMILY]
    )


@pytest.fixture(scope="session")
def family_engine(family_model: Path) -> Iterator[Any]:
    """One in-process vLLM engine on the real-vocabulary model (greedy unless a test says otherwise), with
    the reasoning config of native_cap for Qwen3's markers."""
    from engine import sweep_config

    from evalscale.backends.sampling import Sampling
    from evalscale.backends.vllm_engine import VllmBackend

    options = {**sweep_config("engine=cpu").engine.options, "reasoning_config": THINK_MARKERS}
    backend = VllmBackend(str(family_model), options, Sampling())
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def family_server(family_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One `vllm serve` on the real-vocabulary model for every test that needs it (started here, waited
    for when first used), with the reasoning config of native_cap for Qwen3's markers."""
    import json

    from openai_vllm_server import serving

    log = tmp_path_factory.mktemp("family-server") / "vllm-serve.log"
    with serving(family_model, log, "--reasoning-config", json.dumps(THINK_MARKERS)) as server:
        yield server
