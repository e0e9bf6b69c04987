"""A sweep's model on disk: its path (the toy reasoner trained if needed), tokenizer, context length and
fingerprint, each read before any engine loads (a problem is a one-sentence ConfigError)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from evalscale.config import ConfigError, ModelConfig


def resolve_model_path(model: ModelConfig) -> str:
    """The local path or hub id of the model; the toy reasoner is trained once if needed."""
    if model.path:
        return model.path
    from evalscale.toy import ensure_toy_model

    return str(ensure_toy_model(seed=model.train_seed))


def load_tokenizer(name_or_path: str) -> Any:
    """The model's tokenizer; a clear ConfigError when it cannot be found."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"cannot load the tokenizer of {name_or_path!r} (not a local model folder, and the hub is "
            f"unreachable or has no such model): {str(error).splitlines()[0]}"
        ) from error


def model_context_length(name_or_path: str) -> int:
    """The model's own context length (`max_position_embeddings` of its config)."""
    from transformers import AutoConfig

    try:
        return int(AutoConfig.from_pretrained(name_or_path).max_position_embeddings)
    except (OSError, ValueError, AttributeError) as error:
        raise ConfigError(
            f"cannot read the context length of {name_or_path!r}; set engine.max_model_len ({error})"
        ) from error


def fingerprint_model(model_path: str) -> str:
    """Hash of a local model's config, tokenizer and weight-file sizes; the hub id otherwise."""
    folder = Path(model_path)
    if not folder.is_dir():
        return f"hub:{model_path}"
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.suffix in {".json", ".jinja", ".txt"}:
            digest.update(path.name.encode() + path.read_bytes())
        elif path.is_file():
            digest.update(f"{path.name}:{path.stat().st_size}".encode())
    return digest.hexdigest()
