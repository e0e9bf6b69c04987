"""The embedded toy reasoner: a tiny model trained locally on letter counting, the default model."""

from evalscale.toy.cache import cache_root, ensure_toy_model, toy_model_dir

__all__ = ["cache_root", "ensure_toy_model", "toy_model_dir"]
