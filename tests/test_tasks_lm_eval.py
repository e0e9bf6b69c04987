"""The task YAMLs under lm-eval's own evaluator: its answer filters and metric score a perfect model at 1.0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalscale.tasks.command import task_configs
from evalscale.tasks.lm_eval_loader import build_lm_eval_task

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REPLIES = {
    "integer": "Adding up, the answer is $\\boxed{{{gold}}}$.",
    "math": "Hence the answer is $\\boxed{{{gold}}}$.",
    "choice": "It must be option {gold}.\n\nAnswer: {gold}",
}


def perfect_reply(doc: dict[str, Any], answer_type: str) -> str:
    return REPLIES[answer_type].format(gold=doc["gold"])


def test_lm_eval_scores_a_perfect_model_at_one() -> None:
    lm_eval = pytest.importorskip("lm_eval")
    from lm_eval.api.model import LM

    if not (DATA_DIR / "gpqa_diamond.jsonl").exists():
        pytest.skip(f"the benchmark data is not there ({DATA_DIR}); it lives in ../shared/data")
    tasks = [
        build_lm_eval_task(task, str(DATA_DIR)) for task in task_configs() if task["source"] == "lm_eval"
    ]

    class PerfectLM(LM):
        def generate_until(self, requests: list, disable_tqdm: bool = False) -> list[str]:
            return [perfect_reply(r.doc, r.task_name and answer_types[r.task_name]) for r in requests]

        def loglikelihood(self, requests: list, disable_tqdm: bool = False) -> list:
            raise NotImplementedError

        def loglikelihood_rolling(self, requests: list, disable_tqdm: bool = False) -> list:
            raise NotImplementedError

    answer_types = {task.task_name: task.config.metadata["answer_type"] for task in tasks}
    results = lm_eval.simple_evaluate(model=PerfectLM(), tasks=tasks)["results"]
    scores = {name: {k: v for k, v in result.items() if k.startswith("exact_match,")} for name, result in results.items()}
    print(scores)
    assert False
