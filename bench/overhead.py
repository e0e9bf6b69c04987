"""Harness overhead: evalscale's generated tokens/s against one plain vLLM batch of as many tokens.

The plain batch gives every problem's prompt to the same engine at once with a
fixed length (ignore_eos), so it is the engine's best case: no stops, no
follow-up requests, no store. Both run on one engine, cold prefix cache each.
It also prints how many prompt tokens each had to prefill (prompt tokens minus
prefix-cache hits, from vLLM's counters): the compute the follow-up requests add.

Run: .venv/bin/python bench/overhead.py [long|toy] [problems]   (setups: bench/common.py)
Last line: efficiency=<harness tokens/s / plain tokens/s>   (target >= 0.9)
"""

from __future__ import annotations

import sys
import time
from itertools import pairwise
from pathlib import Path

from common import prompt_tokens_computed, setup_overrides, start_engine, timed_sweep
from vllm import SamplingParams
from vllm.inputs import TokensPrompt

from evalscale.backends.vllm_engine import VllmBackend
from evalscale.records import Result
from evalscale.store import GENERATIONS, iter_records


def plain_generate(backend: VllmBackend, prompts: list[list[int]], lengths: list[int]) -> tuple[int, float]:
    """Generate lengths[i] tokens for prompts[i], all in one batch; (tokens, seconds)."""
    engine = backend.engine
    engine.reset_prefix_cache()
    start = time.perf_counter()
    for index, (prompt, length) in enumerate(zip(prompts, lengths, strict=True)):
        params = SamplingParams(
            temperature=float(backend.sampling["temperature"]),
            max_tokens=length,
            min_tokens=length,
            ignore_eos=True,
            detokenize=False,
            seed=index,
        )
        engine.add_request(f"plain-{index}", TokensPrompt(prompt_token_ids=prompt), params)
    tokens = 0
    while engine.has_unfinished_requests():
        tokens += sum(len(output.outputs[0].token_ids) for output in engine.step() if output.finished)
    return tokens, time.perf_counter() - start


def tokens_per_problem(run_dir: Path, problem_ids: list[str]) -> list[int]:
    """Tokens the harness generated for each problem (all its requests), in `problem_ids` order."""
    totals = dict.fromkeys(problem_ids, 0)
    for generation in iter_records(run_dir / GENERATIONS, Result):
        problem_id = generation.key.split("/", 1)[0]
        totals[problem_id] += generation.generated_tokens
    return [max(1, totals[problem_id]) for problem_id in problem_ids]


def main() -> None:
    setup = sys.argv[1] if len(sys.argv) > 1 else "long"
    overrides = setup_overrides(setup, int(sys.argv[2]) if len(sys.argv) > 2 else 256)
    plan, backend = start_engine(overrides)
    prefilled = [prompt_tokens_computed(backend)]
    run_plan, harness, harness_wall = timed_sweep(backend, *overrides)
    prefilled.append(prompt_tokens_computed(backend))
    prompts = [plan.prompts[problem.id] for problem in plan.problems]
    per_problem = tokens_per_problem(run_plan.run_dir, [problem.id for problem in plan.problems])
    tokens_each = max(1, round(harness.generated_tokens / len(prompts)))
    shaped_tokens, shaped_wall = plain_generate(backend, prompts, per_problem)
    prefilled.append(prompt_tokens_computed(backend))
    plain_tokens, plain_wall = plain_generate(backend, prompts, [tokens_each] * len(prompts))
    prefilled.append(prompt_tokens_computed(backend))
    backend.close()
    harness_prefill, _, plain_prefill = (b - a for a, b in pairwise(prefilled))
    harness_rate, plain_rate = harness.generated_tokens / harness_wall, plain_tokens / plain_wall
    shaped_rate = shaped_tokens / shaped_wall
    print(f"{setup}: {len(plan.grid.cells)} cells, {len(prompts)} problems")
    print(
        f"harness: {harness.generated_tokens:,} tokens in {harness_wall:.2f}s = {harness_rate:,.0f} tok/s "
        f"({harness.requests_generated:,} requests)"
    )
    print(
        f"  plain, each problem's own total length: {shaped_tokens:,} tokens in {shaped_wall:.2f}s = "
        f"{shaped_rate:,.0f} tok/s (harness / this = {harness_rate / shaped_rate:.2f})"
    )
    print(
        f"  plain: {plain_tokens:,} tokens in {plain_wall:.2f}s = {plain_rate:,.0f} tok/s "
        f"({len(prompts)} requests x {tokens_each} tokens)"
    )
    print(
        f"prompt tokens prefilled (not from the prefix cache): harness {harness_prefill:,}, "
        f"plain {plain_prefill:,}"
    )
    print(f"efficiency={harness_rate / plain_rate:.2f}")


if __name__ == "__main__":
    main()
