"""Tests of the benchmark tasks (tasks/*.yaml read through lm-eval) on the local data in ../shared/data."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evalscale.commands.tasks import main as tasks_main
from evalscale.commands.tasks import task_configs
from evalscale.records import Problem
from evalscale.tasks import TaskError, load_problems

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CONFIGS = {task.name: task for task in task_configs()}
SIZES = {"aime24": 30, "aime24_h4": 30, "math500": 500, "gpqa_diamond": 198}


@pytest.fixture(scope="module")
def data_dir() -> str:
    if not (DATA_DIR / "gpqa_diamond.jsonl").exists():
        pytest.skip(f"the benchmark data is not there ({DATA_DIR}); it lives in ../shared/data")
    return str(DATA_DIR)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def load(name: str, data_dir: str, seed: int = 0, **task_changes: Any) -> list[Problem]:
    return load_problems(replace(CONFIGS[name], **task_changes), data_dir=data_dir, seed=seed)


@pytest.mark.parametrize("name", sorted(SIZES))
def test_task_loads_every_problem_with_its_answer_type(name: str, data_dir: str) -> None:
    problems = load(name, data_dir)
    assert len(problems) == SIZES[name]
    assert len({problem.id for problem in problems}) == len(problems)
    expected_type = {"aime24": "integer", "aime24_h4": "integer", "math500": "math", "gpqa_diamond": "choice"}
    assert {problem.answer_type for problem in problems} == {expected_type[name]}


@pytest.mark.parametrize("name", ["aime24", "aime24_h4"])
def test_aime_problems_are_the_files_bare_problems_and_answers(name: str, data_dir: str) -> None:
    rows = read_jsonl(DATA_DIR / "aime24.jsonl")
    problems = load(name, data_dir)
    assert [problem.id for problem in problems] == [row["id"] for row in rows]
    assert [problem.question for problem in problems] == [row["problem"] for row in rows]
    assert [problem.gold for problem in problems] == [row["answer"] for row in rows]
    assert all(
        problem.gold == str(int(row["answer_raw"])) for problem, row in zip(problems, rows, strict=True)
    )


def test_math500_problems_are_the_files_bare_problems_and_answers(data_dir: str) -> None:
    rows = read_jsonl(DATA_DIR / "math500.jsonl")
    problems = load("math500", data_dir)
    assert [(p.id, p.question, p.gold) for p in problems] == [
        (row["unique_id"], row["problem"], row["answer"]) for row in rows
    ]
    assert problems[0].metadata == {"subject": rows[0]["subject"], "level": rows[0]["level"]}


def test_gpqa_shows_shuffled_options_and_the_gold_letter_maps_to_the_correct_one(data_dir: str) -> None:
    rows = {row["id"]: row for row in read_jsonl(DATA_DIR / "gpqa_diamond.jsonl")}
    for problem in load("gpqa_diamond", data_dir):
        row = rows[problem.id]
        sources = [text.strip() for text in [row["correct_answer"], *row["incorrect_answers"]]]
        options, order = problem.metadata["options"], problem.metadata["permutation"]
        assert sorted(order) == [0, 1, 2, 3]
        assert options == [sources[index] for index in order]
        assert options["ABCD".index(problem.gold)] == problem.metadata["correct_option"] == sources[0]
        assert order["ABCD".index(problem.gold)] == 0
        shown = "\n".join(f"{letter}) {option}" for letter, option in zip("ABCD", options, strict=True))
        assert problem.question == f"{row['question'].strip()}\n\n{shown}"


def test_gpqa_permutation_depends_on_seed_and_id_only(data_dir: str) -> None:
    first = load("gpqa_diamond", data_dir, seed=0)
    again = load("gpqa_diamond", data_dir, seed=0)
    other = load("gpqa_diamond", data_dir, seed=1)
    assert first == again
    assert (
        sum(a.metadata["permutation"] != b.metadata["permutation"] for a, b in zip(first, other, strict=True))
        > 150
    )
    picked = load_problems(CONFIGS["gpqa_diamond"], data_dir=data_dir, seed=1, problem_ids=(other[-1].id,))
    assert picked == [other[-1]]


@pytest.mark.parametrize("seed", [0, 1])
def test_gpqa_correct_letters_are_spread_evenly(seed: int, data_dir: str) -> None:
    counts = collections.Counter(problem.gold for problem in load("gpqa_diamond", data_dir, seed=seed))
    # 198 questions: about 49.5 per letter, standard deviation about 6.
    assert set(counts) == set("ABCD")
    assert all(30 <= count <= 70 for count in counts.values()), counts


def test_hub_columns_give_the_same_problems_as_the_local_files(data_dir: str, tmp_path: Path) -> None:
    """The hub datasets name their columns differently; process_docs maps both to the same problems."""
    aime = [
        {"id": row["hf_id"], "problem": row["problem"], "answer": row["answer_raw"], "url": row["url"]}
        for row in read_jsonl(DATA_DIR / "aime24.jsonl")
    ]
    gpqa = [
        {
            "Record ID": row["id"],
            "Question": row["question"],
            "Correct Answer": row["correct_answer"],
            **{f"Incorrect Answer {n}": text for n, text in enumerate(row["incorrect_answers"], 1)},
            "High-level domain": row["domain"],
        }
        for row in read_jsonl(DATA_DIR / "gpqa_diamond.jsonl")
    ]
    for name, rows in [("aime24_h4", aime), ("gpqa_diamond", gpqa)]:
        (tmp_path / str(CONFIGS[name].data_file)).write_text("".join(json.dumps(row) + "\n" for row in rows))
        assert load(name, str(tmp_path), seed=3) == load(name, data_dir, seed=3)


def test_instruction_is_appended_after_a_blank_line(data_dir: str) -> None:
    bare = load("math500", data_dir)[0]
    boxed = load("math500", data_dir, instruction="Put your final answer within \\boxed{}.")[0]
    assert boxed.question == bare.question + "\n\nPut your final answer within \\boxed{}."


def test_limit_and_problem_ids_select_problems(data_dir: str) -> None:
    task = CONFIGS["aime24"]
    assert [p.id for p in load_problems(task, data_dir=data_dir, limit=2)] == ["2024-I-1", "2024-I-10"]
    picked = load_problems(task, data_dir=data_dir, problem_ids=("2024-II-15", "2024-I-1"))
    assert [p.id for p in picked] == ["2024-II-15", "2024-I-1"]


def test_unknown_task_and_missing_file_are_clear_errors(data_dir: str, tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="did you mean 'math500_s1'"):
        load_problems(replace(CONFIGS["math500"], lm_eval_task="math500_s2"), data_dir=data_dir)
    with pytest.raises(TaskError, match="data file .*math500.jsonl not found"):
        load_problems(CONFIGS["math500"], data_dir=str(tmp_path))


def test_tasks_command_lists_counts_types_and_local_files(
    data_dir: str, capsys: pytest.CaptureFixture
) -> None:
    assert tasks_main([f"data_dir={data_dir}"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["gpqa_diamond"][:3] == ["gpqa_diamond", "198", "choice"]
    assert Path(rows["gpqa_diamond"][3]).resolve() == (DATA_DIR / "gpqa_diamond.jsonl").resolve()
    assert rows["math500"][1:3] == ["500", "math"]
    assert rows["aime24"][1:3] == ["30", "integer"]
    assert rows["letter_count"][1:3] == ["64", "integer"]
    assert tasks_main(["datadir=x"]) == 2


def test_offline_without_data_dir_fails_fast_with_a_clear_message(tmp_path: Path) -> None:
    """In a fresh process, so HF_HUB_OFFLINE takes effect and no hub cache can answer."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path), "HF_DATASETS_CACHE": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "evalscale.cli", "tasks"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "hf:Idavidrein/gpqa (gpqa_diamond)" in done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("task ")]
    assert len(errors) == len(SIZES)
    assert all("set data_dir=PATH to use local files" in line for line in errors)
    gpqa_error = next(line for line in errors if "'gpqa_diamond'" in line)
    assert "gated" in gpqa_error and "huggingface.co/datasets/Idavidrein/gpqa" in gpqa_error


def test_a_file_without_the_expected_columns_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "math500.jsonl").write_text(json.dumps({"question": "1+1?", "answer": "2"}) + "\n")
    with pytest.raises(TaskError, match="math500.jsonl has no column 'unique_id'"):
        load_problems(CONFIGS["math500"], data_dir=str(tmp_path))


def test_aime_rows_in_the_hub_layout_load_like_the_local_file(tmp_path: Path) -> None:
    """simplescaling/aime24_nofigures and HuggingFaceH4/aime_2024 rows: int `id`, `problem`, `solution`,
    `answer` (may have leading zeros), AoPS `url` (layout checked against a public copy of the former)."""
    url = "https://artofproblemsolving.com/wiki/index.php/2024_AIME_{}_Problems/Problem_{}"
    rows = [
        {"id": 60, "problem": "First?", "solution": "s", "answer": "204", "url": url.format("I", 1)},
        {"id": 88, "problem": "Second?", "solution": "s", "answer": "055", "url": url.format("II", 14)},
    ]
    (tmp_path / "aime24.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    problems = load_problems(CONFIGS["aime24"], data_dir=str(tmp_path))
    assert [(p.id, p.question, p.gold, p.answer_type) for p in problems] == [
        ("2024-I-1", "First?", "204", "integer"),
        ("2024-II-14", "Second?", "55", "integer"),
    ]


@pytest.mark.parametrize(
    ("node", "sentence"),
    [
        ("source: web\n", "task 'broken': unknown source 'web'"),
        ("", "task 'broken': unknown source None"),
        ("- letter_count\n", "a task node is a mapping of keys (name, source, ...), got ['letter_count']"),
        ("name: [unclosed\n", "cannot read it (while parsing a flow sequence"),
    ],
)
def test_a_task_node_that_cannot_be_read_is_one_sentence(
    node: str, sentence: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "broken.yaml").write_text(node)
    monkeypatch.setattr("evalscale.commands.tasks.TASK_CONF_DIR", tmp_path)
    assert tasks_main([]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"evalscale tasks: {tmp_path / 'broken.yaml'}: {sentence}")
