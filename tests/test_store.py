"""The run store holds keys, not records: generations come back by byte offset, and only when needed."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_backend import FakeBackend, fake_decode, fake_ids
from test_forcing import GRID

from evalscale import store
from evalscale.forcing import SampleMachine
from evalscale.records import CellRecord, Result, Trajectory, cell_key
from evalscale.runner import SweepRunner
from evalscale.store import CELLS, GENERATIONS, RunStore, StoreError, drop_torn_tail, iter_jsonl, read_jsonl

MANIFEST = {"config_hash": "h", "config": {}, "expected_cells": 0}
PROBLEMS = 12


def open_machines(run_store: RunStore) -> Iterator[SampleMachine]:
    """One shared-mode machine per problem, skipping the cells the store holds (as the sweep builds them)."""
    for index in range(PROBLEMS):
        problem_id = f"p{index}"
        yield SampleMachine(
            problem_id=problem_id,
            sample=0,
            prompt_ids=[20 + index, 21, 22],
            grid=GRID,
            ids=fake_ids(),
            max_answer_tokens=6,
            run_seed=0,
            mode="shared",
            decode=fake_decode,
            done_cells=[cell for cell in GRID.cells if cell_key(problem_id, 0, *cell) in run_store.cell_keys],
        )


def sweep(run_dir: Path) -> FakeBackend:
    """Run (or resume) the test grid through the real store and runner; the backend it used."""
    backend = FakeBackend()
    run_store = RunStore(run_dir, MANIFEST)
    SweepRunner(backend, run_store, max_active=5, show_progress=False).run(
        open_machines(run_store), total_cells=0
    )
    run_store.finish("complete")
    return backend


def cells_by_key(run_dir: Path) -> dict[str, dict[str, Any]]:
    cells = read_jsonl(run_dir / CELLS)
    by_key = {cell_key(c["problem_id"], c["sample"], c["cap"], c["waits"]): c for c in cells}
    assert len(by_key) == len(cells), "a cell was stored twice"
    return by_key


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("complete") / "run"
    sweep(run_dir)
    return run_dir


def copy_run(source: Path, target: Path, keep_cells: int | None = None) -> Path:
    """A copy of a run dir, with only its first `keep_cells` cells when given (an interrupted run)."""
    target.mkdir(parents=True)
    for path in source.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    if keep_cells is not None:
        lines = (source / CELLS).read_text().splitlines(keepends=True)
        (target / CELLS).write_text("".join(lines[:keep_cells]))
    return target


def damage(path: Path, key: str) -> None:
    """Break the JSON of the record stored under `key`, after its key (its token ids)."""
    lines = path.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if json.loads(line)["key"] == key)
    lines[index] = lines[index].replace('"token_ids": [', '"token_ids": [oops ', 1)
    path.write_text("".join(lines))


def test_stored_generations_come_back_by_byte_offset(tmp_path: Path) -> None:
    records = [
        Result("problème-1/0/t0", tuple(range(40_000)), "length", None),
        Result('p"2"/0/t0 ✓', (7, 8), "stop", 2),
        Result("p3/0/a12c", (), "stop", 1),
    ]
    run_store = RunStore(tmp_path, MANIFEST)
    for record in records:
        run_store.add_generation(record)
    run_store.finish("partial")
    with (tmp_path / GENERATIONS).open("a", encoding="utf-8") as handle:
        handle.write('{"key": "p4/0/t0", "token_ids": [1, 2')  # a crash while writing
    reopened = RunStore(tmp_path, MANIFEST)
    for record in reversed(records):  # any order: each is read at its own offset
        assert reopened.stored_generation(record.key) == record
    assert reopened.stored_generation("p4/0/t0") is None, "the torn record never completed"
    assert reopened.stored_generation("p5/0/t0") is None
    reopened.finish("partial")


def test_resuming_a_finished_run_reads_no_generation(complete_run: Path, tmp_path: Path) -> None:
    run_dir = copy_run(complete_run, tmp_path / "run")
    (run_dir / GENERATIONS).write_text("not JSON: only a resume that reads generations would notice\n" * 50)
    backend = sweep(run_dir)
    assert backend.submitted == []
    assert cells_by_key(run_dir) == cells_by_key(complete_run)


def cells_until_a_sample_finishes(cells: list[dict[str, Any]]) -> int:
    """How many cells, in stored order, it takes for one sample to have all of its cells."""
    counts: Counter[str] = Counter()
    for index, cell in enumerate(cells):
        counts[cell["problem_id"]] += 1
        if counts[cell["problem_id"]] == len(GRID.cells):
            return index + 1
    raise AssertionError("no sample finished")


def test_a_resume_parses_only_the_generations_its_open_samples_replay(
    complete_run: Path, tmp_path: Path
) -> None:
    cells = list(cells_by_key(complete_run).values())
    kept = cells_until_a_sample_finishes(cells)
    counts = Counter(cell["problem_id"] for cell in cells[:kept])
    finished = [problem for problem, count in counts.items() if count == len(GRID.cells)]
    unfinished = [f"p{index}" for index in range(PROBLEMS) if f"p{index}" not in finished]
    assert finished and unfinished, "the cut should leave finished and open samples"

    run_dir = copy_run(complete_run, tmp_path / "unneeded", keep_cells=kept)
    damage(run_dir / GENERATIONS, f"{finished[0]}/0/t0")  # its sample is done: never read
    backend = sweep(run_dir)
    assert cells_by_key(run_dir) == cells_by_key(complete_run)
    keys = [line.split('"token_ids"')[0] for line in (run_dir / GENERATIONS).read_text().splitlines()]
    assert len(keys) == len(set(keys)), "a generation was stored twice"
    assert not any(request.key.startswith(f"{finished[0]}/") for request in backend.submitted)

    run_dir = copy_run(complete_run, tmp_path / "needed", keep_cells=kept)
    damage(run_dir / GENERATIONS, f"{unfinished[0]}/0/t0")  # the open sample's first thinking segment
    with pytest.raises(StoreError, match=f"stored generation '{unfinished[0]}/0/t0'.*damaged"):
        sweep(run_dir)


class CountingReads:
    """A binary file that counts the bytes read through it (a test double of the file layer)."""

    opened: list[CountingReads] = []

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.bytes_read = 0
        CountingReads.opened.append(self)

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.bytes_read += len(data)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)

    def __enter__(self) -> CountingReads:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def test_a_torn_tail_is_found_from_the_end_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "generations.jsonl"
    complete = "".join(json.dumps({"key": f"k{i}", "token_ids": [i] * 500}) + "\n" for i in range(4_000))
    torn = '{"key": "torn", "token_ids": [' + "1, " * 100_000  # longer than one block read from the end
    path.write_text(complete + torn)
    opened = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: CountingReads(opened(self, *a, **k)))
    CountingReads.opened = []

    assert drop_torn_tail(path)
    assert path.read_bytes() == complete.encode()
    reads = CountingReads.opened[0].bytes_read
    assert reads <= len(torn) + store.TAIL_BLOCK + 1 < len(complete) // 4, f"read {reads:,} bytes"

    CountingReads.opened = []
    assert not drop_torn_tail(path)  # ends with a newline: one byte tells
    assert CountingReads.opened[0].bytes_read == 1

    path.write_text('{"key": "only a torn line"')
    assert drop_torn_tail(path)
    assert path.read_bytes() == b""


def test_a_broken_line_before_the_end_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / CELLS
    path.write_text('{"a": 1}\n{"a": \n{"a": 3}\n{"a": 4')
    with pytest.raises(StoreError, match="line 2 is not valid JSON"):
        list(iter_jsonl(path))
    path.write_text('{"a": 1}\n\n{"a": 3}\n{"a": 4')
    assert list(iter_jsonl(path)) == [{"a": 1}, {"a": 3}], "blank lines are skipped, a torn last line dropped"


def test_the_fields_the_fast_paths_read_lead_their_records() -> None:
    """Opening a run reads keys from each line's head (`LEADING_FIELDS`, `CELL_HEAD`): a record whose
    fields are reordered must fail here rather than make every resume parse whole lines."""
    cell = CellRecord('p"1', 2, 64, 1, "shared", 1, 0, 50, "cap", "5", 1, "stop", 'p"1/2', {"t0": 1})
    result = Result("p/0/t0", (1, 2), "stop", 3)
    trajectory = Trajectory("p/0", "p", 0, 2, [2], [], "ab")
    assert [field.name for field in dataclasses.fields(CellRecord)][:4] == list(store.CELL_KEY_FIELDS)
    head = store.CELL_HEAD.match(store.encode(cell).encode())
    assert head is not None and json.loads(head.group(1)) == 'p"1'
    assert head.groups()[1:] == (b"2", b"64", b"1", None), "budget forcing's cells have no condition"
    # a class-conditional cell: its condition follows the key's fields and is part of its key
    short = dataclasses.replace(cell, condition='sh"ort', tries=2)
    head = store.CELL_HEAD.match(store.encode(short).encode())
    assert head is not None and json.loads(head.group(5)) == 'sh"ort'
    for record, key in ((short, 'p"1|2|64|1|sh"ort'), (cell, 'p"1|2|64|1')):
        assert store._cell_key_of_line(Path("c"), 1, store.encode(record).encode()) == record.key == key
    for record in (result, trajectory):
        field = store.LEADING_FIELDS[type(record)]
        assert dataclasses.fields(record)[0].name == field
        assert store.encode(record).startswith(f'{{"{field}": ')


def test_a_run_of_another_config_is_told_by_a_key_that_decides_the_generations(tmp_path: Path) -> None:
    RunStore(tmp_path, {**MANIFEST, "config": {"limit": 5, "samples": 1}}).finish("complete")
    stored = (tmp_path / store.MANIFEST).read_bytes()
    other = {**MANIFEST, "config_hash": "other", "config": {"limit": 3, "samples": 2}}
    with pytest.raises(StoreError, match=r"holds a run with a different config \(samples: 1 -> 2\);"):
        RunStore(tmp_path, other)  # limit differs first, but it decides no generation
    assert (tmp_path / store.MANIFEST).read_bytes() == stored


def test_a_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "verdicts.jsonl"
    store.replace_atomically(path, ["old\n"])
    plain = tmp_path / "plain"
    plain.write_text("")
    assert path.read_text() == "old\n" and path.stat().st_mode == plain.stat().st_mode, (
        "created as open() does"
    )

    def failing() -> Iterator[str]:
        yield "new\n"
        raise RuntimeError("the writer died")

    with pytest.raises(RuntimeError):
        store.replace_atomically(path, failing())
    assert path.read_text() == "old\n" and not list(tmp_path.glob("*.tmp"))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    killed = tmp_path / f".verdicts.jsonl.{dead.stdout.strip()}.abc.tmp"  # a killed writer's
    running = tmp_path / f".verdicts.jsonl.{os.getpid()}.def.tmp"  # a live writer's
    for temporary in (killed, running):
        temporary.write_text("part")
    store.replace_atomically(path, ["new\n"])
    assert path.read_text() == "new\n" and not killed.exists() and running.exists()
