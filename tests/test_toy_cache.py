"""Caching and the `train-toy` command of the toy reasoner (a two-step training run, seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, Qwen2ForCausalLM

from evalscale.commands.train_toy import parse_args
from evalscale.toy import cache
from evalscale.toy.tokenizer import build_tokenizer
from evalscale.toy.train import Recipe, batches

TINY = Recipe(layers=1, steps=2, batch=4, warmup=1)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EVALSCALE_CACHE", str(tmp_path))
    return tmp_path


def test_cache_key_depends_on_seed_and_recipe(cache_dir: Path) -> None:
    assert cache.toy_model_dir(0).parent == cache_dir
    assert cache.toy_model_dir(0) == cache.toy_model_dir(0)
    assert len({cache.toy_model_dir(0), cache.toy_model_dir(1), cache.toy_model_dir(0, TINY)}) == 3


def test_training_data_is_deterministic() -> None:
    tokenizer = build_tokenizer()
    first, second = list(batches(tokenizer, 3, TINY)), list(batches(tokenizer, 3, TINY))
    assert all(
        torch.equal(a, b)
        for one, two in zip(first, second, strict=True)
        for a, b in zip(one, two, strict=True)
    )
    other = next(batches(tokenizer, 4, TINY))[0]
    assert not torch.equal(first[0][0], other)


def test_ensure_trains_once_into_place(cache_dir: Path) -> None:
    path = cache.ensure_toy_model(seed=0, recipe=TINY)
    assert path == cache.toy_model_dir(0, TINY)
    assert [entry.name for entry in cache_dir.iterdir()] == [path.name]  # no scratch folder left
    assert json.loads((path / cache.RECIPE_FILE).read_text())["recipe"] == TINY.as_dict()
    model = Qwen2ForCausalLM.from_pretrained(path)
    assert model.config.hidden_size // model.config.num_attention_heads == 64
    assert model.config.vocab_size == len(AutoTokenizer.from_pretrained(path))
    stamp = (path / "model.safetensors").stat().st_mtime_ns
    assert cache.ensure_toy_model(seed=0, recipe=TINY) == path
    assert (path / "model.safetensors").stat().st_mtime_ns == stamp


def test_train_toy_arguments() -> None:
    assert parse_args([]) == (0, False)
    assert parse_args(["seed=7", "force=true"]) == (7, True)
    for bad in (["seed=x"], ["force=maybe"], ["steps=3"], ["7"]):
        with pytest.raises(ValueError):
            parse_args(bad)


def test_shipped_model_serves_its_seed_and_recipe_until_a_retrain(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / cache.RECIPE_FILE).write_text(json.dumps(cache.training_key(0, TINY)))
    monkeypatch.setattr(cache, "SHIPPED_DIR", shipped)
    assert cache.shipped_toy_model(0, TINY) == shipped
    assert cache.shipped_toy_model(1, TINY) is None and cache.shipped_toy_model(0) is None
    assert cache.ensure_toy_model(seed=0, recipe=TINY) == shipped  # nothing trained
    assert not cache.toy_model_dir(0, TINY).exists()
    retrained = cache.ensure_toy_model(seed=0, force=True, recipe=TINY)
    assert retrained == cache.toy_model_dir(0, TINY) and (retrained / "model.safetensors").exists()
    assert cache.ensure_toy_model(seed=0, recipe=TINY) == retrained  # the cache, once there, comes first
