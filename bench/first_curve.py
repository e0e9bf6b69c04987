"""Time the README's first command, `evalscale sweep`, from an empty toy cache: wall and CPU time.

Usage: python bench/first_curve.py [OVERRIDE...]

Runs the sweep in a fresh temporary folder with EVALSCALE_CACHE pointing at an empty
temporary cache (the shared ~/.cache/evalscale is not touched), so nothing from an
earlier run is reused. CPU time is summed over the whole process tree (the sweep, vLLM's
engine-core and worker processes, grading workers), sampled every 0.2 s from /proc. On a
machine other work shares, CPU time is the fairer measure: on 2 idle cores the wall time
lies between half the CPU time (all of it in parallel) and all of it (one process at a time).
Prints the terminal output, then the times and their ratio to the 3-minute target.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 180
TICKS = os.sysconf("SC_CLK_TCK")


def process_tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds (user + system) so far of `root` and its descendants, by pid."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    tree = {root}
    grown = True
    while grown:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        grown = bool(children)
        tree |= children
    return {pid: times[pid] for pid in tree if pid in times}


def main(overrides: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="evalscale-first-curve-") as folder:
        env = {**os.environ, "EVALSCALE_CACHE": str(Path(folder) / "cache"), "HF_HUB_OFFLINE": "1"}
        env["PYTHONPATH"] = str(REPO)
        command = [sys.executable, "-m", "evalscale.cli", "sweep", *overrides]
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=folder, env=env)
        cpu: dict[int, float] = {}
        while process.poll() is None:
            cpu.update(process_tree_cpu(process.pid))
            time.sleep(0.2)
        wall = time.perf_counter() - start
        trained = any((Path(folder) / "cache").glob("toy-reasoner-*"))
    total = sum(cpu.values())
    print(f"\nfirst command: exit {process.returncode}, toy reasoner trained: {trained}")
    print(f"wall {wall:.0f} s ({wall / TARGET_SECONDS:.2f} x the {TARGET_SECONDS} s target)")
    print(f"CPU  {total:.0f} s over {len(cpu)} processes ({total / TARGET_SECONDS:.2f} x the target)")
    print(f"on 2 idle cores: wall between {total / 2:.0f} s and {total:.0f} s")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
