"""Bad input to `evalscale sweep` fails at once: one clear sentence, non-zero exit, no engine."""

from __future__ import annotations

import subprocess
import sys

import pytest
from engine import REPO


def evalscale(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evalscale.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("budget.caps=[0,8]",), "budget caps must be positive integers, got [0, 8]"),
        (("budget.waits=[1,-2]",), "budget Wait counts must be integers >= 0, got [1, -2]"),
        (("mode=cheap",), "mode must be one of shared, independent, got 'cheap'"),
        (("samples=0",), "samples must be at least 1"),
        (("shard=2/2",), "shard '2/2': need 0 <= i < n"),
        (("task=aime24", "data_dir=/nonexistent"), "/nonexistent/aime24.jsonl"),
        (("+engine.data_parallel_size=2",), "split the problems over 2 jobs with shard=0/2,...,1/2"),
    ],
)
def test_sweep_config_errors_exit_2_with_one_sentence(args: tuple[str, ...], message: str) -> None:
    result = evalscale("sweep", *args)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("evalscale sweep:")]
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_unknown_model_names_the_choices() -> None:
    result = evalscale("sweep", "model=gpt-9")
    assert result.returncode != 0
    assert "Could not find 'model/gpt-9'" in result.stderr and "s1.1-32b" in result.stderr


def test_unknown_command_lists_the_commands() -> None:
    result = evalscale("sweeep")
    assert result.returncode == 2
    assert "unknown command 'sweeep'" in result.stderr and "report" in result.stderr
