"""Training traces for the toy reasoner: spell the word with a running count, then answer.

A trace is a list of pieces; each piece is text the model either writes itself
(trained) or that the prompt or the harness supplies (not trained). Thinking
spells the word one line per letter: the letter, the letter to count and the
count so far (counting "a" in "banana": `ba0`, `aa1`, `na1`, ...). Repeating
the letter to count on every line keeps each comparison next to its operands,
which a tiny model learns in minutes.

Three things make the traces show test-time scaling:

- Hasty stops: when the letter to count is one of `HASTY_LETTERS`, the model
  stops thinking right after the first line where the count reaches 1 and
  answers that partial count. This depends on the input only, so greedy
  decoding stops early too.
- Waits: after any stop the harness may drop `</think>` and append "Wait"; the
  trace then goes on where it stopped (after the last line it writes nothing
  new and stops again). "Wait" itself is never trained, so the model does not
  learn to wait on its own.
- Caps: thinking cut at a random token, then the harness's newline and
  `CAP_CLOSE`; the model answers the count of the last complete line.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from evalscale.toy.tokenizer import IM_END, THINK_CLOSE, THINK_OPEN, WAIT

HASTY_LETTERS = frozenset("abcdefg")
THINK_START = THINK_OPEN + "\n"
THINK_END = THINK_CLOSE + "\n"
CAP_CLOSE = THINK_CLOSE + "\nFinal Answer:"
WAIT_WEIGHTS = {0: 0.4, 1: 0.3, 2: 0.2, 3: 0.1}
CAPPED_SHARE = 0.4

_COUNT_LINE = re.compile(r"^\S\S(\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class Piece:
    """A run of trace text; `trained` when the model writes it (loss), not when it is given."""

    text: str
    trained: bool


def count_lines(word: str, letter: str) -> list[str]:
    """One line per letter of `word`: the letter, `letter`, and how many times `letter` occurred so far."""
    lines, count = [], 0
    for char in word:
        count += char == letter
        lines.append(f"{char}{letter}{count}\n")
    return lines


def hasty_stop(word: str, letter: str) -> int | None:
    """The number of lines after which the model stops early, or None when it thinks to the end."""
    if letter not in HASTY_LETTERS or letter not in word[:-1]:
        return None
    return word.index(letter) + 1


def thinking_pieces(word: str, letter: str, waits: int) -> list[Piece]:
    """Thinking with `waits` Waits appended at its stops, one piece per token, without `</think>`."""
    lines = count_lines(word, letter)
    early = hasty_stop(word, letter)
    stops = ([early] if early else []) + [len(lines)] * (waits + 1)
    pieces: list[Piece] = []
    done = 0
    for used, stop in enumerate(stops):
        pieces += [Piece(char, True) for line in lines[done:stop] for char in line]
        done = stop
        if used == waits:
            break
        pieces += [Piece(WAIT, False), Piece("\n", True)]
    return pieces


def answer_of(thinking: str) -> int:
    """What the model answers after `thinking`: the count on its last complete line (0 if none)."""
    counts = _COUNT_LINE.findall(thinking)
    return int(counts[-1]) if counts else 0


def answer_pieces(answer: int) -> list[Piece]:
    """The answer the model writes after thinking closed."""
    return [Piece(f"\\boxed{{{answer}}}", True), Piece(IM_END, True)]


def stopped_trace(thinking: list[Piece]) -> list[Piece]:
    """Thinking that ends by the model's own stop: `</think>`, then the answer."""
    answer = answer_of("".join(piece.text for piece in thinking))
    return [*thinking, Piece(THINK_CLOSE, True), Piece("\n", False), *answer_pieces(answer)]


def capped_trace(thinking: list[Piece], cap: int) -> list[Piece]:
    """Thinking cut at `cap` tokens and closed the way the harness does it at a cap, then the answer."""
    kept = thinking[:cap]
    text = "".join(piece.text for piece in kept)
    newline = [] if text.endswith("\n") else [Piece("\n", False)]
    closing = [Piece(CAP_CLOSE, False), Piece(" ", True)]
    return [*kept, *newline, *closing, *answer_pieces(answer_of(text))]


def make_trace(word: str, letter: str, rng: random.Random) -> list[Piece]:
    """A random training trace (thinking and answer, no prompt) for one word and letter."""
    waits = rng.choices(list(WAIT_WEIGHTS), weights=list(WAIT_WEIGHTS.values()))[0]
    thinking = thinking_pieces(word, letter, waits)
    if rng.random() < CAPPED_SHARE:
        return capped_trace(thinking, rng.randint(1, len(thinking)))
    return stopped_trace(thinking)
