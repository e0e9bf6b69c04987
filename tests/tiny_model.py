"""Tiny randomly initialised Qwen2 models for engine tests, built in seconds with no hub access.

The recipe of shared/RUNTIME.md: a 2-layer Qwen2 with head_dim 64 (what vLLM's
CPU attention accepts). `build_tiny_model` trains a small byte-level BPE
tokenizer in-process; `build_real_vocab_model` takes a real family tokenizer
(see family_tokenizers.py) and pads the embedding like Qwen checkpoints do.
"""

from __future__ import annotations

import json
import shutil
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
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2ForCausalLM

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
    config = tiny_qwen2_config(
        vocab_size=len(tokenizer) + padded_rows,
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


def tiny_qwen2_config(**settings: Any) -> Any:
    """A 2-layer Qwen2 config, hidden 128, 2 heads of dim 64, 1 KV head; `settings` add the rest."""
    from transformers import Qwen2Config

    shape = {"hidden_size": 128, "intermediate_size": 256, "num_hidden_layers": 2}
    return Qwen2Config(**shape, num_attention_heads=2, num_key_value_heads=1, **settings)


# Qwen checkpoints pad the embedding to 151,936 rows, beyond the tokenizer's 151,665-151,669 ids.
PADDED_VOCAB = 151_936
# What Qwen2.5-Instruct ships (and s1, tuned from it): a server fills requests' unset fields from it.
QWEN25_INSTRUCT_GENERATION_CONFIG = {
    "bos_token_id": 151643,
    "pad_token_id": 151643,
    "eos_token_id": [151645, 151643],
    "do_sample": True,
    "repetition_penalty": 1.05,
    "temperature": 0.7,
    "top_p": 0.8,
    "top_k": 20,
}
# Output rows of the thinking delimiters get these multiples of the mean row norm, so that greedy runs end
# thinking now and then: s1's <|im_start|>, R1's and Qwen's <think>, </think>. Not <|im_end|> (151645): it is
# the folder's EOS, which would end R1-profile thinking (there it is <｜Assistant｜>, and R1's EOS is 151643).
DELIMITER_BOOSTS = {151644: 12.0, 151648: 4.0, 151649: 4.0, 151667: 4.0, 151668: 4.0}


def build_real_vocab_model(directory: Path, tokenizer_dir: Path, seed: int = 0) -> Path:
    """A random Qwen2 with the real vocabulary of `tokenizer_dir`, padded to 151,936 rows.

    The output rows of the padding are zero (as in trained checkpoints, never the
    greedy choice); those of the thinking delimiters are boosted so that greedy runs
    end thinking now and then. generation_config.json carries Qwen2.5-Instruct's
    sampling defaults.
    """
    import torch
    from transformers import AutoTokenizer, Qwen2ForCausalLM

    directory.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(tokenizer_dir / name, directory / name)
    vocabulary = len(AutoTokenizer.from_pretrained(tokenizer_dir))
    torch.manual_seed(seed)
    config = tiny_qwen2_config(
        vocab_size=PADDED_VOCAB,
        max_position_embeddings=4096,
        eos_token_id=151645,
        bos_token_id=151643,
        tie_word_embeddings=False,
    )
    model = Qwen2ForCausalLM(config)
    with torch.no_grad():
        rows = model.lm_head.weight
        mean_norm = rows[:vocabulary].norm(dim=1).mean()
        rows[vocabulary:] = 0.0
        for token_id, boost in DELIMITER_BOOSTS.items():
            rows[token_id] *= boost * mean_norm / rows[token_id].norm()
    model.to(torch.bfloat16).save_pretrained(directory)
    (directory / "generation_config.json").write_text(json.dumps(QWEN25_INSTRUCT_GENERATION_CONFIG, indent=1))
    return directory
