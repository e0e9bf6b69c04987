"""Model profiles and prompt token ids: chat template plus thinking delimiters.

A profile says how a model family formats a conversation and where its
thinking starts and ends. Everything is turned into token ids once, up front,
so budget forcing works on ids (never on re-tokenized text).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ModelProfile:
    """How to prompt one model family and how its thinking is delimited.

    - `think_open`: text appended after the chat template's generation prompt
      to open thinking (s1: "<|im_start|>think"; R1/QwQ/Qwen3: "<think>\\n").
    - `think_end`: texts whose token sequences end thinking when the model
      emits them (s1: "<|im_start|>" and "<|im_end|>"; R1: "</think>").
    - `think_close`: text appended after the model stopped thinking on its own.
    - `cap_close`: text appended when the cap closes thinking; it forces the
      answer (s1: "<|im_start|>answer\\nFinal Answer:"). With
      `cap_close_newline`, a newline goes first unless thinking already ends
      with one (what s1 does).
    - `extension`: text appended to continue thinking ("Wait", bare).
    - `extension_tokenization`: "ids" appends the extension's own ids;
      "text" feeds what s1's code feeds: the thinking's text plus the
      extension, re-tokenized as one string (after punctuation `.` + `Wait`
      becomes the single token `.Wait`), see `PromptBuilder.extend`.
    - `answer_stop`: texts that end the answer (besides the tokenizer's EOS).
    - `step_end`: for models trained to count thinking steps down
      (s1's step-conditional-control model writes `<|im_start|>N steps left`),
      the text the model writes when no step is left (`<|im_start|>0`);
      step-conditional control needs it (methods.py). None: no step format.
    """

    name: str
    path: str
    think_open: str
    think_end: tuple[str, ...]
    think_close: str
    cap_close: str
    cap_close_newline: bool = True
    extension: str = "Wait"
    extension_tokenization: str = "ids"
    max_answer_tokens: int = 512
    answer_stop: tuple[str, ...] = ()
    system_prompt: str | None = None
    tokenizer: str | None = None
    chat_template_kwargs: dict[str, Any] = field(default_factory=dict)
    step_end: str | None = None


class ProfileError(ValueError):
    """A model profile does not fit its tokenizer (found before any engine loads)."""


class Tokenizer(Protocol):
    """The part of a Hugging Face tokenizer that prompting uses."""

    eos_token_id: int | None

    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...

    def decode(self, ids: list[int], skip_special_tokens: bool = ..., **kwargs: Any) -> str: ...

    def apply_chat_template(self, conversation: list[dict[str, str]], **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class PromptIds:
    """Token ids of everything budget forcing appends, computed once per run."""

    think_end: tuple[tuple[int, ...], ...]
    think_close: tuple[int, ...]
    cap_close: tuple[int, ...]
    cap_close_newline: tuple[int, ...]
    extension: tuple[int, ...]
    answer_stop: tuple[int, ...]

    @property
    def think_stop_ids(self) -> tuple[int, ...]:
        """The last token of each end-of-thinking sequence: what the engine stops on."""
        return tuple(sorted({sequence[-1] for sequence in self.think_end}))


EXTENSION_TOKENIZATIONS = ("ids", "text")


class PromptBuilder:
    """Turns problems into prompt ids and forcing texts into ids for one model."""

    def __init__(self, profile: ModelProfile, tokenizer: Tokenizer) -> None:
        self.profile = profile
        self.tokenizer = tokenizer
        self.ids = self._forcing_ids()

    def prompt_ids(self, question: str, prefill: str = "") -> list[int]:
        """Chat template with one user turn, the generation prompt and `think_open`, then `prefill` (text
        the assistant turn starts with, encoded with the rest as one string)."""
        messages = []
        if self.profile.system_prompt:
            messages.append({"role": "system", "content": self.profile.system_prompt})
        messages.append({"role": "user", "content": question})
        text = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, **self.profile.chat_template_kwargs
        )
        text = str(text)
        if not text.rstrip().endswith(self.profile.think_open.strip()):
            text += self.profile.think_open  # some templates (R1, QwQ) open thinking themselves
        return self._encode_checked(text + prefill, "its prompt")

    def text_ids(self, text: str, what: str) -> list[int]:
        """The ids of a text the profile names (ProfileError unless the tokenizer gives it back)."""
        return self._encode_checked(text, what)

    def extend(self, thinking: Sequence[int]) -> list[int]:
        """The thinking ids followed by the extension, tokenized as the profile says.

        "text" (s1's code: `prompt += output.text + "Wait"`, the whole string
        re-tokenized) may change the last tokens before the extension and,
        where the model's ids were not the tokenizer's own split of their
        text, earlier ones too; unchanged leading ids stay as they are, so the
        engine's prefix cache still serves them.
        """
        if self.profile.extension_tokenization == "text":
            return self._encode(self.decode(thinking) + self.profile.extension)
        return [*thinking, *self.ids.extension]

    def decode(self, ids: Sequence[int]) -> str:
        """Text of token ids, special tokens kept."""
        return self.tokenizer.decode(list(ids), skip_special_tokens=False)

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def _encode_checked(self, text: str, what: str) -> list[int]:
        """Ids of `text`; ProfileError unless they decode back to the same text.

        Both sides are compared in Unicode NFKC form: a tokenizer's own normalizer
        (Qwen's NFC) may rewrite characters, which the model then sees anyway.
        """
        ids = self._encode(text)
        back = self.tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        text, back = unicodedata.normalize("NFKC", text), unicodedata.normalize("NFKC", back)
        if back != text:
            at = next(
                (i for i, (a, b) in enumerate(zip(text, back, strict=False)) if a != b),
                min(len(text), len(back)),
            )
            raise ProfileError(
                f"the tokenizer of model {self.profile.name!r} ({_tokenizer_name(self.tokenizer)}) does not "
                f"give back {what} after encoding it ({text[at : at + 24]!r} came back as "
                f"{back[at : at + 24]!r}); a byte-level BPE tokenizer loaded as a SentencePiece one drops "
                "spaces and newlines like this, so keep the model's config.json beside its tokenizer files"
            )
        return ids

    def _stop_id(self, text: str) -> int:
        """The single id of an answer stop text: the engine stops on ids, one token each."""
        ids = self._encode_checked(text, f"the answer_stop text {text!r}")
        if len(ids) != 1:
            raise ProfileError(
                f"model profile {self.profile.name!r}: the answer_stop text {text!r} is {len(ids)} tokens "
                f"{ids} with this tokenizer, but the engine stops on single token ids (it would stop on "
                "the last piece alone); use a text that is one token, such as the chat template's end of turn"
            )
        return ids[0]

    def _forcing_ids(self) -> PromptIds:
        profile = self.profile
        think_end = tuple(
            tuple(self._encode_checked(text, "the think_end text")) for text in profile.think_end
        )
        if not think_end or any(not sequence for sequence in think_end):
            raise ProfileError(f"model profile {profile.name!r}: think_end must name non-empty texts")
        answer_stop = {self._stop_id(text) for text in profile.answer_stop}
        if self.tokenizer.eos_token_id is not None:
            answer_stop.add(self.tokenizer.eos_token_id)
        return PromptIds(
            think_end=think_end,
            think_close=tuple(self._encode_checked(profile.think_close, "the think_close text")),
            cap_close=tuple(self._encode_checked(profile.cap_close, "the cap_close text")),
            cap_close_newline=tuple(self._encode_checked("\n" + profile.cap_close, "the cap_close text")),
            extension=tuple(self._encode_checked(profile.extension, "the extension text")),
            answer_stop=tuple(sorted(answer_stop)),
        )


def _tokenizer_name(tokenizer: Tokenizer) -> str:
    """Class and folder of a Hugging Face tokenizer, for messages."""
    return f"{type(tokenizer).__name__} from {getattr(tokenizer, 'name_or_path', '?')}"
