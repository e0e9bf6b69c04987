"""Export a run as one row per (sample, cell) to samples.jsonl and samples.parquet, for notebooks.

A row holds the cell's problem, sample, cap and Waits, its prompt class
(`condition`, class-conditional control's; null elsewhere), the question and
gold, the prompt and thinking as text, the thinking's token ids and count, the
answer, rejection sampling's draws (`tries`; null elsewhere), the grader's
extracted answer, verdict (`correct`) and reason (EXPORT_COLUMNS). Rows follow
cells.jsonl's order; a cell key stored more than once gives one row, from its
last copy (as `analysis.load_runs` reads it).

Texts that need the model's tokenizer come from callables the caller passes:
`decode` (token ids → text, special tokens kept: `PromptBuilder.decode`),
`cell_prompt_ids` (a stored cell → the prompt ids its requests started from:
`replay.RunReplay.cell_prompt_ids`, a method's point prompt where it has one)
or else `prompt_ids` (question → prompt ids: `PromptBuilder.prompt_ids`), and
`thinking_ids` (a stored cell → the `thinking_tokens` ids the model saw before
its answer, or None where unknown: `replay.RunReplay.thinking_ids`, which
replays the sample's machine over the stored generations; they are not always
a prefix of the trajectory's final ids, as a re-tokenized Wait may change
earlier ids). Without them, `prompt_text` and `thinking_ids` are null and
`thinking_text` is the stored trajectory text (trajectories.jsonl) for cells
that hold the whole trajectory, null for cells cut shorter. Cells without a
verdict have null verdict columns.

Memory: cells are streamed (twice: first for the line of each key's last
copy); the problems, the verdicts (key → verdict), each cell key's last line,
the byte offset of each trajectory and each distinct prompt's text are held;
rows are written in chunks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from evalscale.store import CELLS, PROBLEMS, TRAJECTORIES, VERDICTS, iter_jsonl, stored_cell_key

Decode = Callable[[Sequence[int]], str]
CellIds = Callable[[Mapping[str, Any]], Sequence[int] | None]  # a stored cell -> its prompt or thinking ids
CHUNK_ROWS = 5000
EXPORT_DIR = "export"
SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("problem_id", pa.string()),
        ("sample", pa.int64()),
        ("cap", pa.int64()),
        ("waits", pa.int64()),
        ("condition", pa.string()),
        ("question", pa.string()),
        ("gold", pa.string()),
        ("prompt_text", pa.string()),
        ("thinking_text", pa.string()),
        ("thinking_ids", pa.list_(pa.int64())),
        ("thinking_tokens", pa.int64()),
        ("end_reason", pa.string()),
        ("waits_used", pa.int64()),
        ("tries", pa.int64()),
        ("answer_text", pa.string()),
        ("answer_tokens", pa.int64()),
        ("extracted", pa.string()),
        ("correct", pa.bool_()),
        ("reason", pa.string()),
        ("trajectory", pa.string()),
    ]
)
EXPORT_COLUMNS = SCHEMA.names


class _Trajectories:
    """Stored trajectories by key: their thinking length held, their text read from disk when asked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.index: dict[str, tuple[int, int]] = {}  # trajectory -> (byte offset, thinking tokens)
        self._handle: IO[bytes] | None = None
        if not path.exists():
            return
        with path.open("rb") as handle:
            offset = 0
            for line in handle:
                if line.endswith(b"\n") and line.strip():  # a torn last line is left out, as iter_jsonl does
                    record = json.loads(line)
                    self.index[record["trajectory"]] = (offset, int(record["thinking_tokens"]))
                offset += len(line)

    def whole_text(self, trajectory: str, cut: int) -> str | None:
        """The trajectory's thinking text when `cut` is its whole length, else None."""
        stored = self.index.get(trajectory)
        if stored is None or stored[1] != cut:
            return None
        if self._handle is None:
            self._handle = self.path.open("rb")
        self._handle.seek(stored[0])
        return json.loads(self._handle.readline())["thinking_text"]

    def close(self) -> None:
        """Close the file if it was opened."""
        if self._handle is not None:
            self._handle.close()


class _PromptTexts:
    """The prompt text of each cell, decoded once per distinct prompt: from the cell's own prompt ids
    (`cell_prompt_ids`) when given, else from its problem's question (`prompt_ids`); None without
    `decode` or either."""

    def __init__(
        self,
        decode: Decode | None,
        prompt_ids: Callable[[str], Sequence[int]] | None,
        cell_prompt_ids: CellIds | None,
    ) -> None:
        self.decode = decode
        self.prompt_ids = prompt_ids
        self.cell_prompt_ids = cell_prompt_ids
        self.by_question: dict[str, str | None] = {}
        self.by_ids: dict[tuple[int, ...], str] = {}

    def text(self, cell: Mapping[str, Any], question: str | None) -> str | None:
        """The prompt of `cell` (of a problem whose question is `question`) as text."""
        if self.decode is None:
            return None
        if self.cell_prompt_ids is not None:
            ids = self.cell_prompt_ids(cell)
            if ids is None:
                return None
            known = tuple(ids)
            if known not in self.by_ids:
                self.by_ids[known] = self.decode(ids)
            return self.by_ids[known]
        if self.prompt_ids is None or question is None:
            return None
        if question not in self.by_question:
            self.by_question[question] = self.decode(self.prompt_ids(question))
        return self.by_question[question]


def iter_export_rows(
    run_dir: Path,
    *,
    decode: Decode | None = None,
    prompt_ids: Callable[[str], Sequence[int]] | None = None,
    thinking_ids: CellIds | None = None,
    cell_prompt_ids: CellIds | None = None,
) -> Iterator[dict[str, Any]]:
    """The export rows of a run, one per stored cell (keys EXPORT_COLUMNS); see the module docstring for
    which texts need `decode`, `cell_prompt_ids` or `prompt_ids`, and `thinking_ids`."""
    run_dir = Path(run_dir)
    problems = {record["id"]: record for record in iter_jsonl(run_dir / PROBLEMS)}
    verdicts = {record["key"]: record for record in iter_jsonl(run_dir / VERDICTS)}  # a re-grade wins
    prompts = _PromptTexts(decode, prompt_ids, cell_prompt_ids)
    last = {stored_cell_key(cell): number for number, cell in enumerate(iter_jsonl(run_dir / CELLS))}
    trajectories = _Trajectories(run_dir / TRAJECTORIES)
    try:
        for number, cell in enumerate(iter_jsonl(run_dir / CELLS)):
            key = stored_cell_key(cell)
            if last[key] != number:  # a later copy of this cell follows: it wins
                continue
            problem = problems.get(cell["problem_id"], {})
            question = problem.get("question")
            verdict = verdicts.get(key, {})
            cut = int(cell["thinking_tokens"])
            rebuilt = thinking_ids(cell) if thinking_ids else None
            ids = list(rebuilt) if rebuilt is not None and decode and len(rebuilt) == cut else None
            thinking = (
                decode(ids)
                if ids is not None and decode
                else trajectories.whole_text(cell["trajectory"], cut)
            )
            yield {
                "key": key,
                "problem_id": cell["problem_id"],
                "sample": cell["sample"],
                "cap": cell["cap"],
                "waits": cell["waits"],
                "condition": cell.get("condition"),
                "question": question,
                "gold": problem.get("gold"),
                "prompt_text": prompts.text(cell, question),
                "thinking_text": thinking,
                "thinking_ids": ids,
                "thinking_tokens": cut,
                "end_reason": cell["end_reason"],
                "waits_used": cell["waits_used"],
                "tries": cell.get("tries"),
                "answer_text": cell["answer_text"],
                "answer_tokens": cell["answer_tokens"],
                "extracted": verdict.get("extracted"),
                "correct": verdict.get("correct"),
                "reason": verdict.get("reason"),
                "trajectory": cell["trajectory"],
            }
    finally:
        trajectories.close()


@dataclass(frozen=True)
class Export:
    """What `write_export` wrote: the two files and the number of rows in each."""

    jsonl: Path
    parquet: Path
    rows: int


def write_export(
    run_dir: Path,
    out: Path | None = None,
    *,
    decode: Decode | None = None,
    prompt_ids: Callable[[str], Sequence[int]] | None = None,
    thinking_ids: CellIds | None = None,
    cell_prompt_ids: CellIds | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Export:
    """Write `iter_export_rows(run_dir, ...)` to samples.jsonl and samples.parquet in `out` (default
    RUN/export), `chunk_rows` rows at a time; each file appears under its name only when complete."""
    out = Path(out) if out is not None else Path(run_dir) / EXPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    final = (out / "samples.jsonl", out / "samples.parquet")
    partial = tuple(path.with_name(path.name + ".tmp") for path in final)
    rows = 0
    chunk: list[dict[str, Any]] = []
    with partial[0].open("w", encoding="utf-8") as lines, pq.ParquetWriter(partial[1], SCHEMA) as table:
        rows_of_run = iter_export_rows(
            run_dir,
            decode=decode,
            prompt_ids=prompt_ids,
            thinking_ids=thinking_ids,
            cell_prompt_ids=cell_prompt_ids,
        )
        for row in rows_of_run:
            lines.write(json.dumps(row, ensure_ascii=False) + "\n")
            chunk.append(row)
            rows += 1
            if len(chunk) >= chunk_rows:
                table.write_table(pa.Table.from_pylist(chunk, schema=SCHEMA))
                chunk.clear()
        if chunk:
            table.write_table(pa.Table.from_pylist(chunk, schema=SCHEMA))
    for temporary, path in zip(partial, final, strict=True):
        temporary.replace(path)
    return Export(final[0], final[1], rows)
