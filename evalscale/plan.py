"""A sweep's plan: the problems, their prompt ids, the run directory and the machines that generate.

Budget forcing runs one forcing machine per (problem, sample) in shared mode and per (problem, sample,
cell) in independent mode; the other methods one machine per (problem, sample, point) (`machines`).

`make_plan` does everything that can fail on the input before an engine
loads (problems and data, model folder and tokenizer, prompts that must fit
the context), so a bad sweep stops in one sentence (ConfigError, TaskError).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evalscale.backends import EngineConfig
from evalscale.config import ConfigError, SweepConfig
from evalscale.forcing import Grid, Machine, SampleMachine
from evalscale.methods import (
    MachineFactory,
    MethodConfig,
    MethodError,
    NativeMarkers,
    Point,
    check_native_backend,
    method_points,
    native_markers,
    prefill_text,
    question_text,
)
from evalscale.models import load_tokenizer, model_context_length, resolve_model_path
from evalscale.prompting import ModelProfile, ProfileError, PromptBuilder
from evalscale.records import Problem, cell_key
from evalscale.tasks import load_problems


@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep needs, checked, before any engine starts.

    A method that runs a generation per point (methods.py) has its prompt ids and
    thinking limit per (problem id, point tag) in `point_prompts` and `limits`.
    """

    config: SweepConfig
    model_path: str
    problems: list[Problem]
    prompts: dict[str, list[int]]
    builder: PromptBuilder
    run_dir: Path
    point_prompts: Mapping[tuple[str, str], list[int]] = field(default_factory=dict)
    limits: Mapping[tuple[str, str], int] = field(default_factory=dict)
    markers: NativeMarkers | None = None
    step_end: tuple[int, ...] = ()

    @property
    def method(self) -> MethodConfig:
        """The test-time scaling method."""
        return self.config.method

    @property
    def points(self) -> list[Point]:
        """The method's cells per (problem, sample): budget forcing's grid cells, or its points."""
        return method_points(self.method, self.grid)

    @property
    def engine(self) -> EngineConfig:
        """The engine config the backend starts from: native_cap's in-process engine gets the reasoning
        config of the profile's markers (only then: it decides no other method's generations)."""
        engine = self.config.engine
        if self.markers is None or engine.backend != "vllm":
            return engine
        options = {**engine.options, "reasoning_config": self.markers.reasoning_config()}
        return dataclasses.replace(engine, options=MappingProxyType(options))

    @property
    def profile(self) -> ModelProfile:
        """The model's prompt profile."""
        return self.config.model.profile

    @property
    def grid(self) -> Grid:
        """The budget grid."""
        return self.config.grid

    @property
    def cells_per_problem(self) -> int:
        """The method's points (budget forcing: grid cells) times samples."""
        return len(self.points) * self.config.run.samples

    def sent_prompts(self) -> dict[tuple[str, str], list[int]]:
        """The prompt ids the run sends, by (problem id, point tag): budget forcing's one per problem (tag
        ""), another method's one per problem and point (`point_prompts`; NoThinking's one point has the
        tag "" too), for this plan's problems (a shard's)."""
        if self.method.shares_trajectory:
            return {(problem_id, ""): ids for problem_id, ids in self.prompts.items()}
        return {key: ids for key, ids in self.point_prompts.items() if key[0] in self.prompts}

    def thinking_limits(self) -> dict[str, tuple[int, int]]:
        """The thinking limit a method's requests run under, by point: its (lowest, highest) over the
        problems (the methods that do not cut thinking get what each prompt leaves of the context); the
        point is named by its tag without "/" ("C8", "S16", "short"; NoThinking: "nothinking"). Empty for
        budget forcing, whose limit is each cell's cap."""
        by_point: dict[str, list[int]] = {}
        for (problem_id, tag), limit in self.limits.items():
            if problem_id in self.prompts:
                by_point.setdefault(tag.lstrip("/") or self.method.name, []).append(limit)
        return {name: (min(limits), max(limits)) for name, limits in by_point.items()}

    def cell_keys(self) -> Iterator[str]:
        """The key of every cell the plan asks for."""
        for problem in self.problems:
            for sample in range(self.config.run.samples):
                for point in self.points:
                    yield cell_key(problem.id, sample, point.cap, point.waits, point.condition)

    def machines(self, done: Collection[str]) -> Iterator[Machine]:
        """One machine per (problem, sample) in shared mode, per (problem, sample, cell) otherwise,
        and per (problem, sample, point) for the methods that run a generation per point;
        `done` holds the keys of cells stored already, which the machines skip."""
        if not self.method.shares_trajectory:
            yield from self._point_machines(done)
            return
        groups = (
            [self.grid]
            if self.config.run.mode == "shared"
            else [Grid((cap,), (waits,), self.grid.min_thinking) for cap, waits in self.grid.cells]
        )
        for problem in self.problems:
            for sample in range(self.config.run.samples):
                for grid in groups:
                    yield self.machine(
                        problem.id,
                        sample,
                        grid,
                        done_cells=[c for c in grid.cells if cell_key(problem.id, sample, *c) in done],
                    )

    def machine(
        self, problem_id: str, sample: int, grid: Grid, done_cells: Collection[tuple[int, int]] = ()
    ) -> SampleMachine:
        """The forcing machine of one sample over `grid` (the plan's grid in shared mode, one cell
        otherwise: its trajectory key then carries the cell)."""
        tag = "" if self.config.run.mode == "shared" else f"/C{grid.caps[0]}W{grid.waits[0]}"
        return self.factory().forcing(
            problem_id, sample, self.prompts[problem_id], grid, tag, done_cells=done_cells
        )

    def factory(self) -> MachineFactory:
        """What builds this plan's machines, from its prompt ids and run options."""
        run = self.config.run
        return MachineFactory(
            method=self.method,
            ids=self.builder.ids,
            max_answer_tokens=self.profile.max_answer_tokens,
            run_seed=run.seed,
            mode=run.mode,
            decode=self.builder.decode,
            extend=self.builder.extend,
            step_end=self.step_end,
            markers=self.markers,
        )

    def _point_machines(self, done: Collection[str]) -> Iterator[Machine]:
        run = self.config.run
        factory = self.factory()
        for problem in self.problems:
            for sample in range(run.samples):
                for point in self.points:
                    where = (problem.id, point.tag)
                    key = cell_key(problem.id, sample, point.cap, point.waits, point.condition)
                    prompt, limit = self.point_prompts[where], self.limits[where]
                    yield factory.machine(problem.id, sample, point, prompt, limit, key in done)


def make_plan(config: SweepConfig) -> SweepPlan:
    """Load problems and tokenizer, build prompts and check they fit; no engine yet."""
    run = config.run
    problems = load_problems(
        config.task, data_dir=run.data_dir, seed=run.seed, limit=run.limit, problem_ids=run.problem_ids
    )
    profile = config.model.profile
    model_path = resolve_model_path(config.model)
    try:
        builder = PromptBuilder(profile, load_tokenizer(profile.tokenizer or model_path))
        prompts = {problem.id: builder.prompt_ids(problem.question) for problem in problems}
        method = method_prompts(config, model_path, builder, problems, prompts)
        if method.markers is not None:
            options = dict(config.engine.options)
            check_native_backend(config.engine.backend, options, model_path, method.markers)
    except (ProfileError, MethodError) as error:
        raise ConfigError(str(error)) from error
    if config.method.shares_trajectory:
        max_model_len = config.engine.max_model_len or model_context_length(model_path)
        check_lengths(prompts, config.grid, builder, max_model_len)
    name = run.mode if config.method.shares_trajectory else config.method.name
    run_dir = (
        run.run_dir or Path("runs") / profile.name / config.task.name / f"{name}-{config.config_hash[:10]}"
    )
    if run.shard:
        index, count = run.shard
        problems = problems[index::count]
        prompts = {problem.id: prompts[problem.id] for problem in problems}
        run_dir = run_dir / f"shard-{index}-of-{count}"
    return SweepPlan(config, model_path, problems, prompts, builder, run_dir, **method.plan_fields())


@dataclass(frozen=True)
class MethodPrompts:
    """What a method that runs a generation per point adds to its plan (SweepPlan's fields of the same
    names); empty for budget forcing."""

    point_prompts: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    limits: dict[tuple[str, str], int] = field(default_factory=dict)
    markers: NativeMarkers | None = None
    step_end: tuple[int, ...] = ()

    def plan_fields(self) -> dict[str, Any]:
        """These fields as SweepPlan's keyword arguments."""
        return {name.name: getattr(self, name.name) for name in dataclasses.fields(self)}


def method_prompts(
    config: SweepConfig,
    model_path: str,
    builder: PromptBuilder,
    problems: list[Problem],
    prompts: Mapping[str, list[int]],
) -> MethodPrompts:
    """The prompt ids and thinking limit of every (problem, point) of a method that runs a generation per
    point, native_cap's markers and scc_bf's step end; nothing for budget forcing.

    Builds what the sweep sends, so a stored run's replay (`replay.stored_plan`) gets
    the same ids; it asks no engine or server (make_plan checks native_cap's backend).
    ProfileError or MethodError where the profile cannot serve, ConfigError where a
    prompt and its thinking do not fit the context.
    """
    method, profile = config.method, config.model.profile
    if method.shares_trajectory:
        return MethodPrompts()
    points = method_points(method, config.grid)
    prefill = prefill_text(method, profile)
    point_prompts: dict[tuple[str, str], list[int]] = {}
    for problem in problems:
        for point in points:
            text = question_text(problem.question, point)
            same = text == problem.question and not prefill
            point_prompts[(problem.id, point.tag)] = (
                prompts[problem.id] if same else builder.prompt_ids(text, prefill)
            )
    markers, step_end = None, ()
    if method.name == "native_cap":
        markers = native_markers(builder)
        for ids in prompts.values():
            markers.budget_offset(ids)
    if method.name == "scc_bf" and profile.step_end:
        step_end = tuple(builder.text_ids(profile.step_end, "the step_end text"))
    max_model_len = config.engine.max_model_len or model_context_length(model_path)
    limits = point_limits(point_prompts, points, method, builder, max_model_len)
    return MethodPrompts(point_prompts, limits, markers, step_end)


def point_limits(
    prompts: Mapping[tuple[str, str], list[int]],
    points: list[Point],
    method: MethodConfig,
    builder: PromptBuilder,
    max_model_len: int,
) -> dict[tuple[str, str], int]:
    """The thinking limit of every (problem, point) prompt; ConfigError where the context cannot hold it.

    A point's own limit (its enforced cap; 0 for NoThinking) must fit with the
    prompt, the closing and the answer; the methods that do not cut thinking
    get `method.max_thinking_tokens`, else what the context leaves (s1's "auto").
    """
    closing, answer = after_thinking(builder)
    tags = {point.tag: point for point in points}
    limits = {}
    for (problem_id, tag), ids in prompts.items():
        point = tags[tag]
        room = max_model_len - len(ids) - closing - answer
        limit = point.limit if point.limit is not None else (method.max_thinking_tokens or room)
        if limit > room or (point.limit is None and limit < 1):
            raise ConfigError(
                f"method={method.name}: the prompt of problem {problem_id} ({len(ids)} tokens) + thinking "
                f"({limit}) + closing ({closing}) + answer ({answer}) exceeds the context length "
                f"{max_model_len}; lower the caps or method.max_thinking_tokens, or raise "
                "engine.max_model_len"
            )
        limits[(problem_id, tag)] = limit
    return limits


def after_thinking(builder: PromptBuilder) -> tuple[int, int]:
    """The tokens a sequence needs after its thinking: the longest closing, and the answer's limit."""
    closing = max(len(builder.ids.cap_close_newline), len(builder.ids.think_close))
    return closing, builder.profile.max_answer_tokens


def check_lengths(
    prompts: dict[str, list[int]], grid: Grid, builder: PromptBuilder, max_model_len: int
) -> None:
    """Fail before generation if the longest prompt plus the largest cell cannot fit the context."""
    longest = max((len(ids) for ids in prompts.values()), default=0)
    closing, answer = after_thinking(builder)
    needed = longest + max(grid.caps) + closing + answer
    if needed > max_model_len:
        raise ConfigError(
            f"the longest prompt ({longest} tokens) + largest cap ({max(grid.caps)}) + closing ({closing}) + "
            f"answer ({answer}) = {needed} tokens exceeds the context length "
            f"{max_model_len}; lower budget.caps, or raise engine.max_model_len if the model allows it"
        )
