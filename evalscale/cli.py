"""The `evalscale` command: dispatches a subcommand to the module that does its job."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

COMMANDS: dict[str, tuple[str, str]] = {
    "sweep": ("evalscale.sweep", "run generation for a budget grid (Hydra app; -m for multirun)"),
    "grade": ("evalscale.grading.command", "grade (or re-grade) the answers of stored runs"),
    "report": ("evalscale.report", "tables, scaling metrics and plots for stored runs"),
    "compare": ("evalscale.compare", "paired comparison of two runs (checkpoints)"),
    "tasks": ("evalscale.tasks.command", "list tasks with problem counts and data sources"),
    "train-toy": ("evalscale.toy.command", "train (or retrain) the embedded toy reasoner"),
}


def split_arguments(argv: list[str], defaults: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Split `ARG... key=value...` into positional arguments and options (starting from `defaults`).

    An argument that names an existing file is positional even if it contains "=".
    Unknown keys raise ValueError naming the known ones.
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
            raise ValueError(f"unknown option {key!r} (expected: {', '.join(f'{k}=...' for k in defaults)})")
    return positional, options


def usage() -> str:
    """The help text listing the subcommands."""
    lines = ["usage: evalscale COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<10} {about}" for name, (_, about) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run `evalscale COMMAND ARGS...`; each command module exposes main(argv) -> int."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"evalscale: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
