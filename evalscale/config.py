"""The sweep's configuration: Hydra's resolved dict, read once into frozen, typed values.

`load_config(resolved)` is the only reader of the raw config. It checks every
value (a bad one is a one-sentence ConfigError), builds the typed pieces that
their consumers define (`ModelProfile` for prompting, `Grid` for forcing,
`TaskConfig` for tasks, `Sampling` and `EngineConfig` for the backends) and the
run options, and hashes what decides the generations: `generation_config` is
that part of a config, and its hash names the run directory, so the same
command resumes the same run. Everything downstream takes a `SweepConfig`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evalscale.backends import BACKENDS, EngineConfig
from evalscale.backends.sampling import Sampling
from evalscale.forcing import Grid
from evalscale.methods import DEFAULT_METHOD, MethodConfig, MethodError, check_config
from evalscale.prompting import EXTENSION_TOKENIZATIONS, ModelProfile
from evalscale.tasks import SOURCES, TaskConfig

MODES = ("shared", "independent")
# Keys that do not change what is generated: a run dir may be resumed with other values.
NOT_HASHED = (
    "limit",
    "problems",
    "run_dir",
    "max_active_samples",
    "progress",
    "grade",
    "report",
    "shard",
    "label",
    "verbose",
    "live_report_minutes",
)
ENGINE_HASHED = ("dtype", "quantization", "max_model_len")
TASK_NOT_HASHED = ("data_file", "include_path")  # where the problems are read from, not what they are
# conf/method/budget_forcing.yaml: left out of the hashed config, so runs made before methods existed resume
DEFAULT_METHOD_NODE = {"name": DEFAULT_METHOD}
SAMPLING_RULES: dict[str, tuple[str, Callable[[float], bool]]] = {
    "temperature": (">= 0", lambda value: value >= 0),
    "top_p": ("in (0, 1]", lambda value: 0 < value <= 1),
    "top_k": ("-1 (all tokens) or >= 1", lambda value: value == -1 or value >= 1),
    "min_p": ("in [0, 1]", lambda value: 0 <= value <= 1),
    "repetition_penalty": ("> 0", lambda value: value > 0),
    "presence_penalty": ("in [-2, 2]", lambda value: -2 <= value <= 2),
    "frequency_penalty": ("in [-2, 2]", lambda value: -2 <= value <= 2),
}


class ConfigError(ValueError):
    """The sweep's configuration cannot run."""


@dataclass(frozen=True)
class ModelConfig:
    """A `conf/model/*.yaml` node: the prompt profile, and where the weights are.

    `path` is a local folder or hub id; None means the embedded toy reasoner
    trained from `train_seed` (shipped for seed 0, else trained once into the cache).
    """

    profile: ModelProfile
    path: str | None
    train_seed: int


@dataclass(frozen=True)
class RunOptions:
    """The top-level keys: how the sweep runs, which problems, and what happens after it."""

    mode: str
    samples: int
    seed: int
    data_dir: str | None
    limit: int | None
    problem_ids: tuple[str, ...] | None
    run_dir: Path | None
    shard: tuple[int, int] | None
    max_active_samples: int
    progress: bool
    verbose: bool
    live_report_minutes: float
    grade: bool
    report: bool
    label: str | None


@dataclass(frozen=True)
class SweepConfig:
    """One sweep's whole configuration, checked. `resolved` is the Hydra config it was read from, kept
    for the run's manifest (read-only); `config_hash` hashes its `generation_config`."""

    model: ModelConfig
    task: TaskConfig
    grid: Grid
    control_range: tuple[float, float] | None
    sampling: Sampling
    engine: EngineConfig
    run: RunOptions
    resolved: MappingProxyType[str, Any]
    config_hash: str
    method: MethodConfig = MethodConfig()


def load_config(resolved: dict[str, Any]) -> SweepConfig:
    """Check a resolved `evalscale sweep` config and read it into typed values; ConfigError if bad."""
    try:
        budget = _section(resolved, "budget")
        config = SweepConfig(
            model=model_config(_section(resolved, "model"), seed=_integer(resolved, "seed")),
            task=task_config(_section(resolved, "task")),
            grid=grid(budget),
            control_range=_control_range(budget.get("control_range")),
            sampling=sampling(_section(resolved, "sampling")),
            engine=engine_config(_section(resolved, "engine")),
            run=run_options(resolved),
            resolved=MappingProxyType(resolved),
            config_hash=hash_config(resolved),
            method=method_config(resolved.get("method")),
        )
    except KeyError as error:
        raise ConfigError(f"the config lacks the key {error.args[0]!r}") from error
    try:
        check_config(config.method, config.model.profile, config.sampling.temperature)
    except MethodError as error:
        raise ConfigError(str(error)) from error
    return config


def method_config(method: Any) -> MethodConfig:
    """The MethodConfig of a `conf/method/*.yaml` node (none: budget forcing)."""
    node = DEFAULT_METHOD_NODE if method is None else method
    if not isinstance(node, dict):
        raise ConfigError(
            f"method must be a node of conf/method/ (pick one with method=NAME), got {method!r}"
        )
    defaults = MethodConfig()
    try:
        return MethodConfig(
            name=str(node.get("name")),
            steps=_integers(node.get("steps", list(defaults.steps)), "method.steps"),
            tokens_per_step=(
                _integer(node, "tokens_per_step") if "tokens_per_step" in node else defaults.tokens_per_step
            ),
            conditions=tuple(
                str(c)
                for c in _as_list(
                    node.get("conditions", list(defaults.conditions)), "method.conditions", "names"
                )
            ),
            max_tries=_integer(node, "max_tries") if "max_tries" in node else defaults.max_tries,
            max_thinking_tokens=(
                None if node.get("max_thinking_tokens") is None else _integer(node, "max_thinking_tokens")
            ),
        )
    except (MethodError, ValueError) as error:
        raise ConfigError(str(error)) from error


def run_options(config: dict[str, Any]) -> RunOptions:
    """The run options of the top-level keys, checked."""
    mode = config.get("mode")
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    limit = config.get("limit")
    if limit is not None and _integer(config, "limit") <= 0:
        raise ConfigError(f"limit must be positive, got {limit}")
    minutes = _number(config, "live_report_minutes", default=0)
    if minutes < 0:
        raise ConfigError(f"live_report_minutes must be >= 0 (0 = off), got {config['live_report_minutes']}")
    problems = config.get("problems")
    return RunOptions(
        mode=str(mode),
        samples=_integer(config, "samples", minimum=1),
        seed=_integer(config, "seed"),
        data_dir=_text(config.get("data_dir")),
        limit=None if limit is None else int(limit),
        problem_ids=None if problems in (None, "", []) else _texts(problems, "problems", ids=True),
        run_dir=Path(config["run_dir"]) if config.get("run_dir") else None,
        shard=parse_shard(str(config["shard"])) if config.get("shard") else None,
        max_active_samples=_integer(config, "max_active_samples", minimum=1),
        progress=bool(config.get("progress", True)),
        verbose=bool(config.get("verbose")),
        live_report_minutes=minutes,
        grade=bool(config.get("grade")),
        report=bool(config.get("report")),
        label=None if config.get("label") is None else str(config["label"]),
    )


def model_config(model: dict[str, Any], seed: int = 0) -> ModelConfig:
    """The ModelConfig of a `conf/model/*.yaml` node (`seed`: the toy reasoner's default training seed)."""
    tokenization = model.get("extension_tokenization") or "ids"
    if tokenization not in EXTENSION_TOKENIZATIONS:
        raise ConfigError(
            f"model.extension_tokenization must be one of {', '.join(EXTENSION_TOKENIZATIONS)}, "
            f"got {tokenization!r}"
        )
    try:
        profile = ModelProfile(
            name=str(model["name"]),
            path=str(model.get("path") or ""),
            think_open=model["think_open"],
            think_end=_texts(model["think_end"], "model.think_end"),
            think_close=model["think_close"],
            cap_close=model["cap_close"],
            cap_close_newline=bool(model.get("cap_close_newline", True)),
            extension=model.get("extension", "Wait"),
            extension_tokenization=tokenization,
            max_answer_tokens=_integer(
                model, "max_answer_tokens", 1, default=512, name="model.max_answer_tokens"
            ),
            answer_stop=_texts(model["answer_stop"], "model.answer_stop") if model.get("answer_stop") else (),
            system_prompt=model.get("system_prompt"),
            tokenizer=model.get("tokenizer"),
            chat_template_kwargs=dict(model.get("chat_template_kwargs") or {}),
            step_end=_text(model.get("step_end")),
        )
    except KeyError as error:
        raise ConfigError(f"model profile {model.get('name')!r} lacks the key {error.args[0]!r}") from error
    train_seed = _integer(model, "train_seed", default=seed, name="model.train_seed")
    return ModelConfig(profile=profile, path=_text(model.get("path")), train_seed=train_seed)


def task_config(task: dict[str, Any]) -> TaskConfig:
    """The TaskConfig of a `conf/task/*.yaml` node."""
    source = task.get("source")
    if source not in SOURCES:
        raise ConfigError(
            f"task {task.get('name')!r}: unknown source {source!r} (use 'generated' or 'lm_eval')"
        )
    if source == "lm_eval" and not task.get("lm_eval_task"):
        raise ConfigError(f"task {task.get('name')!r}: an lm_eval task names its lm_eval_task")
    return TaskConfig(
        name=str(task["name"]),
        source=str(source),
        size=_integer(task, "size", minimum=1, name="task.size") if source == "generated" else 0,
        seed=_integer(task, "seed", default=0, name="task.seed"),
        lm_eval_task=_text(task.get("lm_eval_task")),
        data_file=_text(task.get("data_file")),
        instruction=_text(task.get("instruction")),
        include_path=_text(task.get("include_path")),
    )


def grid(budget: dict[str, Any]) -> Grid:
    """The budget grid: caps x Wait counts (a single number stands for a list of one)."""
    try:
        return Grid(
            caps=_integers(budget["caps"], "budget.caps"),
            waits=_integers(budget["waits"], "budget.waits"),
            min_thinking=_integer(budget, "min_thinking", default=0, name="budget.min_thinking"),
        )
    except ValueError as error:
        raise ConfigError(str(error)) from error


def sampling(values: dict[str, Any]) -> Sampling:
    """Every sampling field as a number, checked; unknown keys and bad values are one sentence each."""
    defaults = Sampling().fields()
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise ConfigError(f"unknown sampling key(s) {', '.join(unknown)}; known: {', '.join(defaults)}")
    settings: dict[str, Any] = {}
    for name, default in defaults.items():
        value = values.get(name)
        try:
            settings[name] = default if value is None else type(default)(value)
        except (TypeError, ValueError):
            raise ConfigError(f"sampling.{name} must be a number, got {value!r}") from None
        rule, valid = SAMPLING_RULES[name]
        if not valid(settings[name]):
            raise ConfigError(f"sampling.{name} must be {rule}, got {value!r}")
    return Sampling(**settings)


def engine_config(engine: dict[str, Any]) -> EngineConfig:
    """The engine section: its backend (one of BACKENDS), and its other keys as the backend's options;
    `max_model_len`, when set, a positive integer.

    Data parallelism is refused for the in-process engine: vLLM does not support it there (it may hang).
    """
    options = {key: value for key, value in engine.items() if key != "backend"}
    backend = engine.get("backend")
    if backend not in BACKENDS:
        raise ConfigError(f"engine.backend must be one of {', '.join(sorted(BACKENDS))}, got {backend!r}")
    if options.get("max_model_len") is not None:
        _integer(options, "max_model_len", minimum=1, name="engine.max_model_len")
    size = _integer(options, "data_parallel_size", minimum=1, default=1, name="engine.data_parallel_size")
    if backend == "vllm" and size > 1:
        raise ConfigError(
            f"engine.data_parallel_size={size} is not supported by the in-process vLLM engine; "
            f"split the problems over {size} jobs with shard=0/{size},...,{size - 1}/{size} "
            f"(SLURM: -m hydra/launcher=slurm), or serve the model with `vllm serve "
            f"--data-parallel-size {size}` and use engine=openai"
        )
    return EngineConfig(backend=str(backend), options=MappingProxyType(options))


def parse_shard(text: str) -> tuple[int, int]:
    """`"i/n"` -> (i, n): this job takes problems i, i+n, i+2n, ... of the task."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ConfigError(f"shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise ConfigError(f"shard {text!r}: need 0 <= i < n")
    return index, count


def generation_config(config: dict[str, Any]) -> dict[str, Any]:
    """The part of a resolved sweep config that decides the generations (hashed into the run dir's name,
    compared between runs to label them); limit, run_dir, engine parallelism, label... may change
    without changing a single generated token."""
    kept = {key: value for key, value in config.items() if key not in NOT_HASHED and key != "engine"}
    if kept.get("method") == DEFAULT_METHOD_NODE:
        del kept["method"]  # budget forcing: the config hash of every run made before methods existed
    if "engine" in config:
        kept["engine"] = {key: config["engine"].get(key) for key in ENGINE_HASHED}
    if "task" in config:
        kept["task"] = {key: value for key, value in config["task"].items() if key not in TASK_NOT_HASHED}
    return kept


def hash_config(config: dict[str, Any]) -> str:
    """The hash of a config's `generation_config`: equal hashes, equal generations."""
    kept = generation_config(config)
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()


def _control_range(value: Any) -> tuple[float, float] | None:
    """`budget.control_range` [a_min, a_max] (s1's Control metric), when set."""
    if value is None:
        return None
    try:
        low, high = (float(bound) for bound in value)
    except (TypeError, ValueError):
        raise ConfigError(f"budget.control_range must be [a_min, a_max] in tokens, got {value!r}") from None
    if not 0 <= low <= high:
        raise ConfigError(f"budget.control_range needs 0 <= a_min <= a_max, got {value!r}")
    return low, high


def _as_list(value: Any, name: str, of: str) -> list[Any]:
    """A non-empty list (a single value stands for a list of one); ConfigError naming `name` and what
    its items must be (`of`)."""
    if isinstance(value, int | float | str):
        return [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{name} must be a non-empty list of {of}, got {value!r}")
    return value


def _texts(value: Any, name: str, ids: bool = False) -> tuple[str, ...]:
    """A non-empty list of non-empty strings (a single one stands for a list of one; with `ids`, integers
    too, as a data file's problem ids may be); ConfigError naming `name` otherwise."""
    of = "strings or integers" if ids else "strings"
    items = _as_list(value, name, of)
    kinds = (str, int) if ids else (str,)
    if any(isinstance(item, bool) or not isinstance(item, kinds) or item == "" for item in items):
        raise ConfigError(f"{name} must be a non-empty list of {of}, got {value!r}")
    return tuple(str(item) for item in items)


def _integers(value: Any, name: str) -> tuple[int, ...]:
    """A non-empty list of integers (a single number stands for a list of one); ConfigError if not."""
    try:
        return tuple(int(item) for item in _as_list(value, name, of="integers"))
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a non-empty list of integers, got {value!r}") from None


def _integer(
    section: dict[str, Any],
    key: str,
    minimum: int | None = None,
    default: int | None = None,
    name: str | None = None,
) -> int:
    """An integer key of a section (unset or null: `default`, when one is given); ConfigError naming it
    (`name`, e.g. "model.train_seed"; else `key`) when it is not one or below `minimum`."""
    value = section.get(key)
    if value is None and default is not None:
        return default
    name = name or key
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return number


def _section(config: dict[str, Any], key: str) -> dict[str, Any]:
    """A section of the config (`model:`, `budget:`, ...); ConfigError when it is not a mapping of keys."""
    value = config[key]
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be a section of keys (conf/{key}/), got {value!r}")
    return value


def _number(section: dict[str, Any], key: str, default: float) -> float:
    """A number key of a section (null: `default`)."""
    value = section.get(key)
    try:
        return default if value is None else float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, got {value!r}") from None


def _text(value: Any) -> str | None:
    """A string setting, None when unset or empty."""
    return str(value) if value not in (None, "") else None
