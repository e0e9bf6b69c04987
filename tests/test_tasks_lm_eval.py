"""The task YAMLs under lm-eval's own evaluator: its answer filters and metric give a perfect model 1.0."""

from __future__ import annotations

from pathlib import Path

import lm_eval
import pytest
from lm_eval.api.instance import Instance
from lm_eval.api.model import LM

from evalscale.commands.tasks import task_configs
from evalscale.tasks.lm_eval_loader import build_lm_eval_task, task_manager

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REPLIES = {
    "integer": "Adding up, the answer is $\\boxed{{{gold}}}$.",
    "math": "Hence the answer is $\\boxed{{{gold}}}$.",
    "choice": "It must be option ({gold}).\n\nAnswer: {gold}",
}


class PerfectLM(LM):
    """Answers every doc with its gold answer, in the form the task's answer type asks for."""

    def __init__(self, answer_types: dict[str, str]) -> None:
        super().__init__()
        self.answer_types = answer_types

    def generate_until(self, requests: list[Instance], disable_tqdm: bool = False) -> list[str]:
        return [REPLIES[self.answer_types[r.task_name]].format(gold=r.doc["gold"]) for r in requests]

    def loglikelihood(self, requests: list[Instance], disable_tqdm: bool = False) -> list:
        raise NotImplementedError

    def loglikelihood_rolling(self, requests: list[Instance], disable_tqdm: bool = False) -> list:
        raise NotImplementedError


def test_lm_eval_scores_a_perfect_model_at_one() -> None:
    if not (DATA_DIR / "gpqa_diamond.jsonl").exists():
        pytest.skip(f"the benchmark data is not there ({DATA_DIR}); it lives in ../shared/data")
    nodes = [node for node in task_configs() if node.source == "lm_eval"]
    tasks = [build_lm_eval_task(node, str(DATA_DIR)) for node in nodes]
    model = PerfectLM({task.task_name: task.config.metadata["answer_type"] for task in tasks})
    results = lm_eval.simple_evaluate(model=model, tasks=tasks, task_manager=task_manager())["results"]
    assert {name: result["sample_len"] for name, result in results.items()} == {
        "aime24_s1": 30,
        "aime24_h4": 30,
        "math500_s1": 500,
        "gpqa_diamond_s1": 198,
    }
    scores = {
        name: result.get("exact_match,boxed", result.get("exact_match,letter"))
        for name, result in results.items()
    }
    assert scores == dict.fromkeys(results, 1.0)
