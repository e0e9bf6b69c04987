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
