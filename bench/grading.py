"""Checker quality and speed: agreement with the labelled suite (ours vs math-verify) and throughput.

Run: python bench/grading.py [workers=2] [repeat=3]
Prints agreement per rule group for both checkers, the cases we get wrong, throughput of
`check` over the suite with N threads and N worker processes, the longest single check and the
time to check each megabyte response of tests/grading_cases/megabyte.py.
Last line: checks_per_s=<n> agreement=<a>.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evalscale.grading import DEFAULT_TIMEOUT, check
from evalscale.grading.limits import shared_pool

SUITE = Path(__file__).resolve().parents[1] / "tests" / "grading_cases"
sys.path.insert(0, str(SUITE))
from megabyte import MEGABYTE_RESPONSES  # noqa: E402  (the checker tests' megabyte responses)


def load_suite() -> list[dict[str, Any]]:
    """Every labelled case of tests/grading_cases/*.jsonl."""
    return [
        json.loads(line) for path in sorted(SUITE.glob("*.jsonl")) for line in path.read_text().splitlines()
    ]


def math_verify_says(case: dict[str, Any]) -> bool:
    """math-verify 0.9's verdict with its default extraction (letters for choice cases)."""
    from math_verify import parse, verify
    from math_verify.parser import ExprExtractionConfig, LatexExtractionConfig, StringExtractionConfig

    configs = (
        [StringExtractionConfig()]
        if case["kind"] == "choice"
        else [LatexExtractionConfig(), ExprExtractionConfig()]
    )
    try:
        gold = parse(
            case["gold"] if case["kind"] != "math" else f"${case['gold']}$", extraction_config=configs
        )
        return bool(verify(gold, parse(case["response"], extraction_config=configs)))
    except Exception:  # math-verify raising on a case counts as "incorrect"
        return False


def timed_check(case: dict[str, Any]) -> tuple[bool, float]:
    started = time.perf_counter()
    grade = check(case["response"], case["gold"], case["kind"])
    return grade.correct, time.perf_counter() - started


def main(argv: list[str]) -> None:
    """Run the benchmark and print the report."""
    options = dict(arg.split("=", 1) for arg in argv)
    workers, repeat = int(options.get("workers", 2)), int(options.get("repeat", 3))
    cases = load_suite()
    shared_pool(workers)
    check("warm-up \\boxed{\\frac{1}{2}}", "0.5", "math")

    ours = [check(c["response"], c["gold"], c["kind"]).correct for c in cases]
    theirs = [math_verify_says(c) for c in cases]
    groups: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    for case, mine, other in zip(cases, ours, theirs, strict=True):
        groups[case["rule"]].append((case["label"], mine, other))
    print(f"{'rule':<22}{'cases':>6}{'ours':>9}{'math-verify':>13}")
    for rule, rows in sorted(groups.items()):
        mine = sum(label == m for label, m, _ in rows) / len(rows)
        other = sum(label == o for label, _, o in rows) / len(rows)
        print(f"{rule:<22}{len(rows):>6}{mine:>9.1%}{other:>13.1%}")
    agreement = sum(c["label"] == m for c, m in zip(cases, ours, strict=True)) / len(cases)
    other_agreement = sum(c["label"] == o for c, o in zip(cases, theirs, strict=True)) / len(cases)
    print(f"{'ALL':<22}{len(cases):>6}{agreement:>9.1%}{other_agreement:>13.1%}")
    for case, mine in zip(cases, ours, strict=True):
        if case["label"] != mine:
            print(f"  ours wrong: {case['id']} gold={case['gold']!r} response={case['response'][-60:]!r}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as executor:
        timings = [dt for _, dt in executor.map(timed_check, cases * repeat)]
    elapsed = time.perf_counter() - started
    rate = len(timings) / elapsed
    print(f"throughput: {len(timings)} checks in {elapsed:.2f}s with {workers} workers = {rate:.0f} checks/s")
    print(f"max check time: {max(timings):.3f}s (wall limit {DEFAULT_TIMEOUT:g}s)")
    for response in MEGABYTE_RESPONSES:
        correct, seconds = timed_check({"response": response, "gold": "42", "kind": "math"})
        print(f"megabyte response ({len(response):,} chars, {response[:20]!r}...): {seconds:.3f}s {correct=}")
    print(f"checks_per_s={rate:.0f} agreement={agreement:.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
