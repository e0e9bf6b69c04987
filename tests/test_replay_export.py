"""Replaying stored runs (evalscale.replay), the manifest's prompt hashes and environment, and `evalscale
export`, on runs that a scripted backend made with the real s1 profile and tokenizer (fast, no engine).

The scripted model thinks in sentences that end in a full stop, so s1's re-tokenized Wait merges with
it (`.` + `Wait` -> `.Wait`): the cell answered at the first stop saw "... 12." while the trajectory
now holds "... 12.Wait". The replay and the export must give each cell the ids it saw.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from engine import REPO, sweep_config
from fake_backend import FakeBackend

from evalscale.commands import export as export_command
from evalscale.environment import RESUMED
from evalscale.forcing import Request, Result
from evalscale.manifest import combined_prompt_hash, prompt_hash, read_prompt_hashes
from evalscale.plan import SweepPlan, make_plan
from evalscale.replay import RunReplay, answer_branch
from evalscale.store import (
    CELLS,
    GENERATIONS,
    MANIFEST,
    PROMPT_HASHES,
    GenerationReader,
    read_jsonl,
    read_manifest,
)
from evalscale.sweep import generate

QWEN3_TOKENIZER = REPO.parent / "shared" / "tokenizers" / "qwen3"
S1 = ("model=s1-32b", f"model.path={QWEN3_TOKENIZER}", "engine.max_model_len=32768", "limit=2")
GRID = ("budget.caps=[12,64]", "budget.waits=[0,1,2]", "progress=false", "live_report_minutes=0")
SENTENCES = ("So the sum is 12.", " Check: 5 + 7 = 12.", " Yes, 12.")
IM_START, IM_END = 151644, 151645  # s1's end of thinking and end of answer


class ScriptedS1:
    """Thinking segment n is the n-th sentence, then `<|im_start|>` (thinking ends); an answer is
    `\\boxed{12}` then `<|im_end|>`. max_tokens cuts a segment short, as the engine would."""

    def __init__(self, plan: SweepPlan) -> None:
        self.encode = plan.builder.tokenizer.encode

    def generate(self, request: Request) -> Result:
        name = request.key.rsplit("/", 1)[1]
        if name.startswith("t"):
            ids, stop = self.encode(SENTENCES[min(int(name[1:]), len(SENTENCES) - 1)]), IM_START
        else:
            ids, stop = self.encode("\\boxed{12}"), IM_END
        if len(ids) >= request.max_tokens:
            return Result(request.key, tuple(ids[: request.max_tokens]), "length", None)
        return Result(request.key, tuple(ids), "stop", stop)


class ReportingBackend(FakeBackend):
    """A fake backend that says what it runs on, as the vLLM backend does."""

    def __init__(self, model: ScriptedS1, attention: str) -> None:
        super().__init__(model)  # type: ignore[arg-type]
        self.attention = attention

    def environment(self) -> dict:
        return {
            "device": "cpu",
            "device_name": "test cpu",
            "device_count": 2,
            "attention_backend": self.attention,
        }


@pytest.fixture(scope="module")
def s1_plan(tmp_path_factory: pytest.TempPathFactory) -> SweepPlan:
    if not (QWEN3_TOKENIZER / "tokenizer.json").is_file():
        pytest.skip(f"the real Qwen3 tokenizer is not at {QWEN3_TOKENIZER}")
    run_dir = tmp_path_factory.mktemp("s1") / "run"
    return make_plan(sweep_config(*S1, *GRID, f"run_dir={run_dir}"))


@pytest.fixture(scope="module")
def s1_run(s1_plan: SweepPlan) -> tuple[Path, list[Request]]:
    """The scripted s1 run, ungraded, and every request its backend was asked."""
    backend = ReportingBackend(ScriptedS1(s1_plan), "FIRST")
    assert generate(s1_plan, backend, console=io.StringIO()) == "complete"
    return s1_plan.run_dir, backend.submitted


def test_replay_gives_each_cell_the_thinking_ids_its_answer_request_held(
    s1_plan: SweepPlan, s1_run: tuple[Path, list[Request]]
) -> None:
    run_dir, submitted = s1_run
    answers = {
        request.key: request for request in submitted if not request.key.rsplit("/", 1)[1].startswith("t")
    }
    reader = GenerationReader(run_dir / GENERATIONS)
    replay = RunReplay(s1_plan, reader.get)
    cells = read_jsonl(run_dir / CELLS)
    assert len(cells) == 2 * 2 * 3
    for cell in cells:
        request = answers[f"{cell['trajectory']}/{answer_branch(cell)}"]
        start, cut = len(s1_plan.prompts[cell["problem_id"]]), cell["thinking_tokens"]
        assert replay.thinking_ids(cell) == list(request.prompt_ids[start : start + cut]), cell
    decode = s1_plan.builder.decode
    first_stop = next(c for c in cells if (c["cap"], c["waits"]) == (64, 0))
    assert decode(replay.thinking_ids(first_stop)) == "So the sum is 12."
    whole = next(c for c in cells if (c["cap"], c["waits"]) == (64, 2))
    # the trajectory's final ids hold the merged Wait where the W=0 cell saw a full stop
    assert decode(replay.thinking_ids(whole)).startswith("So the sum is 12.Wait Check")
    reader.close()


def test_the_manifest_holds_prompt_hashes_and_the_environment_outside_the_config_hash(
    s1_plan: SweepPlan, s1_run: tuple[Path, list[Request]]
) -> None:
    run_dir, _ = s1_run
    manifest = read_manifest(run_dir)
    assert manifest["config_hash"] == s1_plan.config.config_hash
    hashes = read_prompt_hashes(run_dir)
    assert set(hashes) == set(s1_plan.prompts)
    for problem_id, ids in s1_plan.prompts.items():
        assert hashes[problem_id] == hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()
    assert manifest["prompt_ids_sha256"] == combined_prompt_hash(hashes)
    environment = manifest["environment"]
    assert environment["attention_backend"] == "FIRST" and environment["device_name"] == "test cpu"
    assert (environment["backend"], environment["tensor_parallel_size"]) == ("vllm", 1)
    assert environment["prefix_caching"] is True and "transformers" in environment["versions"]
    assert RESUMED not in manifest


def test_prompt_hash_by_hand() -> None:
    assert prompt_hash([1, 23, 456]) == hashlib.sha256(b"1,23,456").hexdigest()
    lines = "a\tx\nb\ty\n"
    assert combined_prompt_hash({"b": "y", "a": "x"}) == hashlib.sha256(lines.encode()).hexdigest()


def test_export_grades_first_and_gives_the_exact_prompt_and_thinking(
    s1_plan: SweepPlan, s1_run: tuple[Path, list[Request]], tmp_path: Path
) -> None:
    run_dir, _ = s1_run
    out = tmp_path / "export"
    assert export_command.main([str(run_dir), f"out={out}"]) == 0
    table = pd.read_parquet(out / "samples.parquet")
    lines = pd.read_json(out / "samples.jsonl", lines=True, dtype=False)
    assert len(table) == len(lines) == len(read_jsonl(run_dir / CELLS))
    assert list(table["key"]) == list(lines["key"])
    tokenizer, hashes = s1_plan.builder.tokenizer, read_prompt_hashes(run_dir)
    for row in table.itertuples():
        assert (
            prompt_hash(tokenizer.encode(row.prompt_text, add_special_tokens=False)) == hashes[row.problem_id]
        )
        assert len(row.thinking_ids) == row.thinking_tokens
        assert row.thinking_text == s1_plan.builder.decode(list(row.thinking_ids))
        assert (row.extracted, row.reason) == ("12", "match" if row.gold == "12" else "mismatch")
    at_first_stop = table[(table["cap"] == 64) & (table["waits"] == 0)]
    assert set(at_first_stop["thinking_text"]) == {"So the sum is 12."}
    assert set(table["end_reason"]) == {"cap", "stop", "waits_exhausted"}


def test_export_says_when_the_prompts_changed_and_works_without_the_tokenizer(
    s1_run: tuple[Path, list[Request]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    for name in (MANIFEST, "problems.jsonl", GENERATIONS, CELLS, PROMPT_HASHES):
        (run_dir / name).parent.mkdir(exist_ok=True)
        (run_dir / name).write_bytes((s1_run[0] / name).read_bytes())
    hashes = read_jsonl(run_dir / PROMPT_HASHES)
    hashes[0]["sha256"] = "0" * 64
    (run_dir / PROMPT_HASHES).write_text("".join(json.dumps(h) + "\n" for h in hashes))
    assert export_command.main([str(run_dir)]) == 0
    assert f"the prompt ids of 1 of 2 problems (e.g. {hashes[0]['id']}) differ" in capsys.readouterr().err
    manifest = json.loads((run_dir / MANIFEST).read_text())
    manifest["config"]["model"]["path"] = manifest["model_path"] = str(tmp_path / "gone")
    (run_dir / MANIFEST).write_text(json.dumps(manifest))
    assert export_command.main([str(run_dir)]) == 0
    assert "without the tokenizer" in capsys.readouterr().err
    table = pd.read_parquet(run_dir / "export" / "samples.parquet")
    assert table["prompt_text"].isna().all() and table["thinking_ids"].isna().all()
    whole = table[(table["cap"] == 64) & (table["waits"] == 2)]
    assert whole["thinking_text"].isna().all(), "trajectories.jsonl was not copied: no text to fall back on"


def test_a_session_resumed_elsewhere_is_listed(s1_plan: SweepPlan, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    plan = make_plan(sweep_config(*S1, *GRID, f"run_dir={run_dir}"))
    model = ScriptedS1(plan)
    assert generate(plan, ReportingBackend(model, "FIRST"), console=io.StringIO()) == "complete"
    cells = (run_dir / CELLS).read_text().splitlines(keepends=True)
    (run_dir / CELLS).write_text("".join(cells[:-1]))  # one cell to generate again
    assert generate(plan, ReportingBackend(model, "SECOND"), console=io.StringIO()) == "complete"
    manifest = read_manifest(run_dir)
    assert manifest["environment"]["attention_backend"] == "FIRST"
    assert [later["attention_backend"] for later in manifest[RESUMED]] == ["SECOND"]
    assert manifest["config_hash"] == plan.config.config_hash
