"""The toy reasoner's tokenizer and training traces (fast; no training)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from transformers import AutoTokenizer

from evalscale.prompting import ModelProfile, PromptBuilder
from evalscale.tasks.letter_count import make_word_and_letter
from evalscale.toy import traces
from evalscale.toy.tokenizer import SPECIAL_TOKENS, WAIT, build_tokenizer, save_tokenizer
from evalscale.toy.traces import Piece

PROFILE_FILE = Path(__file__).resolve().parents[1] / "conf" / "model" / "toy.yaml"


def text(pieces: list[Piece]) -> str:
    return "".join(piece.text for piece in pieces)


@pytest.fixture(scope="module")
def profile() -> dict:
    return yaml.safe_load(PROFILE_FILE.read_text())


def test_markers_and_wait_are_single_tokens() -> None:
    tokenizer = build_tokenizer()
    for token in (*SPECIAL_TOKENS, WAIT):
        assert len(tokenizer.encode(token, add_special_tokens=False)) == 1, token
    sample = 'How many "é"?\n u 3\n'
    assert tokenizer.decode(tokenizer.encode(sample, add_special_tokens=False)) == sample


def test_saved_tokenizer_loads_with_chat_template(tmp_path: Path) -> None:
    save_tokenizer(tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    assert prompt == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    assert tokenizer.eos_token == "<|im_end|>"


def test_profile_matches_the_traces(profile: dict) -> None:
    assert profile["think_open"] == traces.THINK_START
    assert profile["think_close"] == traces.THINK_END
    assert profile["cap_close"] == traces.CAP_CLOSE
    assert profile["extension"] == WAIT
    fields = {key: value for key, value in profile.items() if key in ModelProfile.__dataclass_fields__}
    builder = PromptBuilder(
        ModelProfile(**{**fields, "path": "", "think_end": tuple(fields["think_end"])}), build_tokenizer()
    )
    assert len(builder.ids.think_end) == 1 and len(builder.ids.think_end[0]) == 1
    assert len(builder.ids.extension) == 1


def test_count_lines_and_answer() -> None:
    lines = traces.count_lines("banana", "a")
    assert lines == ["ba0\n", "aa1\n", "na1\n", "aa2\n", "na2\n", "aa3\n"]
    assert traces.answer_of("".join(lines)) == 3
    assert traces.answer_of("ba0\naa1\nna") == 1
    assert traces.answer_of("b") == 0


def test_hasty_stop_depends_on_the_input_only() -> None:
    assert traces.hasty_stop("banana", "a") == 2
    assert traces.hasty_stop("banana", "n") is None  # "n" is not hasty
    assert traces.hasty_stop("bbbbba", "a") is None  # first occurrence is the last letter
    assert traces.hasty_stop("bnnnnn", "a") is None  # absent


def test_waits_carry_a_hasty_stop_on_to_the_right_count() -> None:
    stopped = traces.stopped_trace(traces.thinking_pieces("banana", "a", waits=0))
    assert text(stopped) == "ba0\naa1\n</think>\n\\boxed{1}<|im_end|>"
    waited = traces.stopped_trace(traces.thinking_pieces("banana", "a", waits=2))
    assert text(waited) == "ba0\naa1\nWait\nna1\naa2\nna2\naa3\nWait\n</think>\n\\boxed{3}<|im_end|>"


def test_forced_text_is_never_trained() -> None:
    thinking = traces.thinking_pieces("banana", "a", waits=1)
    capped = traces.capped_trace(thinking, cap=11)
    assert text(capped) == "ba0\naa1\nWait\nn\n</think>\nFinal Answer: \\boxed{1}<|im_end|>"
    untrained = [piece.text for piece in capped if not piece.trained]
    assert untrained == [WAIT, "\n", traces.CAP_CLOSE]


def test_capped_trace_adds_no_newline_after_a_complete_line() -> None:
    capped = traces.capped_trace(traces.thinking_pieces("banana", "a", waits=0), cap=8)
    assert text(capped).startswith("ba0\naa1\n</think>\nFinal Answer: \\boxed{1}")


@pytest.mark.parametrize("seed", range(3))
def test_natural_traces_answer_the_count_they_reached(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        word, letter = make_word_and_letter(rng)
        trace = traces.make_trace(word, letter, rng)
        answer = text(trace).rsplit("{", 1)[1].split("}")[0]
        thinking = text(trace).split("</think>")[0]
        assert int(answer) == traces.answer_of(thinking) <= word.count(letter)
        if "Wait" in thinking and not text(trace).count("Final Answer"):
            assert int(answer) == word.count(letter)
