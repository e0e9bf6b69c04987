"""The s1 profiles feed "Wait" as s1's code does: thinking text + "Wait", re-tokenized (real tokenizer)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from engine import REPO, sweep_config
from transformers import AutoTokenizer

from evalscale.config import ConfigError
from evalscale.forcing import Grid, Result, SampleMachine
from evalscale.prompting import PromptBuilder

QWEN = REPO.parent / "shared" / "tokenizers" / "qwen3"
WAIT = 14190


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(QWEN)


@pytest.fixture(scope="module")
def s1_builder(tokenizer) -> PromptBuilder:
    return PromptBuilder(sweep_config("model=s1.1-32b").model.profile, tokenizer)


def encode(tokenizer, text: str) -> list[int]:
    return tokenizer.encode(text, add_special_tokens=False)


def test_profiles_choose_the_extension_tokenization() -> None:
    assert sweep_config("model=s1-32b").model.profile.extension_tokenization == "text"
    assert sweep_config("model=s1.1-32b").model.profile.extension_tokenization == "text"
    for model in ("r1-distill-qwen-32b", "qwq-32b", "qwen3-32b", "toy"):
        assert sweep_config(f"model={model}").model.profile.extension_tokenization == "ids"
    with pytest.raises(ConfigError, match="model.extension_tokenization must be one of ids, text, got 'bpe'"):
        sweep_config("model.extension_tokenization=bpe")


def test_after_a_full_stop_s1_sees_one_merged_token(tokenizer, s1_builder: PromptBuilder) -> None:
    thinking = encode(tokenizer, "So the sum is 12.")
    extended = s1_builder.extend(thinking)
    assert extended == encode(tokenizer, "So the sum is 12.Wait")
    assert extended[:-1] == thinking[:-1], "only the last token changes"
    assert tokenizer.decode(extended[-1:]) == ".Wait" and len(extended) == len(thinking)
    ids_mode = PromptBuilder(replace(s1_builder.profile, extension_tokenization="ids"), tokenizer)
    assert ids_mode.extend(thinking) == [*thinking, WAIT]


@pytest.mark.parametrize("text", ["So the sum is 12.\n\n", "Is it 12?", "Done!", "Then $x=3$."])
def test_where_nothing_merges_both_ways_agree(tokenizer, s1_builder: PromptBuilder, text: str) -> None:
    thinking = encode(tokenizer, text)
    assert s1_builder.extend(thinking) == [*thinking, WAIT]


def test_forcing_continues_after_the_merged_wait_and_answers_from_the_generated_ids(
    tokenizer, s1_builder: PromptBuilder
) -> None:
    prompt = s1_builder.prompt_ids("What is 5+7?")
    machine = SampleMachine(
        problem_id="p",
        sample=0,
        prompt_ids=prompt,
        grid=Grid(caps=(256,), waits=(0, 1)),
        ids=s1_builder.ids,
        max_answer_tokens=8,
        run_seed=0,
        mode="shared",
        decode=s1_builder.decode,
        extend=s1_builder.extend,
    )
    (first,) = machine.start()
    generated = encode(tokenizer, "\n5+7 is 12.")
    end = s1_builder.ids.think_stop_ids[0]
    requests, _ = machine.feed(Result(first.key, tuple(generated), "stop", end))
    by_name = {request.key.rsplit("/", 1)[1]: request for request in requests}
    thinking_text = tokenizer.decode(by_name["t1"].prompt_ids)
    assert thinking_text.endswith("<|im_start|>think\n5+7 is 12.Wait")
    assert list(by_name["t1"].prompt_ids) == prompt + encode(tokenizer, "\n5+7 is 12.Wait")
    answer = by_name[f"a{len(generated)}s0"]
    assert list(answer.prompt_ids) == prompt + generated + list(s1_builder.ids.think_close)
