"""Shared setup for the benchmarks: one engine on the toy reasoner, fresh run dirs."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from engine import sweep_config  # noqa: E402

from evalscale.backends.vllm_engine import VllmBackend  # noqa: E402
from evalscale.runner import RunStats  # noqa: E402
from evalscale.sweep import SweepPlan, generate, make_plan  # noqa: E402


def toy_engine(config: dict[str, Any], model_path: str) -> VllmBackend:
    """The vLLM backend of a sweep config (greedy)."""
    engine = dict(config["engine"])
    engine.pop("backend")
    return VllmBackend(model_path, engine, config["sampling"])


def timed_sweep(backend: VllmBackend, *overrides: str) -> tuple[SweepPlan, RunStats, float]:
    """Run one sweep into a fresh temp run dir on a cold prefix cache; plan, stats, wall seconds."""
    run_dir = Path(tempfile.mkdtemp(prefix="evalscale-bench-")) / "run"
    plan = make_plan(sweep_config(*overrides, f"run_dir={run_dir}", "progress=false"))
    backend.engine.reset_prefix_cache()
    start = time.perf_counter()
    generate(plan, backend)
    return plan, stats_of(run_dir), time.perf_counter() - start


def stats_of(run_dir: Path) -> RunStats:
    """Generated tokens and requests of a finished run, from its store."""
    from evalscale.store import GENERATIONS, read_jsonl

    generations = read_jsonl(run_dir / GENERATIONS)
    tokens = sum(len(g["token_ids"]) + (g["stop_token_id"] is not None) for g in generations)
    return RunStats(requests_generated=len(generations), generated_tokens=tokens)
