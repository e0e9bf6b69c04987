"""`evalscale export RUN_DIR... [out=DIR]`: one row per sample and cell, to samples.jsonl and samples.parquet.

The rows are `analysis.samples_export`'s: problem, sample, cap, Waits, prompt class, the prompt as
text, the thinking as text and token ids, the answer, the extracted answer, verdict and reason. A run
with cells not graded yet is graded first. The prompt and each cell's thinking are the exact ones the
model saw: the prompts are rebuilt with the model's tokenizer and each sample's stored generations
are replayed through its forcing machine (`evalscale.replay`); a run of another method gets each
point's own prompt (its instruction sentence, NoThinking's closed thinking) and the thinking its
point's machine replays. A rebuilt prompt whose ids differ from the hash the run stored (the
tokenizer changed since) is reported. Without the tokenizer the export still runs, with empty
prompts and the thinking only of cells that hold their whole trajectory.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from evalscale.analysis.samples_export import Export, write_export
from evalscale.commands import UsageError, run_command, run_dirs_and_options
from evalscale.config import ConfigError
from evalscale.grading.runs import grade_run
from evalscale.manifest import prompt_hash, prompt_name, read_prompt_hashes
from evalscale.replay import RunReplay
from evalscale.store import CELLS, VERDICTS, StoreError, iter_jsonl, iter_run_dirs, stored_cell_key

USAGE = "usage: evalscale export RUN_DIR [RUN_DIR...] [out=DIR]  (default: RUN_DIR/export)"


def main(argv: list[str]) -> int:
    """Export the given runs; returns the exit code (2 for bad input)."""
    return run_command("export", USAGE, argv, _export, handled=(StoreError,))


def _export(argv: list[str]) -> int:
    paths, options = run_dirs_and_options(argv, ["out"])
    run_dirs = list(iter_run_dirs(paths))
    out = Path(options["out"]) if options.get("out") else None
    if out is not None and len(run_dirs) > 1:
        raise UsageError(
            f"out= names one folder, but {len(run_dirs)} runs were given; export them one by one"
        )
    for run_dir in run_dirs:
        written = export_run(run_dir, out)
        print(f"{run_dir}: {written.rows} rows -> {written.jsonl}, {written.parquet}")
    return 0


def export_run(run_dir: Path, out: Path | None = None, console: TextIO | None = None) -> Export:
    """Grade `run_dir` if some of its cells lack a verdict, then write its export into `out` (default
    RUN_DIR/export); what could not be rebuilt exactly is said on `console` (stderr)."""
    console = console or sys.stderr
    if ungraded_cells(run_dir):
        grade_run(run_dir)
    try:
        replay = RunReplay.open(run_dir)
    except (ConfigError, StoreError) as error:
        print(
            f"export {run_dir}: without the tokenizer ({error}): no prompt text, and thinking text",
            file=console,
        )
        print("  only for cells that hold their whole trajectory", file=console)
        return write_export(run_dir, out)
    sent = {prompt_name(*key): ids for key, ids in replay.plan.sent_prompts().items()}
    what = "problems" if replay.plan.method.shares_trajectory else "prompts (problem and point)"
    for note in prompt_drift(sent, read_prompt_hashes(run_dir), what):
        print(f"export {run_dir}: {note}", file=console)
    missing: list[str] = []

    def thinking_ids(cell: Mapping[str, Any]) -> Sequence[int] | None:
        ids = replay.thinking_ids(cell)
        if ids is None:
            missing.append(stored_cell_key(cell))
        return ids

    try:
        written = write_export(
            run_dir,
            out,
            decode=replay.plan.builder.decode,
            cell_prompt_ids=replay.cell_prompt_ids,
            thinking_ids=thinking_ids,
        )
    finally:
        replay.close()
    if missing:
        print(
            f"export {run_dir}: {len(missing)} cells without their exact thinking (their thinking segments "
            f"are not all stored, e.g. {missing[0]}): thinking_ids empty there",
            file=console,
        )
    return written


def ungraded_cells(run_dir: Path) -> int:
    """How many stored cells have no verdict."""
    graded = {record["key"] for record in iter_jsonl(run_dir / VERDICTS)}
    return len({stored_cell_key(cell) for cell in iter_jsonl(run_dir / CELLS)} - graded)


def prompt_drift(
    prompts: Mapping[str, Sequence[int]], stored: Mapping[str, str], what: str = "problems"
) -> list[str]:
    """A sentence when rebuilt prompts (by `manifest.prompt_name`) differ from the hashes a run stored
    (empty when they all match or the run stored none); `what` the prompts are of."""
    differing = sorted(
        name for name, digest in stored.items() if name in prompts and prompt_hash(prompts[name]) != digest
    )
    if not differing:
        return []
    return [
        f"the prompt ids of {len(differing)} of {len(stored)} {what} (e.g. {differing[0]}) differ from "
        "those the run was generated with (its prompt_hashes.jsonl): the tokenizer or chat template "
        "changed since, so prompt_text is today's prompt, not the run's"
    ]
