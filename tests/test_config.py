"""The typed sweep config: read once from Hydra's dict, checked there, and hashed as before (fast)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from engine import raw_config, sweep_config

from evalscale.config import ConfigError, hash_config, load_config

# The config hashes of example commands, as runs made before the typed config recorded them: a run dir
# resumes in place only while its command hashes the same.
PINNED_HASHES = [
    ((), "251216c35ed3415159cfc2df4c0bdb4058075150ed179747825f45837597cbf3"),
    (("model=s1.1-32b", "task=aime24", "engine=gpu", "budget=s1"), "6b157863278fda0d"),
    (
        ("model=s1-32b", "task=math500", "engine=openai", "samples=4", "sampling.temperature=0.7"),
        "b6a8401c03451fef",
    ),
    (("model=qwen3-32b", "task=gpqa_diamond", "sampling=recommended", "seed=3"), "86a749bf4a8399a5"),
    (
        ("model=r1-distill-qwen-32b", "task=aime24_h4", "mode=independent")
        + ("budget.caps=[512,1024]", "budget.waits=[0,2]"),
        "d2ae05d3e84fd5a7",
    ),
    (("model=qwq-32b", "model.extension=Hmm", "limit=5", "shard=0/2", "label=x"), "29c088a36155230d"),
    (("+budget.control_range=[100,2000]", "budget.min_thinking=16"), "bd3fee6b88cffa2c"),
]


@pytest.mark.parametrize(("overrides", "pinned"), PINNED_HASHES)
def test_config_hashes_of_existing_runs_do_not_change(overrides: tuple[str, ...], pinned: str) -> None:
    config = sweep_config(*overrides)
    assert config.config_hash.startswith(pinned)
    assert config.config_hash == hash_config(raw_config(*overrides))


def test_where_problems_are_read_from_is_not_hashed() -> None:
    plain = sweep_config("task=aime24").config_hash
    assert sweep_config("task=aime24", "task.include_path=/somewhere").config_hash == plain
    assert sweep_config("task=aime24", "task.instruction=Box it.").config_hash != plain


def test_the_typed_config_carries_every_setting() -> None:
    config = sweep_config("model=s1.1-32b", "task=aime24", "samples=3", "shard=1/4", "limit=7", "seed=5")
    assert (
        config.model.profile.think_open == "<|im_start|>think"
        and config.model.path == "simplescaling/s1.1-32B"
    )
    assert (config.task.name, config.task.source, config.task.lm_eval_task) == (
        "aime24",
        "lm_eval",
        "aime24_s1",
    )
    assert config.grid.caps == (512, 1024, 2048, 4096, 8192) and config.grid.waits == (0, 1, 2, 4)
    assert (config.run.samples, config.run.shard, config.run.limit, config.run.seed) == (3, (1, 4), 7, 5)
    assert config.sampling.temperature == 0.0 and config.engine.backend == "vllm"
    toy = sweep_config()
    assert toy.model.path is None and toy.model.train_seed == 0 and toy.run.run_dir is None
    assert sweep_config("run_dir=out/x").run.run_dir == Path("out/x")


def test_a_single_text_stands_for_a_list_of_one() -> None:
    raw = raw_config()
    model = {**raw["model"], "think_end": "</think>", "answer_stop": "<|im_end|>"}
    config = load_config(raw | {"model": model, "problems": "count-0001"})
    assert config.model.profile.think_end == ("</think>",) and config.model.profile.answer_stop == (
        "<|im_end|>",
    )
    assert config.run.problem_ids == ("count-0001",)
    assert load_config(raw | {"problems": [17, "p0"]}).run.problem_ids == ("17", "p0")
    assert load_config(raw | {"problems": 0}).run.problem_ids == ("0",)
    assert config.config_hash != sweep_config().config_hash, "the raw config is hashed, as before"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"samples": "many"}, "samples must be an integer, got 'many'"),
        ({"max_active_samples": 0}, "max_active_samples must be at least 1, got 0"),
        ({"limit": 0}, "limit must be positive, got 0"),
        ({"budget": {"caps": [], "waits": [0]}}, "budget.caps must be a non-empty list"),
        (
            {"budget": {"caps": ["a"], "waits": [0]}},
            "budget.caps must be a non-empty list of integers, got ['a']",
        ),
        ({"method": "tcc"}, "method must be a node of conf/method/"),
        ({"method": {"name": "scc", "steps": ["a"]}}, "method.steps must be a non-empty list of integers"),
        (
            {"method": {"name": "ccc", "conditions": []}},
            "method.conditions must be a non-empty list of names",
        ),
        (
            {"method": {"name": "ccc", "conditions": "tall"}},
            "method.conditions must name some of short, plain, long",
        ),
        ({"budget": {"caps": [8], "waits": [0], "control_range": [9, 3]}}, "needs 0 <= a_min <= a_max"),
        ({"task": {"name": "t", "source": "web"}}, "task 't': unknown source 'web'"),
        ({"problems": {"id": 1}}, "problems must be a non-empty list of strings or integers, got {'id': 1}"),
        ({"problems": [1.5]}, "problems must be a non-empty list of strings or integers, got [1.5]"),
        ({"engine": {"backend": "vllm", "data_parallel_size": 2}}, "not supported by the in-process vLLM"),
        (
            {"engine": {"backend": "openai", "data_parallel_size": "two"}},
            "engine.data_parallel_size must be an",
        ),
        ({"engine": {"backend": "vlm"}}, "engine.backend must be one of openai, vllm, got 'vlm'"),
        ({"engine": {"backend": "vllm", "max_model_len": "32k"}}, "engine.max_model_len must be an integer"),
        (
            {"engine": {"backend": "vllm", "max_model_len": 0}},
            "engine.max_model_len must be at least 1, got 0",
        ),
        ({"budget": None}, "budget must be a section of keys (conf/budget/), got None"),
        ({"sampling": None}, "sampling must be a section of keys (conf/sampling/), got None"),
        ({"model": "toy"}, "model must be a section of keys (conf/model/), got 'toy'"),
        (
            {"budget": {"caps": [8], "waits": [0], "min_thinking": "x"}},
            "budget.min_thinking must be an integer",
        ),
        (
            {"task": {"name": "t", "source": "generated", "size": 4, "seed": [1]}},
            "task.seed must be an integer",
        ),
    ],
)
def test_bad_values_are_one_sentence(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(raw_config() | change)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("think_end", 5, "model.think_end must be a non-empty list of strings, got 5"),
        (
            "think_end",
            ["</think>", ""],
            "model.think_end must be a non-empty list of strings, got ['</think>', '']",
        ),
        ("max_answer_tokens", "many", "model.max_answer_tokens must be an integer, got 'many'"),
        ("max_answer_tokens", 0, "model.max_answer_tokens must be at least 1, got 0"),
        ("train_seed", 1.5, "model.train_seed must be an integer, got 1.5"),
        (
            "answer_stop",
            [["<|im_end|>"]],
            "model.answer_stop must be a non-empty list of strings, got [['<|im_end|>']]",
        ),
    ],
)
def test_bad_profile_values_are_one_sentence(key: str, value: object, message: str) -> None:
    raw = raw_config()
    with pytest.raises(ConfigError) as error:
        load_config(raw | {"model": {**raw["model"], key: value}})
    assert str(error.value) == message


def test_a_null_integer_with_a_default_takes_it() -> None:
    raw = raw_config("seed=3")
    model = {**raw["model"], "train_seed": None, "max_answer_tokens": None}
    config = load_config(raw | {"model": model, "task": {**raw["task"], "seed": None}})
    assert (config.model.train_seed, config.model.profile.max_answer_tokens, config.task.seed) == (3, 512, 0)
