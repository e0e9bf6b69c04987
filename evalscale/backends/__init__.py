"""Backends run the Requests that forcing hands out and return Results.

A backend is anything with `submit(request)`, `poll() -> list[Result]` (block
until at least one submitted request finishes) and `close()`. Backends are
named in config (`engine.backend`) and built by `make_backend`.
"""

from __future__ import annotations

from typing import Any, Protocol

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


BACKENDS = {
    "vllm": "evalscale.backends.vllm_engine:VllmBackend",
    "openai": "evalscale.backends.openai_server:OpenAIServerBackend",
}


def make_backend(name: str, model_path: str, engine: dict[str, Any], sampling: dict[str, Any]) -> Backend:
    """Build the backend called `name` for the model at `model_path`."""
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; choose one of: {', '.join(sorted(BACKENDS))}")
    module_name, class_name = BACKENDS[name].split(":")
    module = __import__(module_name, fromlist=[class_name])
    return getattr(module, class_name)(model_path, engine, sampling)
