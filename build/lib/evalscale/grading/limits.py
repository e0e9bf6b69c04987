"""Hard wall-clock limits from any thread: persistent worker processes, killed on overrun.

`signal.alarm` only works in the main thread and cannot interrupt C code, so each
call runs in a worker process instead; when it overruns its limit the worker is
killed and replaced, and the caller gets WallTimeout. Workers are plain
subprocesses (`python -c ...serve()`), not multiprocessing children, so they work
from any thread and never re-import the caller's main module. A replacement
imports sympy in the background; the limit counts computing time only. Each
worker also has an address-space limit, so a runaway computation fails with
MemoryError instead of exhausting the machine.
"""

from __future__ import annotations

import atexit
import os
import queue
import resource
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

MEMORY_LIMIT_BYTES = 3 * 1024**3
STARTUP_LIMIT_S = 120.0
_READY = "ready"
_SERVE = "from evalscale.grading.limits import serve; serve()"


class WallTimeout(TimeoutError):
    """The call did not finish within its wall-clock limit (its worker was killed)."""


class WorkerError(RuntimeError):
    """The call raised an exception in its worker, or the worker died."""


def serve() -> None:
    """Worker main loop over stdin/stdout: receive (function, args), reply (ok, result or error text)."""
    inbox = Connection(os.dup(0), writable=False)
    outbox = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # stray prints go to stderr, never into the reply channel
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ValueError, OSError):
        pass  # the platform refuses the limit: run without it
    import evalscale.grading.equivalence  # noqa: F401  (load sympy before reporting ready)

    outbox.send(_READY)
    while True:
        try:
            function, args = inbox.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[bool, Any] = (True, function(*args))
        except Exception as error:  # the caller decides what a failed check means
            reply = (False, f"{type(error).__name__}: {error}")
        outbox.send(reply)


class _Worker:
    """One worker subprocess and the two pipe ends that talk to it."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[2])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.outbox = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.inbox = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.ready = False

    def wait_ready(self) -> None:
        if not self.ready:
            if not self.inbox.poll(STARTUP_LIMIT_S) or self.inbox.recv() != _READY:
                raise OSError("worker failed to start")
            self.ready = True

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)
        self.inbox.close()
        self.outbox.close()


class WorkerPool:
    """A fixed number of worker processes; `call` is thread-safe and enforces a wall limit."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = workers
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        for _ in range(workers):
            self._add()

    def _add(self) -> None:
        """Start a worker; it joins the idle queue once it has loaded sympy (in the background)."""
        worker = _Worker()
        with self._lock:
            self._all.add(worker)
        threading.Thread(target=self._when_ready, args=(worker,), daemon=True).start()

    def _when_ready(self, worker: _Worker) -> None:
        try:
            worker.wait_ready()
        except (OSError, EOFError):
            with self._lock:
                self._all.discard(worker)
            worker.kill()
            self._idle.put(None)  # the next caller starts a replacement (a bounded number of times)
            return
        self._idle.put(worker)

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        self._add()

    def call(self, function: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> Any:
        """Run function(*args) in a worker; WallTimeout after `timeout` seconds, WorkerError on failure."""
        for _ in range(3):
            worker = self._idle.get()
            if worker is not None:
                break
            self._add()  # a worker failed to start: try a new one in its slot
        else:
            raise WorkerError("worker processes keep failing to start")
        try:
            worker.outbox.send((function, args))
            reply = worker.inbox.recv() if worker.inbox.poll(max(timeout, 0.0)) else None
        except (EOFError, OSError) as error:
            self._retire(worker)
            raise WorkerError(f"worker died: {error}") from error
        if reply is None:
            self._retire(worker)
            raise WallTimeout(f"no result within {timeout:g}s")
        ok, result = reply
        self._idle.put(worker)
        if not ok:
            raise WorkerError(result)
        return result

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.kill()


_shared: WorkerPool | None = None
_shared_lock = threading.Lock()


def shared_pool(workers: int | None = None) -> WorkerPool:
    """The process-wide pool, created on first use (default: one worker per CPU core).

    Asking for more workers than the current pool has replaces it with a larger one.
    """
    global _shared
    wanted = workers or os.cpu_count() or 1
    with _shared_lock:
        if _shared is None or _shared.size < wanted:
            if _shared is not None:
                _shared.close()
            _shared = WorkerPool(wanted)
        return _shared


@atexit.register
def _close_shared() -> None:
    if _shared is not None:
        _shared.close()
