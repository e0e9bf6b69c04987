"""A sweep process for fault tests: the fake engine, the real runner and store, slowed down.

Usage: python tests/fault_worker.py RUN_DIR   (exits 0 when every cell is stored)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fake_backend import FakeBackend  # noqa: E402
from test_forcing import machines  # noqa: E402

from evalscale.forcing import Result  # noqa: E402
from evalscale.runner import SweepRunner  # noqa: E402
from evalscale.store import RunStore  # noqa: E402


class SlowBackend(FakeBackend):
    """The fake engine, taking a little time per result so a kill lands mid-run."""

    def poll(self) -> list[Result]:
        time.sleep(0.005)
        return super().poll()


def main(run_dir: Path) -> None:
    store = RunStore(run_dir, {"config_hash": "fault", "config": {}, "expected_cells": 0})
    SweepRunner(SlowBackend(), store, max_active=8, show_progress=False).run(
        machines("shared", problems=30), total_cells=0
    )
    store.finish("complete")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
