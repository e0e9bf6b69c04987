"""`evalscale tasks [data_dir=PATH]`: list the task configs with problem counts and data sources."""

from __future__ import annotations

import sys

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from evalscale.commands import UsageError, run_command, split_arguments
from evalscale.config import ConfigError, task_config
from evalscale.resources import CONF_DIR
from evalscale.tasks import TaskConfig, TaskError, load_problems

TASK_CONF_DIR = CONF_DIR / "task"
USAGE = "usage: evalscale tasks [data_dir=PATH]"


def main(argv: list[str]) -> int:
    """Print one row per `conf/task/*.yaml`; exit 1 if a task cannot be loaded, 2 on bad arguments or a
    task node that cannot be read."""
    return run_command("tasks", USAGE, argv, _list_tasks, handled=(TaskError,))


def _list_tasks(argv: list[str]) -> int:
    arguments, options = split_arguments(argv, {"data_dir": ""})
    if arguments:
        raise UsageError(f"unexpected argument {arguments[0]!r}")
    data_dir = options["data_dir"] or None
    rows = [["task", "problems", "answer type", "source"]]
    errors = []
    for task in task_configs():
        count, answer_type, source = "-", "-", "?"
        try:
            source = task_source(task, data_dir)
            problems = load_problems(task, data_dir=data_dir)
            count = str(len(problems))
            answer_type = problems[0].answer_type if problems else "-"
        except TaskError as err:
            errors.append(str(err))
        rows.append([task.name, count, answer_type, source])
    print(format_table(rows))
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


def task_configs() -> list[TaskConfig]:
    """The task group nodes under conf/task/, sorted by file name; TaskError (one sentence) for a node
    that cannot be read."""
    tasks = []
    for path in sorted(TASK_CONF_DIR.glob("*.yaml")):
        try:
            node = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
        except (yaml.YAMLError, OmegaConfBaseException) as error:
            raise TaskError(f"{path}: cannot read it ({' '.join(str(error).split())})") from error
        if not isinstance(node, dict):
            raise TaskError(f"{path}: a task node is a mapping of keys (name, source, ...), got {node!r}")
        try:
            tasks.append(task_config({"name": path.stem, **node}))
        except ConfigError as error:
            raise TaskError(f"{path}: {error}") from error
    return tasks


def task_source(task: TaskConfig, data_dir: str | None) -> str:
    """Where a task's problems come from, in words."""
    if task.source == "lm_eval":
        from evalscale.tasks.lm_eval_loader import data_source

        return data_source(task, data_dir)
    return f"{task.source} (seed {task.seed})"


def format_table(rows: list[list[str]]) -> str:
    """Rows as left-aligned columns separated by two spaces."""
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )
