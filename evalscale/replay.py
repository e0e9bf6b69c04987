"""A stored run replayed without an engine: the exact prompt and thinking ids of each of its cells.

A run stores the generated ids (generations.jsonl), not the prompts it built
around them. To give them back, `stored_plan` rebuilds the run's plan from its
manifest (the resolved config), its problems.jsonl and the model's tokenizer,
and `RunReplay` feeds each sample's forcing machine (`SweepPlan.machine`, as
the sweep built it) its stored thinking segments in the order it asks for them,
as a resumed sweep does. The answer requests it hands out hold the exact
thinking of their cells: prompt + thinking[:cut] + closing. That matters with
`extension_tokenization: text` (s1), where a Wait re-tokenizes the tail of
the thinking (`.` + `Wait` -> `.Wait`): a cell cut at or before that point saw
the ids as generated, which the trajectory's final ids no longer hold.

A run of another method (methods.py) is replayed the same way, point by point:
the plan rebuilds each (problem, point)'s prompt and thinking limit as the
sweep did (`plan.method_prompts`), and each cell's machine
(`MachineFactory.machine`: a tcc, scc, ccc point, rejection sampling's draws,
NoThinking's answer, native_cap's one request) is fed its stored generations.
A cell's thinking is then what its answer request held after its prompt
(NoThinking: none; its closed thinking is part of the prompt), or, where no
answer request was made, the machine's own thinking: native_cap's, split from
its one request, and for a rejection-sampled sample that never fit, the last
draw's (`thinking_tokens` = the cap of it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from evalscale.config import ConfigError, load_config
from evalscale.forcing import Grid, Machine, Request, Result, SampleMachine
from evalscale.methods import MethodError, Point
from evalscale.models import load_tokenizer, resolve_model_path
from evalscale.plan import SweepPlan, method_prompts
from evalscale.prompting import ProfileError, PromptBuilder
from evalscale.records import Problem
from evalscale.store import GENERATIONS, PROBLEMS, GenerationReader, StoreError, iter_records, read_manifest

Stored = Callable[[str], Result | None]  # a generation by request key, None when not stored
TRAJECTORIES_KEPT = 64  # replayed samples held at once (cells of one sample are usually close together)


def stored_plan(run_dir: Path) -> SweepPlan:
    """The plan of a stored run: its config from the manifest, its problems from problems.jsonl, its
    prompts rebuilt with the model's tokenizer (the manifest's model_path, else the config's model),
    and for a method with a prompt per point those prompts and their thinking limits too.

    ConfigError when the config or tokenizer cannot serve (it cannot be loaded, or does not give the
    prompt texts back); StoreError when the manifest holds no config.
    """
    manifest = read_manifest(run_dir)
    if not manifest.get("config"):
        raise StoreError(f"{run_dir}: manifest.json holds no config to rebuild the run's prompts from")
    config = load_config(manifest["config"])
    model_path = manifest.get("model_path")
    if not model_path or (Path(model_path).is_absolute() and not Path(model_path).exists()):
        model_path = resolve_model_path(config.model)  # the folder moved: the config's model
    profile = config.model.profile
    problems = list(iter_records(run_dir / PROBLEMS, Problem))
    try:
        builder = PromptBuilder(profile, load_tokenizer(profile.tokenizer or model_path))
        prompts = {problem.id: builder.prompt_ids(problem.question) for problem in problems}
        method = method_prompts(config, str(model_path), builder, problems, prompts)
    except (ProfileError, MethodError) as error:  # the tokenizer does not give the run's texts back
        raise ConfigError(str(error)) from error
    return SweepPlan(
        config, str(model_path), problems, prompts, builder, Path(run_dir), **method.plan_fields()
    )


def answer_requests(machine: SampleMachine, stored: Stored) -> tuple[dict[str, Request], list[int]]:
    """Replay one sample: feed a fresh `machine` the stored result of each thinking request it asks
    for, until it asks for none. Returns the answer requests it handed out, by key, and its final
    thinking ids. A thinking segment that was never stored ends the replay there (an unfinished run)."""
    answers: dict[str, Request] = {}
    waiting = machine.start()
    while waiting:
        request = waiting.pop()
        if request.key in machine.branches:
            answers[request.key] = request
            continue
        result = stored(request.key)
        if result is not None:
            waiting += machine.feed(result)[0]
    return answers, list(machine.thinking)


def answer_branch(cell: Mapping[str, Any]) -> str | None:
    """The name of the answer branch a stored cell was answered on (`a{cut}c`, `a{cut}s{waits}`): the
    one answer request among its seeds; None for a cell stored without it."""
    return next((name for name in cell.get("seeds") or {} if name.startswith("a")), None)


def replay_machine(machine: Machine, stored: Stored) -> dict[str, Request]:
    """Replay a method's point: feed `machine` the stored result of every request it makes, answers
    included, until it makes none or one was never stored. Returns every request it made, by key."""
    requests: dict[str, Request] = {}
    waiting = machine.start()
    while waiting:
        request = waiting.pop()
        requests[request.key] = request
        result = stored(request.key)
        if result is not None:
            waiting += machine.feed(result)[0]
    return requests


def final_thinking(machine: Machine) -> list[int]:
    """The thinking ids a replayed point's machine ended with (rejection sampling: its last draw's)."""
    draw = getattr(machine, "current", machine)
    return list(getattr(draw, "thinking", ()))


class RunReplay:
    """Exact prompt and thinking ids of a stored run's cells; samples (a method's points) are replayed
    when first asked for and the last TRAJECTORIES_KEPT are kept."""

    def __init__(self, plan: SweepPlan, stored: Stored, reader: GenerationReader | None = None) -> None:
        self.plan = plan
        self.stored = stored
        self.reader = reader
        self.points = {(point.cap, point.waits, point.condition): point for point in plan.points}
        self._replayed = functools.lru_cache(maxsize=TRAJECTORIES_KEPT)(self._replay)
        self._replayed_points = functools.lru_cache(maxsize=TRAJECTORIES_KEPT)(self._replay_point)

    @classmethod
    def open(cls, run_dir: Path) -> RunReplay:
        """The replay of a run directory (see `stored_plan`); close it when done."""
        reader = GenerationReader(Path(run_dir) / GENERATIONS)
        return cls(stored_plan(run_dir), reader.get, reader)

    def cell_prompt_ids(self, cell: Mapping[str, Any]) -> list[int] | None:
        """The prompt ids a stored cell's requests started from: its problem's (budget forcing), or its
        problem's at its point (another method: the question with the point's sentence, NoThinking's
        closed thinking); None for a cell of no point of the run's config."""
        problem_id = str(cell["problem_id"])
        if self.plan.method.shares_trajectory:
            return self.plan.prompts.get(problem_id)
        point = self.point_of(cell)
        return None if point is None else self.plan.point_prompts.get((problem_id, point.tag))

    def point_of(self, cell: Mapping[str, Any]) -> Point | None:
        """The method's point a stored cell belongs to (by cap, waits and condition), None if none."""
        return self.points.get((int(cell["cap"]), int(cell["waits"]), cell.get("condition")))

    def thinking_ids(self, cell: Mapping[str, Any]) -> list[int] | None:
        """The thinking ids the model saw before a stored cell's answer (`thinking_tokens` of them):
        from the prompt of the cell's answer request (for a method's point without one, see the module
        docstring); None when the replay cannot rebuild it (its segments are not all stored, or the
        rebuilt request does not hold `thinking_tokens` ids)."""
        if not self.plan.method.shares_trajectory:
            return self._point_thinking_ids(cell)
        problem_id, cut = str(cell["problem_id"]), int(cell["thinking_tokens"])
        alone = None if self.plan.config.run.mode == "shared" else (int(cell["cap"]), int(cell["waits"]))
        answers, _ = self._replayed(problem_id, int(cell["sample"]), alone)
        branch = answer_branch(cell)
        request = answers.get(f"{cell['trajectory']}/{branch}") if branch else None
        if request is None:
            return None
        start = len(self.plan.prompts[problem_id])
        thinking = list(request.prompt_ids[start : start + cut])
        return thinking if len(thinking) == cut else None

    def _replay(
        self, problem_id: str, sample: int, alone: tuple[int, int] | None
    ) -> tuple[dict[str, Request], list[int]]:
        """Replay one sample over the run's grid (shared mode) or over its one cell `alone`."""
        grid = (
            self.plan.grid if alone is None else Grid((alone[0],), (alone[1],), self.plan.grid.min_thinking)
        )
        return answer_requests(self.plan.machine(problem_id, sample, grid), self.stored)

    def _point_thinking_ids(self, cell: Mapping[str, Any]) -> list[int] | None:
        point, prompt = self.point_of(cell), self.cell_prompt_ids(cell)
        if point is None or prompt is None:
            return None
        requests, machine = self._replayed_points(str(cell["problem_id"]), int(cell["sample"]), point.tag)
        branch = answer_branch(cell)
        request = requests.get(f"{cell['trajectory']}/{branch}") if branch else None
        cut = int(cell["thinking_tokens"])
        if request is not None:
            thinking = list(request.prompt_ids[len(prompt) : len(prompt) + cut])
        elif getattr(machine, "trajectory_key", None) == cell["trajectory"]:
            thinking = final_thinking(machine)[:cut]
        else:
            return None
        return thinking if len(thinking) == cut else None

    def _replay_point(self, problem_id: str, sample: int, tag: str) -> tuple[dict[str, Request], Machine]:
        """Replay one (problem, sample, point) of a method's run: its requests by key and its machine."""
        point = next(point for point in self.points.values() if point.tag == tag)
        where = (problem_id, tag)
        machine = self.plan.factory().machine(
            problem_id, sample, point, self.plan.point_prompts[where], self.plan.limits[where], False
        )
        return replay_machine(machine, self.stored), machine

    def close(self) -> None:
        """Close the generations file if the replay opened it."""
        if self.reader is not None:
            self.reader.close()
