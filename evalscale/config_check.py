"""`evalscale sweep`'s command line checked against the Hydra config tree, before anything loads.

Hydra reports a bad override in several lines (search paths, hints about `+`),
lets `+key=value` add any key, and does not check value types. `check_arguments`
composes the config as Hydra will, once for every value a multirun sweeps over,
and says in one sentence what is wrong: an unknown group option (with the
available ones), an unknown key (with the closest valid one), a value of the
wrong type. With `HYDRA_FULL_ERROR=1` nothing is checked here: Hydra shows its own
errors with their full trace.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from typing import Any

from hydra import initialize_config_dir
from hydra._internal.utils import get_args_parser
from hydra.core.config_loader import ConfigLoader
from hydra.core.global_hydra import GlobalHydra
from hydra.core.object_type import ObjectType
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException, MissingConfigException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from evalscale.config import ConfigError
from evalscale.resources import CONF_DIR

CONFIG_NAME = "config"
# Sections passed through to the backend as they are: `+engine.KEY=VALUE` may add any key there.
OPEN_SECTIONS = ("engine",)
# Keys whose default is null, with the kind of value they take.
NULL_DEFAULT_KINDS: dict[str, type] = {"limit": int, "problems": list}
# Keys read when set but absent from conf/ (adding them there would change every run's config hash):
# `+KEY=VALUE` adds them.
OPTIONAL_KINDS: dict[str, type] = {"budget.control_range": list, "model.step_end": str}
# Keys set by default that also take null (`task.data_file=null`: a task of your own, not the node's file).
NULLABLE = ("task.data_file",)
# List keys that also take one scalar (the sweep reads `budget.caps=512` as [512], `problems=p0` as [p0]).
SCALAR_AS_LIST = ("budget.caps", "budget.waits", "problems", "model.think_end", "model.answer_stop")
KIND_NAMES: dict[type, str] = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
}
ELEMENT_NAMES: dict[type, str] = {int: "integers", float: "numbers", str: "strings", bool: "booleans"}
SEARCHPATH = "hydra.searchpath"
PRESET = "model.recommended_sampling"  # what sampling=recommended reads
_ABSENT = object()


def check_arguments(argv: list[str]) -> None:
    """Raise ConfigError (one sentence) if `evalscale sweep ARGV` cannot compose a config to run."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        return
    args, unknown = get_args_parser().parse_known_args(argv)
    if unknown:
        raise ConfigError(f"unknown option {unknown[0]!r}; see `evalscale sweep --help`")
    actions = [args.run, args.multirun, args.cfg, args.info, args.shell_completion]
    if sum(bool(action) for action in actions) > 1:
        raise ConfigError("give only one of -m/--multirun, -r/--run, -c/--cfg, -i/--info, --shell-completion")
    if args.help or args.hydra_help or args.info or args.shell_completion:
        return
    if args.config_dir or args.config_path or args.config_name:
        return  # another config tree than conf/config.yaml: Hydra checks it
    try:
        overrides = OverridesParser.create().parse_overrides(args.overrides)
    except HydraException as error:
        override = getattr(error, "override", "")
        raise ConfigError(f"cannot read the override {override!r}; overrides look like KEY=VALUE") from error
    sweeps = [o.input_line for o in overrides if o.is_sweep_override()]
    if sweeps and not args.multirun:
        raise ConfigError(f"{sweeps[0]} sweeps over several values; add -m to run one job per value")
    mode = RunMode.MULTIRUN if args.multirun else RunMode.RUN
    searchpath = [str(o.input_line) for o in overrides if o.get_key_element() == SEARCHPATH]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3", job_name="evalscale"):
        checker = _Checker(GlobalHydra.instance().config_loader(), mode, searchpath)
        for job in jobs(overrides):
            checker.check(job)


def jobs(overrides: list[Override]) -> Iterator[list[Override]]:
    """Single-valued override lists that together try every value of every sweep once.

    The first job takes each sweep's first value; each further job changes one
    sweep to another value (linear in the values, not their product).
    """
    parser = OverridesParser.create()
    values = [
        [parser.parse_override(f"{o.get_key_element()}={v}") for v in o.sweep_string_iterator()]
        if o.is_sweep_override()
        else [o]
        for o in overrides
    ]
    first = [choices[0] for choices in values]
    yield first
    for index, choices in enumerate(values):
        for choice in choices[1:]:
            yield [*first[:index], choice, *first[index + 1 :]]


class _Checker:
    """Composes configs with Hydra's loader and compares each override with the config it changes."""

    def __init__(self, loader: ConfigLoader, mode: RunMode, searchpath: list[str]) -> None:
        self.loader = loader
        self.mode = mode
        self.searchpath = searchpath  # `hydra.searchpath=[...]`: the user's config folders count too
        self.groups = set(self._group_names(""))
        self.bases: dict[tuple[str, ...], DictConfig] = {}

    def check(self, job: list[Override]) -> None:
        """Raise ConfigError for the first thing wrong in one job's overrides."""
        choices = [o for o in job if o.key_or_group in self.groups]
        for override in choices:
            self._check_choice(override)
        base = self._compose((*self.searchpath, *(str(o.input_line) for o in choices)))
        for override in job:
            if override.key_or_group not in self.groups:
                self._check_key(base, override)
        composed = self._compose(tuple(str(o.input_line) for o in job))
        job_keys = [str(key) for key in composed if key != "hydra"]
        try:
            OmegaConf.to_container(OmegaConf.masked_copy(composed, job_keys), resolve=True)
        except OmegaConfBaseException as error:
            if PRESET in str(error):  # sampling=recommended on a profile without published settings
                model = OmegaConf.select(composed, "model.name")
                raise ConfigError(
                    f"sampling=recommended takes the model family's published settings, and model {model!r} "
                    f"has none ({PRESET} is not set in its profile); use sampling=greedy, set sampling.KEY "
                    f"values yourself, or add {PRESET} to the profile"
                ) from error
            raise ConfigError(f"cannot resolve the config: {_first_line(error)}") from error

    def _check_choice(self, override: Override) -> None:
        """A group option must exist: `task=nope` names the group's options."""
        group, value = override.key_or_group, override.value()
        if override.is_delete() or not isinstance(value, str):
            return
        options = self._options(group, ObjectType.CONFIG)
        if value not in options:
            suggestion = _did_you_mean(value, options)
            raise ConfigError(f"unknown {group} {value!r}{suggestion}; available: {', '.join(options)}")

    def _check_key(self, base: DictConfig, override: Override) -> None:
        """The key must exist (or sit in an open section) and the value must be of its kind."""
        key, value = override.key_or_group, override.value()
        current = _select(base, key)
        adds = override.is_add() or override.is_force_add()
        if current is _ABSENT and key in OPTIONAL_KINDS:
            if not adds:
                raise ConfigError(f"{key} is not set by default; add it: +{override.input_line}")
            current = None
        elif current is _ABSENT:
            parent = key.rpartition(".")[0]
            open_section = key.split(".")[0] in OPEN_SECTIONS or (
                bool(parent) and _select(base, parent) == {}
            )
            if adds and open_section:
                return
            raise ConfigError(_unknown_key(base, key, hint_add=open_section))
        elif override.is_add() and current is not None and not isinstance(value, dict | list):
            raise ConfigError(f"{key} exists already; set it without '+': {str(override.input_line)[1:]}")
        if override.is_delete() or key.startswith("hydra."):
            return  # Hydra checks its own keys
        if isinstance(value, str) and "${" in value:
            return  # an interpolation: checked when the config resolves
        if value is None and key in NULLABLE:
            return
        expected = (NULL_DEFAULT_KINDS | OPTIONAL_KINDS).get(key) if current is None else type(current)
        if expected is not None and not _fits(value, current, expected, key):
            element = (
                f" of {ELEMENT_NAMES.get(type(current[0]), 'values')}" if expected is list and current else ""
            )
            raise ConfigError(
                f"{key} must be {KIND_NAMES.get(expected, 'something else')}{element}, got {value!r}"
            )

    def _options(self, group: str, kind: ObjectType) -> list[str]:
        """The configs (or subgroups) of a group, in conf/ and on the command line's search path."""
        return self.loader.get_group_options(group, kind, config_name=CONFIG_NAME, overrides=self.searchpath)

    def _group_names(self, parent: str) -> Iterator[str]:
        """Every config group under `parent`, nested ones as `hydra/launcher`."""
        for name in self._options(parent, ObjectType.GROUP):
            group = f"{parent}/{name}" if parent else name
            yield group
            yield from self._group_names(group)

    def _compose(self, overrides: tuple[str, ...]) -> DictConfig:
        """The config Hydra composes from these overrides (cached); its errors as one sentence."""
        if overrides not in self.bases:
            try:
                self.bases[overrides] = self.loader.load_configuration(
                    CONFIG_NAME, list(overrides), self.mode
                )
            except (HydraException, OmegaConfBaseException) as error:
                raise ConfigError(_hydra_sentence(error)) from error
        return self.bases[overrides]


def _select(config: DictConfig, key: str) -> Any:
    """The resolved value at a dotted key; _ABSENT when there is none."""
    value = OmegaConf.select(config, key, default=_ABSENT, throw_on_resolution_failure=False)
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


def _fits(value: Any, current: Any, expected: type, key: str) -> bool:
    """Whether `value` may replace a value of kind `expected` (`current`, for list elements)."""
    if expected is bool or isinstance(value, bool):
        return isinstance(value, bool) and expected is bool
    if expected is float:
        return isinstance(value, int | float)
    if expected is str:
        return isinstance(value, str | int | float)
    if expected is list:
        kinds = {type(item) for item in current or ()}
        element = kinds.pop() if len(kinds) == 1 else None
        if not isinstance(value, list):
            return key in SCALAR_AS_LIST and (element is None or _fits(value, None, element, key))
        return element is None or all(_fits(item, None, element, key) for item in value)
    return isinstance(value, expected)


def _paths(node: Any, prefix: str = "") -> Iterator[str]:
    """Every dotted key of a nested mapping, its sections included."""
    if isinstance(node, dict):
        for name, child in node.items():
            path = f"{prefix}{name}"
            yield path
            yield from _paths(child, f"{path}.")


def _unknown_key(base: DictConfig, key: str, hint_add: bool = False) -> str:
    """ "unknown key 'x'; did you mean 'y'?", else the keys valid where `x` was put.

    `hint_add`: the section takes new keys, so name the `+KEY=VALUE` form too.
    """
    known = [p for p in _paths(OmegaConf.to_container(base, resolve=False)) if not p.startswith("hydra.")]
    if key.startswith("hydra."):
        known = list(_paths(OmegaConf.to_container(base.hydra, resolve=False), "hydra."))
    parent, _, last = key.rpartition(".")

    def likeness(path: str) -> float:
        """How close the last parts of the keys are; the same section, then the shallower key, wins a tie."""
        path_parent, _, path_last = path.rpartition(".")
        ratio = difflib.SequenceMatcher(None, last, path_last).ratio()
        return ratio + 0.01 * (path_parent == parent) - 0.001 * path.count(".")

    best = max(known, key=likeness, default="")
    added = f" (to pass a new option, add it: +{key}=...)" if hint_add else ""
    if best and likeness(best) >= 0.7:
        return f"unknown key {key!r}; did you mean {best!r}?{added}"
    siblings = sorted(p.rpartition(".")[2] for p in known if p.rpartition(".")[0] == parent)
    where = f"under {parent!r}" if parent else "at the top level"
    return f"unknown key {key!r}; the keys {where} are {', '.join(siblings)}{added}"


def _did_you_mean(value: str, options: list[str]) -> str:
    """ " (did you mean 'x'?)" for the closest option, when one is close."""
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _hydra_sentence(error: Exception) -> str:
    """One sentence from a Hydra composition error (its first line, and its cause's)."""
    if isinstance(error, MissingConfigException) and error.options:
        return f"{_first_line(error)}; available: {', '.join(error.options)}"
    cause = error.__cause__
    text = _first_line(error)
    if cause is not None and str(cause):
        text = f"{text} ({_first_line(cause)})" if text else _first_line(cause)
    return text


def _first_line(error: BaseException) -> str:
    """The first non-empty line of an exception's message, without its trailing period."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0].rstrip(".") if lines else type(error).__name__
