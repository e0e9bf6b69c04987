"""A pure-logic stand-in for an engine, for fast unit tests of the forcing state machine.

The "model" is a deterministic function of the whole context (like greedy
decoding): the next token is derived from a hash of the last few tokens and the
position. It honours max_tokens, stop token ids and min_tokens the way vLLM
does (a stop token inside min_tokens is replaced by the next-best token).
"""

from __future__ import annotations

import hashlib
from collections import deque

from evalscale.forcing import Request, Result
from evalscale.prompting import PromptIds

EOS, END_THINK, WAIT, NEWLINE, CLOSE, FINAL, MERGED_WAIT, THINK_START = 1, 2, 3, 4, 5, 6, 7, 8
FIRST_WORD = 10
VOCAB = 40


def fake_ids(think_end: tuple[tuple[int, ...], ...] = ((END_THINK,),)) -> PromptIds:
    """Forcing ids for the fake vocabulary."""
    return PromptIds(
        think_end=think_end,
        think_close=(CLOSE,),
        cap_close=(CLOSE, FINAL),
        cap_close_newline=(NEWLINE, CLOSE, FINAL),
        extension=(WAIT,),
        answer_stop=(EOS,),
    )


def fake_decode(ids: object) -> str:
    """Text of fake ids: newline tokens decode to a newline."""
    return "".join("\n" if token == NEWLINE else f"<{token}>" for token in ids)  # type: ignore[attr-defined]


def fake_text_extend(thinking: object) -> list[int]:
    """Like re-tokenizing thinking text + "Wait": a "punctuation" token (multiple of 4) merges with
    Wait into one token, and after a multiple of 5 the merge takes that token in too (tail shrinks by 2)."""
    ids = list(thinking)  # type: ignore[call-overload]
    if len(ids) >= 2 and ids[-1] % 4 == 0 and ids[-2] % 5 == 0:
        return [*ids[:-2], MERGED_WAIT]
    if ids and ids[-1] % 4 == 0:
        return [*ids[:-1], MERGED_WAIT]
    return [*ids, WAIT]


class ScriptedModel:
    """Next token = hash(context tail, length); stop-ish tokens appear now and then."""

    def __init__(self, stop_every: int = 9, salt: str = "", seeded: bool = False) -> None:
        self.stop_every = stop_every
        self.salt = salt
        self.seeded = seeded  # the request's seed enters the hash, like sampling with a seed

    def ranked(self, context: list[int], seed: int | None = None) -> list[int]:
        """Candidate next tokens, best first (deterministic in the context, and the seed if given)."""
        salt = self.salt if seed is None else f"{self.salt}{seed}/"
        digest = hashlib.sha256(f"{salt}{context[-4:]}{len(context)}".encode()).digest()
        best = FIRST_WORD + digest[0] % (VOCAB - FIRST_WORD)
        if digest[1] % self.stop_every == 0:
            best = END_THINK if CLOSE not in context else EOS
        elif digest[2] % 11 == 0:
            best = NEWLINE
        return [best, FIRST_WORD + digest[3] % (VOCAB - FIRST_WORD)]

    def generate(self, request: Request) -> Result:
        """Greedy generation for one request; with a thinking budget, END_THINK is forced once the tokens
        after the prompt's last THINK_START reach it (vLLM's thinking_token_budget)."""
        context = list(request.prompt_ids)
        out: list[int] = []
        budget = request.thinking_token_budget
        thinking = budget is not None and THINK_START in context
        counted = context[::-1].index(THINK_START) if thinking else 0
        while len(out) < request.max_tokens:
            first, second = self.ranked(context, request.seed if self.seeded else None)
            token = second if len(out) < request.min_tokens and first in request.stop_token_ids else first
            if thinking and budget is not None and counted >= budget:
                token = END_THINK
            thinking = thinking and token != END_THINK
            counted += 1
            if token in request.stop_token_ids or token == EOS:
                return Result(request.key, tuple(out), "stop", token)
            out.append(token)
            context.append(token)
        return Result(request.key, tuple(out), "length", None)


class FakeBackend:
    """Backend protocol over a ScriptedModel; finishes requests in a shuffled-but-fixed order."""

    def __init__(self, model: ScriptedModel | None = None) -> None:
        self.model = model or ScriptedModel()
        self.queue: deque[Request] = deque()
        self.submitted: list[Request] = []

    def submit(self, request: Request) -> None:
        self.queue.append(request)
        self.submitted.append(request)

    def pending(self) -> int:
        return len(self.queue)

    def poll(self) -> list[Result]:
        if not self.queue:
            return []
        self.queue.rotate(len(self.queue) // 2)  # finish out of submission order
        return [self.model.generate(self.queue.popleft())]

    def close(self) -> None:
        self.queue.clear()
