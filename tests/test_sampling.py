"""The sampling config: checked, complete and explicit on both backends (fast, no engine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine import REPO, sweep_config
from tiny_model import build_tiny_model

from evalscale.backends.openai_server import OpenAIServerBackend
from evalscale.backends.sampling import PAD_BIAS, SAMPLING_DEFAULTS, Sampling, padding_bias
from evalscale.backends.vllm_engine import sampling_params
from evalscale.config import ConfigError
from evalscale.forcing import Request
from evalscale.manifest import make_manifest
from evalscale.plan import make_plan

QWEN3_TOKENIZER = REPO.parent / "shared" / "tokenizers" / "qwen3"
LOCAL = ("model=s1-32b", f"model.path={QWEN3_TOKENIZER}", "engine.max_model_len=32768", "limit=1")
REQUEST = Request("p/0/t0", (1, 2, 3), 64, (7,), min_tokens=1, seed=11)
QWEN3 = {"temperature": 0.6, "top_p": 0.95, "top_k": 20, "min_p": 0.0}


@pytest.fixture(scope="module")
def padded_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model whose embedding has 100 rows more than its tokenizer has ids."""
    return build_tiny_model(tmp_path_factory.mktemp("padded") / "model", padded_rows=100)


def test_default_is_greedy_with_every_field_neutral() -> None:
    assert sweep_config().sampling.fields() == SAMPLING_DEFAULTS
    assert SAMPLING_DEFAULTS["temperature"] == 0.0


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("s1-32b", {"temperature": 0.0, "top_p": 1.0, "top_k": -1}),
        ("s1.1-32b", {"temperature": 0.0, "top_p": 1.0, "top_k": -1}),
        ("r1-distill-qwen-32b", {"temperature": 0.6, "top_p": 0.95, "top_k": -1}),
        ("qwq-32b", {"temperature": 0.6, "top_p": 0.95, "top_k": 40, "min_p": 0.0}),
        ("qwen3-32b", QWEN3),
    ],
)
def test_recommended_preset_is_the_family_s_published_setting(model: str, expected: dict) -> None:
    sampling = sweep_config(f"model={model}", "sampling=recommended").sampling.fields()
    assert set(sampling) == set(SAMPLING_DEFAULTS)
    assert {key: sampling[key] for key in expected} == expected
    assert sampling["repetition_penalty"] == 1.0 and sampling["presence_penalty"] == 0.0


def test_a_preset_field_can_be_overridden() -> None:
    config = sweep_config("model=qwq-32b", "sampling=recommended", "sampling.top_k=20")
    assert config.sampling.top_k == 20 and config.sampling.temperature == 0.6


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("sampling.top_p=0", r"sampling.top_p must be in \(0, 1\], got 0"),
        ("sampling.top_k=0", r"sampling.top_k must be -1 \(all tokens\) or >= 1, got 0"),
        ("sampling.temperature=-1", "sampling.temperature must be >= 0"),
        ("sampling.min_p=2", r"sampling.min_p must be in \[0, 1\]"),
        ("sampling.repetition_penalty=0", "sampling.repetition_penalty must be > 0"),
        ("sampling.top_k=many", "sampling.top_k must be a number, got 'many'"),
        ("+sampling.typical_p=0.9", "unknown sampling key.s. typical_p; known: temperature, top_p"),
    ],
)
def test_bad_sampling_values_are_one_sentence_config_errors(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_plan(sweep_config(*LOCAL, override))


def test_sampling_is_in_the_config_hash_and_the_manifest() -> None:
    greedy = make_plan(sweep_config(*LOCAL))
    penalised = make_plan(sweep_config(*LOCAL, "sampling.repetition_penalty=1.05"))
    assert greedy.config.config_hash != penalised.config.config_hash
    manifest = make_manifest(penalised)
    assert manifest["sampling"] == {
        **SAMPLING_DEFAULTS,
        "repetition_penalty": 1.05,
        "max_thinking_tokens": max(penalised.grid.caps),
        "max_answer_tokens": penalised.profile.max_answer_tokens,
    }


def test_sampling_params_carry_every_field_and_the_request_limits() -> None:
    settings = Sampling(**QWEN3, repetition_penalty=1.1, presence_penalty=0.5)
    params = sampling_params(settings, {400: PAD_BIAS}, REQUEST)
    assert (params.temperature, params.top_p, params.top_k, params.min_p) == (0.6, 0.95, 20, 0.0)
    assert (params.repetition_penalty, params.presence_penalty, params.frequency_penalty) == (1.1, 0.5, 0.0)
    assert (params.max_tokens, params.min_tokens, params.seed) == (64, 1, 11)
    assert params.stop_token_ids == [7] and params.logit_bias == {400: PAD_BIAS}


def test_request_body_sends_every_sampling_field(tmp_path: Path) -> None:
    backend = OpenAIServerBackend(str(tmp_path / "absent"), {}, Sampling(**QWEN3, frequency_penalty=0.2))
    try:
        body = backend._body(REQUEST)
    finally:
        backend.close()
    assert {key: body[key] for key in SAMPLING_DEFAULTS} == {
        **SAMPLING_DEFAULTS,
        **QWEN3,
        "frequency_penalty": 0.2,
    }
    assert (body["max_tokens"], body["min_tokens"], body["seed"]) == (64, 1, 11)
    assert "logit_bias" not in body, "no model config here: nothing known to mask"


def test_padded_rows_are_biased_away_in_requests(padded_model: Path) -> None:
    backend = OpenAIServerBackend(str(padded_model), {}, Sampling())
    try:
        body = backend._body(REQUEST)
    finally:
        backend.close()
    tokenizer_size = backend.vocab_size
    assert body["logit_bias"] == {
        str(token_id): PAD_BIAS for token_id in range(tokenizer_size, tokenizer_size + 100)
    }


def test_padding_bias_covers_exactly_the_rows_without_ids() -> None:
    assert padding_bias(151_669, 151_936) == dict.fromkeys(range(151_669, 151_936), PAD_BIAS)
    assert padding_bias(400, 400) == {}
    assert padding_bias(None, 151_936) == {} and padding_bias(400, None) == {}
