"""`evalscale train-toy [seed=N] [force=true]`: train the embedded toy reasoner (once; cached)."""

from __future__ import annotations

import logging
import sys

from evalscale.commands import UsageError, run_command, split_arguments
from evalscale.toy.cache import ensure_toy_model, shipped_toy_model, toy_model_dir

USAGE = "usage: evalscale train-toy [seed=N] [force=true]"
TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def parse_args(argv: list[str]) -> tuple[int, bool]:
    """The seed and force flag of `key=value` arguments; UsageError with a one-line reason otherwise."""
    arguments, options = split_arguments(argv, {"seed": "0", "force": "false"})
    if arguments:
        raise UsageError(f"unexpected argument {arguments[0]!r}")
    options = {key: value.strip().lower() for key, value in options.items()}
    if not options["seed"].isdigit():
        raise UsageError(f"seed must be a non-negative integer, got {options['seed']!r}")
    if options["force"] not in TRUE | FALSE:
        raise UsageError(f"force must be true or false, got {options['force']!r}")
    return int(options["seed"]), options["force"] in TRUE


def main(argv: list[str]) -> int:
    """Train the toy reasoner for a seed unless it is cached (or `force=true`); print its folder."""
    return run_command("train-toy", USAGE, argv, _train)


def _train(argv: list[str]) -> int:
    seed, force = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if (toy_model_dir(seed).is_dir() or shipped_toy_model(seed)) and not force:
        print(f"toy reasoner already trained (seed {seed}); retrain with force=true", file=sys.stderr)
    print(ensure_toy_model(seed=seed, force=force))
    return 0
