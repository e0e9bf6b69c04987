"""Training the toy reasoner: a tiny Qwen2 model on generated letter-counting traces, deterministic."""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from tqdm import tqdm
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from evalscale.tasks.letter_count import QUESTION, make_word_and_letter
from evalscale.toy.tokenizer import save_tokenizer
from evalscale.toy.traces import THINK_START, Piece, make_trace

IGNORE = -100
SECONDS_PER_STEP = 0.2  # measured with the default recipe on 2 CPU cores


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the trained weights besides the seed (part of the cache key)."""

    version: int = 1
    layers: int = 4
    hidden: int = 128
    heads: int = 2
    intermediate: int = 256
    steps: int = 1000
    batch: int = 32
    learning_rate: float = 3e-3
    warmup: int = 30
    threads: int = 2

    def as_dict(self) -> dict[str, int | float]:
        """The recipe as plain data, for hashing and for the saved model's metadata."""
        return dataclasses.asdict(self)


RECIPE = Recipe()


class _Encoder:
    """Turns traces into token ids and labels (IGNORE where the model does not write the text)."""

    def __init__(self, tokenizer: PreTrainedTokenizerFast) -> None:
        self.tokenizer = tokenizer
        self.ids = lru_cache(maxsize=None)(self._ids)

    def _ids(self, text: str) -> tuple[int, ...]:
        return tuple(self.tokenizer.encode(text, add_special_tokens=False))

    def prompt(self, word: str, letter: str) -> str:
        question = QUESTION.format(letter=letter, word=word)
        messages = [{"role": "user", "content": question}]
        return str(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))

    def example(self, word: str, letter: str, trace: list[Piece]) -> tuple[list[int], list[int]]:
        prompt = self._ids(self.prompt(word, letter) + THINK_START)
        ids, labels = list(prompt), [IGNORE] * len(prompt)
        for piece in trace:
            piece_ids = self.ids(piece.text)
            ids += piece_ids
            labels += piece_ids if piece.trained else [IGNORE] * len(piece_ids)
        return ids, labels


def batches(
    tokenizer: PreTrainedTokenizerFast, seed: int, recipe: Recipe
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Right-padded (ids, labels) batches of fresh traces, the same for the same seed."""
    rng = random.Random(f"toy-train/{seed}")
    encoder = _Encoder(tokenizer)
    pad = int(tokenizer.pad_token_id)
    for _ in range(recipe.steps):
        examples = []
        for _ in range(recipe.batch):
            word, letter = make_word_and_letter(rng)
            examples.append(encoder.example(word, letter, make_trace(word, letter, rng)))
        width = max(len(ids) for ids, _ in examples)
        ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in examples])
        labels = torch.tensor([labels + [IGNORE] * (width - len(labels)) for _, labels in examples])
        yield ids, labels


def model_config(tokenizer: PreTrainedTokenizerFast, recipe: Recipe) -> Qwen2Config:
    """A tiny Qwen2 shape vLLM's CPU attention accepts (head_dim 64)."""
    return Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=recipe.hidden,
        intermediate_size=recipe.intermediate,
        num_hidden_layers=recipe.layers,
        num_attention_heads=recipe.heads,
        num_key_value_heads=1,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|im_start|>"),
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        torch_dtype="float32",
    )


def learning_rate(step: int, recipe: Recipe) -> float:
    """Linear warmup, then cosine decay to a tenth of the peak."""
    if step < recipe.warmup:
        return recipe.learning_rate * (step + 1) / recipe.warmup
    progress = (step - recipe.warmup) / max(1, recipe.steps - recipe.warmup)
    return recipe.learning_rate * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def train(directory: Path, seed: int, recipe: Recipe = RECIPE) -> None:
    """Train the toy reasoner from `seed` and save model and tokenizer into `directory`."""
    threads = torch.get_num_threads()
    torch.set_num_threads(recipe.threads)  # part of the recipe: results depend on the thread count
    try:
        _train(directory, seed, recipe)
    finally:
        torch.set_num_threads(threads)  # the sweep that trained in-process keeps its own setting


def _train(directory: Path, seed: int, recipe: Recipe) -> None:
    torch.manual_seed(seed)
    tokenizer = save_tokenizer(directory)
    model = Qwen2ForCausalLM(model_config(tokenizer, recipe))
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=0.01)
    progress = tqdm(batches(tokenizer, seed, recipe), total=recipe.steps, desc="training toy reasoner")
    for step, (ids, labels) in enumerate(progress):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, recipe)
        loss = model(input_ids=ids, labels=labels).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        progress.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    model.eval()
    model.save_pretrained(directory)
