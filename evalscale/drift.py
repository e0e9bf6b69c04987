"""Drift check between two runs (`evalscale compare` adds it): where their generations first differ, per
sample, beside what could explain it: their configs, prompt ids and environments.

Two runs of one model and task are compared request by request
(`analysis.divergence`: per sample the first token position where the
thinking differs, else the first differing answer). Under the same config
(equal config hash: equal `generation_config`) and the same environment every
sample should agree ("0 of N samples diverge"); a difference there is drift
(another vLLM, device, attention backend, batch or kernel nondeterminism).
Under another config (sampling seed, temperature, extension...) the same
table shows where the change first took effect. Runs of other models or tasks
are not compared token by token. A side may be a folder of shards of one run.
The prompt ids are compared per prompt the runs sent (`manifest.prompt_name`):
per problem, and per problem and point for a method that builds a prompt per
point, so two runs of one such method compare point by point.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalscale import environment
from evalscale.analysis.divergence import divergence_summary, divergence_table, request_divergences
from evalscale.analysis.methods import method_name
from evalscale.config import generation_config
from evalscale.manifest import read_prompt_hashes
from evalscale.methods import DEFAULT_METHOD
from evalscale.store import GENERATIONS, iter_differences, iter_jsonl, iter_run_dirs, read_manifest

DIVERGENCE_CSV = "divergence.csv"
SHOWN_DIFFERENCES = 3  # config keys named in the summary line


@dataclass(frozen=True)
class Drift:
    """The outcome of a drift check: per-sample divergence (`analysis.divergence.DIVERGENCE_COLUMNS`) and
    the lines that say what it means; `table` is None when the runs were not compared token by token."""

    table: pd.DataFrame | None
    lines: list[str] = field(default_factory=list)


def drift_check(path_a: Path, path_b: Path) -> Drift:
    """Compare two runs' generations, configs, prompt ids and environments (see the module docstring)."""
    runs = [list(iter_run_dirs([Path(path)])) for path in (path_a, path_b)]
    manifests = [read_manifest(side[0]) for side in runs]
    methods = [method_name(dict(m.get("config") or {}).get("method") or {}) for m in manifests]
    lines = [environment_line(*manifests), prompts_line(*runs, methods=(methods[0], methods[1]))]
    (model_a, task_a), (model_b, task_b) = ((m.get("model"), m.get("task")) for m in manifests)
    if (model_a, task_a) != (model_b, task_b):
        return Drift(
            None,
            [f"Generations: not compared token by token ({model_a}/{task_a} against {model_b}/{task_b})."]
            + lines,
        )
    table = divergence_table(
        request_divergences(lambda: _generations(runs[0]), lambda: _generations(runs[1]))
    )
    return Drift(table, [generations_line(table, *manifests), *lines])


def _generations(run_dirs: list[Path]) -> Iterator[Mapping[str, Any]]:
    """The generation records of a run's directories (its shards), streamed."""
    return itertools.chain.from_iterable(iter_jsonl(run_dir / GENERATIONS) for run_dir in run_dirs)


def generations_line(
    table: pd.DataFrame, manifest_a: Mapping[str, Any], manifest_b: Mapping[str, Any]
) -> str:
    """The divergence summary, said against the configs: same config, or the first key that differs."""
    config_a, config_b = (generation_config(dict(m.get("config") or {})) for m in (manifest_a, manifest_b))
    if not (table["n_compared"] > 0).any():
        return "Generations: no request is stored in both runs; nothing to compare token by token."
    summary = divergence_summary(table)
    if manifest_a.get("config_hash") == manifest_b.get("config_hash") or config_a == config_b:
        return f"Generations (same config, {str(manifest_a.get('config_hash'))[:8]}): {summary}"
    differing = list(iter_differences(config_a, config_b))
    shown = ", ".join(differing[:SHOWN_DIFFERENCES]) + (", ..." if len(differing) > SHOWN_DIFFERENCES else "")
    return f"Generations (the configs differ: {shown}): {summary}"


def environment_line(manifest_a: Mapping[str, Any], manifest_b: Mapping[str, Any]) -> str:
    """ "Environments: identical (...)" or "Environments differ: ..." with each differing value, the
    model folders' fingerprints and sessions resumed under another environment included; values
    unknown (a server's versions) are not compared."""
    found = environment.differences(
        {"A": environment.environment_of(manifest_a), "B": environment.environment_of(manifest_b)}
    )
    prints = (manifest_a.get("model_fingerprint"), manifest_b.get("model_fingerprint"))
    if all(prints) and prints[0] != prints[1]:
        found.append(f"model folder {str(prints[0])[:8]} (A) vs {str(prints[1])[:8]} (B)")
    for side, manifest in (("A", manifest_a), ("B", manifest_b)):
        found += [f"{side} resumed with {phrase}" for phrase in environment.resumed_differences(manifest)]
    if found:
        return "Environments differ: " + "; ".join(found) + "."
    recorded = environment.environment_of(manifest_a)
    shown = ", ".join(f"{key} {value}" for key, value in recorded.items() if value is not None)
    if not shown:
        return "Environments: not recorded."
    if recorded["backend"] in environment.SERVER_BACKENDS:
        unknown = "the server's versions and engine settings are unknown to the client"
        return f"Environments: identical as far as recorded ({shown}; {unknown})."
    return f"Environments: identical ({shown})."


def prompts_line(
    runs_a: list[Path], runs_b: list[Path], methods: tuple[str, str] = (DEFAULT_METHOD, DEFAULT_METHOD)
) -> str:
    """Whether the two runs fed the model the same prompt ids (by their stored hashes, per problem, or per
    problem and point for `methods` that build a prompt per point)."""
    hashes = [_prompt_hashes(runs) for runs in (runs_a, runs_b)]
    what = "problems" if methods == (DEFAULT_METHOD, DEFAULT_METHOD) else "prompts (problem and point)"
    shared = sorted(set(hashes[0]) & set(hashes[1]))
    if not shared:
        return f"Prompt ids: not compared (a run stored no prompt hashes, or the runs share no {what})."
    differing = [name for name in shared if hashes[0][name] != hashes[1][name]]
    if not differing:
        return f"Prompt ids: identical for all {len(shared)} shared {what}."
    cause = (
        f"the methods differ ({methods[0]} and {methods[1]})"
        if methods[0] != methods[1]
        else "another tokenizer, chat template or prompt format"
    )
    count = f"{len(differing)} of {len(shared)} shared {what}"
    return f"Prompt ids: differ for {count} (e.g. {differing[0]}): {cause}."


def _prompt_hashes(run_dirs: list[Path]) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for run_dir in run_dirs:
        hashes.update(read_prompt_hashes(run_dir))
    return hashes


def write_divergence(drift: Drift, out: Path) -> Path | None:
    """divergence.csv into `out` (None when the runs were not compared token by token)."""
    if drift.table is None:
        return None
    out.mkdir(parents=True, exist_ok=True)
    drift.table.to_csv(out / DIVERGENCE_CSV, index=False)
    return out / DIVERGENCE_CSV
