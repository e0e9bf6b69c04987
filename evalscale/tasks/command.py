"""`evalscale tasks [data_dir=PATH]`: list the task configs with problem counts and data sources."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

import evalscale
from evalscale.cli import split_arguments
from evalscale.tasks import TaskError, load_problems

TASK_CONF_DIR = Path(evalscale.__file__).resolve().parent.parent / "conf" / "task"
USAGE = "usage: evalscale tasks [data_dir=PATH]"


def main(argv: list[str]) -> int:
    """Print one row per `conf/task/*.yaml`; exit 1 if a task cannot be loaded, 2 on bad arguments."""
    if any(arg in {"-h", "--help"} for arg in argv):
        print(USAGE)
        return 0
    try:
        arguments, options = split_arguments(argv, {"data_dir": ""})
        if arguments:
            raise ValueError(f"unexpected argument {arguments[0]!r}")
    except ValueError as error:
        print(f"evalscale tasks: {error}\n{USAGE}", file=sys.stderr)
        return 2
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
        rows.append([task["name"], count, answer_type, source])
    print(format_table(rows))
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


def task_configs() -> list[dict[str, Any]]:
    """The task group nodes under conf/task/, sorted by file name, as plain dicts."""
    nodes = []
    for path in sorted(TASK_CONF_DIR.glob("*.yaml")):
        node = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
        nodes.append({"name": path.stem, **node})
    return nodes


def task_source(task: dict[str, Any], data_dir: str | None) -> str:
    """Where a task's problems come from, in words."""
    if task.get("source") == "lm_eval":
        from evalscale.tasks.lm_eval_loader import data_source

        return data_source(task, data_dir)
    return f"{task.get('source')} (seed {task.get('seed', 0)})"


def format_table(rows: list[list[str]]) -> str:
    """Rows as left-aligned columns separated by two spaces."""
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )
