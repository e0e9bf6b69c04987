"""A tiny randomly initialised Qwen2 model with a local tokenizer, for engine tests.

Built in seconds with no hub access (the recipe of shared/RUNTIME.md): a
byte-level BPE tokenizer trained in-process with the chat special tokens, and
a 2-layer Qwen2 with head_dim 64 (what vLLM's CPU attention accepts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_model(
    directory: Path,
    seed: int = 0,
    padded_rows: int = 0,
    generation_config: dict[str, Any] | None = None,
    initializer_range: float = 0.02,
) -> Path:
    """Write tokenizer + random Qwen2 weights into `directory` and return it.

    `padded_rows` embedding rows beyond the tokenizer's ids pad the vocabulary
    (as Qwen3 pads 151,669 ids to 151,936 rows); `generation_config` is written
    as the model's `generation_config.json` (the defaults a server applies).
    With the default `initializer_range` greedy decoding repeats one token; 0.5
    makes it depend on the context (varied greedy output).
    """
    import json

    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    directory.mkdir(parents=True, exist_ok=True)
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    corpus = [
        f"How many times does the letter {c} appear in the word {c * 3}x? Wait, think. {i}"
        for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")
    ] * 20
    core.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=400,
            special_tokens=SPECIAL_TOKENS,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[1:],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(directory)
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer) + padded_rows,
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=2048,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
        initializer_range=initializer_range,
    )
    Qwen2ForCausalLM(config).save_pretrained(directory)
    if generation_config is not None:
        path = directory / "generation_config.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **generation_config}))
    return directory
