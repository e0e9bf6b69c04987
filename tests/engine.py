"""Helpers for tests that drive the real vLLM engine (CPU build) on the toy reasoner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from evalscale.config import SweepConfig, load_config
from evalscale.records import CellRecord, from_json_dict
from evalscale.resources import CONF_DIR
from evalscale.store import CELLS, GENERATIONS, read_jsonl

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO.parent / "shared" / "data"


def raw_config(*overrides: str) -> dict[str, Any]:
    """The resolved Hydra config of `evalscale sweep` for these command-line overrides, as a dict."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        config = compose(config_name="config", overrides=list(overrides))
    return OmegaConf.to_container(config, resolve=True)  # type: ignore[return-value]


def sweep_config(*overrides: str) -> SweepConfig:
    """The typed `evalscale sweep` config for these command-line overrides."""
    return load_config(raw_config(*overrides))


def cells_by_key(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The stored cells of a run, by cell key; fails on duplicates."""
    cells = read_jsonl(run_dir / CELLS)
    by_key = {from_json_dict(CellRecord, c).key: c for c in cells}
    assert len(by_key) == len(cells), "a cell was stored twice"
    return by_key


def generations_by_key(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The stored generations of a run, by request key; fails on duplicates."""
    records = read_jsonl(run_dir / GENERATIONS)
    by_key = {record["key"]: record for record in records}
    assert len(by_key) == len(records), "a generation was stored twice"
    return by_key
