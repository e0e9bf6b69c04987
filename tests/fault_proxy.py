"""A loopback HTTP proxy in front of a real server that fails at an exact point the test sets.

`FaultProxy(upstream, responses=N)` forwards requests to `upstream` and passes
exactly N responses back; the request that would get response N+1 is dropped
(its connection closed with no answer) and the proxy stops listening, so every
later connection is refused: to the client, the server died after answer N.
`restore()` listens again on the same port with no limit. `hold=K` keeps every
request waiting until K of them are in flight at once (so a test sees the
client's concurrency without depending on timing). Every response says
`Connection: close`, so each request is one connection and the counts are exact.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx

HOLD_LIMIT_S = 60.0  # a client that never reaches `hold` requests in flight is let through after this


class FaultProxy:
    """Forwards HTTP/1.1 requests to `upstream`; counts them; fails after `responses` answers."""

    def __init__(self, upstream: str, responses: int | None = None, hold: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.limit = responses
        self.hold = hold
        self.requests = 0  # requests received
        self.forwarded = 0  # responses passed back
        self.in_flight = 0  # requests received and not yet answered or dropped
        self.max_in_flight = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        self._client, self._server = self._call(self._open())
        self._held = asyncio.Event()

    @property
    def base_url(self) -> str:
        """The OpenAI API root through the proxy."""
        return f"http://127.0.0.1:{self.port}/v1"

    def restore(self) -> None:
        """Listen again on the same port and forward every response from now on."""
        self.limit = None
        self._server = self._call(self._listen())

    def close(self) -> None:
        """Stop listening, close the upstream client and stop the proxy's thread."""
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _open(self) -> tuple[httpx.AsyncClient, asyncio.Server]:
        client = httpx.AsyncClient(timeout=httpx.Timeout(None))
        return client, await self._listen()

    async def _listen(self) -> asyncio.Server:
        server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = server.sockets[0].getsockname()[1]
        return server

    async def _shutdown(self) -> None:
        self._server.close()
        await self._client.aclose()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read one request, forward it, and answer it, or drop it once the limit is reached."""
        try:
            method, path, headers, body = await _read_request(reader)
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await self._wait_for_company()
                url = self.upstream + path
                response = await self._client.request(method, url, headers=headers, content=body)
            finally:
                self.in_flight -= 1
            if self.limit is not None and self.forwarded >= self.limit:
                self._server.close()  # refuse every later connection, then drop this one unanswered
                return
            self.forwarded += 1
            writer.write(_response_bytes(response))
            await writer.drain()
        finally:
            writer.close()

    async def _wait_for_company(self) -> None:
        """Hold the first requests until `hold` of them are in flight together."""
        if self.in_flight >= self.hold:
            self._held.set()
        try:
            await asyncio.wait_for(self._held.wait(), HOLD_LIMIT_S)
        except TimeoutError:
            self._held.set()


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes]:
    """Method, path, the headers worth forwarding, and the body of one HTTP/1.1 request."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    method, path, _ = head[0].split(" ", 2)
    fields = dict(line.split(":", 1) for line in head[1:] if ":" in line)
    headers = {name.strip().lower(): value.strip() for name, value in fields.items()}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    kept = {name: value for name, value in headers.items() if name in ("content-type", "authorization")}
    return method, path, kept, body


def _response_bytes(response: httpx.Response) -> bytes:
    """The upstream response as HTTP/1.1 bytes, with `Connection: close`."""
    head = [
        f"HTTP/1.1 {response.status_code} {response.reason_phrase}",
        f"Content-Type: {response.headers.get('content-type', 'application/octet-stream')}",
        f"Content-Length: {len(response.content)}",
        "Connection: close",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.content
