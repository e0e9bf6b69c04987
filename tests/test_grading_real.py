"""The checker against public model generations labelled by hand (tests/grading_cases/real/README.md)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from grading_cases.real_suite import checker_kind, load_real_cases

from evalscale.grading import Grade, check

# Agreement of the current checker with the hand labels, measured by bench/grading.py; the floor only
# ever goes up (raise it with the checker, never lower it to make a change pass).
AGREEMENT_FLOOR = 0.997
# False positives of the current checker, each read by hand: the checker work must empty this set.
# Any false positive outside it fails the suite, and so does a listed case the checker now gets right
# (then remove it from the list).
KNOWN_FALSE_POSITIVES: frozenset[str] = frozenset()


@pytest.fixture(scope="module")
def graded() -> list[tuple[dict[str, Any], Grade]]:
    """Every real case with the checker's grade (two threads, as the grade command runs it)."""
    cases = load_real_cases()
    with ThreadPoolExecutor(max_workers=2) as executor:
        grades = list(executor.map(lambda c: check(c["response"], c["gold"], checker_kind(c)), cases))
    return list(zip(cases, grades, strict=True))


def test_real_suite_is_labelled_and_sourced() -> None:
    cases = load_real_cases()
    assert len(cases) >= 1300
    assert len({c["id"] for c in cases}) == len(cases)
    assert {"math", "aime", "choice"} <= {c["type"] for c in cases}
    assert len(Counter(c["family"] for c in cases)) >= 3
    assert 0.2 < sum(c["label"] for c in cases) / len(cases) < 0.8
    for case in cases:
        assert case["label"] == (case["verdict"] == "correct"), case["id"]
        assert case["source"].startswith(("github:", "https://")) and case["model"], case["id"]


def test_no_new_false_positive_on_real_outputs(graded: list[tuple[dict[str, Any], Grade]]) -> None:
    false_positives = {case["id"] for case, grade in graded if grade.correct and not case["label"]}
    assert false_positives - KNOWN_FALSE_POSITIVES == set()
    assert KNOWN_FALSE_POSITIVES - false_positives == set(), "fixed: remove from KNOWN_FALSE_POSITIVES"


def test_agreement_with_hand_labels_stays_above_floor(graded: list[tuple[dict[str, Any], Grade]]) -> None:
    disagreements = [case["id"] for case, grade in graded if grade.correct != case["label"]]
    assert 1 - len(disagreements) / len(graded) >= AGREEMENT_FLOOR, disagreements
