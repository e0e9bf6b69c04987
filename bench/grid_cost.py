"""Cost of a budget grid: `shared` (one trajectory per sample) against `independent` (a run per cell).

Two local models (pick one with the first argument):
- `long` (default): a tiny random Qwen2 built here, sampled at temperature 1 and
  ending thinking on two of its 400 tokens, so thinking runs for hundreds of
  tokens and answers are short (16 tokens) -- the shape of a real reasoning
  model's output (thousands of thinking tokens, a short answer).
- `toy`: the embedded toy reasoner, greedy: ~40 thinking tokens and ~10 answer
  tokens, so answer branches weigh far more than they do for real models.

Run: .venv/bin/python bench/grid_cost.py [long|toy] [problems]
Last line: speedup=<independent wall / shared wall> token_ratio=<shared tokens / largest cell's tokens>
Targets: speedup >= 4, token_ratio <= 1.3.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from common import timed_sweep, toy_engine
from engine import sweep_config
from tiny_model import build_tiny_model

from evalscale.sweep import make_plan

SETUPS = {
    "long": (
        "budget.caps=[64,128,256,512]",
        "budget.waits=[0,1,2,4]",
        "model.think_end=[a,b]",
        "sampling.temperature=1.0",
        "model.max_answer_tokens=16",
        "model.name=tiny-random",
    ),
    "toy": ("budget.caps=[8,16,32,64]", "budget.waits=[0,1,2,4]"),
}


def main() -> None:
    setup = sys.argv[1] if len(sys.argv) > 1 else "long"
    problems = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    overrides = (*SETUPS[setup], f"task.size={problems}")
    if setup == "long":
        model = build_tiny_model(Path(tempfile.mkdtemp(prefix="evalscale-tiny-")))
        overrides = (*overrides, "model=r1-distill-qwen-32b", f"model.path={model}")
    config = sweep_config(*overrides)
    plan = make_plan(config)
    backend = toy_engine(config, plan.model_path)
    timed_sweep(backend, *overrides, "limit=4")  # warm-up
    plan, shared, shared_wall = timed_sweep(backend, *overrides)
    _, independent, independent_wall = timed_sweep(backend, *overrides, "mode=independent")
    largest_cell = (f"budget.caps=[{max(plan.grid.caps)}]", f"budget.waits=[{max(plan.grid.waits)}]")
    _, largest, largest_wall = timed_sweep(backend, *overrides, *largest_cell)
    backend.close()
    print(f"{setup}: {len(plan.grid.cells)} cells {plan.grid.caps} x {plan.grid.waits}, {problems} problems")
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
