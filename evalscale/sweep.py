"""A sweep from start to end: plan, generate into the run directory, then grade and report.

`run_sweep` is what `evalscale sweep` runs for each Hydra job, on the config
that `evalscale.config.load_config` read. Bad input is one sentence and exit
code 2: a bad config or data, found there and by `make_plan` before an engine
loads; a run dir that holds another config's run, found when it opens (before
an engine loads too); a damaged stored record, found when it is read, which
may be mid-run. An engine or server that fails is one sentence and exit 1.
`generate` drives the engine over the cells not stored yet, so running the
same command again resumes an interrupted or failed run.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from evalscale.backends import Backend, BackendError
from evalscale.config import ConfigError, SweepConfig
from evalscale.console import ENGINE_LOG, sweep_console
from evalscale.environment import collect_environment, record_environment
from evalscale.finish import grade_and_report
from evalscale.live_report import LiveReport, live_report
from evalscale.manifest import make_manifest, write_prompt_hashes
from evalscale.methods import describe
from evalscale.plan import SweepPlan, make_plan
from evalscale.store import RunStore, StoreError
from evalscale.tasks import TaskError


def run_sweep(config: SweepConfig) -> int:
    """Plan, generate, grade and report one sweep; returns the exit code (2: a config, data or run dir
    that cannot run; 1: the engine or server failed; 130: interrupted)."""
    try:
        plan = make_plan(config)
    except (ConfigError, TaskError, StoreError) as error:
        print(f"evalscale sweep: {error}", file=sys.stderr)
        return 2
    print(plan_line(plan), file=sys.stderr)
    log = plan.run_dir / ENGINE_LOG
    with sweep_console(log, verbose=config.run.verbose) as console:
        try:
            status = generate(plan, console=console)
            if status != "complete":
                print(
                    f"evalscale: {status}; run the same command again to resume {plan.run_dir}", file=console
                )
                return 130 if status == "interrupted" else 1
            run = config.run
            grade_and_report(
                plan.run_dir, grade=run.grade, report=run.report, progress=run.progress, console=console
            )
        except BackendError as error:  # the engine or server could not even start
            print(f"\nevalscale sweep: {error} (engine output: {log})", file=console)
            return 1
        except StoreError as error:  # the run dir holds another config's run, or a damaged record
            print(f"evalscale sweep: {error}", file=console)
            return 2
    return 0


def plan_line(plan: SweepPlan) -> str:
    """The sweep's first line: what it generates (and, for a method other than budget forcing, why a
    generation per point), and where."""
    config = plan.config
    head = f"evalscale: {plan.profile.name} on {config.task.name}: {len(plan.problems)} problems x "
    if plan.method.shares_trajectory:
        return (
            f"{head}{config.run.samples} samples x {len(plan.grid.cells)} cells ({config.run.mode}) "
            f"-> {plan.run_dir}"
        )
    what = describe(plan.method)
    return f"{head}{config.run.samples} samples x {len(plan.points)} points ({what}) -> {plan.run_dir}"


def generate(
    plan: SweepPlan,
    backend: Backend | None = None,
    console: TextIO | None = None,
    live: LiveReport | None = None,
) -> str:
    """Run the engine over the plan's open cells; returns "complete", "interrupted" or "failed".

    A given `backend` is used and left open (tests share one engine between
    runs); otherwise one is built from the config and closed at the end.
    The sweep's own lines go to `console` (stderr by default). `live` refreshes
    the report during the run; by default one every `live_report_minutes`.
    StoreError (the run dir holds another config's run, or a damaged record)
    and BackendError from starting the engine are raised; once the run dir is
    open, anything raised leaves its manifest "partial", never "running".
    """
    store = RunStore(plan.run_dir, make_manifest(plan))
    try:
        status = _generate_open_cells(plan, store, backend, console or sys.stderr, live)
    except BaseException:  # what is stored stays; the caller says why the run stopped
        store.finish("partial")
        raise
    store.finish("complete" if status == "complete" else "partial")
    return status


def _generate_open_cells(
    plan: SweepPlan, store: RunStore, backend: Backend | None, console: TextIO, live: LiveReport | None
) -> str:
    """`generate` in the opened run dir: the cells not stored yet, by `backend` or one started here."""
    from evalscale.runner import SweepRunner

    run = plan.config.run
    for problem in plan.problems:
        store.add_problem(problem)
    write_prompt_hashes(plan.run_dir, plan.sent_prompts())
    open_cells = sum(1 for key in plan.cell_keys() if key not in store.cell_keys)
    if open_cells == 0:
        print("generate: every cell is stored already; nothing to generate", file=console)
        return "complete"
    owned = backend is None
    if backend is None:
        backend = start_backend(plan, console)
    if record_environment(store.manifest, session_environment(plan, backend)):
        store.write_manifest()
    if live is None:
        live = live_report(plan.run_dir, run.live_report_minutes, console)
    runner = SweepRunner(backend, store, run.max_active_samples, run.progress, console=console, on_cells=live)
    try:
        stats = runner.run(plan.machines(store.cell_keys), total_cells=open_cells)
    except KeyboardInterrupt:
        return "interrupted"
    except BackendError as error:
        print(f"evalscale sweep: {error}", file=console)
        return "failed"
    finally:
        if owned:
            backend.close()
    if not runner.show_progress:  # else the progress bar's last state says it
        print(
            f"generate: {stats.cells_written} cells, {stats.generated_tokens:,} tokens in "
            f"{stats.seconds:.1f} s ({stats.tokens_per_second:,.0f} tok/s), "
            f"{stats.requests_replayed} replayed",
            file=console,
        )
    return "complete"


def session_environment(plan: SweepPlan, backend: Backend) -> dict[str, Any]:
    """The environment this session generates in (environment.py): the engine config's values, and
    what the started backend reports of itself when it can (`environment()`; a failure there costs
    only those values)."""
    engine = plan.engine  # with what the plan adds (native_cap's reasoning config)
    report = getattr(backend, "environment", None)
    try:
        reported = report() if callable(report) else None
    except Exception:  # the manifest's record must never stop a sweep
        reported = None
    return collect_environment(engine.backend, engine.options, reported)


def start_backend(plan: SweepPlan, console: TextIO) -> Backend:
    """Build the config's backend, on one `load:` line that ends with the time it took."""
    from evalscale.backends import make_backend

    config = plan.config
    log = plan.run_dir / ENGINE_LOG
    console.write(f"load: {config.engine.backend} engine, {plan.profile.name} (its output: {log}) ...")
    console.flush()
    start = time.perf_counter()
    backend = make_backend(plan.engine, plan.model_path, config.sampling)
    console.write(f" ready in {time.perf_counter() - start:.0f} s\n")
    return backend
