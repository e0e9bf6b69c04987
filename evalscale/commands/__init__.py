"""The `evalscale` subcommands, one module each, and the argument handling they share.

Each command module has `main(argv) -> exit code`. All but `sweep` also have a
`USAGE` line and read their arguments as `ARG... key=value...` (`run_command`);
`sweep` is a Hydra app that takes Hydra's overrides, checked first by
config_check (commands/sweep.py). Bad input (an unknown option, a missing run
directory, a run that cannot be analysed) is one line on stderr, `evalscale
COMMAND: what is wrong`, and exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

COMMANDS: dict[str, str] = {
    "sweep": "run generation for a budget grid (Hydra app; -m for multirun)",
    "grade": "grade (or re-grade) the answers of stored runs",
    "report": "tables, scaling metrics and plots for stored runs",
    "compare": "paired comparison of two runs (checkpoints)",
    "export": "one row per sample and cell to samples.jsonl / .parquet",
    "tasks": "list tasks with problem counts and data sources",
    "train-toy": "train (or retrain) the embedded toy reasoner",
}


class UsageError(ValueError):
    """The command line cannot run: the message says why, the usage line follows it."""


def split_arguments(argv: Sequence[str], defaults: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Split `ARG... key=value...` into positional arguments and options (starting from `defaults`).

    An argument that names an existing file is positional even if it contains "=".
    Unknown keys raise UsageError naming the known ones.
    """
    positional: list[str] = []
    options = dict(defaults)
    for argument in argv:
        key, sep, value = argument.partition("=")
        if not sep or Path(argument).exists():
            positional.append(argument)
        elif key in options:
            options[key] = value
        else:
            raise UsageError(f"unknown option {key!r} (expected: {', '.join(f'{k}=...' for k in defaults)})")
    return positional, options


def run_dirs_and_options(argv: Sequence[str], options: Sequence[str]) -> tuple[list[Path], dict[str, str]]:
    """Split `RUN_DIR... key=value...` into existing paths and the options given (empty ones left out)."""
    arguments, values = split_arguments(argv, dict.fromkeys(options, ""))
    paths = [Path(argument) for argument in arguments]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise UsageError(f"no such run directory: {', '.join(missing)}")
    if not paths:
        raise UsageError("no run directory given")
    return paths, {key: value for key, value in values.items() if value}


def split_labels(text: str | None, count: int) -> list[str] | None:
    """`labels=A,B,...` as a list of `count` names (None when not given); UsageError for a wrong count."""
    if not text:
        return None
    names = [name.strip() for name in text.split(",")]
    if len(names) != count or not all(names):
        raise UsageError(f"labels={text!r} names {len(names)} runs; give {count} non-empty names")
    return names


def run_command(
    name: str,
    usage: str,
    argv: Sequence[str],
    body: Callable[[list[str]], int],
    handled: tuple[type[Exception], ...] = (),
) -> int:
    """Run one command's `body(argv)`: `-h`/`--help` prints `usage`; no arguments, a UsageError or one of
    `handled` (the command's own input errors) print one line, `evalscale NAME: ...`, and exit 2."""
    if any(argument in {"-h", "--help"} for argument in argv):
        print(usage)
        return 0
    try:
        return body(list(argv))
    except UsageError as error:
        print(f"evalscale {name}: {error}\n{usage}", file=sys.stderr)
    except handled as error:
        print(f"evalscale {name}: {error}", file=sys.stderr)
    return 2
