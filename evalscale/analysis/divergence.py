"""Drift check: where the stored generations of two runs of one config first differ, per sample.

Generations are matched by request key (`{problem}/{sample}[/C{cap}W{waits}]/{request}`;
the request is a thinking segment `t0`, `t1`, ... or an answer branch
`a{cut}c` / `a{cut}s{waits}`; the other methods' keys carry their point's tag
after the sample, `/C8`, `/S16`, `/short`, and rejection sampling's draw,
`/C8/r2`: each draw is a sample of its own here). Two generations differ when
their token ids, finish or stop token differ; the position is the index of the first differing
token id (the shorter length when one is a prefix of the other, the length
when only finish or stop token differ).

Per sample (trajectory) the first divergence is taken along its thinking:
the first differing segment, with `thinking_position` counting the thinking
tokens generated before it in the earlier segments (as run A generated them;
appended Wait tokens and stop tokens are not counted) plus the position in
the segment. When the thinking agrees everywhere, the first differing answer
branch (smallest cut) is named instead. Requests stored on one side only are
listed, not compared.

Reading two runs streams their generations.jsonl three times (A, B, A) and
holds per request only a digest per block of tokens, plus the one differing
block of each divergent request, so memory does not grow with the tokens.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalscale.store import GENERATIONS, iter_jsonl

BLOCK = 256  # tokens per digest
DIGEST = 16  # bytes per digest
DIVERGENCE_COLUMNS = [
    "trajectory",
    "problem_id",
    "sample",
    "n_compared",
    "n_divergent",
    "divergent",
    "first_request",
    "request_position",
    "thinking_position",
    "answers_divergent",
    "missing_in_a",
    "missing_in_b",
]
# a trajectory: problem, sample, then the tag of an independent cell or of a method's point (each part of
# a tag starts with a letter: /C8W1, /C8, /S16, /short, /C8/r2)
_TRAJECTORY = re.compile(r"^(?P<problem>.+)/(?P<sample>\d+)(?:/[A-Za-z][^/]*)*$")
_THINKING = re.compile(r"^t(\d+)$")
_ANSWER = re.compile(r"^a(\d+)")

Records = Callable[[], Iterable[Mapping[str, Any]]]  # a fresh pass over generation records


def first_divergence(a: Sequence[int], b: Sequence[int]) -> int | None:
    """Index of the first differing token of two id sequences; the shorter length when one is a prefix of
    the other; None when they are equal."""
    shorter = min(len(a), len(b))
    differs = np.flatnonzero(
        np.asarray(a[:shorter], dtype=np.int64) != np.asarray(b[:shorter], dtype=np.int64)
    )
    if differs.size:
        return int(differs[0])
    return None if len(a) == len(b) else shorter


@dataclass(frozen=True)
class _Fingerprint:
    length: int
    ending: tuple[Any, Any]  # (finish, stop_token_id)
    digests: bytes  # DIGEST bytes per BLOCK tokens


def _fingerprint(record: Mapping[str, Any]) -> _Fingerprint:
    ids = np.asarray(record["token_ids"], dtype=np.int64)
    digests = b"".join(
        hashlib.blake2b(ids[start : start + BLOCK].tobytes(), digest_size=DIGEST).digest()
        for start in range(0, len(ids), BLOCK)
    )
    return _Fingerprint(len(ids), (record.get("finish"), record.get("stop_token_id")), digests)


def _first_block(a: _Fingerprint, b: _Fingerprint) -> int | None:
    """The first block whose tokens differ (a block index); -1 when only the ending differs; None if same."""
    for index in range(0, min(len(a.digests), len(b.digests)), DIGEST):
        if a.digests[index : index + DIGEST] != b.digests[index : index + DIGEST]:
            return index // DIGEST
    if len(a.digests) != len(b.digests):  # equal full blocks, one side has more
        return min(len(a.digests), len(b.digests)) // DIGEST
    return -1 if a.ending != b.ending else None


@dataclass(frozen=True)
class RequestDivergences:
    """Generations compared by key: per key of both runs the first differing position (None: identical),
    the keys stored in one run only, and the token length of each of run A's generations."""

    positions: dict[str, int | None]
    only_a: set[str]
    only_b: set[str]
    lengths: dict[str, int]


def request_divergences(read_a: Records, read_b: Records) -> RequestDivergences:
    """Compare two runs' generations request by request; `read_a` / `read_b` each start a new pass over
    a run's generation records (A is read twice, B once)."""
    fingerprints = {str(record["key"]): _fingerprint(record) for record in read_a()}
    positions: dict[str, int | None] = {}
    pending: dict[str, tuple[int, list[int]]] = {}  # key -> (block, B's tokens of that block)
    only_b: set[str] = set()
    for record in read_b():
        key = str(record["key"])
        if key not in fingerprints:
            only_b.add(key)
            continue
        ours, theirs = fingerprints[key], _fingerprint(record)
        block = _first_block(ours, theirs)
        positions[key] = None
        pending.pop(key, None)
        if block == -1:
            positions[key] = ours.length
        elif block is not None:
            pending[key] = (block, list(record["token_ids"][block * BLOCK : (block + 1) * BLOCK]))
    for record in read_a():
        key = str(record["key"])
        if key in pending:
            block, theirs = pending[key]
            within = first_divergence(list(record["token_ids"][block * BLOCK : (block + 1) * BLOCK]), theirs)
            positions[key] = block * BLOCK + (within if within is not None else 0)
    lengths = {key: fingerprint.length for key, fingerprint in fingerprints.items()}
    return RequestDivergences(positions, set(fingerprints) - set(positions), only_b, lengths)


def divergence_table(compared: RequestDivergences) -> pd.DataFrame:
    """Per trajectory (sample) the first divergence of compared requests (columns DIVERGENCE_COLUMNS)."""
    positions, only_a, only_b, lengths = (
        compared.positions,
        compared.only_a,
        compared.only_b,
        compared.lengths,
    )
    requests: dict[str, dict[str, Any]] = {}
    for key in [*positions, *only_a, *only_b]:
        trajectory, name = key.rsplit("/", 1) if "/" in key else ("", key)
        requests.setdefault(trajectory, {})[name] = key
    rows = []
    for trajectory in sorted(requests):
        names = requests[trajectory]
        shared = {name: positions[key] for name, key in names.items() if key in positions}
        differing = {name: position for name, position in shared.items() if position is not None}
        thinking = sorted((int(m.group(1)), name) for name in differing if (m := _THINKING.match(name)))
        answers = sorted((_cut(name), name) for name in differing if not _THINKING.match(name))
        first, along = None, None
        if thinking:
            segment, first = thinking[0]
            earlier = (lengths.get(names.get(f"t{index}", ""), 0) for index in range(segment))
            along = sum(earlier) + differing[first]
        elif answers:
            first = answers[0][1]
        parsed = _TRAJECTORY.match(trajectory)
        rows.append(
            {
                "trajectory": trajectory,
                "problem_id": parsed.group("problem") if parsed else trajectory,
                "sample": int(parsed.group("sample")) if parsed else None,
                "n_compared": len(shared),
                "n_divergent": len(differing),
                "divergent": bool(differing),
                "first_request": first,
                "request_position": None if first is None else differing[first],
                "thinking_position": along,
                "answers_divergent": len(answers),
                "missing_in_a": ",".join(sorted(n for n, key in names.items() if key in only_b)),
                "missing_in_b": ",".join(sorted(n for n, key in names.items() if key in only_a)),
            }
        )
    table = pd.DataFrame(rows, columns=DIVERGENCE_COLUMNS)
    return table.astype({"sample": "Int64", "request_position": "Int64", "thinking_position": "Int64"})


def _cut(name: str) -> int:
    match = _ANSWER.match(name)
    return int(match.group(1)) if match else -1


def generation_divergence(
    a: Mapping[str, Sequence[int]] | Iterable[Mapping[str, Any]],
    b: Mapping[str, Sequence[int]] | Iterable[Mapping[str, Any]],
) -> pd.DataFrame:
    """Per sample, the first divergence of two runs' generations held in memory: each a dict key → token
    ids (finish and stop token unknown, so not compared) or an iterable of generation records."""
    records_a, records_b = _records(a), _records(b)
    return divergence_table(request_divergences(lambda: records_a, lambda: records_b))


def _records(
    generations: Mapping[str, Sequence[int]] | Iterable[Mapping[str, Any]],
) -> list[Mapping[str, Any]]:
    if isinstance(generations, Mapping):
        return [{"key": key, "token_ids": ids} for key, ids in generations.items()]
    return list(generations)


def run_divergence(run_a: Path, run_b: Path) -> pd.DataFrame:
    """Per sample, the first divergence between the generations.jsonl of two run directories (streamed)."""
    paths = (Path(run_a) / GENERATIONS, Path(run_b) / GENERATIONS)
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path.parent} has no {GENERATIONS}")
    return divergence_table(request_divergences(lambda: iter_jsonl(paths[0]), lambda: iter_jsonl(paths[1])))


def divergence_summary(table: pd.DataFrame) -> str:
    """One line: how many samples diverge, where their thinking first does, and what one run lacks."""
    compared = table[table["n_compared"] > 0]
    divergent = compared[compared["divergent"]]
    line = f"{len(divergent)} of {_samples(len(compared))} diverge"
    positions = divergent["thinking_position"].dropna()
    if len(positions):
        line += (
            f"; first divergent thinking token at median {positions.median():.0f} "
            f"(min {positions.min()}, max {positions.max()})"
        )
    if len(divergent) > len(positions):
        line += f"; {len(divergent) - len(positions)} of them only in answers"
    alone = int((table["n_compared"] == 0).sum())
    if alone:
        line += f"; {_samples(alone)} stored in one run only"
    # a divergent sample's later answer branches have other cut points, hence other keys; an identical
    # sample with requests on one side only was interrupted in the other run
    lacking = (compared["missing_in_a"] != "") | (compared["missing_in_b"] != "")
    unfinished = int((lacking & ~compared["divergent"]).sum())
    if unfinished:
        line += f"; {_samples(unfinished)} identical but with requests in one run only (unfinished?)"
    return line + "."


def _samples(count: int) -> str:
    return f"{count} sample{'' if count == 1 else 's'}"
