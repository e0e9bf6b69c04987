"""A sweep that stops on a bad run directory or engine: one sentence, and the run left "partial" with every
stored record kept (a scripted backend on the toy plan, fast, no engine)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from engine import sweep_config
from fake_backend import FakeBackend

from evalscale import cli, sweep
from evalscale.backends import BackendError
from evalscale.plan import make_plan
from evalscale.store import CELLS, GENERATIONS, read_manifest

SMALL = ("limit=2", "budget.caps=[8,16]", "budget.waits=[0,1]", "progress=false", "live_report_minutes=0")


def test_an_engine_that_does_not_start_leaves_the_run_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> None:
        raise BackendError("no engine today")

    monkeypatch.setattr("evalscale.backends.make_backend", refuse)
    plan = make_plan(sweep_config(*SMALL, f"run_dir={tmp_path / 'run'}"))
    with pytest.raises(BackendError, match="no engine today"):
        sweep.generate(plan, console=io.StringIO())
    assert read_manifest(plan.run_dir)["status"] == "partial"


def test_a_damaged_stored_generation_is_one_sentence_and_the_run_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = sweep_config(*SMALL, f"run_dir={tmp_path / 'run'}", "verbose=true", "grade=false")
    run_dir = config.run.run_dir
    assert run_dir is not None
    assert sweep.generate(make_plan(config), FakeBackend(), console=io.StringIO()) == "complete"
    (run_dir / CELLS).write_text("")  # every cell again: the stored generations are replayed
    first, rest = (run_dir / GENERATIONS).read_bytes().split(b"\n", 1)
    damaged = first[:-1] + b"X\n" + rest  # its key still reads, its record does not
    (run_dir / GENERATIONS).write_bytes(damaged)
    monkeypatch.setattr(sweep, "start_backend", lambda *_: FakeBackend())
    assert sweep.run_sweep(config) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("evalscale sweep:")]
    assert len(errors) == 1 and "count-0001/0/t0" in errors[0] and "is damaged" in errors[0], errors
    assert read_manifest(run_dir)["status"] == "partial"
    assert (run_dir / GENERATIONS).read_bytes() == damaged


def test_ctrl_c_while_the_engine_loads_is_one_line_and_exit_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("evalscale.backends.make_backend", interrupt)
    monkeypatch.chdir(tmp_path)  # Hydra's own output folder lands here
    assert cli.main(["sweep", *SMALL, f"run_dir={tmp_path / 'run'}"]) == cli.INTERRUPTED
    errors = capsys.readouterr().err
    assert "evalscale sweep: interrupted" in errors.splitlines() and "Traceback" not in errors, errors
    assert read_manifest(tmp_path / "run")["status"] == "partial"
