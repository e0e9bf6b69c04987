"""Benchmarks as lists of Problems: lm-eval task configs and generated tasks."""

from __future__ import annotations

from dataclasses import dataclass

from evalscale.records import Problem

SOURCES = ("generated", "lm_eval")


class TaskError(ValueError):
    """A task cannot be loaded (unknown name, missing data, no access)."""


@dataclass(frozen=True)
class TaskConfig:
    """A `conf/task/*.yaml` node.

    `source` picks the loader: "generated" (`size` problems made from `seed`) or
    "lm_eval" (the lm-eval task `lm_eval_task`, found under the shipped `tasks/`
    or `include_path`; its hub dataset, or `data_file` in the run's data_dir).
    `instruction`, when set, is appended to every question after a blank line.
    """

    name: str
    source: str
    size: int = 0
    seed: int = 0
    lm_eval_task: str | None = None
    data_file: str | None = None
    instruction: str | None = None
    include_path: str | None = None


def load_problems(
    task: TaskConfig,
    data_dir: str | None = None,
    seed: int = 0,
    limit: int | None = None,
    problem_ids: tuple[str, ...] | None = None,
) -> list[Problem]:
    """The problems of a task: `limit` keeps the first N, `problem_ids` keeps those ids, in order.

    `seed` is the run's seed (GPQA's option order derives from it).
    """
    if task.source == "generated":
        from evalscale.tasks.letter_count import make_problems

        problems = make_problems(task.size, seed=task.seed)
    elif task.source == "lm_eval":
        from evalscale.tasks.lm_eval_loader import load_lm_eval_problems

        problems = load_lm_eval_problems(task, data_dir=data_dir, seed=seed)
    else:
        raise TaskError(f"task {task.name!r}: unknown source {task.source!r} (use 'generated' or 'lm_eval')")
    return select_problems(problems, limit, problem_ids, task_name=task.name)


def select_problems(
    problems: list[Problem], limit: int | None, problem_ids: tuple[str, ...] | None, task_name: str
) -> list[Problem]:
    """Keep the chosen ids (in the given order), then the first `limit` (validated by the config)."""
    if problem_ids:
        by_id = {problem.id: problem for problem in problems}
        unknown = [pid for pid in problem_ids if pid not in by_id]
        if unknown:
            raise TaskError(f"task {task_name!r} has no problem with id {unknown[0]!r}")
        problems = [by_id[pid] for pid in problem_ids]
    if limit is not None:
        problems = problems[:limit]
    return problems
