"""A user's own model profiles and tasks, without editing the package: Hydra's search path for configs and
`task.include_path` for lm-eval task YAMLs, as the README shows them (fast, no engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine import sweep_config

from evalscale.config import ConfigError
from evalscale.config_check import check_arguments
from evalscale.plan import make_plan
from evalscale.tasks import TaskError

# The README's examples ("Your own configs"), with the folders filled in by the test.
MODEL_PROFILE = """\
defaults:
  - toy
  - _self_
name: my-toy
max_answer_tokens: 12
"""
TASK_NODE = """\
name: my_sums
source: lm_eval
lm_eval_task: my_sums
include_path: {tasks}
"""
LM_EVAL_TASK = """\
task: my_sums
dataset_path: json
dataset_kwargs:
  data_files: {{test: {data}}}
test_split: test
output_type: generate_until
doc_to_text: "{{{{problem}}}}"
doc_to_target: "{{{{answer}}}}"
metadata: {{version: 1.0, answer_type: math}}
"""
SUMS = [{"problem": "What is 2 + 3?", "answer": "5"}, {"problem": "What is 4 + 4?", "answer": "8"}]


@pytest.fixture
def user_folders(tmp_path: Path) -> tuple[str, Path]:
    """`hydra.searchpath=[file://...]` of a config folder with a model profile and a task node, whose
    task's lm-eval YAML and data sit in a folder of their own."""
    conf, tasks = tmp_path / "my_conf", tmp_path / "my_tasks"
    for folder in (conf / "model", conf / "task", tasks):
        folder.mkdir(parents=True)
    data = tasks / "sums.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in SUMS))
    (tasks / "my_sums.yaml").write_text(LM_EVAL_TASK.format(data=data))
    (conf / "model" / "my-toy.yaml").write_text(MODEL_PROFILE)
    (conf / "task" / "my_sums.yaml").write_text(TASK_NODE.format(tasks=tasks))
    return f"hydra.searchpath=[file://{conf}]", tasks


def test_a_users_profile_and_task_run_from_their_own_folders(user_folders: tuple[str, Path]) -> None:
    searchpath, _ = user_folders
    check_arguments([searchpath, "model=my-toy", "task=my_sums"])
    plan = make_plan(sweep_config(searchpath, "model=my-toy", "task=my_sums"))
    assert plan.profile.name == "my-toy" and plan.profile.max_answer_tokens == 12
    assert plan.profile.think_end == ("</think>",), "the rest of the profile comes from the shipped toy"
    assert [(p.id, p.question, p.gold, p.answer_type) for p in plan.problems] == [
        ("0", "What is 2 + 3?", "5", "math"),
        ("1", "What is 4 + 4?", "8", "math"),
    ]
    assert plan.run_dir.parts[:3] == ("runs", "my-toy", "my_sums")


def test_a_misspelt_user_option_is_suggested(user_folders: tuple[str, Path]) -> None:
    searchpath, _ = user_folders
    with pytest.raises(
        ConfigError, match=r"unknown model 'my-tyo' \(did you mean 'my-toy'\?\); available: my-toy"
    ):
        check_arguments([searchpath, "model=my-tyo"])


def test_include_path_alone_adds_an_lm_eval_task_to_a_shipped_node(user_folders: tuple[str, Path]) -> None:
    _, tasks = user_folders
    overrides = (
        "task=math500",
        "task.name=my_sums",
        "task.lm_eval_task=my_sums",
        f"task.include_path={tasks}",
        "task.data_file=null",
    )
    check_arguments(list(overrides))
    assert [p.gold for p in make_plan(sweep_config(*overrides)).problems] == ["5", "8"]
    with pytest.raises(TaskError, match=f"task 'my_sums' names no data_file to read from data_dir={tasks}; "):
        make_plan(sweep_config(*overrides, f"data_dir={tasks}"))  # not MATH-500's file, nor .../None


def test_sampling_recommended_without_a_preset_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "bare.yaml").write_text(MODEL_PROFILE + "recommended_sampling: null\n")
    with pytest.raises(ConfigError, match="model 'my-toy' has none .model.recommended_sampling is not set"):
        check_arguments([f"hydra.searchpath=[file://{tmp_path}]", "model=bare", "sampling=recommended"])
