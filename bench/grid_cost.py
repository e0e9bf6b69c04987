"""Cost of a budget grid: `shared` (one trajectory per sample) against `independent` (a run per cell).

Run: .venv/bin/python bench/grid_cost.py [problems]
Last line: speedup=<independent wall / shared wall> token_ratio=<shared tokens / largest cell's tokens>
Targets: speedup >= 4, token_ratio <= 1.3.
"""

from __future__ import annotations

import sys

from common import timed_sweep, toy_engine
from engine import sweep_config

from evalscale.sweep import make_plan

CAPS = "budget.caps=[8,16,24,32,48,64]"
WAITS = "budget.waits=[0,1,2,4]"


def main() -> None:
    limit = f"task.size={sys.argv[1] if len(sys.argv) > 1 else 64}"
    config = sweep_config(CAPS, WAITS, limit)
    backend = toy_engine(config, make_plan(config).model_path)
    timed_sweep(backend, CAPS, WAITS, "limit=8")  # warm-up
    plan, shared, shared_wall = timed_sweep(backend, CAPS, WAITS, limit)
    _, independent, independent_wall = timed_sweep(backend, CAPS, WAITS, limit, "mode=independent")
    cap, waits = max(plan.grid.caps), max(plan.grid.waits)
    _, largest, largest_wall = timed_sweep(backend, f"budget.caps=[{cap}]", f"budget.waits=[{waits}]", limit)
    backend.close()
    print(f"grid: {len(plan.grid.cells)} cells ({CAPS} {WAITS}), {len(plan.problems)} problems, greedy")
    for name, stats, wall in (
        ("shared", shared, shared_wall),
        ("independent", independent, independent_wall),
        ("largest cell", largest, largest_wall),
    ):
        print(
            f"{name:>12}: {wall:7.2f}s {stats.generated_tokens:8,} tokens {stats.requests_generated:6,} req"
        )
    print(
        f"speedup={independent_wall / shared_wall:.2f} "
        f"token_ratio={shared.generated_tokens / largest.generated_tokens:.2f}"
    )


if __name__ == "__main__":
    main()
