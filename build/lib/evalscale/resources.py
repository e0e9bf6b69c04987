"""Where the shipped configs live: `conf/` (Hydra) and `tasks/` (lm-eval task YAMLs).

In the repository both are top-level folders, the documented place to read and
edit them. A wheel carries them inside the package, as `evalscale/conf` and
`evalscale/lm_eval_tasks` (pyproject.toml maps the folders there), so an
installed evalscale finds them beside its code; an editable install finds them
in the checkout. Users add their own without editing either: Hydra's search
path (`hydra.searchpath=[file://DIR]`) and `task.include_path=DIR` (README).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(packaged: str, in_checkout: str) -> Path:
    """The folder as installed in the package, else the checkout's top-level one."""
    inside = PACKAGE_DIR / packaged
    return inside if inside.is_dir() else PACKAGE_DIR.parent / in_checkout


CONF_DIR = _shipped("conf", "conf")
TASKS_DIR = _shipped("lm_eval_tasks", "tasks")
