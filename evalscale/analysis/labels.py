"""Series named by what differs: each run labelled by the config values that set it apart from the others.

Two runs of s1's Table 4 ablation differ only in `model.extension`, so they
read `extension=Wait` and `extension=Hmm`; two checkpoints read
`model=ckpt-100` and `model=ckpt-200`. Only keys that decide the generations
count (config.generation_config), and task keys not at all (tasks get their
own panels), and the budget grid only when nothing else tells runs apart.
When the model differs, its profile's other keys (path, delimiters) follow
from it and are left out unless they vary for one model; likewise a method's
keys (`max_tries`, `steps`) when the method differs: `method=tcc`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from evalscale.config import generation_config
from evalscale.methods import DEFAULT_METHOD

MODEL_KEY = "model.name"
METHOD_KEY = "method.name"  # budget forcing's runs leave the method out of their config hash: filled in
# The budget grid is what a curve's points show; it names series only when nothing else tells them apart.
GRID_KEYS = ("budget.caps", "budget.waits")


def variant(config: dict[str, Any], model: str, mode: str) -> dict[str, Any]:
    """A run's generation config as flat `dotted.key: value` pairs (its task left out).

    `model` and `mode` are the manifest's own fields; they fill in for configs that lack them.
    """
    flat = dict(_flatten(generation_config(config)))
    flat = {key: value for key, value in flat.items() if not key.startswith("task.") and key != "task"}
    return {
        **flat,
        MODEL_KEY: flat.get(MODEL_KEY, model),
        "mode": flat.get("mode", mode),
        METHOD_KEY: flat.get(METHOD_KEY, DEFAULT_METHOD),
    }


def common(variants: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The pairs all the variants share (the config of a series made of several runs)."""
    first, *rest = variants
    return {key: value for key, value in first.items() if all(other.get(key) == value for other in rest)}


def describe(variants: Sequence[dict[str, Any]], panels: Sequence[str] | None = None) -> list[str]:
    """A label per variant: `key=value` for each key whose value differs between the variants.

    With `panels` (one per variant, e.g. its task), only keys that differ
    between variants of one panel count, so a curve alone in its panel is not
    labelled by settings that only tell panels apart. Keys show by their last
    part (`extension`, `temperature`) unless two differing keys share it;
    `model.name` shows as `model`. Variants with nothing apart read as their model name.
    """
    panels = list(panels) if panels is not None else [""] * len(variants)
    keys = list(dict.fromkeys(key for v in variants for key in v))
    texts = _labels(variants, panels, [key for key in keys if key not in GRID_KEYS])
    if any(len(set(group)) < len(group) for group in _by_panel(texts, panels).values()):
        texts = _labels(variants, panels, keys)
    return texts


def _labels(variants: Sequence[dict[str, Any]], panels: list[str], keys: list[str]) -> list[str]:
    """The labels `describe` makes from these candidate keys."""
    differing = [
        key
        for key in keys
        if any(
            len(set(group)) > 1 for group in _by_panel([_text(v.get(key)) for v in variants], panels).values()
        )
    ]
    for name_key in (METHOD_KEY, MODEL_KEY):  # a model's (method's) other keys follow from its name
        if name_key not in differing:
            continue
        section = name_key.partition(".")[0] + "."
        differing = [
            k
            for k in differing
            if not k.startswith(section) or k == name_key or _varies(k, variants, name_key)
        ]
        differing.remove(name_key)
        differing.insert(0, name_key)
    names = _short_names(differing)
    return [
        ", ".join(f"{names[key]}={_text(v.get(key))}" for key in differing) or str(v.get(MODEL_KEY))
        for v in variants
    ]


def _by_panel(values: list[str], panels: list[str]) -> dict[str, list[str]]:
    """The values grouped by their panel."""
    groups: dict[str, list[str]] = {}
    for value, panel in zip(values, panels, strict=True):
        groups.setdefault(panel, []).append(value)
    return groups


def _varies(key: str, variants: Sequence[dict[str, Any]], name_key: str = MODEL_KEY) -> bool:
    """Whether `key` takes more than one value among the variants of one model (of one method)."""
    seen: dict[str, str] = {}
    for v in variants:
        value = _text(v.get(key))
        if seen.setdefault(_text(v.get(name_key)), value) != value:
            return True
    return False


def _short_names(keys: list[str]) -> dict[str, str]:
    """Each key's last part where no other key ends the same, else the whole key; `model.name` as `model`,
    `method.name` as `method`."""
    lasts = [key.rpartition(".")[2] for key in keys]
    names = {key: last if lasts.count(last) == 1 else key for key, last in zip(keys, lasts, strict=True)}
    return names | {key: key.partition(".")[0] for key in (MODEL_KEY, METHOD_KEY) if key in keys}


def _flatten(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Leaves of nested mappings as (dotted key, value); lists stay whole values."""
    if not isinstance(node, dict) or (prefix and not node):
        return [(prefix.rstrip("."), node)]
    return [pair for key, child in node.items() for pair in _flatten(child, f"{prefix}{key}.")]


def _text(value: Any) -> str:
    """A value as it reads in a label: plain words bare, anything with spaces or symbols as JSON."""
    if isinstance(value, str) and value and all(c.isalnum() or c in "._-+/" for c in value):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
