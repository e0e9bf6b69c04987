"""A quiet sweep's terminal shows its own lines only; the rest, child processes included, goes to the log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine import REPO

WORKER = Path(__file__).parent / "console_worker.py"
LIBRARY_LINES = [
    "library WARNING line",
    "library print",
    "library warning",
    "child stderr",
    "worker stdout",
    "worker stderr",
]


def run_worker(log: Path, verbose: bool) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(WORKER), str(log), str(int(verbose))]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=True)


def test_quiet_console_sends_libraries_and_child_processes_to_the_log(tmp_path: Path) -> None:
    log = tmp_path / "run" / "engine.log"
    result = run_worker(log, verbose=False)
    assert result.stdout == ""
    assert result.stderr == "phase line\nafter the sweep\n"
    text = log.read_text()
    assert text.startswith("--- evalscale sweep, ")
    for line in LIBRARY_LINES:
        assert line in text, line
    run_worker(log, verbose=False)
    assert log.read_text().count("--- evalscale sweep, ") == 2  # a resumed run appends to its log


def test_verbose_shows_everything(tmp_path: Path) -> None:
    result = run_worker(tmp_path / "engine.log", verbose=True)
    for line in LIBRARY_LINES:
        assert line in result.stdout + result.stderr, line
    assert "phase line" in result.stderr and not (tmp_path / "engine.log").exists()
