"""What in a run's resolved config decides its generations (hashed into the run dir's name, compared
between runs to label them); everything else (limit, run_dir, progress, engine parallelism, label...)
may change without changing a single generated token.
"""

from __future__ import annotations

from typing import Any

# Keys that do not change what is generated: a run dir may be resumed with other values.
NOT_HASHED = (
    "limit",
    "problems",
    "run_dir",
    "max_active_samples",
    "progress",
    "grade",
    "report",
    "shard",
    "label",
    "verbose",
    "live_report_minutes",
)
ENGINE_HASHED = ("dtype", "quantization", "max_model_len")


def generation_config(config: dict[str, Any]) -> dict[str, Any]:
    """The part of a resolved sweep config that decides the generations (task data file left out)."""
    kept = {key: value for key, value in config.items() if key not in NOT_HASHED and key != "engine"}
    if "engine" in config:
        kept["engine"] = {key: config["engine"].get(key) for key in ENGINE_HASHED}
    if "task" in config:
        kept["task"] = {key: value for key, value in config["task"].items() if key != "data_file"}
    return kept
