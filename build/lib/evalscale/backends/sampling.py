"""The sampling config as every backend sends it: all fields, always explicit.

A server fills any field a request leaves out from the model's
`generation_config.json` (Qwen2.5-based models ship repetition_penalty 1.05,
top_k 20, top_p 0.8, temperature 0.7), so both backends send every field of
`Sampling`, and the in-process engine gets the same values. `evalscale.config`
checks the values when it builds one.

A model's embedding is often padded beyond its tokenizer (Qwen3: 151,936 rows
for 151,669 ids); those ids are pushed out of reach with a logit bias of
`PAD_BIAS` (the OpenAI API's minimum, honoured by vLLM on both paths) so no
sampled id ever falls outside the tokenizer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

PAD_BIAS = -100.0


@dataclass(frozen=True)
class Sampling:
    """Every sampling field a request carries; the defaults are neutral: greedy, no truncation, no
    penalties (what s1's headline numbers used)."""

    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    top_k: int = -1  # -1 = all tokens (vLLM, SGLang)
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0

    def fields(self) -> dict[str, float | int]:
        """The fields by name, as a request body or `SamplingParams` takes them."""
        return dataclasses.asdict(self)


SAMPLING_DEFAULTS: dict[str, float | int] = Sampling().fields()


def padding_bias(tokenizer_size: int | None, model_vocab_size: int | None) -> dict[int, float]:
    """A logit bias keeping sampling off the embedding rows that have no token id (none if unknown)."""
    if tokenizer_size is None or model_vocab_size is None:
        return {}
    return dict.fromkeys(range(tokenizer_size, model_vocab_size), PAD_BIAS)
