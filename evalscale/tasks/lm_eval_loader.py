"""Benchmarks read through lm-eval's TaskManager from the task YAMLs under `tasks/` (and a user's folder).

A task node (`conf/task/*.yaml` with `source: lm_eval`) names the lm-eval task (`lm_eval_task`),
the local file that replaces the hub dataset when `data_dir` is set (`data_file`; a node without
one refuses `data_dir`), an
optional `instruction` appended to every question after a blank line, and optionally a folder of
the user's own lm-eval task YAMLs (`include_path`), indexed beside the shipped ones. s1 shows AIME and MATH500
bare (no instruction), which is the default; set e.g. `instruction: "Put your final answer within
\\boxed{}."` to ask for boxed answers. The YAML's process_docs normalises hub and local columns
alike, so both sources give the same problems; the YAML's `metadata` declares the answer type
and whether the hub dataset is gated.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from evalscale.records import AnswerType, Problem
from evalscale.resources import TASKS_DIR
from evalscale.tasks import TaskConfig, TaskError

ANSWER_TYPES = get_args(AnswerType)

if TYPE_CHECKING:
    from lm_eval.api.task import ConfigurableTask
    from lm_eval.tasks import TaskManager


def load_lm_eval_problems(task: TaskConfig, data_dir: str | None, seed: int) -> list[Problem]:
    """The problems of an lm-eval-backed task node, from the hub or from `data_dir`.

    `seed` is passed to the task's process_docs when it takes one (GPQA's option order).
    Raises TaskError for an unknown task, a missing data file or a hub dataset that cannot be read.
    """
    lm_task = build_lm_eval_task(task, data_dir)
    # lm-eval calls process_docs(split) without run parameters: bind the run's seed here.
    process_docs = lm_task.config.process_docs
    if process_docs is not None and "seed" in inspect.signature(process_docs).parameters:
        lm_task.config.process_docs = functools.partial(process_docs, seed=seed)
    instruction = task.instruction
    answer_type = (lm_task.config.metadata or {}).get("answer_type")
    if answer_type not in ANSWER_TYPES:
        raise TaskError(
            f"task {task.name!r}: the lm-eval task {task.lm_eval_task!r} must declare how its answers are "
            f"graded, metadata.answer_type: one of {', '.join(ANSWER_TYPES)} (got {answer_type!r})"
        )
    problems = []
    for index, doc in enumerate(lm_task.eval_docs):
        question = lm_task.doc_to_text(doc)
        problems.append(
            Problem(
                id=str(doc.get("id", index)),  # a user's task without ids: its rows are numbered
                question=f"{question}\n\n{instruction}" if instruction else question,
                gold=str(lm_task.doc_to_target(doc)),
                answer_type=answer_type,
                metadata=dict(doc.get("metadata") or {}),
            )
        )
    return problems


def build_lm_eval_task(task: TaskConfig, data_dir: str | None) -> ConfigurableTask:
    """The lm-eval task of a task node, its dataset read from `data_dir` when given."""
    config = lm_eval_config(task)
    overrides = local_data_overrides(task, config, data_dir) if data_dir else {}
    name = config["task"]
    # lm-eval merges per-task overrides onto a registered YAML only for members of a group.
    spec = {"group": f"evalscale_{name}", "task": [{"task": name, **overrides}]}
    try:
        return task_manager(task.include_path).load(spec)["tasks"][name]
    except OSError as err:  # datasets and huggingface_hub raise OSError subclasses
        raise TaskError(hub_error(task, config, err)) from err
    except KeyError as err:  # process_docs found neither the hub's nor the local file's columns
        source = data_source(task, data_dir)
        raise TaskError(f"task {task.name!r}: {source} has no column {err} (see the data README)") from err


def lm_eval_config(task: TaskConfig) -> dict[str, Any]:
    """The raw YAML config (functions unresolved) of the node's `lm_eval_task`."""
    name = str(task.lm_eval_task)
    manager = task_manager(task.include_path)
    entry = manager.task_index.get(name)
    if entry is None or entry.cfg is None or "task" not in entry.cfg:
        known = manager.all_subtasks
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
        folders = " or ".join(str(folder) for folder in task_folders(task.include_path))
        raise TaskError(f"task {task.name!r}: no lm-eval task {name!r} under {folders}{hint}")
    return entry.cfg


def local_data_overrides(task: TaskConfig, config: dict[str, Any], data_dir: str) -> dict[str, Any]:
    """lm-eval config overrides that read the task's test split from `data_dir`/`data_file` (JSONL)."""
    path = local_data_file(task, data_dir)
    if not path.is_file():
        raise TaskError(f"task {task.name!r}: data file {path} not found (data_dir={data_dir})")
    return {
        "dataset_path": "json",
        "dataset_name": None,
        "dataset_kwargs": {"data_files": {config["test_split"]: str(path.resolve())}},
    }


def local_data_file(task: TaskConfig, data_dir: str) -> Path:
    """`data_dir`/`data_file`: the task's local file; TaskError when the node names no data_file (the
    task would read another task's file, or none)."""
    if task.data_file is None:
        raise TaskError(
            f"task {task.name!r} names no data_file to read from data_dir={data_dir}; set "
            "task.data_file=FILE, or leave data_dir unset to read the dataset its lm-eval task names"
        )
    return Path(data_dir).expanduser() / task.data_file


def data_source(task: TaskConfig, data_dir: str | None) -> str:
    """Where the task's problems come from: the local file, or the hub dataset id (and config)."""
    if data_dir:
        return str(local_data_file(task, data_dir).resolve())
    config = lm_eval_config(task)
    subset = f" ({config['dataset_name']})" if config.get("dataset_name") else ""
    return f"hf:{config['dataset_path']}{subset}"


def hub_error(task: TaskConfig, config: dict[str, Any], err: OSError) -> str:
    """One sentence on why the hub dataset could not be read and what to do instead."""
    dataset = config["dataset_path"]
    reason = str(err).splitlines()[0] if str(err) else type(err).__name__
    gated = ""
    if config.get("metadata", {}).get("gated"):
        gated = (
            f"; {dataset} is gated: accept its terms at https://huggingface.co/datasets/{dataset} "
            "and log in (huggingface-cli login or HF_TOKEN)"
        )
    return (
        f"task {task.name!r}: cannot read {dataset} from the Hugging Face hub ({reason}){gated}; "
        "set data_dir=PATH to use local files"
    )


def task_folders(include_path: str | None = None) -> list[Path]:
    """The folders whose task YAMLs are indexed: the shipped `tasks/`, then the user's `include_path`."""
    folders = [TASKS_DIR]
    if include_path:
        folder = Path(include_path).expanduser().resolve()
        if not folder.is_dir():
            raise TaskError(f"task.include_path {include_path!r} is not a folder")
        folders.append(folder)
    return folders


@functools.cache
def task_manager(include_path: str | None = None) -> TaskManager:
    """lm-eval's TaskManager over `tasks/` and `include_path` (lm-eval's built-in tasks are not indexed)."""
    from lm_eval.tasks import TaskManager

    return TaskManager(
        include_path=[str(folder) for folder in task_folders(include_path)], include_defaults=False
    )
