"""What a sweep shows on the terminal: its own lines there, the engine's and libraries' output in engine.log.

vLLM (its engine-core and worker processes too), Triton, torch, transformers and Hydra print warnings,
progress bars and shutdown notes on stdout and stderr, and worker processes inherit those file descriptors
when they start. So a quiet sweep points descriptors 1 and 2 at the run's `engine.log` for as long as it
runs, and writes its own lines (one per phase, the progress bar, the summary) to a copy of the terminal's
stderr. `verbose=true` leaves the descriptors alone: everything shows, as printed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

ENGINE_LOG = "engine.log"


@contextmanager
def sweep_console(log_path: Path, verbose: bool = False) -> Iterator[TextIO]:
    """The stream for the sweep's own lines; unless `verbose`, all else printed meanwhile goes to `log_path`.

    The log is appended to (a resumed run adds to it), one header line per sweep. The descriptors
    are restored on the way out, also when an exception leaves, so its traceback reaches the terminal.
    """
    if verbose:
        yield sys.stderr
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(log, f"--- evalscale sweep, {datetime.now(UTC).isoformat(timespec='seconds')}\n".encode())
    terminal = open(os.dup(saved_err), "w", buffering=1, encoding="utf-8", errors="replace")
    try:
        os.dup2(log, 1)
        os.dup2(log, 2)
        yield terminal
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        for descriptor in (saved_out, saved_err, log):
            os.close(descriptor)
        terminal.close()
