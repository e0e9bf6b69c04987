"""The sampling config as every backend sends it: all fields, always explicit.

A server fills any field a request leaves out from the model's
`generation_config.json` (Qwen2.5-based models ship repetition_penalty 1.05,
top_k 20, top_p 0.8, temperature 0.7), so both backends send every field of
`SAMPLING_DEFAULTS`, and the in-process engine gets the same values.

A model's embedding is often padded beyond its tokenizer (Qwen3: 151,936 rows
for 151,669 ids); those ids are pushed out of reach with a logit bias of
`PAD_BIAS` (the OpenAI API's minimum, honoured by vLLM on both paths) so no
sampled id ever falls outside the tokenizer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Neutral values: greedy, no truncation, no penalties (what s1's headline numbers used).
SAMPLING_DEFAULTS: dict[str, float | int] = {
    "temperature": 0.0,
    "top_p": 1.0,
    "top_k": -1,  # -1 = all tokens (vLLM, SGLang)
    "min_p": 0.0,
    "repetition_penalty": 1.0,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
}
PAD_BIAS = -100.0
SAMPLING_RULES: dict[str, tuple[str, Callable[[float], bool]]] = {
    "temperature": (">= 0", lambda value: value >= 0),
    "top_p": ("in (0, 1]", lambda value: 0 < value <= 1),
    "top_k": ("-1 (all tokens) or >= 1", lambda value: value == -1 or value >= 1),
    "min_p": ("in [0, 1]", lambda value: 0 <= value <= 1),
    "repetition_penalty": ("> 0", lambda value: value > 0),
    "presence_penalty": ("in [-2, 2]", lambda value: -2 <= value <= 2),
    "frequency_penalty": ("in [-2, 2]", lambda value: -2 <= value <= 2),
}


def sampling_settings(sampling: dict[str, Any]) -> dict[str, float | int]:
    """Every sampling field as a number, checked; ValueError (one sentence) on a bad or unknown key."""
    unknown = sorted(set(sampling) - set(SAMPLING_DEFAULTS))
    if unknown:
        raise ValueError(
            f"unknown sampling key(s) {', '.join(unknown)}; known: {', '.join(SAMPLING_DEFAULTS)}"
        )
    settings: dict[str, float | int] = {}
    for name, default in SAMPLING_DEFAULTS.items():
        value = sampling.get(name)
        try:
            settings[name] = default if value is None else type(default)(value)
        except (TypeError, ValueError):
            raise ValueError(f"sampling.{name} must be a number, got {value!r}") from None
    for name, (rule, valid) in SAMPLING_RULES.items():
        if not valid(settings[name]):
            raise ValueError(f"sampling.{name} must be {rule}, got {sampling[name]!r}")
    return settings


def padding_bias(tokenizer_size: int | None, model_vocab_size: int | None) -> dict[int, float]:
    """A logit bias keeping sampling off the embedding rows that have no token id (none if unknown)."""
    if tokenizer_size is None or model_vocab_size is None:
        return {}
    return dict.fromkeys(range(tokenizer_size, model_vocab_size), PAD_BIAS)
