"""Backends run the Requests that forcing hands out and return Results.

A backend is anything with `submit(request)`, `poll() -> list[Result]` (block
until at least one submitted request finishes) and `close()`. Backends are
named in config (`engine.backend`) and built by `make_backend` from an
`EngineConfig`. A backend may also have `environment()`: what it runs on
(device, dtype, attention backend, ...), recorded in the run's manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from evalscale.backends.sampling import Sampling
from evalscale.forcing import Request, Result


class BackendError(RuntimeError):
    """The engine or server failed in a way the run cannot recover from."""


class Backend(Protocol):
    """Continuous generation: submit requests at any time, collect them as they finish."""

    def submit(self, request: Request) -> None: ...

    def poll(self) -> list[Result]: ...

    def pending(self) -> int: ...

    def close(self) -> None: ...


def completion_result(
    key: str,
    token_ids: tuple[int, ...],
    finish_reason: str | None,
    stop_reason: object,
    vocab_size: int | None,
) -> Result:
    """Map an engine's or server's completion to a Result: stop token dropped, ids checked.

    A stop on one of `stop_token_ids` reports that id as `stop_reason`; an EOS
    stop reports none, and the EOS id may end `token_ids`. Either way the
    stop token is taken off the ids and reported as `stop_token_id`.
    """
    stop_token_id = stop_reason if isinstance(stop_reason, int) else None
    if finish_reason == "stop" and stop_token_id is None and token_ids:
        stop_token_id = token_ids[-1]
    if stop_token_id is not None and token_ids and token_ids[-1] == stop_token_id:
        token_ids = token_ids[:-1]
    outside = [token_id for token_id in token_ids if vocab_size is not None and token_id >= vocab_size]
    if outside:
        raise BackendError(
            f"request {key}: the model produced token id {outside[0]}, beyond the tokenizer's {vocab_size} "
            "ids: its embedding is padded and those rows were not masked (evalscale masks them when it can "
            "read the model's config.json)"
        )
    finish = "length" if finish_reason == "length" else "stop"
    return Result(key=key, token_ids=token_ids, finish=finish, stop_token_id=stop_token_id)


@dataclass(frozen=True)
class EngineConfig:
    """The `engine:` config: which backend, and its options as given (an open section: vLLM's engine
    arguments, or the server's address and retry policy), passed on to the backend unchanged."""

    backend: str
    options: Mapping[str, Any]

    @property
    def max_model_len(self) -> int | None:
        """The context length set in the config (None: the model's own)."""
        value = self.options.get("max_model_len")
        return int(value) if value else None


BACKENDS = {
    "vllm": "evalscale.backends.vllm_engine:VllmBackend",
    "openai": "evalscale.backends.openai_server:OpenAIServerBackend",
}


def make_backend(engine: EngineConfig, model_path: str, sampling: Sampling) -> Backend:
    """Build the config's backend for the model at `model_path`."""
    if engine.backend not in BACKENDS:
        raise BackendError(
            f"unknown backend {engine.backend!r}; choose one of: {', '.join(sorted(BACKENDS))}"
        )
    module_name, class_name = BACKENDS[engine.backend].split(":")
    module = __import__(module_name, fromlist=[class_name])
    return getattr(module, class_name)(model_path, dict(engine.options), sampling)
