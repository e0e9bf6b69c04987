"""Where the trained toy reasoner lives: shipped with the package, or trained once into the cache.

The package ships the toy reasoner trained from seed 0 with the default recipe (a few MB, in
`evalscale/toy/weights/`), so the first sweep needs no training; tests/test_toy_retrain.py checks
that retraining it gives a scaling curve like the shipped one (the weights themselves differ between
CPU types, whose float reductions differ). Other seeds or recipes, and
`evalscale train-toy force=true`, train into the cache, which then takes precedence.
"""

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
SHIPPED_DIR = Path(__file__).resolve().parent / "weights"


def cache_root() -> Path:
    """The cache folder: `$EVALSCALE_CACHE`, else `~/.cache/evalscale`."""
    configured = os.environ.get("EVALSCALE_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "evalscale"


def toy_model_dir(seed: int = 0, recipe: Recipe = RECIPE) -> Path:
    """The folder of the toy reasoner trained from `seed` with `recipe` (it may not exist yet)."""
    key = json.dumps(training_key(seed, recipe), sort_keys=True)
    return cache_root() / f"toy-reasoner-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def shipped_toy_model(seed: int = 0, recipe: Recipe = RECIPE) -> Path | None:
    """The toy reasoner that comes with the package, if it was trained from `seed` with `recipe`."""
    stamp = SHIPPED_DIR / RECIPE_FILE
    if not stamp.exists() or json.loads(stamp.read_text()) != training_key(seed, recipe):
        return None
    return SHIPPED_DIR


def training_key(seed: int, recipe: Recipe) -> dict[str, object]:
    """What decides the trained weights: the seed and the recipe (stored next to them)."""
    return {"seed": seed, "recipe": recipe.as_dict()}


def ensure_toy_model(seed: int = 0, force: bool = False, recipe: Recipe = RECIPE) -> Path:
    """The toy reasoner's folder: cached, else shipped, else trained first (always trained if `force`).

    Training writes into a temporary folder next to the cache entry and renames
    it into place, so an interrupted run never leaves a half-written model.
    """
    target = toy_model_dir(seed, recipe)
    if not force:
        if target.is_dir():
            return target
        shipped = shipped_toy_model(seed, recipe)
        if shipped:
            return shipped
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
        (trained / RECIPE_FILE).write_text(json.dumps(training_key(seed, recipe), indent=2))
        if target.is_dir():
            target.rename(Path(scratch) / "replaced")
        try:
            trained.rename(target)
        except OSError:
            if not target.is_dir():  # another process finished the same training first: keep its copy
                raise
    logger.warning("toy reasoner ready at %s", target)
    return target
