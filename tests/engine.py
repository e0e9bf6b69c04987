"""Helpers for tests that drive the real vLLM engine (CPU build) on the toy reasoner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from evalscale.store import CELLS, GENERATIONS, read_jsonl
from evalscale.sweep import CONF_DIR

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO.parent / "shared" / "data"


def sweep_config(*overrides: str) -> dict[str, Any]:
    """The resolved `evalscale sweep` config for these command-line overrides."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        config = compose(config_name="config", overrides=list(overrides))
    return OmegaConf.to_container(config, resolve=True)  # type: ignore[return-value]


def cells_by_key(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The stored cells of a run, by cell key; fails on duplicates."""
    cells = read_jsonl(run_dir / CELLS)
    by_key = {f"{c['problem_id']}|{c['sample']}|{c['cap']}|{c['waits']}": c for c in cells}
    assert len(by_key) == len(cells), "a cell was stored twice"
    return by_key


def generations_by_key(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The stored generations of a run, by key; fails on duplicates."""
    records = read_jsonl(run_dir / GENERATIONS)
    by_key = {record["key"]: record for record in records}
    assert len(by_key) == len(records), "a generation was stored twice"
    return by_key
