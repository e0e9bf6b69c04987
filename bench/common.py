"""Shared setup for the engine benchmarks: the local models, one engine, fresh run dirs.

Two local models (the first argument of each benchmark picks one):
- `long` (default): a tiny random Qwen2 built on the spot, sampled at temperature 1
  and ending thinking on two of its 400 tokens, so thinking runs for hundreds of
  tokens and answers are short (16 tokens): the shape of a real reasoning model's
  output (thousands of thinking tokens, a short answer).
- `toy`: the embedded toy reasoner, greedy: ~40 thinking tokens and ~10 answer
  tokens, so answer branches and per-request costs weigh far more than they do
  for real models.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from engine import sweep_config  # noqa: E402
from tiny_model import build_tiny_model  # noqa: E402

from evalscale.backends.vllm_engine import VllmBackend  # noqa: E402
from evalscale.plan import SweepPlan, make_plan  # noqa: E402
from evalscale.records import Result  # noqa: E402
from evalscale.runner import RunStats  # noqa: E402
from evalscale.store import GENERATIONS, iter_records  # noqa: E402
from evalscale.sweep import generate  # noqa: E402

SETUPS = {
    "long": (
        "budget.caps=[64,128,256,512]",
        "budget.waits=[0,1,2,4]",
        "model=r1-distill-qwen-32b",
        "model.name=tiny-random",
        "model.think_end=[a,b]",
        "model.max_answer_tokens=16",
        "sampling.temperature=1.0",
    ),
    "toy": ("budget.caps=[8,16,32,64]", "budget.waits=[0,1,2,4]"),
}


def setup_overrides(name: str, problems: int) -> tuple[str, ...]:
    """The sweep overrides of a benchmark setup (building the tiny model for `long`)."""
    overrides = (*SETUPS[name], f"task.size={problems}")
    if name == "long":
        model = build_tiny_model(Path(tempfile.mkdtemp(prefix="evalscale-tiny-")))
        overrides = (*overrides, f"model.path={model}")
    return overrides


def start_engine(overrides: tuple[str, ...], **options: object) -> tuple[SweepPlan, VllmBackend]:
    """The plan of these overrides and a vLLM backend on its model (more engine `options`), warmed up."""
    config = sweep_config(*overrides)
    plan = make_plan(config)
    engine = {**plan.engine.options, "disable_log_stats": False, **options}  # stats: prompt_tokens_computed
    backend = VllmBackend(plan.model_path, engine, config.sampling)
    timed_sweep(backend, *overrides, "limit=4")
    return plan, backend


def timed_sweep(backend: VllmBackend, *overrides: str) -> tuple[SweepPlan, RunStats, float]:
    """Run one sweep into a fresh temp run dir on a cold prefix cache; plan, stats, wall seconds."""
    run_dir = Path(tempfile.mkdtemp(prefix="evalscale-bench-")) / "run"
    plan = make_plan(sweep_config(*overrides, f"run_dir={run_dir}", "progress=false"))
    backend.engine.reset_prefix_cache()
    start = time.perf_counter()
    generate(plan, backend)
    wall = time.perf_counter() - start
    generations = list(iter_records(run_dir / GENERATIONS, Result))
    tokens = sum(generation.generated_tokens for generation in generations)
    return plan, RunStats(requests_generated=len(generations), generated_tokens=tokens), wall


def prompt_tokens_computed(backend: VllmBackend) -> int:
    """Prompt tokens the engine has prefilled so far: all prompt tokens minus prefix-cache hits."""
    from vllm.v1.metrics.reader import Counter

    totals = {"vllm:prompt_tokens": 0, "vllm:prompt_tokens_cached": 0}
    for metric in backend.engine.get_metrics():
        if metric.name in totals and isinstance(metric, Counter):
            totals[metric.name] += metric.value
    return totals["vllm:prompt_tokens"] - totals["vllm:prompt_tokens_cached"]
