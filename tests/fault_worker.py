"""A sweep process for fault tests: the fake engine with the real runner and store.

Usage: python tests/fault_worker.py RUN_DIR [FAULT]   (exits 0 when every cell is stored)
FAULT is a run-file fault of kill_worker.py (e.g. generations.jsonl:20:torn); the worker
must then lead its own process group (start_new_session=True).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fake_backend import FakeBackend  # noqa: E402
from kill_worker import install  # noqa: E402
from test_forcing import machines  # noqa: E402

from evalscale.runner import SweepRunner  # noqa: E402
from evalscale.store import RunStore  # noqa: E402


def main(run_dir: Path) -> None:
    manifest = {"config_hash": "fault", "config": {}, "expected_cells": 0, "status": "running"}
    store = RunStore(run_dir, manifest)
    SweepRunner(FakeBackend(), store, max_active=8, show_progress=False).run(
        machines("shared", problems=30), total_cells=0
    )
    store.finish("complete")


if __name__ == "__main__":
    if len(sys.argv) > 2:
        install(sys.argv[2])
    main(Path(sys.argv[1]))
