"""Run directories: a manifest plus append-only JSONL files, safe to resume.

Layout of a run directory::

    manifest.json        resolved config, its hash, versions, fingerprints (manifest.py)
    problems.jsonl       one Problem per problem of the run, as the model saw it
    generations.jsonl    one Result per finished backend request: key, token_ids, finish, stop_token_id
    cells.jsonl          one CellRecord per (problem, sample, cap, waits[, condition])
    trajectories.jsonl   one Trajectory per sample: its thinking as text, for people reading the run
    verdicts.jsonl       one Verdict per cell, written by grading
    prompt_hashes.jsonl  one line per prompt sent (per problem; per problem and point for a method that
                         builds a prompt per point): the sha256 of its ids (manifest.write_prompt_hashes)

The record kinds are the dataclasses of records.py, which turns them into JSON
objects and back (`to_json_dict`, `from_json_dict`: fields in declaration
order); this module writes and reads them as lines, one object each
(`encode`, `JsonlAppender`, `iter_records`), and replaces whole files
atomically (`replace_atomically`). Every file is plain JSONL
(`pandas.read_json(path, lines=True)`, `jq`); `iter_jsonl` streams one record
at a time. Each line is written whole and flushed at once, so a crash leaves
at most one torn last line; readers drop it (and the next append starts on a
fresh line).

Opening a large run reads keys from each line's head, never the whole record:
a generation's `key` and a trajectory's `trajectory` lead their records, and a
cell starts with the four fields of its key, then its condition when it has one
(`LEADING_FIELDS`, `CELL_HEAD`); tests pin that order.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar

from evalscale.config import generation_config
from evalscale.records import CellRecord, Problem, Result, Trajectory, cell_key, from_json_dict, to_json_dict

R = TypeVar("R")

MANIFEST = "manifest.json"
PROBLEMS = "problems.jsonl"
GENERATIONS = "generations.jsonl"
CELLS = "cells.jsonl"
TRAJECTORIES = "trajectories.jsonl"
VERDICTS = "verdicts.jsonl"
PROMPT_HASHES = "prompt_hashes.jsonl"


class StoreError(RuntimeError):
    """A run directory is unreadable or does not belong to this config."""


TAIL_BLOCK = 1 << 16  # bytes read at a time when looking for the last line end from the end of a file
_DECODER = json.JSONDecoder()


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The complete records of a JSONL file, one at a time; a torn last line is skipped.

    A missing file reads as empty. A broken line anywhere but at the end means
    the file was edited or damaged, and raises StoreError.
    """
    for number, _, line in _lines(path):
        yield _parse(path, number, line)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All complete records of a JSONL file (see `iter_jsonl`), as a list."""
    return list(iter_jsonl(path))


def iter_records(path: Path, kind: type[R]) -> Iterator[R]:
    """The records of a JSONL file as dataclasses of `kind` (records.py), one at a time."""
    for record in iter_jsonl(path):
        yield from_json_dict(kind, record)


def encode(record: Any) -> str:
    """A record as its JSONL line (fields in declaration order, non-ASCII kept), newline included."""
    return json.dumps(to_json_dict(record), ensure_ascii=False) + "\n"


def _lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, line) of every complete, non-blank line; a last line without a newline
    is a record a crash cut short, and is left out."""
    if not path.exists():
        return
    offset = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.endswith(b"\n") and line.strip():
                yield number, offset, line
            offset += len(line)


def _parse(path: Path, number: int, line: bytes) -> dict[str, Any]:
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        raise StoreError(f"{path}: line {number} is not valid JSON ({error.msg})") from error


def _leading_field(path: Path, number: int, line: bytes, field: str) -> str:
    """The string `field` of a record, read from the line's head when the record starts with it (as
    this store writes records), so that a long record is not parsed whole."""
    head = f'{{"{field}": '.encode()
    if line.startswith(head):
        text = line[len(head) : len(head) + 1024].decode("utf-8", "ignore")
        try:
            value, _ = _DECODER.raw_decode(text)
        except json.JSONDecodeError:
            value = None  # a value longer than the window: parse the whole line
        if isinstance(value, str):
            return value
    record = _parse(path, number, line)
    if not isinstance(record.get(field), str):
        raise StoreError(f"{path}: line {number} has no {field!r}")
    return record[field]


class JsonlAppender:
    """Appends records (records.py dataclasses) to a JSONL file, one flushed line each."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        drop_torn_tail(path)
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def append(self, record: Any) -> None:
        """Write one record and flush it to the OS (survives SIGKILL)."""
        self._file.write(encode(record))
        self._file.flush()

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def replace_atomically(path: Path, lines: Iterable[str]) -> None:
    """Write `lines` to a temporary file beside `path`, synced to disk, then rename it over `path`, so a
    reader or a crash at any point finds the old file or the new one, whole.

    The temporary file, `.NAME.PID.RANDOM.tmp`, is created as `open` creates files (the umask decides
    its mode) and removed when writing fails; those that killed processes left are removed first.
    """
    remove_stale_temporaries(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.writelines(lines)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete the temporary files of `replace_atomically` that a killed process left beside `path`; those
    of a live process (one writing beside this one) stay. Returns the deleted files."""
    removed = []
    for temporary in path.parent.glob(f".{path.name}.*.tmp"):
        pid = temporary.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            temporary.unlink(missing_ok=True)
            removed.append(temporary)
    return removed


def _alive(pid: int) -> bool:
    """Whether a process with this id runs now (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_torn_tail(path: Path) -> bool:
    """Cut a partial last line (left by a crash) so appends start on a fresh line; True if one was cut.

    Reads from the end of the file only: the last byte, and if that is not a
    line end, blocks backwards until the last one.
    """
    if not path.exists():
        return False
    with path.open("r+b") as handle:
        end = handle.seek(0, os.SEEK_END)
        if end == 0:
            return False
        handle.seek(end - 1)
        if handle.read(1) == b"\n":
            return False
        position = end
        while position > 0:
            start = max(0, position - TAIL_BLOCK)
            handle.seek(start)
            newline = handle.read(position - start).rfind(b"\n")
            if newline >= 0:
                handle.truncate(start + newline + 1)
                return True
            position = start
        handle.truncate(0)
        return True


def iter_run_dirs(paths: list[Path]) -> Iterator[Path]:
    """Run directories under the given paths (a run dir itself, or a folder of them)."""
    for path in paths:
        if (path / MANIFEST).exists():
            yield path
            continue
        found = sorted(p.parent for p in path.rglob(MANIFEST))
        if not found:
            raise StoreError(f"{path}: no run directory (no {MANIFEST}) found there")
        yield from found


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The manifest of a run directory."""
    path = run_dir / MANIFEST
    if not path.exists():
        raise StoreError(f"{run_dir} is not a run directory: {MANIFEST} is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise StoreError(f"{path} is not valid JSON ({error})") from error


class GenerationReader:
    """Stored generations (generations.jsonl) read back by key, one record at a time.

    The first `get` indexes the file (key -> byte offset, read from each line's
    head), so the index holds what was stored by then; each record is read
    from disk at its offset when asked. Neither the records nor their tokens
    are kept.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offsets: dict[str, int] | None = None
        self._handle: IO[bytes] | None = None

    def get(self, key: str) -> Result | None:
        """The generation stored under `key`, or None; StoreError when its line is damaged."""
        if self._offsets is None:
            field = LEADING_FIELDS[Result]
            self._offsets = {
                _leading_field(self.path, number, line, field): offset
                for number, offset, line in _lines(self.path)
            }
        offset = self._offsets.get(key)
        if offset is None:
            return None
        if self._handle is None:
            self._handle = self.path.open("rb")
        self._handle.seek(offset)
        line = self._handle.readline()
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise StoreError(
                f"{self.path}: the stored generation {key!r} (byte {offset}) is damaged: "
                f"{error.msg}; restore the file or use another run_dir"
            ) from error
        if not isinstance(record, dict) or record.get("key") != key:
            raise StoreError(f"{self.path}: the record at byte {offset} is not {key!r}")
        return from_json_dict(Result, record)

    def close(self) -> None:
        """Close the file if it was opened."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class RunStore:
    """One run directory opened for generation: what is stored, and appenders for more.

    Opening an existing directory resumes it: the manifest's config hash must
    match (else StoreError names the first difference in the hashed part of
    the configs, `generation_config`), stored generations are replayed instead
    of regenerated, and stored cells are never written twice.

    Memory follows the work in flight, not the run: opening reads the keys of
    the stored cells and problems, never a generation. The first request for
    a stored generation indexes generations.jsonl (key -> byte offset, read
    from each line's head), and each stored generation is read back by its
    offset when a resumed sample needs it; a finished run reads none. Records
    written by this store are not kept: every request and cell is asked for
    once per run.
    """

    def __init__(self, run_dir: Path, manifest: dict[str, Any]) -> None:
        self.run_dir = run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / MANIFEST
        if path.exists():
            stored = read_manifest(run_dir)
            if stored.get("config_hash") != manifest["config_hash"]:
                old, new = (
                    generation_config(config) for config in (stored.get("config", {}), manifest["config"])
                )
                raise StoreError(
                    f"{run_dir} holds a run with a different config ({describe_difference(old, new)}); "
                    "use another run_dir or restore the config"
                )
            manifest = {**stored, "status": "running", "expected_cells": manifest["expected_cells"]}
        self.manifest = manifest
        self.write_manifest()
        self._generations = JsonlAppender(run_dir / GENERATIONS)  # appenders first: they cut torn tails
        self._cells = JsonlAppender(run_dir / CELLS)
        self._trajectories = JsonlAppender(run_dir / TRAJECTORIES)
        self._problems = JsonlAppender(run_dir / PROBLEMS)
        cells = run_dir / CELLS
        self.cell_keys = frozenset(
            _cell_key_of_line(cells, number, line) for number, _, line in _lines(cells)
        )
        self.problem_ids = {record["id"] for record in iter_jsonl(run_dir / PROBLEMS)}
        self._stored_generations = GenerationReader(run_dir / GENERATIONS)
        self._trajectory_keys: frozenset[str] | None = None

    def write_manifest(self) -> None:
        """Write the manifest atomically (`replace_atomically`)."""
        replace_atomically(
            self.run_dir / MANIFEST, [json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n"]
        )

    def add_problem(self, problem: Problem) -> None:
        """Store a problem of the run once."""
        if problem.id not in self.problem_ids:
            self._problems.append(problem)
            self.problem_ids.add(problem.id)

    def stored_generation(self, key: str) -> Result | None:
        """The generation stored under `key` before this store opened, read from disk; else None."""
        return self._stored_generations.get(key)

    def add_generation(self, result: Result) -> None:
        """Store a finished backend request (keyed by its request key)."""
        self._generations.append(result)

    def add_cell(self, cell: CellRecord) -> bool:
        """Store a cell unless it was stored before this store opened; True if it was written."""
        if cell.key in self.cell_keys:
            return False
        self._cells.append(cell)
        return True

    def has_trajectory(self, key: str) -> bool:
        """Whether the trajectory `key` was stored before this store opened (keys read on first use)."""
        if self._trajectory_keys is None:
            path = self.run_dir / TRAJECTORIES
            field = LEADING_FIELDS[Trajectory]
            self._trajectory_keys = frozenset(
                _leading_field(path, number, line, field) for number, _, line in _lines(path)
            )
        return key in self._trajectory_keys

    def add_trajectory(self, trajectory: Trajectory) -> None:
        """Store a finished trajectory's thinking (for people reading the run); the runner writes it once."""
        self._trajectories.append(trajectory)

    def finish(self, status: str) -> None:
        """Record the run's status ("complete" or "partial") and close the files."""
        self.manifest["status"] = status
        self.write_manifest()
        for appender in (self._generations, self._cells, self._trajectories, self._problems):
            appender.close()
        self._stored_generations.close()


def stored_cell_key(record: Mapping[str, Any]) -> str:
    """The key of a cell record as read from cells.jsonl (its condition, when it has one, included)."""
    return cell_key(*(record[field] for field in CELL_KEY_FIELDS), record.get(CELL_CONDITION))


# The record heads the fast paths read: the field each kind starts with, and a cell's first four fields,
# followed by its condition when one is set (a class-conditional cell; budget forcing's cells have none).
LEADING_FIELDS: dict[type, str] = {Result: "key", Trajectory: "trajectory"}
CELL_KEY_FIELDS = ("problem_id", "sample", "cap", "waits")
CELL_CONDITION = "condition"
_STRING = rb'("(?:[^"\\]|\\.)*")'
CELL_HEAD = re.compile(
    rb'\{"problem_id": ' + _STRING + rb', "sample": (\d+), "cap": (\d+), "waits": (\d+)'
    rb'(?:, "condition": ' + _STRING + rb")?[,}]"
)


def _cell_key_of_line(path: Path, number: int, line: bytes) -> str:
    """The key of a stored cell, from the line's head when it starts with the key's fields (as cells
    are written), so the answer text is not parsed."""
    head = CELL_HEAD.match(line)
    if head is None:
        return stored_cell_key(_parse(path, number, line))
    problem_id, sample, cap, waits, condition = head.groups()
    return cell_key(
        json.loads(problem_id),
        int(sample),
        int(cap),
        int(waits),
        None if condition is None else json.loads(condition),
    )


def describe_difference(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> str:
    """The first differing key between two nested dicts, as 'key: old -> new'."""
    return next(iter_differences(old, new, prefix), "no visible difference")


def iter_differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Every differing key between two nested dicts (keys sorted, depth first), as 'key: old -> new'."""
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            yield from iter_differences(before, after, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}: {before!r} -> {after!r}"
