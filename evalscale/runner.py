"""Drives sample machines through a backend and stores every result as it arrives.

Requests are handed to the backend the moment a machine asks for them; a
bounded window of active samples keeps follow-ups (Waits, answer branches)
from queueing behind thousands of fresh trajectories. A request whose result
is already stored (from an earlier, interrupted run) is answered from the
store instead of the engine, which is how resume regenerates nothing.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from tqdm import tqdm

from evalscale.backends import Backend
from evalscale.forcing import Machine, Request, Result
from evalscale.store import RunStore


@dataclass
class RunStats:
    """What one invocation did: cells written, tokens generated, time taken."""

    cells_written: int = 0
    requests_generated: int = 0
    requests_replayed: int = 0
    generated_tokens: int = 0
    seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        """Generated tokens per wall-clock second."""
        return self.generated_tokens / self.seconds if self.seconds else 0.0


class SweepRunner:
    """Runs machines to completion on one backend, writing into one run store.

    `on_cells`, if given, is called with the number of cells written so far after each batch of
    finished requests (the live report's hook); the progress bar goes to `console`.
    """

    def __init__(
        self,
        backend: Backend,
        store: RunStore,
        max_active: int = 512,
        show_progress: bool = True,
        console: TextIO | None = None,
        on_cells: Callable[[int], None] | None = None,
    ):
        self.backend = backend
        self.store = store
        self.max_active = max_active
        self.show_progress = show_progress
        self.console = console
        self.on_cells = on_cells
        self.stats = RunStats()
        self._owner: dict[str, Machine] = {}
        self._replay: deque[Result] = deque()

    def run(self, machines: Iterable[Machine], total_cells: int) -> RunStats:
        """Generate every open cell of `machines`; returns this invocation's stats."""
        start = time.perf_counter()
        waiting: Iterator[Machine] = iter(machines)
        active = 0
        bar = tqdm(
            total=total_cells, desc="generate", unit="cell", file=self.console, disable=not self.show_progress
        )
        with bar:
            while True:
                while active < self.max_active:
                    machine = next(waiting, None)
                    if machine is None:
                        break
                    if machine.finished:
                        continue
                    active += 1
                    self._submit(machine, machine.start())
                if not self._replay and not self.backend.pending():
                    break
                for result in self._next_results():
                    machine = self._owner.pop(result.key)
                    was_thinking = not machine.trajectory_done
                    requests, cells = machine.feed(result)
                    self._submit(machine, requests)
                    for cell in cells:
                        if self.store.add_cell(cell):
                            self.stats.cells_written += 1
                            bar.update(1)
                    if was_thinking and machine.trajectory_done:
                        self._store_trajectory(machine)
                    if machine.finished:
                        active -= 1
                self.stats.seconds = time.perf_counter() - start
                bar.set_postfix_str(f"{self.stats.tokens_per_second:,.0f} tok/s", refresh=False)
                if self.on_cells:
                    self.on_cells(self.stats.cells_written)
        return self.stats

    def _submit(self, machine: Machine, requests: list[Request]) -> None:
        for request in requests:
            self._owner[request.key] = machine
            stored = self.store.stored_generation(request.key)
            if stored is not None:
                self._replay.append(stored)
                self.stats.requests_replayed += 1
            else:
                self.backend.submit(request)

    def _next_results(self) -> list[Result]:
        if self._replay:
            results = list(self._replay)
            self._replay.clear()
            return results
        results = self.backend.poll()
        for result in results:
            self.store.add_generation(result)
            self.stats.requests_generated += 1
            self.stats.generated_tokens += result.generated_tokens
        return results

    def _store_trajectory(self, machine: Machine) -> None:
        """Store a trajectory the moment it ends, unless an earlier run stored it."""
        if self.store.has_trajectory(machine.trajectory_key):
            return
        self.store.add_trajectory(machine.trajectory_record())
