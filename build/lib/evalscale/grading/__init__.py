"""The answer checker: extract the final answer, then decide exact equivalence with the gold.

`check(response, gold, kind)` returns a Grade with `.correct`, `.extracted` and
`.reason` (one of REASONS). Extraction runs in-process (linear-time patterns);
integer answers are compared in-process too; everything that needs sympy runs in
a worker process under a hard wall limit (see limits.py), from any thread.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from evalscale.grading.choice import extract_choice
from evalscale.grading.equivalence import compare_texts
from evalscale.grading.extract import extract_math
from evalscale.grading.limits import WallTimeout, WorkerError, shared_pool

Kind = Literal["math", "choice"]
KINDS: tuple[str, ...] = ("math", "choice")
REASONS = ("match", "mismatch", "no_answer", "ambiguous", "parse_error", "timeout", "error")
DEFAULT_TIMEOUT = 5.0

INTEGER = re.compile(r"^[-+]?\d{1,400}$")  # a plain integer answer (AIME-style; sympy not needed)
_LETTER = re.compile(r"^\(?([A-Z])\)?$")


@dataclass(frozen=True)
class Grade:
    """The checker's decision: is it correct, what answer was found, and a short reason code."""

    correct: bool
    extracted: str | None
    reason: str


def check(
    response: str,
    gold: str,
    kind: Kind = "math",
    timeout: float = DEFAULT_TIMEOUT,
    options: Sequence[str] | None = None,
) -> Grade:
    """Grade one response against its gold answer; `kind` is "math" or "choice" (gold is a letter).

    `options` (choice only) are the option texts in shown order, so that an answer given as an
    option's text or value can be matched to its letter.
    """
    started = time.monotonic()
    extracted, reason = extract(response, kind, options)
    if extracted is None:
        return Grade(False, None, reason)
    return judge(extracted, gold, kind, timeout - (time.monotonic() - started))


def extract(response: str, kind: Kind, options: Sequence[str] | None = None) -> tuple[str | None, str]:
    """The answer found in a response and, when none, why (`no_answer` or `ambiguous`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown answer kind {kind!r}; expected one of {', '.join(KINDS)}")
    found = extract_choice(response, options) if kind == "choice" else extract_math(response)
    if found.answer is None:
        return None, "ambiguous" if found.ambiguous else "no_answer"
    return found.answer, ""


def judge(extracted: str, gold: str, kind: Kind, timeout: float = DEFAULT_TIMEOUT) -> Grade:
    """Compare an already extracted answer with the gold (the cacheable half of `check`)."""
    if kind == "choice":
        letter = _LETTER.match(re.sub(r"\\text\{(.*)\}", r"\1", gold.strip()).strip().upper())
        if letter is None:
            raise ValueError(f"choice gold must be a letter, got {gold!r}")
        correct = extracted == letter.group(1)
        return Grade(correct, extracted, "match" if correct else "mismatch")
    fast = fast_compare(extracted, gold)
    if fast is not None:
        return Grade(fast, extracted, "match" if fast else "mismatch")
    try:
        correct, reason = shared_pool().call(compare_texts, (extracted, gold), timeout)
    except WallTimeout:
        return Grade(False, extracted, "timeout")
    except WorkerError:
        return Grade(False, extracted, "error")
    return Grade(correct, extracted, reason)


def fast_compare(answer: str, gold: str) -> bool | None:
    """Decide plain integers (AIME-style, leading zeros dropped) without sympy; None when not plain."""
    answer, gold = answer.strip().strip("$ "), gold.strip().strip("$ ")
    if answer == gold:
        return True
    if INTEGER.match(answer) and INTEGER.match(gold):
        return int(answer) == int(gold)
    return None


__all__ = ["DEFAULT_TIMEOUT", "INTEGER", "Grade", "KINDS", "REASONS", "check", "extract", "judge"]
