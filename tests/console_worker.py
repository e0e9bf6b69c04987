"""Prints the way an engine and its libraries do, inside `sweep_console` (for tests/test_console.py).

Usage: python tests/console_worker.py LOG_PATH VERBOSE(0/1)
"""

from __future__ import annotations

import logging
import multiprocessing
import subprocess
import sys
import warnings
from pathlib import Path

from evalscale.console import sweep_console


def worker_process() -> None:
    """What vLLM's engine-core and worker processes do: print on the descriptors they inherited."""
    print("worker stdout")
    print("worker stderr", file=sys.stderr)


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stdout, level=logging.INFO)  # like Hydra's job logging, set up first
    with sweep_console(Path(sys.argv[1]), verbose=sys.argv[2] == "1") as console:
        logging.getLogger("vllm").warning("library WARNING line")
        print("library print")
        warnings.warn("library warning", stacklevel=1)
        child = "import sys; print('child stderr', file=sys.stderr)"
        subprocess.run([sys.executable, "-c", child], check=True)
        process = multiprocessing.get_context("spawn").Process(target=worker_process)
        process.start()
        process.join()
        print("phase line", file=console)
    print("after the sweep", file=sys.stderr)
