"""Cost of a budget grid: `shared` (one trajectory per sample) against `independent` (a run per cell);
and, with `methods`, what each test-time scaling method (methods.py) generates per cell.

Run: .venv/bin/python bench/grid_cost.py [long|toy] [problems]   (setups: bench/common.py)
Last line: speedup=<independent wall / shared wall> token_ratio=<shared tokens / largest cell's tokens>
Targets: speedup >= 4, token_ratio <= 1.3.

Run: .venv/bin/python bench/grid_cost.py methods [problems]   (the toy, sampled at temperature 1)
One line per method: its cells, generated tokens (every request: thinking, answers, redraws), tokens
per cell, requests and wall time; the last column is tokens per cell over budget forcing's on the
same cap-only grid. No targets: it shows what the methods that cannot share a trajectory cost.
"""

from __future__ import annotations

import sys

from common import setup_overrides, start_engine, timed_sweep

# the toy's caps, sampled (rejection sampling needs it), every method on the same problems
METHOD_GRID = ("budget.caps=[8,16,32,64]", "budget.waits=[0]", "sampling.temperature=1.0")
METHODS = {
    "budget_forcing": (),
    "budget_forcing (4 Waits)": ("budget.waits=[0,1,2,4]",),
    "tcc": ("method=tcc",),
    "tcc_bf": ("method=tcc_bf",),
    "scc": ("method=scc", "+model.step_end='<|im_start|>0'", "method.steps=[8,16,32,64]"),
    "scc_bf": ("method=scc_bf", "+model.step_end='<|im_start|>0'", "method.steps=[8,16,32,64]"),
    "ccc": ("method=ccc",),
    "rejection_sampling": ("method=rejection_sampling",),
    "nothinking": ("method=nothinking",),
    "native_cap": ("method=native_cap",),
}


def grid() -> None:
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


def methods() -> None:
    overrides = (*setup_overrides("toy", int(sys.argv[2]) if len(sys.argv) > 2 else 64), *METHOD_GRID)
    plan, backend = start_engine((*overrides, "method=native_cap"))  # its engine has the reasoning config
    print(f"toy, temperature 1: caps {plan.grid.caps}, {len(plan.problems)} problems, 1 sample")
    print(f"{'method':>24}  cells    tokens  tok/cell  requests  wall s  vs bf")
    baseline = None
    for name, extra in METHODS.items():
        run_plan, stats, wall = timed_sweep(backend, *overrides, *extra)
        cells = len(run_plan.problems) * run_plan.cells_per_problem
        per_cell = stats.generated_tokens / cells
        baseline = baseline or per_cell
        print(
            f"{name:>24} {cells:6,} {stats.generated_tokens:9,} {per_cell:9.1f} "
            f"{stats.requests_generated:9,} {wall:7.2f} {per_cell / baseline:6.2f}"
        )
    backend.close()


if __name__ == "__main__":
    methods() if sys.argv[1:2] == ["methods"] else grid()
