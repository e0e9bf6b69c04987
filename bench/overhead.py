"""Harness overhead: evalscale's generated tokens/s against one plain vLLM batch of as many tokens.

The plain batch gives every problem's prompt to the same engine at once with a
fixed length (ignore_eos), so it is the engine's best case: no stops, no
follow-up requests, no store. Both run on one engine, cold prefix cache each.

Run: .venv/bin/python bench/overhead.py [long|toy] [problems]   (setups: bench/common.py)
Last line: efficiency=<harness tokens/s / plain tokens/s>   (target >= 0.9)
"""

from __future__ import annotations

import sys
import time

from common import setup_overrides, start_engine, timed_sweep
from vllm import SamplingParams
from vllm.inputs import TokensPrompt

from evalscale.backends.vllm_engine import VllmBackend


def plain_generate(backend: VllmBackend, prompts: list[list[int]], tokens_each: int) -> tuple[int, float]:
    """Generate `tokens_each` tokens for every prompt in one batch; (tokens, seconds)."""
    engine = backend.engine
    engine.reset_prefix_cache()
    params = SamplingParams(
        temperature=float(backend.sampling["temperature"]),
        max_tokens=tokens_each,
        min_tokens=tokens_each,
        ignore_eos=True,
        detokenize=False,
        seed=0,
    )
    start = time.perf_counter()
    for index, prompt in enumerate(prompts):
        engine.add_request(f"plain-{index}", TokensPrompt(prompt_token_ids=prompt), params)
    tokens = 0
    while engine.has_unfinished_requests():
        tokens += sum(len(output.outputs[0].token_ids) for output in engine.step() if output.finished)
    return tokens, time.perf_counter() - start


def main() -> None:
    setup = sys.argv[1] if len(sys.argv) > 1 else "long"
    overrides = setup_overrides(setup, int(sys.argv[2]) if len(sys.argv) > 2 else 256)
    plan, backend = start_engine(overrides)
    _, harness, harness_wall = timed_sweep(backend, *overrides)
    prompts = [plan.prompts[problem.id] for problem in plan.problems]
    tokens_each = max(1, round(harness.generated_tokens / len(prompts)))
    plain_tokens, plain_wall = plain_generate(backend, prompts, tokens_each)
    backend.close()
    harness_rate, plain_rate = harness.generated_tokens / harness_wall, plain_tokens / plain_wall
    print(f"{setup}: {len(plan.grid.cells)} cells, {len(prompts)} problems")
    print(
        f"harness: {harness.generated_tokens:,} tokens in {harness_wall:.2f}s = {harness_rate:,.0f} tok/s "
        f"({harness.requests_generated:,} requests)"
    )
    print(
        f"  plain: {plain_tokens:,} tokens in {plain_wall:.2f}s = {plain_rate:,.0f} tok/s "
        f"({len(prompts)} requests x {tokens_each} tokens)"
    )
    print(f"efficiency={harness_rate / plain_rate:.2f}")


if __name__ == "__main__":
    main()
