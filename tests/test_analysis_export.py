"""Export rows (one per sample and cell) and the samples.jsonl / samples.parquet files."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from evalscale.analysis.samples_export import EXPORT_COLUMNS, iter_export_rows, write_export
from evalscale.records import cell_key
from evalscale.store import CELLS, PROBLEMS, TRAJECTORIES, VERDICTS

THINKING = {"p0/0": "abcde", "p1/0": "xyz"}


def cell(problem: str, cap: int, waits: int, cut: int, end: str) -> dict:
    return {
        "problem_id": problem,
        "sample": 0,
        "cap": cap,
        "waits": waits,
        "mode": "shared",
        "waits_used": waits,
        "forced_waits": 0,
        "thinking_tokens": cut,
        "end_reason": end,
        "answer_text": f"answer {problem} {cap}",
        "answer_tokens": 3,
        "answer_finish": "stop",
        "trajectory": f"{problem}/0",
        "seeds": {},
    }


def write_lines(path: Path, records: list[dict], torn: str = "") -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + torn, encoding="utf-8")


def make_run(run_dir: Path) -> Path:
    """Two problems; thinking of 5 and 3 tokens (one character each); cells cut at 2 and at the whole
    trajectory; the last cell has no verdict."""
    run_dir.mkdir()
    write_lines(
        run_dir / PROBLEMS,
        [
            {"id": "p0", "question": "Q zero", "gold": "7", "answer_type": "integer", "metadata": {}},
            {"id": "p1", "question": "Q one", "gold": "3", "answer_type": "integer", "metadata": {}},
        ],
    )
    write_lines(
        run_dir / TRAJECTORIES,
        [
            {"trajectory": t, "thinking_tokens": len(text), "thinking_text": text}
            for t, text in THINKING.items()
        ],
        torn='{"trajectory": "p2/0", "thinking_tok',  # a crash cut the last line: left out
    )
    cells = [
        cell("p0", 2, 0, 2, "cap"),
        cell("p0", 8, 0, 5, "stop"),
        cell("p1", 2, 0, 2, "cap"),
        cell("p0", 8, 1, 5, "waits_exhausted"),
        cell("p1", 8, 0, 3, "stop"),
    ]
    write_lines(run_dir / CELLS, cells)
    keys = [cell_key(c["problem_id"], 0, c["cap"], c["waits"]) for c in cells]
    verdicts = [
        {"key": keys[0], "correct": False, "extracted": None, "reason": "no_answer"},
        {"key": keys[1], "correct": True, "extracted": "7", "reason": "match"},
        {"key": keys[2], "correct": False, "extracted": "5", "reason": "mismatch"},
        {"key": keys[3], "correct": False, "extracted": "6", "reason": "mismatch"},
        {"key": keys[3], "correct": True, "extracted": "7", "reason": "match"},  # a re-grade: the later wins
    ]
    write_lines(run_dir / VERDICTS, verdicts)
    return run_dir


def decode(ids: Sequence[int]) -> str:
    return "".join(map(chr, ids))


def prompt_ids(question: str) -> list[int]:
    return [ord(c) for c in f"<user>{question}<think>"]


def test_rows_without_a_tokenizer(tmp_path: Path) -> None:
    rows = list(iter_export_rows(make_run(tmp_path / "run")))
    assert [list(row) for row in rows] == [EXPORT_COLUMNS] * 5
    assert [row["thinking_text"] for row in rows] == [
        None,
        "abcde",
        None,
        "abcde",
        "xyz",
    ]  # whole trajectories
    assert all(row["prompt_text"] is None for row in rows)
    first = rows[0]
    assert (first["key"], first["problem_id"], first["cap"], first["waits"]) == ("p0|0|2|0", "p0", 2, 0)
    assert (first["question"], first["gold"], first["thinking_tokens"], first["end_reason"]) == (
        "Q zero",
        "7",
        2,
        "cap",
    )
    assert (first["answer_text"], first["extracted"], first["correct"], first["reason"]) == (
        "answer p0 2",
        None,
        False,
        "no_answer",
    )
    assert (rows[3]["correct"], rows[3]["extracted"]) == (True, "7")
    assert (rows[4]["correct"], rows[4]["reason"]) == (None, None)  # not graded


def test_rows_with_a_tokenizer_take_each_cells_own_thinking_ids(tmp_path: Path) -> None:
    asked: list[str] = []

    def thinking_ids(cell: Mapping) -> list[int] | None:
        asked.append(cell_key(cell["problem_id"], cell["sample"], cell["cap"], cell["waits"]))
        if cell["problem_id"] == "p1":
            return None if cell["cap"] == 2 else [ord("X")] * 2  # unknown; wrong length: both fall back
        return [ord(c) for c in THINKING[cell["trajectory"]].upper()[: cell["thinking_tokens"]]]

    rows = list(
        iter_export_rows(
            make_run(tmp_path / "run"), decode=decode, prompt_ids=prompt_ids, thinking_ids=thinking_ids
        )
    )
    assert [row["thinking_text"] for row in rows] == ["AB", "ABCDE", None, "ABCDE", "xyz"]
    assert [row["thinking_ids"] for row in rows] == [
        [65, 66],
        [65, 66, 67, 68, 69],
        None,
        [65, 66, 67, 68, 69],
        None,
    ]
    assert [row["prompt_text"] for row in rows] == ["<user>Q zero<think>"] * 2 + ["<user>Q one<think>"] + [
        "<user>Q zero<think>",
        "<user>Q one<think>",
    ]
    assert asked == [row["key"] for row in rows]  # once per cell, in cells.jsonl's order


def test_write_export_in_chunks(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run")
    written = write_export(run, chunk_rows=2)
    assert written.rows == 5
    assert (written.jsonl, written.parquet) == (
        run / "export" / "samples.jsonl",
        run / "export" / "samples.parquet",
    )
    assert sorted(p.name for p in (run / "export").iterdir()) == ["samples.jsonl", "samples.parquet"]
    table = pd.read_parquet(written.parquet)
    lines = pd.read_json(written.jsonl, lines=True, dtype=False)
    assert list(table.columns) == EXPORT_COLUMNS == list(lines.columns)
    expected = list(iter_export_rows(run))
    assert table.astype(object).where(table.notna(), None).to_dict("records") == expected
    assert lines.astype(object).where(lines.notna(), None).to_dict("records") == expected
    assert table["thinking_tokens"].dtype == "int64"


def test_write_export_elsewhere_and_of_an_empty_run(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run")
    (run / CELLS).write_text("", encoding="utf-8")
    written = write_export(run, tmp_path / "out")
    assert written.rows == 0 and written.parquet.parent == tmp_path / "out"
    empty = pd.read_parquet(written.parquet)
    assert list(empty.columns) == EXPORT_COLUMNS and len(empty) == 0
    assert written.jsonl.read_text(encoding="utf-8") == ""


def test_a_cell_stored_twice_is_one_row_from_its_last_copy(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "run")
    again = {**cell("p0", 2, 0, 2, "cap"), "answer_text": "answer p0 2, stored again"}
    with (run_dir / CELLS).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(again) + "\n")
    rows = list(iter_export_rows(run_dir))
    assert [row["key"] for row in rows] == ["p0|0|8|0", "p1|0|2|0", "p0|0|8|1", "p1|0|8|0", "p0|0|2|0"]
    assert rows[-1]["answer_text"] == "answer p0 2, stored again"
