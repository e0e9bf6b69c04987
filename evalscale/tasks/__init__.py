"""Benchmarks as lists of Problems: lm-eval task configs and generated tasks."""

from __future__ import annotations

from typing import Any

from evalscale.records import Problem


class TaskError(ValueError):
    """A task cannot be loaded (unknown name, missing data, no access)."""


def load_problems(
    task: dict[str, Any],
    data_dir: str | None = None,
    seed: int = 0,
    limit: int | None = None,
    problem_ids: list[str] | None = None,
) -> list[Problem]:
    """The problems of a task config (a `conf/task/*.yaml` node as a dict).

    `task["source"]` picks the loader: "generated" (made from a seed) or
    "lm_eval" (a task YAML under tasks/, read through lm-eval's TaskManager).
    `limit` keeps the first N problems; `problem_ids` keeps those ids, in order.
    """
    source = task.get("source")
    if source == "generated":
        from evalscale.tasks.letter_count import make_problems

        problems = make_problems(int(task["size"]), seed=int(task.get("seed", 0)))
    elif source == "lm_eval":
        from evalscale.tasks.lm_eval_loader import load_lm_eval_problems

        problems = load_lm_eval_problems(task, data_dir=data_dir, seed=seed)
    else:
        name = task.get("name")
        raise TaskError(f"task {name!r}: unknown source {source!r} (use 'generated' or 'lm_eval')")
    return select_problems(problems, limit, problem_ids, task_name=str(task.get("name")))


def select_problems(
    problems: list[Problem], limit: int | None, problem_ids: list[str] | None, task_name: str
) -> list[Problem]:
    """Keep the chosen ids (in the given order), then the first `limit`."""
    if problem_ids:
        by_id = {problem.id: problem for problem in problems}
        unknown = [pid for pid in problem_ids if pid not in by_id]
        if unknown:
            raise TaskError(f"task {task_name!r} has no problem with id {unknown[0]!r}")
        problems = [by_id[pid] for pid in problem_ids]
    if limit is not None:
        if limit <= 0:
            raise TaskError(f"limit must be positive, got {limit}")
        problems = problems[:limit]
    return problems
