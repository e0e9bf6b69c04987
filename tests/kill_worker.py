"""`evalscale sweep` that SIGKILLs itself and its engine after writing N cell records.

Usage: python tests/kill_worker.py N TORN SWEEP_OVERRIDES...
TORN=1 writes the first half of record N+1 before the kill (a torn last line).
Start it in a new session: the kill takes its whole process group, engine included.
The kill point is exact, so the test does not depend on how fast this machine is.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

from evalscale import store
from evalscale.sweep import main


def kill_after_cells(count: int, torn: bool) -> None:
    """Make the store kill the process group when it is about to write cell record `count` + 1."""
    append = store.JsonlAppender.append
    written = 0

    def append_then_maybe_die(self: store.JsonlAppender, record: dict[str, Any]) -> None:
        nonlocal written
        if self.path.name == store.CELLS:
            if written == count:
                if torn:
                    line = json.dumps(record)
                    self._file.write(line[: len(line) // 2])
                    self._file.flush()
                os.killpg(0, signal.SIGKILL)
            written += 1
        append(self, record)

    store.JsonlAppender.append = append_then_maybe_die  # type: ignore[method-assign]


if __name__ == "__main__":
    kill_after_cells(int(sys.argv[1]), sys.argv[2] == "1")
    sys.exit(main(sys.argv[3:]))
