"""A generated task: count how often a letter occurs in a word (the s1 "raspberry" example).

Problems are made from a seed alone, so the task needs no data files. It drives
the engine in tests and is what the embedded toy reasoner is trained on.
"""

from __future__ import annotations

import random
import string

from evalscale.records import Problem

QUESTION = 'How many times does the letter "{letter}" appear in the word "{word}"?'


def make_word_and_letter(rng: random.Random, min_len: int = 6, max_len: int = 14) -> tuple[str, str]:
    """A random lowercase word and the letter to count in it (which may be absent)."""
    length = rng.randint(min_len, max_len)
    alphabet = rng.sample(string.ascii_lowercase, rng.randint(3, 8))
    word = "".join(rng.choice(alphabet) for _ in range(length))
    letter = rng.choice(alphabet) if rng.random() < 0.9 else rng.choice(string.ascii_lowercase)
    return word, letter


def make_problems(count: int, seed: int = 0, min_len: int = 6, max_len: int = 14) -> list[Problem]:
    """`count` letter-counting problems, the same for the same seed."""
    rng = random.Random(f"letter_count/{seed}")
    problems = []
    for index in range(count):
        word, letter = make_word_and_letter(rng, min_len, max_len)
        problems.append(
            Problem(
                id=f"count-{index:04d}",
                question=QUESTION.format(letter=letter, word=word),
                gold=str(word.count(letter)),
                answer_type="integer",
                metadata={"word": word, "letter": letter},
            )
        )
    return problems
