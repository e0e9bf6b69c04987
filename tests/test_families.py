"""Conformance of the five real model profiles with their families' real tokenizers and chat templates.

The tokenizers are built from ../shared/tokenizers/qwen3 (see family_tokenizers.py).
Expected prompts are written out below from each family's published format (for
s1, what s1's evaluation code feeds vLLM: ../shared/S1-FACTS.md), and anchored
to literal ids from ../shared/tokenizers/README.md.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from engine import sweep_config
from family_tokenizers import PROFILE_FAMILIES, QWEN_DEFAULT_SYSTEM

from evalscale.config import ConfigError
from evalscale.plan import SweepPlan, make_plan
from evalscale.sweep import run_sweep

QUESTIONS = (
    "What is 1+1?",
    "Let $x$ be a real number with $x^2 - 5x + 6 = 0$.\nFind the sum of all such $x$.",
    "Which gas is noble?\n\nA) N2\nB) Ar\nC) O2\nD) CO2",
    "  Ünïcode — π ≈ 3.14159; ∑ 1/n² = π²/6 ?  ",
)
DECOMPOSED = "Caf\u0065\u0301 costs 3\u00a0€."  # e + combining acute: Qwen's NFC normalizer composes it
IM_START, IM_END, THINK, END_THINK = 151644, 151645, 151667, 151668
R1_EOS, R1_USER, R1_ASSISTANT, R1_BOS, R1_THINK, R1_END_THINK = 151643, 151644, 151645, 151646, 151648, 151649
WAIT, NEWLINE, DOUBLE_NEWLINE, ANSWER, FINAL_ANSWER = 14190, 198, 271, 9217, (19357, 21806, 25)


def expected_prompt(profile: str, question: str) -> str:
    """The text the family's own chat template renders for one user turn, thinking opened."""
    chatml_user = f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"
    if profile in ("s1-32b", "s1.1-32b"):  # S1-FACTS: Qwen2.5 template, then "<|im_start|>think"
        return f"<|im_start|>system\n{QWEN_DEFAULT_SYSTEM}<|im_end|>\n{chatml_user}<|im_start|>think"
    if profile == "r1-distill-qwen-32b":
        return f"<｜begin▁of▁sentence｜><｜User｜>{question}<｜Assistant｜><think>\n"
    return f"{chatml_user}<think>\n"  # QwQ's template opens thinking itself; Qwen3's gets "<think>\n" added


# The ids each family uses for what budget forcing appends or stops on.
EXPECTED_FORCING: dict[str, dict[str, Any]] = {
    "s1": {
        "think_end": ((IM_START,), (IM_END,)),
        "think_close": (IM_START, ANSWER),
        "cap_close": (IM_START, ANSWER, NEWLINE, *FINAL_ANSWER),
        "answer_stop": (IM_END,),
    },
    "r1-distill-qwen-32b": {
        "think_end": ((R1_END_THINK,),),
        "think_close": (R1_END_THINK,),
        "cap_close": (R1_END_THINK, DOUBLE_NEWLINE, *FINAL_ANSWER),
        "answer_stop": (R1_EOS,),
    },
    "chatml-think": {
        "think_end": ((END_THINK,),),
        "think_close": (END_THINK,),
        "cap_close": (END_THINK, DOUBLE_NEWLINE, *FINAL_ANSWER),
        "answer_stop": (IM_END,),
    },
}
FORCING_OF = {
    "s1-32b": "s1",
    "s1.1-32b": "s1",
    "r1-distill-qwen-32b": "r1-distill-qwen-32b",
    "qwq-32b": "chatml-think",
    "qwen3-32b": "chatml-think",
}


def plan_for(profile: str, tokenizer_dir: Path, tmp_path: Path, *overrides: str) -> SweepPlan:
    """make_plan of a small letter-count sweep with `profile`, the model folder being `tokenizer_dir`."""
    return make_plan(sweep_config(*sweep_overrides(profile, tokenizer_dir, tmp_path), *overrides))


def sweep_overrides(profile: str, tokenizer_dir: Path, tmp_path: Path) -> tuple[str, ...]:
    return (
        f"model={profile}",
        f"model.path={tokenizer_dir}",
        "engine.max_model_len=32768",
        "limit=3",
        f"run_dir={tmp_path / 'run'}",
    )


@pytest.fixture(scope="module")
def plans(
    family_tokenizers: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, SweepPlan]:
    """The sweep plan of every profile with its family's tokenizer."""
    tmp_path = tmp_path_factory.mktemp("plans")
    return {
        profile: plan_for(profile, family_tokenizers[family], tmp_path)
        for profile, family in PROFILE_FAMILIES.items()
    }


@pytest.mark.parametrize("profile", PROFILE_FAMILIES)
def test_prompt_ids_are_the_families_own_rendering(plans: dict[str, SweepPlan], profile: str) -> None:
    builder = plans[profile].builder
    tokenizer = builder.tokenizer
    for question in QUESTIONS:
        ids = builder.prompt_ids(question)
        text = expected_prompt(profile, question)
        assert ids == tokenizer.encode(text, add_special_tokens=False)
        assert tokenizer.decode(ids, skip_special_tokens=False) == text
    normalized = builder.prompt_ids(DECOMPOSED)  # a normalizer's rewrite is no round-trip failure
    assert tokenizer.decode(normalized, skip_special_tokens=False).count("Café") == 1
    for problem in plans[profile].problems:  # the task's own prompts go the same way
        assert plans[profile].prompts[problem.id] == builder.prompt_ids(problem.question)


@pytest.mark.parametrize("profile", ["s1-32b", "s1.1-32b"])
def test_s1_prompt_is_what_s1_feeds_vllm(plans: dict[str, SweepPlan], profile: str) -> None:
    """s1 passes the prompt to vLLM as text: vLLM encodes it with the tokenizer's defaults."""
    builder = plans[profile].builder
    ids = builder.prompt_ids("What is 1+1?")
    assert ids == builder.tokenizer(expected_prompt(profile, "What is 1+1?"))["input_ids"]
    assert ids[:3] == [IM_START, 8948, NEWLINE]  # <|im_start|>system\n
    assert ids[-5:] == [IM_START, 77091, NEWLINE, IM_START, 26865]  # ...assistant\n<|im_start|>think


def test_prompt_ends_open_thinking_with_family_ids(plans: dict[str, SweepPlan]) -> None:
    question = "What is 1+1?"
    r1 = plans["r1-distill-qwen-32b"].builder.prompt_ids(question)
    assert r1[:2] == [R1_BOS, R1_USER] and r1[-3:] == [R1_ASSISTANT, R1_THINK, NEWLINE]
    assert r1.count(R1_THINK) == 1, "the template opens thinking; evalscale must not add a second <think>"
    for profile in ("qwq-32b", "qwen3-32b"):
        ids = plans[profile].builder.prompt_ids(question)
        assert ids[:3] == [IM_START, 872, NEWLINE]  # no system turn
        assert ids[-5:] == [IM_START, 77091, NEWLINE, THINK, NEWLINE] and ids.count(THINK) == 1


@pytest.mark.parametrize("profile", PROFILE_FAMILIES)
def test_forcing_texts_map_to_family_ids(plans: dict[str, SweepPlan], profile: str) -> None:
    ids = plans[profile].builder.ids
    expected = EXPECTED_FORCING[FORCING_OF[profile]]
    assert ids.think_end == expected["think_end"]
    assert ids.think_stop_ids == tuple(sorted(sequence[-1] for sequence in expected["think_end"]))
    assert ids.think_close == expected["think_close"]
    assert ids.cap_close == expected["cap_close"]
    assert ids.cap_close_newline == (NEWLINE, *expected["cap_close"])
    assert ids.extension == (WAIT,)
    assert ids.answer_stop == expected["answer_stop"]


def test_template_that_does_not_round_trip_is_a_config_error(
    family_tokenizers: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """R1-Distill's LlamaTokenizerFast without config.json loads as SentencePiece and drops spaces."""
    bare = tmp_path / "r1-tokenizer-only"
    shutil.copytree(family_tokenizers["r1-distill-qwen"], bare)
    (bare / "config.json").unlink()
    overrides = (*sweep_overrides("r1-distill-qwen-32b", bare, tmp_path), "progress=false")
    with pytest.raises(ConfigError, match="does not give back"):
        make_plan(sweep_config(*overrides))
    assert run_sweep(sweep_config(*overrides)) == 2
    message = capsys.readouterr().err.strip()
    assert message.count("\n") == 0 and "config.json" in message
    assert not (tmp_path / "run").exists(), "nothing may be written before the checks pass"


@pytest.mark.parametrize(
    ("profile", "stop"),
    [("qwen3-32b", "</answer>"), ("r1-distill-qwen-32b", "<|im_end|>"), ("s1-32b", "\n\n\n\nDone")],
)
def test_multi_token_answer_stop_is_a_config_error(
    family_tokenizers: dict[str, Path], tmp_path: Path, profile: str, stop: str
) -> None:
    """The engine stops on single ids; a stop text of several tokens would stop on its last piece."""
    tokenizer_dir = family_tokenizers[PROFILE_FAMILIES[profile]]
    with pytest.raises(ConfigError, match="answer_stop text .* tokens") as error:
        plan_for(profile, tokenizer_dir, tmp_path, f"model.answer_stop=[{json.dumps(stop)}]")
    assert "\n" not in str(error.value).replace(repr(stop), "")


def test_single_token_answer_stop_is_accepted(family_tokenizers: dict[str, Path], tmp_path: Path) -> None:
    plan = plan_for(
        "r1-distill-qwen-32b",
        family_tokenizers["r1-distill-qwen"],
        tmp_path,
        'model.answer_stop=["<｜User｜>"]',
    )
    assert plan.builder.ids.answer_stop == (R1_EOS, R1_USER)
