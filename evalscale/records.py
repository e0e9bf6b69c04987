"""Typed records that flow between the boxes of the pipeline: the five kinds a run directory stores.

| record | file (see store.py) | written by |
|---|---|---|
| `Problem` | problems.jsonl | the sweep, once per problem |
| `Result` | generations.jsonl | the runner, once per finished engine request |
| `Trajectory` | trajectories.jsonl | the runner, once per sample's thinking |
| `CellRecord` | cells.jsonl | the runner, once per (problem, sample, cap, waits[, condition]) |
| `Verdict` | verdicts.jsonl | grading, once per cell |

Every record is a dataclass that round-trips through one JSON object per
line, its fields in declaration order (store.py reads some keys from a
line's head, so the leading fields are part of the format). Records carry
raw facts (token ids, cut points, seeds), never only derived numbers, so any
downstream result can be recomputed from the run directory.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

AnswerType = Literal["integer", "math", "choice"]
EndReason = Literal["stop", "waits_exhausted", "cap", "prefilled", "never_fit"]
Finish = Literal["stop", "length"]

T = TypeVar("T")
# Field metadata of optional record fields that other methods than budget forcing set: a field left at
# None is not written (a budget-forcing record stays byte for byte what it was before methods existed).
OMITTED_WHEN_UNSET = {"omitted_when_unset": True}


@dataclass(frozen=True)
class Problem:
    """One benchmark question as the model sees it.

    `question` is the user turn's text. `gold` is the reference answer: a math
    string for "integer"/"math", a letter A-D for "choice". `metadata` holds what
    is needed to interpret the record later (for GPQA: the option texts in shown
    order and the permutation applied to the source order).
    """

    id: str
    question: str
    gold: str
    answer_type: AnswerType
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """What the engine produced for one request (forcing.Request): new tokens, stop token excluded.

    `finish` is "length" when the request's max_tokens ended it; `stop_token_id`
    is the stop (or EOS) token that ended it otherwise. Stored as is, so a
    resumed run replays it instead of asking the engine again.
    """

    key: str
    token_ids: tuple[int, ...]
    finish: Finish
    stop_token_id: int | None = None

    @property
    def generated_tokens(self) -> int:
        """Tokens the engine generated for this request, the stop token included."""
        return len(self.token_ids) + (self.stop_token_id is not None)


@dataclass(frozen=True)
class Trajectory:
    """One sample's thinking as it finally stood, for people reading a run (cells are cut from it).

    `stops` are the positions where the model ended thinking (each replaced by a
    Wait while Waits remained), `forced_waits_at` where `min_thinking` forced one.
    """

    trajectory: str
    problem_id: str
    sample: int
    thinking_tokens: int
    stops: list[int]
    forced_waits_at: list[int]
    thinking_text: str


@dataclass(frozen=True)
class CellRecord:
    """The outcome of one grid cell: (problem, sample, cap, waits[, condition]).

    `thinking_tokens` counts the tokens between the thinking delimiters that
    the model saw (appended "Wait" tokens included, delimiters excluded); it is
    also the cut point in the sample's trajectory. `end_reason` says why
    thinking ended: the model stopped with no Waits allowed ("stop"), it stopped
    after using every allowed Wait ("waits_exhausted"), or the cap closed it
    ("cap").

    Other methods than budget forcing (methods.py) use the same record: `cap`
    is the point's instructed or enforced budget (tokens; steps for
    step-conditional control; 0 for none), `condition` names a prompt class
    (class-conditional control: "short", "plain", "long") and is part of the
    key, `tries` counts rejection sampling's draws. NoThinking's thinking is
    "prefilled"; a rejection-sampled sample that never fit its cap is
    "never_fit" (no answer: counted wrong). Unset, `condition` and `tries`
    are not written.
    """

    problem_id: str
    sample: int
    cap: int
    waits: int
    condition: str | None = field(default=None, kw_only=True, metadata=OMITTED_WHEN_UNSET)
    mode: str
    waits_used: int
    forced_waits: int
    thinking_tokens: int
    end_reason: EndReason
    answer_text: str
    answer_tokens: int
    answer_finish: str
    trajectory: str
    seeds: dict[str, int]
    tries: int | None = field(default=None, kw_only=True, metadata=OMITTED_WHEN_UNSET)

    @property
    def key(self) -> str:
        """Unique id of the cell inside a run."""
        return cell_key(self.problem_id, self.sample, self.cap, self.waits, self.condition)


@dataclass(frozen=True)
class Verdict:
    """The grader's decision on one cell's answer."""

    key: str
    correct: bool
    extracted: str | None
    reason: str


def cell_key(problem_id: str, sample: int, cap: int, waits: int, condition: str | None = None) -> str:
    """Key of the cell (problem, sample, cap, waits[, condition]); used to join cells and verdicts.

    A condition (a prompt class of class-conditional control) is part of the key only when set.
    """
    key = f"{problem_id}|{sample}|{cap}|{waits}"
    return key if condition is None else f"{key}|{condition}"


def to_json_dict(record: Any) -> dict[str, Any]:
    """A record as a plain dict for json.dumps (fields are plain values; no deep copy); optional
    fields left unset (OMITTED_WHEN_UNSET) are left out."""
    return {
        f.name: getattr(record, f.name)
        for f in dataclasses.fields(record)
        if not (f.metadata.get("omitted_when_unset") and getattr(record, f.name) is None)
    }


def from_json_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build a record of type `cls` from a dict read from JSONL (unknown keys ignored; JSON lists
    become tuples where the field is a tuple)."""
    fields = {f.name: str(f.type) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(
        **{
            key: tuple(value) if fields[key].startswith("tuple") and isinstance(value, list) else value
            for key, value in data.items()
            if key in fields
        }
    )
