"""Run directories: a manifest plus append-only JSONL files, safe to resume.

Layout of a run directory::

    manifest.json        resolved config, its hash, versions, fingerprints
    problems.jsonl       the problems of the run, as the model saw them
    generations.jsonl    every finished backend request, keyed (resume source)
    cells.jsonl          one CellRecord per (problem, sample, cap, waits)
    verdicts.jsonl       one Verdict per cell, written by `evalscale grade`

Each line is written whole and flushed at once, so a crash leaves at most one
torn last line; readers drop it (and the next append starts on a fresh line).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

MANIFEST = "manifest.json"
PROBLEMS = "problems.jsonl"
GENERATIONS = "generations.jsonl"
CELLS = "cells.jsonl"
VERDICTS = "verdicts.jsonl"


class StoreError(RuntimeError):
    """A run directory is unreadable or does not belong to this config."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All complete records of a JSONL file; a torn last line is dropped.

    A missing file reads as empty. A broken line anywhere but at the end means
    the file was edited or damaged, and raises StoreError.
    """
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if not text.endswith("\n"):
        lines = lines[:-1]  # torn last line from a crash: that record never completed
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise StoreError(f"{path}: line {number} is not valid JSON ({error.msg})") from error
    return records


class JsonlAppender:
    """Appends records to a JSONL file, one flushed line each."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        _drop_torn_tail(path)
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def append(self, record: dict[str, Any]) -> None:
        """Write one record and flush it to the OS (survives SIGKILL)."""
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def _drop_torn_tail(path: Path) -> None:
    """Cut a partial last line (left by a crash) so appends start on a fresh line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)


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


TRAJECTORIES = "trajectories.jsonl"


class RunStore:
    """One run directory opened for generation: what is stored, and appenders for more.

    Opening an existing directory resumes it: the manifest's config hash must
    match (else StoreError names the difference), stored generations are
    replayed instead of regenerated, and stored cells are never written twice.
    """

    def __init__(self, run_dir: Path, manifest: dict[str, Any]) -> None:
        self.run_dir = run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / MANIFEST
        if path.exists():
            stored = read_manifest(run_dir)
            if stored.get("config_hash") != manifest["config_hash"]:
                raise StoreError(
                    f"{run_dir} holds a run with a different config "
                    f"({describe_difference(stored.get('config', {}), manifest['config'])}); "
                    "use another run_dir or restore the config"
                )
            manifest = {**stored, "status": "running", "expected_cells": manifest["expected_cells"]}
        self.manifest = manifest
        self.write_manifest()
        self.generations = {record["key"]: record for record in read_jsonl(run_dir / GENERATIONS)}
        self.cell_keys = {_cell_key_of(record) for record in read_jsonl(run_dir / CELLS)}
        self.trajectory_keys = {record["trajectory"] for record in read_jsonl(run_dir / TRAJECTORIES)}
        self.problem_ids = {record["id"] for record in read_jsonl(run_dir / PROBLEMS)}
        self._generations = JsonlAppender(run_dir / GENERATIONS)
        self._cells = JsonlAppender(run_dir / CELLS)
        self._trajectories = JsonlAppender(run_dir / TRAJECTORIES)
        self._problems = JsonlAppender(run_dir / PROBLEMS)

    def write_manifest(self) -> None:
        """Write the manifest atomically (temp file, then rename)."""
        temporary = self.run_dir / (MANIFEST + ".tmp")
        temporary.write_text(json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        temporary.replace(self.run_dir / MANIFEST)

    def add_problem(self, record: dict[str, Any]) -> None:
        """Store a problem of the run once."""
        if record["id"] not in self.problem_ids:
            self._problems.append(record)
            self.problem_ids.add(record["id"])

    def add_generation(self, record: dict[str, Any]) -> None:
        """Store a finished backend request (keyed by record["key"])."""
        self._generations.append(record)
        self.generations[record["key"]] = record

    def add_cell(self, record: dict[str, Any]) -> bool:
        """Store a cell unless it is stored already; True if it was new."""
        key = _cell_key_of(record)
        if key in self.cell_keys:
            return False
        self._cells.append(record)
        self.cell_keys.add(key)
        return True

    def add_trajectory(self, record: dict[str, Any]) -> None:
        """Store a finished trajectory's thinking (for people reading the run) once."""
        if record["trajectory"] not in self.trajectory_keys:
            self._trajectories.append(record)
            self.trajectory_keys.add(record["trajectory"])

    def finish(self, status: str) -> None:
        """Record the run's status ("complete" or "partial") and close the files."""
        self.manifest["status"] = status
        self.write_manifest()
        for appender in (self._generations, self._cells, self._trajectories, self._problems):
            appender.close()


def _cell_key_of(record: dict[str, Any]) -> str:
    return f"{record['problem_id']}|{record['sample']}|{record['cap']}|{record['waits']}"


def describe_difference(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> str:
    """The first differing key between two nested dicts, as 'key: old -> new'."""
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            return describe_difference(before, after, f"{prefix}{key}.")
        return f"{prefix}{key}: {before!r} -> {after!r}"
    return "no visible difference"
