"""Bad input to `evalscale sweep` fails at once: one clear sentence, non-zero exit, no engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from engine import REPO, raw_config

from evalscale.commands import sweep
from evalscale.config import hash_config
from evalscale.config_check import check_arguments


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
        (("engine.backend=vlm",), "engine.backend must be one of openai, vllm, got 'vlm'"),
    ],
)
def test_sweep_config_errors_exit_2_with_one_sentence(args: tuple[str, ...], message: str) -> None:
    result = evalscale("sweep", *args)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("evalscale sweep:")]
    assert len(lines) == 1 and message in lines[0], result.stderr


TASKS = "aime24, aime24_h4, gpqa_diamond, letter_count, math500"


BAD_OVERRIDES = [
    (("task=nope",), f"unknown task 'nope'; available: {TASKS}"),
    (("task=aime",), f"unknown task 'aime' (did you mean 'aime24'?); available: {TASKS}"),
    (("-m", "task=math500,nope"), f"unknown task 'nope'; available: {TASKS}"),
    (
        ("model=gpt-9",),
        "unknown model 'gpt-9'; available: qwen3-32b, qwq-32b, r1-distill-qwen-32b, s1-32b, s1.1-32b, "
        "scc-32b, tcc-32b, toy",
    ),
    (("hydra/launcher=slurmm",), "unknown hydra/launcher 'slurmm' (did you mean 'slurm'?); available: "),
    (("budget.capz=[1]",), "unknown key 'budget.capz'; did you mean 'budget.caps'?"),
    (("sampling.temprature=0.5",), "unknown key 'sampling.temprature'; did you mean 'sampling.temperature'?"),
    (("temperature=0.7",), "unknown key 'temperature'; did you mean 'sampling.temperature'?"),
    (("model.extension=Hmm", "extention=Wait"), "unknown key 'extention'; did you mean 'model.extension'?"),
    (("+foo=1",), "unknown key 'foo'; the keys at the top level are budget, data_dir, engine, grade, hydra"),
    (("+samples=2",), "samples exists already; set it without '+': samples=2"),
    (("samples=abc",), "samples must be an integer, got 'abc'"),
    (("budget.caps=[8,x]",), "budget.caps must be a list of integers, got [8, 'x']"),
    (("progress=maybe",), "progress must be true or false, got 'maybe'"),
    (("limit=all",), "limit must be an integer, got 'all'"),
    (
        ("task=aime24,math500",),
        "task=aime24,math500 sweeps over several values; add -m to run one job per value",
    ),
    (("budget",), "cannot read the override 'budget'; overrides look like KEY=VALUE"),
    (("run_dir=${nope}",), "cannot resolve the config: Interpolation key 'nope' not found"),
    (
        ("budget.control_range=[100,200]",),
        "budget.control_range is not set by default; add it: +budget.control_range=[100,200]",
    ),
]


def test_good_overrides_pass_the_check() -> None:
    check_arguments(
        [
            "-m",
            "task=aime24,math500",
            "model=s1.1-32b,toy",
            "budget.caps=16",  # one cap reads as [16]
            "+budget.control_range=[100,200]",
            "+engine.data_parallel_size=2",  # engine options pass through to the backend
            "+model.chat_template_kwargs.enable_thinking=false",
            "+limit=4",
            "problems=p0",  # one id reads as [p0]
            "sampling.temperature=1",  # an integer where a number is expected
            "run_dir=runs/${task.name}",
            "hydra/launcher=local",
        ]
    )


@pytest.mark.parametrize(("args", "sentence"), BAD_OVERRIDES)
def test_bad_overrides_are_one_sentence_before_anything_loads(
    args: tuple[str, ...], sentence: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sweep.main(list(args)) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"evalscale sweep: {sentence}"), captured.err
    assert not captured.out


@pytest.mark.parametrize(("args", "sentence"), BAD_OVERRIDES[::4])
def test_the_command_prints_one_line_and_exits_2(args: tuple[str, ...], sentence: str) -> None:
    result = evalscale("sweep", *args)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"evalscale sweep: {sentence}"), result.stderr


def test_full_hydra_error_keeps_the_trace_for_debugging() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "evalscale.cli", "sweep", "task=nope"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HYDRA_FULL_ERROR": "1"},
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "MissingConfigException" in result.stderr


@pytest.mark.parametrize("command", ["report", "grade"])
def test_a_corrupt_manifest_is_one_sentence(command: str, tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{", encoding="utf-8")
    result = evalscale(command, str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"evalscale {command}: {tmp_path / 'manifest.json'} is not valid JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"
    )
    assert "Traceback" not in result.stderr


def test_a_run_dir_of_another_config_is_one_sentence_and_left_alone(tmp_path: Path) -> None:
    stored = raw_config("samples=2", "limit=3")
    manifest = json.dumps({"config": stored, "config_hash": hash_config(stored), "status": "complete"})
    (tmp_path / "manifest.json").write_text(manifest, encoding="utf-8")
    result = evalscale("sweep", f"run_dir={tmp_path}", "limit=1")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("evalscale sweep:")]
    assert len(lines) == 1 and f"{tmp_path} holds a run with a different config (samples: 2 -> 1)" in lines[0]
    assert (tmp_path / "manifest.json").read_text(encoding="utf-8") == manifest


def test_unknown_command_lists_the_commands() -> None:
    result = evalscale("sweeep")
    assert result.returncode == 2
    assert "unknown command 'sweeep'" in result.stderr and "report" in result.stderr
