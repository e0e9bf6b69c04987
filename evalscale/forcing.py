"""Budget forcing as a per-sample state machine that asks for continuations.

One `SampleMachine` follows one (problem, sample) over a grid of cells
(cap C, Waits W). It never talks to an engine: it hands out `Request`s and is
fed `Result`s, in any order and at any time, so a scheduler can keep the engine
full and a store can replay stored results on resume.

The machine grows one thinking *trajectory* up to the largest cell: each time
the model ends thinking while Waits remain, the end-of-thinking delimiter is
dropped, the extension text ("Wait") is appended and generation goes on (with
at least one new token). Cell (C, W) is that trajectory cut at
min(C, position of the (W+1)-th stop) -- a stop exactly at C counts as the cap,
as an independent run with max_tokens=C never sees it. For every distinct cut
point the machine asks for one *answer branch*: thinking prefix + closing text
+ answer. Running a machine with a one-cell grid is an independent
(reference) run of that cell; both modes derive the same seed for the same
segment, so they agree under greedy decoding and, given the seed, under sampling.

When the extension is re-tokenized with the thinking text (s1's code, profile
`extension_tokenization: text`), appending it may replace the trajectory's
last tokens (`.` + `Wait` -> `.Wait`). The prefix model still holds: cells cut
at or before that point are decided on the ids as generated (what an
independent run of such a cell sees), every later cut counts positions in the
re-tokenized ids (what the model saw and what s1 counts), and an independent
run of a later cell makes the same replacement at the same stop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from evalscale.prompting import PromptIds
from evalscale.records import CellRecord, EndReason, Result, Trajectory


@dataclass(frozen=True)
class Request:
    """One generation the machine needs: continue `prompt_ids` greedily or by sampling."""

    key: str
    prompt_ids: tuple[int, ...]
    max_tokens: int
    stop_token_ids: tuple[int, ...]
    min_tokens: int
    seed: int
    thinking_token_budget: int | None = None  # the engine's own thinking cap (methods.py: native_cap only)


@dataclass(frozen=True)
class Grid:
    """The budget grid: thinking caps × allowed Wait counts, plus a thinking minimum."""

    caps: tuple[int, ...]
    waits: tuple[int, ...]
    min_thinking: int = 0

    def __post_init__(self) -> None:
        if not self.caps or min(self.caps) <= 0:
            raise ValueError(f"budget caps must be positive integers, got {list(self.caps)}")
        if not self.waits or min(self.waits) < 0:
            raise ValueError(f"budget Wait counts must be integers >= 0, got {list(self.waits)}")
        if self.min_thinking < 0:
            raise ValueError(f"min_thinking must be >= 0, got {self.min_thinking}")

    @property
    def cells(self) -> list[tuple[int, int]]:
        """All (cap, waits) pairs, sorted."""
        return [(cap, waits) for cap in sorted(set(self.caps)) for waits in sorted(set(self.waits))]


class Machine(Protocol):
    """What the runner drives for one sample: budget forcing's SampleMachine, or a method's (methods.py).

    It hands out Requests, takes their Results in any order, and returns finished cells;
    once its thinking is final (`trajectory_done`) the runner stores `trajectory_record()`.
    """

    trajectory_done: bool

    @property
    def finished(self) -> bool: ...

    @property
    def trajectory_key(self) -> str: ...

    def start(self) -> list[Request]: ...

    def feed(self, result: Result) -> tuple[list[Request], list[CellRecord]]: ...

    def trajectory_record(self) -> Trajectory: ...


def derive_seed(run_seed: int, *parts: object) -> int:
    """A 31-bit seed from the run seed and a path of names (problem, sample, segment)."""
    text = "/".join(str(part) for part in (run_seed, *parts))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") % (2**31 - 1)


@dataclass
class _Branch:
    """An answer branch: the thinking cut at `cut` (by the cap or a stop), and what that prefix holds."""

    cut: int
    by_cap: bool
    waits_used: int
    forced_waits: int
    segments: dict[str, int]  # the thinking segments in the prefix -> their seeds
    cells: list[tuple[int, int]] = field(default_factory=list)


class SampleMachine:
    """Budget forcing for one (problem, sample) over a grid of cells."""

    def __init__(
        self,
        *,
        problem_id: str,
        sample: int,
        prompt_ids: list[int],
        grid: Grid,
        ids: PromptIds,
        max_answer_tokens: int,
        run_seed: int,
        mode: str,
        decode: Callable[[Sequence[int]], str],
        extend: Callable[[Sequence[int]], Sequence[int]] | None = None,
        tag: str = "",
        done_cells: Iterable[tuple[int, int]] = (),
        seed_scope: tuple[str, ...] = (),
    ) -> None:
        self.problem_id = problem_id
        self.sample = sample
        self.prompt_ids = tuple(prompt_ids)
        self.grid = grid
        self.ids = ids
        self.max_answer_tokens = max_answer_tokens
        self.run_seed = run_seed
        self.mode = mode
        self.decode = decode
        self.extend = extend or (lambda thinking: [*thinking, *ids.extension])
        self.key_prefix = f"{problem_id}/{sample}{tag}"
        self.seed_scope = seed_scope  # names between the sample and the segment in its seeds' path
        self.max_cap = max(grid.caps)
        self.max_waits = max(grid.waits)
        self.thinking: list[int] = []
        self.stops: list[int] = []  # positions where the model ended thinking (Wait-eligible)
        self.forced: list[int] = []  # positions where min_thinking forced a Wait
        self.segment = 0
        self.trajectory_done = False
        done = set(done_cells)
        self.open_cells = [cell for cell in grid.cells if cell not in done]
        self.branches: dict[str, _Branch] = {}
        self.seeds: dict[str, int] = {}
        self.segment_starts: dict[str, int] = {}  # thinking segment -> position it starts at

    @property
    def finished(self) -> bool:
        """True when every cell of this sample has its record."""
        return not self.open_cells and not self.branches

    @property
    def trajectory_key(self) -> str:
        """Name of this sample's trajectory in the store."""
        return self.key_prefix

    def trajectory_record(self) -> Trajectory:
        """This sample's thinking as it finally stood (the runner stores it once the trajectory is done)."""
        return Trajectory(
            trajectory=self.trajectory_key,
            problem_id=self.problem_id,
            sample=self.sample,
            thinking_tokens=len(self.thinking),
            stops=self.stops,
            forced_waits_at=self.forced,
            thinking_text=self.decode(self.thinking),
        )

    def start(self) -> list[Request]:
        """The first requests: the first thinking segment (nothing if all cells are done)."""
        if self.finished:
            return []
        return [self._thinking_request(min_tokens=0)]

    def feed(self, result: Result) -> tuple[list[Request], list[CellRecord]]:
        """Take one finished generation; return follow-up requests and completed cells."""
        if result.key in self.branches:
            return [], self._close_branch(result)
        requests, branches = self._extend_thinking(result)
        branches += self._open_branches()
        if not self.open_cells:  # all decided early: on resume, when the largest cells are stored
            self.trajectory_done = True
            requests = []
        return requests + branches, []

    # -- thinking -----------------------------------------------------------------------------

    def _thinking_request(self, min_tokens: int) -> Request:
        name = f"t{self.segment}"
        self.segment += 1
        seed = derive_seed(self.run_seed, self.problem_id, self.sample, *self.seed_scope, name)
        self.seeds[name] = seed
        self.segment_starts[name] = len(self.thinking)
        return Request(
            key=f"{self.key_prefix}/{name}",
            prompt_ids=self.prompt_ids + tuple(self.thinking),
            max_tokens=self.max_cap - len(self.thinking),
            stop_token_ids=self.ids.think_stop_ids,
            min_tokens=min_tokens,
            seed=seed,
        )

    def _extend_thinking(self, result: Result) -> tuple[list[Request], list[Request]]:
        """Take a thinking segment; (the next thinking request if any, answer branches opened early)."""
        self.thinking.extend(result.token_ids)
        if result.finish == "length" or len(self.thinking) >= self.max_cap:
            self.trajectory_done = True
            return [], []
        if result.stop_token_id is not None and not self._ends_thinking(result.stop_token_id):
            self.thinking.append(result.stop_token_id)  # last token of a multi-token delimiter only
            if len(self.thinking) >= self.max_cap:
                return self._end(), []
            return [self._thinking_request(min_tokens=0)], []
        position = len(self.thinking)
        if position < self.grid.min_thinking:
            self.forced.append(position)
        else:
            self.stops.append(position)
            if len(self.stops) > self.max_waits:
                return self._end(), []
        return self._wait()

    def _wait(self) -> tuple[list[Request], list[Request]]:
        """Append the extension ("Wait") and continue thinking.

        Cells cut at or before this point are decided first, on the ids as
        generated: with text re-tokenization the extension may replace the last
        tokens (`.` + `Wait` -> `.Wait`), which only the continuation sees.
        """
        branches = self._open_branches()
        self.thinking = list(self.extend(self.thinking))[: self.max_cap]
        length = len(self.thinking)  # positions before it are where later cuts count from
        self.stops = [min(position, length) for position in self.stops]
        self.forced = [min(position, length) for position in self.forced]
        self.segment_starts = {name: min(start, length) for name, start in self.segment_starts.items()}
        if length >= self.max_cap:
            return self._end(), branches
        return [self._thinking_request(min_tokens=1)], branches

    def _ends_thinking(self, stop_token_id: int) -> bool:
        """Whether the tokens just generated complete an end-of-thinking sequence.

        Single-token delimiters always do. For a multi-token one the engine stops
        on its last token; the rest must precede it, and is then removed.
        """
        for sequence in self.ids.think_end:
            if sequence[-1] != stop_token_id:
                continue
            head = list(sequence[:-1])
            if not head:
                return True
            if self.thinking[len(self.thinking) - len(head) :] == head:
                del self.thinking[len(self.thinking) - len(head) :]
                return True
        return stop_token_id not in self.ids.think_stop_ids  # EOS or another stop ends thinking too

    def _end(self) -> list[Request]:
        self.trajectory_done = True
        return []

    # -- cells and answer branches -------------------------------------------------------------

    def _cut(self, cap: int, waits: int) -> tuple[int, bool] | None:
        """Cut point and whether the cap made it, once the trajectory decides it."""
        if len(self.stops) > waits and self.stops[waits] < cap:
            return self.stops[waits], False
        if len(self.thinking) >= cap:
            return cap, True
        if self.trajectory_done:
            raise AssertionError("a finished trajectory decides every cell")
        return None

    def _open_branches(self) -> list[Request]:
        requests = []
        still_open = []
        for cap, waits in self.open_cells:
            decided = self._cut(cap, waits)
            if decided is None:
                still_open.append((cap, waits))
                continue
            cut, by_cap = decided
            # a stop cut names its stop: a re-tokenized Wait may bring a later stop to a used position
            name = f"a{cut}c" if by_cap else f"a{cut}s{waits}"
            key = f"{self.key_prefix}/{name}"
            if key not in self.branches:  # the prefix is final now: count what it holds
                self.branches[key] = _Branch(
                    cut=cut,
                    by_cap=by_cap,
                    waits_used=sum(1 for position in self.stops if position < cut),
                    forced_waits=sum(1 for position in self.forced if position < cut),
                    segments={
                        segment: self.seeds[segment]
                        for segment, start in self.segment_starts.items()
                        if start < cut or start == 0
                    },
                )
                requests.append(self._answer_request(key, name, cut, by_cap))
            self.branches[key].cells.append((cap, waits))
        self.open_cells = still_open
        return requests

    def _answer_request(self, key: str, name: str, cut: int, by_cap: bool) -> Request:
        thinking = tuple(self.thinking[:cut])
        if not by_cap:
            closing = self.ids.think_close
        elif thinking and self.decode(thinking[-1:]).endswith("\n"):
            closing = self.ids.cap_close
        else:
            closing = self.ids.cap_close_newline
        seed = derive_seed(self.run_seed, self.problem_id, self.sample, *self.seed_scope, name)
        self.seeds[name] = seed
        return Request(
            key=key,
            prompt_ids=self.prompt_ids + thinking + closing,
            max_tokens=self.max_answer_tokens,
            stop_token_ids=self.ids.answer_stop,
            min_tokens=0,
            seed=seed,
        )

    def _close_branch(self, result: Result) -> list[CellRecord]:
        branch = self.branches.pop(result.key)
        name = result.key.rsplit("/", 1)[1]
        records = []
        for cap, waits in branch.cells:
            end_reason: EndReason = "cap" if branch.by_cap else ("stop" if waits == 0 else "waits_exhausted")
            records.append(
                CellRecord(
                    problem_id=self.problem_id,
                    sample=self.sample,
                    cap=cap,
                    waits=waits,
                    mode=self.mode,
                    waits_used=branch.waits_used,
                    forced_waits=branch.forced_waits,
                    thinking_tokens=branch.cut,
                    end_reason=end_reason,
                    answer_text=self.decode(result.token_ids),
                    answer_tokens=len(result.token_ids),
                    answer_finish=result.finish,
                    trajectory=self.trajectory_key,
                    seeds={**branch.segments, name: self.seeds[name]},
                )
            )
        return records
