"""`evalscale sweep [overrides]`: the Hydra app that runs one sweep per job (`-m` for a multirun).

The command line is checked against the config tree first (config_check: one sentence and exit 2
for a bad override, before Hydra starts); each job then runs `evalscale.sweep.run_sweep`.
"""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig, OmegaConf

from evalscale.config import ConfigError, load_config
from evalscale.config_check import check_arguments
from evalscale.resources import CONF_DIR
from evalscale.sweep import run_sweep


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
    try:
        config = load_config(OmegaConf.to_container(cfg, resolve=True))  # type: ignore[arg-type]
    except ConfigError as error:
        print(f"evalscale sweep: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    code = run_sweep(config)
    if code:
        raise SystemExit(code)
