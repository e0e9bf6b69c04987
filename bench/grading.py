"""Checker quality and speed: agreement with labelled suites (ours vs math-verify) and throughput.

Run: python bench/grading.py [workers=2] [repeat=3]
Prints agreement per rule group for both checkers on the constructed suite
(tests/grading_cases/*.jsonl) and the cases we get wrong, then agreement per source file and per
answer type on the real-output suite (tests/grading_cases/real/*.jsonl, public generations labelled
by hand) with false positives (checker says correct, label says wrong) counted apart and listed,
then throughput of `check` over the constructed suite with N threads and N worker processes, the
longest single check and the time to check each megabyte response of tests/grading_cases/megabyte.py.
Last lines: checks_per_s=<n> agreement=<a> (constructed suite), then one line per checker with its
agreement and false positives on the real-output suite.
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
from real_suite import checker_kind, load_real_cases  # noqa: E402


def load_suite() -> list[dict[str, Any]]:
    """Every labelled case of tests/grading_cases/*.jsonl."""
    return [
        json.loads(line) for path in sorted(SUITE.glob("*.jsonl")) for line in path.read_text().splitlines()
    ]


def math_verify_says(response: str, gold: str, kind: str) -> bool:
    """math-verify 0.9's verdict with its default extraction (its letter extraction for choice cases)."""
    from math_verify import parse, verify
    from math_verify.parser import ExprExtractionConfig, LatexExtractionConfig, StringExtractionConfig

    configs = (
        [StringExtractionConfig()] if kind == "choice" else [LatexExtractionConfig(), ExprExtractionConfig()]
    )
    try:
        parsed_gold = parse(gold if kind != "math" else f"${gold}$", extraction_config=configs)
        return bool(verify(parsed_gold, parse(response, extraction_config=configs)))
    except Exception:  # math-verify raising on a case counts as "incorrect"
        return False


def _agreement_row(name: str, rows: list[tuple[bool, bool, bool]]) -> str:
    """One table line: cases, agreement and false positives of both checkers over (label, ours, theirs)."""
    mine = sum(label == m for label, m, _ in rows) / len(rows)
    other = sum(label == o for label, _, o in rows) / len(rows)
    false_mine = sum(m and not label for label, m, _ in rows)
    false_other = sum(o and not label for label, _, o in rows)
    return f"{name:<30}{len(rows):>6}{mine:>11.1%}{other:>13.1%}{false_mine:>8}{false_other:>8}"


def real_suite_report() -> list[str]:
    """Print agreement of both checkers with the hand labels of the real-output suite per source file
    and per answer type, and the false positives; return the two closing summary lines."""
    cases = load_real_cases()
    ours = [check(c["response"], c["gold"], checker_kind(c)) for c in cases]  # type: ignore[arg-type]
    theirs = [math_verify_says(c["response"], c["gold"], checker_kind(c)) for c in cases]
    rows = [(c["label"], g.correct, o) for c, g, o in zip(cases, ours, theirs, strict=True)]
    header = f"{'':<30}{'cases':>6}{'evalscale':>11}{'math-verify':>13}{'FP ours':>8}{'FP m-v':>8}"
    for key in ("file", "type"):
        groups: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
        for case, row in zip(cases, rows, strict=True):
            groups[case[key]].append(row)
        print(f"real-output suite by {key}:".ljust(30) + header[30:])
        for name, group in sorted(groups.items()):
            print(_agreement_row(name, group))
    print(_agreement_row("ALL", rows))
    print("math-verify reads choice cases with its letter extraction (StringExtractionConfig).")
    for case, grade, other in zip(cases, ours, theirs, strict=True):
        if grade.correct != case["label"]:
            what = "false positive" if grade.correct else "miss"
            print(f"  evalscale {what}: {case['id']} gold={case['gold']!r} extracted={grade.extracted!r}")
        if other and not case["label"]:
            print(f"  math-verify false positive: {case['id']} gold={case['gold']!r}")
    summary = []
    for name, verdicts in (("evalscale", [g.correct for g in ours]), ("math-verify", theirs)):
        agreement = sum(c["label"] == v for c, v in zip(cases, verdicts, strict=True)) / len(cases)
        false_positives = sum(v and not c["label"] for c, v in zip(cases, verdicts, strict=True))
        summary.append(
            f"real {name}: cases={len(cases)} agreement={agreement:.4f} false_positives={false_positives}"
        )
    return summary


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
    theirs = [math_verify_says(c["response"], c["gold"], c["kind"]) for c in cases]
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
    real_summary = real_suite_report()

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
    print("\n".join(real_summary))


if __name__ == "__main__":
    main(sys.argv[1:])
