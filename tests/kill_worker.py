"""`evalscale COMMAND ARGS...` that SIGKILLs its own process group at an exact point the test names.

Usage: python tests/kill_worker.py FAULT COMMAND ARGS...
FAULT is one of:
  FILE:N[:torn]       die when about to append record N+1 to the run file FILE (e.g. cells.jsonl);
                      `torn` writes the first half of that record first (a torn last line)
  MODULE:NAME:N       die at call N+1 of MODULE.NAME (e.g. evalscale.grading.runs:judge:40)
Start it in a new session (start_new_session=True): the kill takes the whole process group,
engine and grading workers included. The kill point is exact, so a test never depends on how
fast this machine is or on which thread runs first.
"""

from __future__ import annotations

import functools
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn

from evalscale import store
from evalscale.cli import main


def die() -> NoReturn:
    """SIGKILL this process group (this process and every child), like a crash of the node."""
    os.killpg(0, signal.SIGKILL)
    raise AssertionError("unreachable: the process group was killed")


def kill_after_appends(file_name: str, count: int, torn: bool) -> None:
    """Make the store die when it is about to append record `count` + 1 to `file_name`."""
    append = store.JsonlAppender.append
    written = 0

    def append_or_die(self: store.JsonlAppender, record: Any) -> None:
        nonlocal written
        if self.path.name == file_name:
            if written == count:
                if torn:
                    line = store.encode(record)
                    self._file.write(line[: len(line) // 2])
                    self._file.flush()
                die()
            written += 1
        append(self, record)

    store.JsonlAppender.append = append_or_die  # type: ignore[method-assign]


def kill_at_call(module_name: str, name: str, count: int) -> None:
    """Make call number `count` + 1 of `module_name.name` die (calls from any thread count)."""
    module = importlib.import_module(module_name)
    function: Callable[..., Any] = getattr(module, name)
    calls = 0
    lock = threading.Lock()

    @functools.wraps(function)
    def call_or_die(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        with lock:
            if calls == count:
                die()
            calls += 1
        return function(*args, **kwargs)

    setattr(module, name, call_or_die)


def install(fault: str) -> None:
    """Arm the fault described by `fault` (see the module docstring) in this process."""
    if os.getpgid(0) != os.getpid():
        raise SystemExit("kill_worker must lead its own process group (start it with start_new_session=True)")
    parts = fault.split(":")
    if parts[0].endswith(".jsonl"):
        kill_after_appends(parts[0], int(parts[1]), parts[2:] == ["torn"])
    else:
        module_name, name, count = parts
        kill_at_call(module_name, name, int(count))


if __name__ == "__main__":
    install(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
