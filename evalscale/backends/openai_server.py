"""Budget forcing against an OpenAI-compatible completions server (`vllm serve`, SGLang).

Prompts go out as token ids (`POST {base_url}/completions` with `prompt` a list
of ids) and the generated ids come back (`return_token_ids`), so the server sees
exactly what forcing built, as the in-process engine does. Requests run on an
asyncio loop in a background thread, at most `max_concurrency` at a time; a
connection error, timeout or HTTP 5xx is retried with exponential backoff, a
4xx fails at once. When a request runs out of retries, `poll` raises
BackendError after returning every result that finished before, so the runner
has stored them and the next run resumes from the store.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from typing import Any

import httpx

from evalscale.backends import BackendError, completion_result
from evalscale.backends.sampling import Sampling, padding_bias
from evalscale.forcing import Request, Result

DEFAULTS: dict[str, Any] = {
    "base_url": "http://127.0.0.1:8000/v1",
    "served_model_name": None,
    "max_concurrency": 64,
    "retries": 5,
    "backoff_seconds": 1.0,
    "timeout_seconds": 7200.0,
    "api_key": None,
}
SERVER_SIDE = ("max_model_len", "dtype", "quantization")  # read by the sweep; the server owns them
RETRY_STATUS = (408, 429)  # client-side codes that mean "try again later"


class OpenAIServerBackend:
    """Runs Requests on an OpenAI-compatible completions server."""

    def __init__(self, model_path: str, engine: dict[str, Any], sampling: Sampling) -> None:
        unknown = sorted(set(engine) - set(DEFAULTS) - set(SERVER_SIDE))
        if unknown:
            raise BackendError(
                f"unknown openai engine option(s) {', '.join(unknown)}; known: {', '.join(sorted(DEFAULTS))}"
            )
        options = {**DEFAULTS, **{key: value for key, value in engine.items() if value is not None}}
        if int(options["max_concurrency"]) < 1 or int(options["retries"]) < 0:
            raise BackendError("engine.max_concurrency must be >= 1 and engine.retries >= 0")
        self.url = str(options["base_url"]).rstrip("/") + "/completions"
        self.model = str(options["served_model_name"] or model_path)
        self.max_concurrency = int(options["max_concurrency"])
        self.retries = int(options["retries"])
        self.backoff_seconds = float(options["backoff_seconds"])
        self.sampling = sampling
        self.vocab_size = _vocab_size(model_path)
        bias = padding_bias(self.vocab_size, _model_vocab_size(model_path))
        self.padding_fields = (
            {"logit_bias": {str(token_id): value for token_id, value in bias.items()}} if bias else {}
        )
        self.in_flight = 0  # HTTP requests on the wire now (loop thread only)
        self.max_in_flight = 0  # the most there ever were at once
        self._pending = 0
        self._error: BackendError | None = None
        self._done: queue.SimpleQueue[Result | BackendError] = queue.SimpleQueue()
        self._headers = auth_headers(options)
        self._timeout = float(options["timeout_seconds"])
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="openai-backend", daemon=True)
        self._thread.start()
        self._client, self._slots = self._call(self._open())

    def _call(self, coroutine: Any) -> Any:
        """Run a coroutine on the backend's loop and wait for its value."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _open(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        slots = self.max_concurrency
        limits = httpx.Limits(max_connections=slots, max_keepalive_connections=slots)
        # connecting must be quick; a long non-streamed generation may take the whole read timeout
        timeout = httpx.Timeout(self._timeout, connect=min(self._timeout, 30.0))
        client = httpx.AsyncClient(headers=self._headers, timeout=timeout, limits=limits)
        return client, asyncio.Semaphore(self.max_concurrency)

    def submit(self, request: Request) -> None:
        """Queue a request; it is sent as soon as a concurrency slot is free."""
        asyncio.run_coroutine_threadsafe(self._complete(request), self._loop)
        self._pending += 1

    def pending(self) -> int:
        """Requests submitted and not yet returned."""
        return self._pending

    def poll(self) -> list[Result]:
        """Block until at least one request finishes; return every finished one.

        A failure is raised once the results that finished before it have been returned.
        """
        if self._error is not None:
            raise self._error
        if not self._pending:
            return []
        items = [self._done.get()]
        while True:
            try:
                items.append(self._done.get_nowait())
            except queue.Empty:
                break
        results = [item for item in items if isinstance(item, Result)]
        self._pending -= len(results)
        self._error = next((item for item in items if isinstance(item, BackendError)), None)
        if self._error is not None and not results:
            raise self._error
        return results

    def environment(self) -> dict[str, Any]:
        """What the client knows of the server without asking it: its address (the device, versions and
        attention backend are the server's, unknown here: "server"). No request is sent, so the
        server sees the run's requests only."""
        return {"device": "server", "server": self.url.removesuffix("/completions")}

    def close(self) -> None:
        """Cancel what is in flight, close the connections and stop the loop thread."""
        if not self._loop.is_running():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    async def _shutdown(self) -> None:
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._client.aclose()

    async def _complete(self, request: Request) -> None:
        """Generate one request and hand its Result (or the error) to `poll`."""
        try:
            async with self._slots:
                body = await self._post(self._body(request))
            item: Result | BackendError = self._to_result(request.key, body)
        except BackendError as error:
            item = error
        except Exception as error:  # anything else must reach poll too, or it would wait forever
            item = BackendError(f"request {request.key}: {type(error).__name__}: {error}")
        self._done.put(item)

    def _body(self, request: Request) -> dict[str, Any]:
        body = {
            "model": self.model,
            "prompt": list(request.prompt_ids),
            "max_tokens": request.max_tokens,
            "min_tokens": request.min_tokens,
            "stop_token_ids": list(request.stop_token_ids),
            "seed": request.seed,
            **self.sampling.fields(),  # every field, so the server's generation_config.json fills none
            **self.padding_fields,
            "skip_special_tokens": False,
            "return_token_ids": True,
        }
        if request.thinking_token_budget is not None:  # native_cap; the server needs a reasoning config
            body["thinking_token_budget"] = request.thinking_token_budget
        return body

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST with retries: connection errors, timeouts, 5xx (and 408/429) back off and retry."""
        tries = self.retries + 1
        for attempt in range(tries):
            if attempt:
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                response = await self._client.post(self.url, json=body)
            except httpx.TransportError as error:
                failure = f"{type(error).__name__}: {error}"
                continue
            finally:
                self.in_flight -= 1
            if response.status_code < 400:
                return response.json()
            failure = f"HTTP {response.status_code}: {server_message(response)}"
            if response.status_code < 500 and response.status_code not in RETRY_STATUS:
                raise BackendError(f"server at {self.url} rejected the request: {failure}")
        raise BackendError(f"server at {self.url} unreachable after {tries} tries: {failure}")

    def _to_result(self, key: str, body: dict[str, Any]) -> Result:
        """Map a completion to a Result the way the in-process engine's output is mapped."""
        choice = body["choices"][0]
        if choice.get("token_ids") is None:
            raise BackendError(
                f"server at {self.url} returned no token ids; evalscale needs a server that honours "
                "`return_token_ids` (vLLM >= 0.10.2)"
            )
        return completion_result(
            key,
            tuple(choice["token_ids"]),
            choice["finish_reason"],
            choice.get("stop_reason"),
            self.vocab_size,
        )


def auth_headers(options: dict[str, Any]) -> dict[str, str]:
    """The bearer token header for the server: `engine.api_key`, else `$OPENAI_API_KEY`, else none."""
    api_key = options.get("api_key") or os.environ.get("OPENAI_API_KEY")
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def server_message(response: httpx.Response) -> str:
    """The error message of an OpenAI-style error body, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and "message" in error:
        return str(error["message"])
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])
    return response.text[:500]


def _model_vocab_size(model_path: str) -> int | None:
    """Rows of the model's embedding (`vocab_size` of its config), or None when the config is not here."""
    from transformers import AutoConfig

    try:
        return int(AutoConfig.from_pretrained(model_path).vocab_size)
    except (OSError, ValueError, AttributeError, TypeError):
        return None


def _vocab_size(model_path: str) -> int | None:
    """The tokenizer's vocabulary size, or None when the tokenizer is not available here."""
    from transformers import AutoTokenizer

    try:
        return len(AutoTokenizer.from_pretrained(model_path))
    except (OSError, ValueError):
        return None
