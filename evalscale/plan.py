"""A sweep's plan: the problems, their prompt ids, the run directory and one forcing machine per sample.

`make_plan` does everything that can fail on the input before an engine
loads (problems and data, model folder and tokenizer, prompts that must fit
the context), so a bad sweep stops in one sentence (ConfigError, TaskError).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from evalscale.config import ConfigError, SweepConfig
from evalscale.forcing import Grid, SampleMachine
from evalscale.models import load_tokenizer, model_context_length, resolve_model_path
from evalscale.prompting import ModelProfile, ProfileError, PromptBuilder
from evalscale.records import Problem, cell_key
from evalscale.tasks import load_problems


@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep needs, checked, before any engine starts."""

    config: SweepConfig
    model_path: str
    problems: list[Problem]
    prompts: dict[str, list[int]]
    builder: PromptBuilder
    run_dir: Path

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
        """Grid cells times samples."""
        return len(self.grid.cells) * self.config.run.samples

    def cell_keys(self) -> Iterator[str]:
        """The key of every cell the plan asks for."""
        for problem in self.problems:
            for sample in range(self.config.run.samples):
                for cap, waits in self.grid.cells:
                    yield cell_key(problem.id, sample, cap, waits)

    def machines(self, done: Collection[str]) -> Iterator[SampleMachine]:
        """One machine per (problem, sample) in shared mode, per (problem, sample, cell) otherwise;
        `done` holds the keys of cells stored already, which the machines skip."""
        shared = self.config.run.mode == "shared"
        groups = (
            [self.grid]
            if shared
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
        run = self.config.run
        return SampleMachine(
            problem_id=problem_id,
            sample=sample,
            prompt_ids=self.prompts[problem_id],
            grid=grid,
            ids=self.builder.ids,
            max_answer_tokens=self.profile.max_answer_tokens,
            run_seed=run.seed,
            mode=run.mode,
            decode=self.builder.decode,
            extend=self.builder.extend,
            tag="" if run.mode == "shared" else f"/C{grid.caps[0]}W{grid.waits[0]}",
            done_cells=done_cells,
        )


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
    except ProfileError as error:
        raise ConfigError(str(error)) from error
    max_model_len = config.engine.max_model_len or model_context_length(model_path)
    check_lengths(prompts, config.grid, builder, max_model_len)
    run_dir = (
        run.run_dir
        or Path("runs") / profile.name / config.task.name / f"{run.mode}-{config.config_hash[:10]}"
    )
    if run.shard:
        index, count = run.shard
        problems = problems[index::count]
        prompts = {problem.id: prompts[problem.id] for problem in problems}
        run_dir = run_dir / f"shard-{index}-of-{count}"
    return SweepPlan(config, model_path, problems, prompts, builder, run_dir)


def check_lengths(
    prompts: dict[str, list[int]], grid: Grid, builder: PromptBuilder, max_model_len: int
) -> None:
    """Fail before generation if the longest prompt plus the largest cell cannot fit the context."""
    longest = max((len(ids) for ids in prompts.values()), default=0)
    closing = max(len(builder.ids.cap_close_newline), len(builder.ids.think_close))
    answer = builder.profile.max_answer_tokens
    needed = longest + max(grid.caps) + closing + answer
    if needed > max_model_len:
        raise ConfigError(
            f"the longest prompt ({longest} tokens) + largest cap ({max(grid.caps)}) + closing ({closing}) + "
            f"answer ({answer}) = {needed} tokens exceeds the context length "
            f"{max_model_len}; lower budget.caps, or raise engine.max_model_len if the model allows it"
        )
