"""A sweep process for fault tests: the fake engine with the real runner and store.

Usage: python tests/fault_worker.py RUN_DIR [FAULT] [METHOD]   (exits 0 when every cell is stored)
FAULT is a run-file fault of kill_worker.py (e.g. generations.jsonl:20:torn), or "-" for none; the
worker must then lead its own process group (start_new_session=True). METHOD (default
budget_forcing) runs another method's machines (tests/test_methods.py) on a seeded fake engine.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fake_backend import FakeBackend, ScriptedModel  # noqa: E402
from kill_worker import install  # noqa: E402
from test_forcing import machines  # noqa: E402
from test_methods import point_machines  # noqa: E402

from evalscale.runner import SweepRunner  # noqa: E402
from evalscale.store import RunStore  # noqa: E402


def main(run_dir: Path, method: str = "budget_forcing") -> None:
    manifest = {"config_hash": "fault", "config": {}, "expected_cells": 0, "status": "running"}
    store = RunStore(run_dir, manifest)
    if method == "budget_forcing":
        backend, todo = FakeBackend(), machines("shared", problems=30)
    else:
        done = frozenset(store.cell_keys)
        backend = FakeBackend(ScriptedModel(stop_every=25, seeded=True))
        tries = {"max_tries": 3} if method == "rejection_sampling" else {}
        todo = point_machines(method, done=done, **tries)
    SweepRunner(backend, store, max_active=8, show_progress=False).run(todo, total_cells=0)
    store.finish("complete")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] != "-":
        install(sys.argv[2])
    main(Path(sys.argv[1]), *sys.argv[3:])
