"""Store memory and resume time against run size, on a fast fake engine.

The real sweep code runs (`evalscale.sweep.generate`: store, runner, forcing) with
a stand-in engine that answers every request at once, so a 100M-token run takes
minutes on a CPU. The grid is MATH500-like: 500 problems, caps 1k-16k x Waits
0-8 (25 cells), thinking that mostly runs to the cap (about 16k tokens a
sample), token ids spread over a 150k vocabulary (as long in JSON as real ones).

For each size (samples per problem) it measures, each in a fresh process whose
peak RSS comes from the kernel's rusage of that child (os.wait4):
- fresh: the whole run into an empty run dir;
- resume finished: the same command on the finished run dir (nothing to do);
- killed at 50%: a fresh run that SIGKILLs itself when about to write the cell
  record half the cells in (an exact point, not a timer), then the resume of it,
  whose records are checked against the fresh run's (same cells, no generation
  stored twice, none regenerated).
Run dirs are deleted after each size.

Run: .venv/bin/python bench/scale.py [samples=2,8,32] [problems=500] [steps=fresh,finished,killed]
Last line: rss_bytes_per_token=<slope of fresh-run peak RSS against stored tokens>
resume_finished_mb=<peak RSS of resuming the finished run, largest size>
Targets: rss_bytes_per_token < 1; a finished 63M-token run resumes in < 3 s under 500 MB.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from kill_worker import kill_after_appends  # noqa: E402  (the fault tests' exact-point kill)

from evalscale import store  # noqa: E402
from evalscale.forcing import Grid, Request, Result  # noqa: E402
from evalscale.plan import SweepPlan  # noqa: E402
from evalscale.prompting import ModelProfile, PromptBuilder  # noqa: E402
from evalscale.records import Problem  # noqa: E402
from evalscale.sweep import generate  # noqa: E402

CAPS = (1024, 2048, 4096, 8192, 16384)
WAITS = (0, 1, 2, 4, 8)
SPECIALS = {"<|im_end|>": 1, "</think>": 2, "Wait": 3, "\n": 4, "<|im_start|>": 5, "answer": 6, "<think>": 7}
SPECIAL_PATTERN = re.compile("(" + "|".join(map(re.escape, SPECIALS)) + ")")
FIRST_WORD = 1000
VOCAB = 151_000
# Text of each id: about 4 characters a token (as a real token), but markers and the ids `encode` gives
# prompt characters decode to their own text, so the prompt builder's round-trip check passes.
TEXT_OF = [f" w{token % 100:02d}" for token in range(VOCAB)]
TEXT_OF[FIRST_WORD : FIRST_WORD + 1000] = [chr(code) for code in range(1000)]
for marker, marker_id in SPECIALS.items():
    TEXT_OF[marker_id] = marker
POOL = np.random.default_rng(0).integers(FIRST_WORD, VOCAB, size=1 << 20)


class FastTokenizer:
    """A tokenizer for the fake model: markers are one token each, other text one token per character;
    a generated token decodes to 4 characters (about what a real token does)."""

    eos_token_id = SPECIALS["<|im_end|>"]

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        ids: list[int] = []
        for part in SPECIAL_PATTERN.split(text):
            ids.extend([SPECIALS[part]] if part in SPECIALS else (FIRST_WORD + ord(c) % 1000 for c in part))
        return ids

    def decode(self, ids: list[int], **options: Any) -> str:  # skip_special_tokens etc. change nothing here
        return "".join([TEXT_OF[token] for token in ids])

    def apply_chat_template(self, conversation: list[dict[str, str]], **kwargs: Any) -> str:
        turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in conversation)
        return turns + "<|im_start|>assistant\n"


class FastEngine:
    """A backend that answers at once: each request's output is a function of its seed.

    Thinking stops every 500-6,000 tokens (so Waits and answer branches happen),
    answers take 20-80 tokens; ids come from a fixed random pool, as new int
    objects each time (as from a real engine).
    """

    def __init__(self, think_stop: int, batch: int = 64) -> None:
        self.think_stop = think_stop
        self.batch = batch
        self.queue: deque[Request] = deque()
        self.stored_tokens = 0

    def submit(self, request: Request) -> None:
        self.queue.append(request)

    def pending(self) -> int:
        return len(self.queue)

    def poll(self) -> list[Result]:
        results = [self._generate(self.queue.popleft()) for _ in range(min(self.batch, len(self.queue)))]
        self.stored_tokens += sum(len(result.token_ids) for result in results)
        return results

    def close(self) -> None:
        self.queue.clear()

    def _generate(self, request: Request) -> Result:
        rng = random.Random(request.seed)
        thinking = self.think_stop in request.stop_token_ids
        length = max(request.min_tokens, rng.randint(500, 6000) if thinking else rng.randint(20, 80))
        start = rng.randrange(len(POOL) - length)
        if length >= request.max_tokens:
            return Result(request.key, tuple(POOL[start : start + request.max_tokens].tolist()), "length")
        stop = self.think_stop if thinking else SPECIALS["<|im_end|>"]
        return Result(request.key, tuple(POOL[start : start + length].tolist()), "stop", stop)


def make_fast_plan(run_dir: Path, samples: int, problems: int) -> SweepPlan:
    """A shared-mode sweep plan over `problems` x `samples` on the fake tokenizer."""
    profile = ModelProfile(
        name="fake-150k",
        path="",
        think_open="<think>\n",
        think_end=("</think>",),
        think_close="</think>",
        cap_close="<|im_start|>answer\nFinal Answer:",
        max_answer_tokens=128,
    )
    builder = PromptBuilder(profile, FastTokenizer())
    items = [
        Problem(f"p{index:03d}", f"Problem {index}: " + "x" * 300, "7", "integer")
        for index in range(problems)
    ]
    config = {
        "mode": "shared",
        "samples": samples,
        "seed": 0,
        "max_active_samples": 512,
        "progress": False,
        "task": {"name": "fake-math500"},
        "budget": {"caps": list(CAPS), "waits": list(WAITS)},
        "sampling": {"temperature": 0.6},
        "engine": {},
    }
    return SweepPlan(
        config=config,
        profile=profile,
        model_path="fake-150k",
        grid=Grid(CAPS, WAITS),
        problems=items,
        prompts={problem.id: builder.prompt_ids(problem.question) for problem in items},
        builder=builder,
        run_dir=run_dir,
        config_hash=f"fake-{samples}-{problems}",
    )


def records_digest(run_dir: Path) -> dict[str, Any]:
    """Order-free digest of the cells, cell and generation counts, and whether a key repeats."""
    digest = 0
    cells = 0
    with (run_dir / store.CELLS).open("rb") as handle:
        for line in handle:
            digest ^= int.from_bytes(hashlib.blake2b(line, digest_size=8).digest(), "big")
            cells += 1
    keys: set[str] = set()
    generations = 0
    with (run_dir / store.GENERATIONS).open("rb") as handle:
        for line in handle:
            keys.add(line[: line.index(b'", "')].decode())
            generations += 1
    return {"cells": cells, "digest": f"{digest:016x}", "generations": generations, "unique": len(keys)}


def child(mode: str, run_dir: Path, samples: int, problems: int) -> None:
    """One measured step in this process; prints its facts as one JSON line."""
    plan = make_fast_plan(run_dir, samples, problems)
    if mode == "digest":
        print(json.dumps(records_digest(run_dir)))
        return
    if mode == "kill":  # the process group is this child alone (see measure)
        kill_after_appends("cells.jsonl", len(plan.problems) * plan.cells_per_problem // 2, torn=False)
    engine = FastEngine(think_stop=plan.builder.ids.think_stop_ids[0])
    start, cpu = time.perf_counter(), time.process_time()
    status = generate(plan, engine)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"status": status, "wall": wall, "cpu": cpu, "tokens": engine.stored_tokens}))


def measure(mode: str, run_dir: Path, samples: int, problems: int) -> dict[str, Any]:
    """Run one step in a fresh process; its JSON line plus peak RSS (bytes) and exit status."""
    command = [sys.executable, __file__, "child", mode, str(run_dir), str(samples), str(problems)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    facts = json.loads(output) if output.strip() else {}
    return {**facts, "rss": usage.ru_maxrss * 1024, "exit": process.returncode}


def timing(step: dict[str, Any]) -> str:
    """Wall and CPU seconds of a step (CPU time is what a loaded, shared machine distorts least)."""
    return f"{step['wall']:7.1f} s wall {step['cpu']:7.1f} s CPU"


def check(condition: bool, message: str) -> None:
    """Stop the benchmark with `message` when a guarantee does not hold."""
    if not condition:
        raise SystemExit(f"bench/scale.py: {message}")


def run_size(samples: int, problems: int, steps: set[str], folder: Path) -> dict[str, Any]:
    """Measure one run size; returns the fresh run's tokens and peak RSS and the finished resume's RSS."""
    fresh_dir, killed_dir = folder / f"fresh-{samples}", folder / f"killed-{samples}"
    fresh = measure("fresh", fresh_dir, samples, problems)
    check(fresh.get("status") == "complete", f"the fresh run failed ({fresh})")
    print(
        f"samples={samples}: {problems} problems x {samples} samples x {len(CAPS) * len(WAITS)} cells, "
        f"{fresh['tokens']:,} stored tokens, generations.jsonl "
        f"{(fresh_dir / store.GENERATIONS).stat().st_size / 1e6:,.0f} MB"
    )
    print(f"  fresh run              {timing(fresh)}  peak RSS {fresh['rss'] / 1e6:6,.0f} MB")
    row = {"tokens": fresh["tokens"], "fresh_rss": fresh["rss"], "finished_rss": float("nan")}
    if "finished" in steps:
        finished = measure("resume", fresh_dir, samples, problems)
        check(finished.get("tokens") == 0, f"resuming the finished run generated tokens ({finished})")
        print(f"  resume, finished       {timing(finished)}  peak RSS {finished['rss'] / 1e6:6,.0f} MB")
        row["finished_rss"] = finished["rss"]
    if "killed" in steps:
        expected = measure("digest", fresh_dir, samples, problems)
        shutil.rmtree(fresh_dir)
        killed = measure("kill", killed_dir, samples, problems)
        check(killed["exit"] == -signal.SIGKILL, f"the run to be killed was not killed ({killed})")
        stored = measure("digest", killed_dir, samples, problems)
        resumed = measure("resume", killed_dir, samples, problems)
        check(resumed.get("status") == "complete", f"the resume failed ({resumed})")
        after = measure("digest", killed_dir, samples, problems)
        same = {k: after[k] for k in ("cells", "digest", "generations")} == {
            k: expected[k] for k in ("cells", "digest", "generations")
        }
        check(same and after["unique"] == after["generations"], f"records differ: {after} != {expected}")
        check(stored["cells"] == expected["cells"] // 2, f"the kill missed the 50% point ({stored})")
        print(f"  resume, killed at 50%  {timing(resumed)}  peak RSS {resumed['rss'] / 1e6:6,.0f} MB")
        print(
            f"    ({stored['cells']:,} of {expected['cells']:,} cells and {stored['generations']:,} "
            "generations stored at the kill; after the resume the records equal the fresh run's, "
            "no generation stored twice)"
        )
    shutil.rmtree(fresh_dir, ignore_errors=True)
    shutil.rmtree(killed_dir, ignore_errors=True)
    return row


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y against x (NaN with fewer than two points)."""
    if len(points) < 2:
        return float("nan")
    x, y = (np.array(values, dtype=float) for values in zip(*points, strict=True))
    return float(np.polyfit(x, y, 1)[0])


def main(argv: list[str]) -> None:
    options = {"samples": "2,8,32", "problems": "500", "steps": "fresh,finished,killed"}
    for argument in argv:
        key, _, value = argument.partition("=")
        if key not in options:
            raise SystemExit(f"bench/scale.py: unknown option {key!r}; options: {', '.join(options)}")
        options[key] = value
    steps = set(options["steps"].split(","))
    folder = Path(tempfile.mkdtemp(prefix="evalscale-scale-"))
    try:
        rows = [
            run_size(int(samples), int(options["problems"]), steps, folder)
            for samples in options["samples"].split(",")
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    per_token = slope([(row["tokens"], row["fresh_rss"]) for row in rows])
    print(f"rss_bytes_per_token={per_token:.3f} resume_finished_mb={rows[-1]['finished_rss'] / 1e6:.0f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        main(sys.argv[1:])
