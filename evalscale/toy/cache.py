"""Where the trained toy reasoner lives, and training it once when it is missing."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
from pathlib import Path

from evalscale.toy.train import RECIPE, SECONDS_PER_STEP, Recipe, train

logger = logging.getLogger(__name__)

RECIPE_FILE = "toy-recipe.json"


def cache_root() -> Path:
    """The cache folder: `$EVALSCALE_CACHE`, else `~/.cache/evalscale`."""
    configured = os.environ.get("EVALSCALE_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "evalscale"


def toy_model_dir(seed: int = 0, recipe: Recipe = RECIPE) -> Path:
    """The folder of the toy reasoner trained from `seed` with `recipe` (it may not exist yet)."""
    key = json.dumps({"seed": seed, "recipe": recipe.as_dict()}, sort_keys=True)
    return cache_root() / f"toy-reasoner-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def ensure_toy_model(seed: int = 0, force: bool = False, recipe: Recipe = RECIPE) -> Path:
    """The toy reasoner's folder, trained first if it is missing (or if `force`).

    Training writes into a temporary folder next to the cache entry and renames
    it into place, so an interrupted run never leaves a half-written model.
    """
    target = toy_model_dir(seed, recipe)
    if target.is_dir() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    minutes = math.ceil(recipe.steps * SECONDS_PER_STEP / 60)
    logger.warning(
        "training the toy reasoner once (~%d min on 2 CPU cores), cached at %s "
        "(retrain with `evalscale train-toy seed=%d force=true`)",
        minutes,
        target,
        seed,
    )
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".tmp-toy-reasoner-") as scratch:
        trained = Path(scratch) / "model"
        train(trained, seed, recipe)
        (trained / RECIPE_FILE).write_text(json.dumps({"seed": seed, "recipe": recipe.as_dict()}, indent=2))
        if target.is_dir():
            target.rename(Path(scratch) / "replaced")
        try:
            trained.rename(target)
        except OSError:
            if not target.is_dir():  # another process finished the same training first: keep its copy
                raise
    logger.warning("toy reasoner ready at %s", target)
    return target
