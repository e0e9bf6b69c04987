"""The real-output suite (tests/grading_cases/real/*.jsonl): shared by its test and bench/grading.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REAL = Path(__file__).parent / "real"


def load_real_cases() -> list[dict[str, Any]]:
    """Every hand-labelled public generation, in file then line order; `file` names its source file."""
    return [
        {**json.loads(line), "file": path.stem}
        for path in sorted(REAL.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").split("\n")
        if line.strip()
    ]


def checker_kind(case: dict[str, Any]) -> str:
    """The checker's answer kind for a case type (AIME integers are graded as math)."""
    return "choice" if case["type"] == "choice" else "math"
