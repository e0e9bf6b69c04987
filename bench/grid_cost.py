"""Cost of a budget grid: `shared` (one trajectory per sample) against `independent` (a run per cell).

Run: .venv/bin/python bench/grid_cost.py [long|toy] [problems]   (setups: bench/common.py)
Last line: speedup=<independent wall / shared wall> token_ratio=<shared tokens / largest cell's tokens>
Targets: speedup >= 4, token_ratio <= 1.3.
"""

from __future__ import annotations

import sys

from common import setup_overrides, start_engine, timed_sweep


def main() -> None:
    setup = sys.argv[1] if len(sys.argv) > 1 else "long"
    overrides = setup_overrides(setup, int(sys.argv[2]) if len(sys.argv) > 2 else 256)
    plan, backend = start_engine(overrides)
    _, shared, shared_wall = timed_sweep(backend, *overrides)
    _, independent, independent_wall = timed_sweep(backend, *overrides, "mode=independent")
    largest_cell = (f"budget.caps=[{max(plan.grid.caps)}]", f"budget.waits=[{max(plan.grid.waits)}]")
    _, largest, largest_wall = timed_sweep(backend, *overrides, *largest_cell)
    backend.close()
    print(
        f"{setup}: {len(plan.grid.cells)} cells {plan.grid.caps} x {plan.grid.waits}, "
        f"{len(plan.problems)} problems"
    )
    runs = (
        ("shared", shared, shared_wall),
        ("independent", independent, independent_wall),
        ("largest cell", largest, largest_wall),
    )
    for name, stats, wall in runs:
        print(
            f"{name:>12}: {wall:7.2f}s {stats.generated_tokens:8,} tokens {stats.requests_generated:6,} req"
        )
    print(
        f"speedup={independent_wall / shared_wall:.2f} "
        f"token_ratio={shared.generated_tokens / largest.generated_tokens:.2f}"
    )


if __name__ == "__main__":
    main()
