"""`process_docs` functions of evalscale's benchmark tasks (lm-eval task YAMLs in this folder).

Each function turns one split into docs with the same columns, whether the split comes from the
Hugging Face hub or from the local JSONL copies (`data_dir=PATH`; columns and their hub names are
described in the shared data README):

- `id`: stable problem id (AIME `2024-I-1`, MATH500 `unique_id`, GPQA `Record ID`);
- `question`: the user turn exactly as shown to the model (the tasks' `doc_to_text`);
- `gold`: the reference answer (the tasks' `doc_to_target`);
- `metadata`: what is needed to read an answer later (GPQA: shown options and permutation).

Prompts follow s1: AIME and MATH500 show the bare problem, with no "put your answer in \\boxed{}"
instruction (evalscale's task config can append one with `instruction`); GPQA shows
`{question}\\n\\nA) ...\\nB) ...\\nC) ...\\nD) ...`. Unlike s1, which used the raw GPQA columns,
surrounding whitespace of the question and options is stripped (some options end in a newline).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from typing import Any

import datasets

LETTERS = "ABCD"
PERMUTATIONS = list(itertools.permutations(range(len(LETTERS))))
AIME_URL = re.compile(r"(\d{4})_AIME_(I+)_Problems/Problem_(\d+)")


def process_aime(dataset: datasets.Dataset) -> datasets.Dataset:
    """AIME docs; gold is the integer answer without leading zeros (the hub stores "025")."""
    return datasets.Dataset.from_list(
        [
            {
                "id": aime_id(doc),
                "question": doc.get("problem") or doc["question"],
                "gold": str(int(doc["answer"])),
                "metadata": {"url": doc.get("url")},
            }
            for doc in dataset
        ]
    )


def aime_id(doc: dict[str, Any]) -> str:
    """`2024-I-1` style id, read from the AoPS url when there is one, else the source's `id`."""
    match = AIME_URL.search(doc.get("url") or "")
    if match:
        year, contest, number = match.groups()
        return f"{year}-{contest}-{number}"
    return str(doc["id"])


def process_math(dataset: datasets.Dataset) -> datasets.Dataset:
    """MATH500 docs; hub and local copies share the PRM800K columns."""
    return datasets.Dataset.from_list(
        [
            {
                "id": doc["unique_id"],
                "question": doc["problem"],
                "gold": doc["answer"],
                "metadata": {"subject": doc["subject"], "level": doc["level"]},
            }
            for doc in dataset
        ]
    )


def process_gpqa(dataset: datasets.Dataset, seed: int = 0) -> datasets.Dataset:
    """GPQA docs with the four options shuffled by `permutation(id, seed)`; gold is the correct letter.

    `metadata.permutation[i]` is the source index of the option shown at letter i, where the
    source order is the correct answer first, then incorrect answers 1-3.
    """
    docs = []
    for doc in dataset:
        record_id, question, sources, domain = gpqa_columns(doc)
        order = permutation(record_id, seed)
        options = [sources[index] for index in order]
        docs.append(
            {
                "id": record_id,
                "question": format_choices(question, options),
                "gold": LETTERS[order.index(0)],
                "metadata": {
                    "options": options,
                    "permutation": list(order),
                    "correct_option": sources[0],
                    "domain": domain,
                },
            }
        )
    return datasets.Dataset.from_list(docs)


def gpqa_columns(doc: dict[str, Any]) -> tuple[str, str, list[str], str]:
    """(id, question, [correct, incorrect 1-3], domain) from hub (`Record ID`, ...) or local columns."""
    if "Record ID" in doc:
        incorrect = [doc[f"Incorrect Answer {number}"] for number in (1, 2, 3)]
        fields = doc["Record ID"], doc["Question"], doc["Correct Answer"], doc["High-level domain"]
    else:
        incorrect = doc["incorrect_answers"]
        fields = doc["id"], doc["question"], doc["correct_answer"], doc["domain"]
    record_id, question, correct, domain = fields
    return record_id, question.strip(), [text.strip() for text in [correct, *incorrect]], domain


def permutation(problem_id: str, seed: int) -> tuple[int, ...]:
    """The option order of one question: a hash of (problem id, seed) picks one of the 24 orders.

    It depends on nothing else (not on processing order or a shared RNG), so a question looks
    the same in every run, shard and re-grade with the same seed.
    """
    digest = hashlib.sha256(f"{problem_id}\x00{seed}".encode()).digest()
    return PERMUTATIONS[int.from_bytes(digest[:8], "big") % len(PERMUTATIONS)]


def format_choices(question: str, options: list[str]) -> str:
    """s1's multiple-choice prompt: the question, a blank line, then `A) option` lines."""
    lines = [f"{letter}) {option}" for letter, option in zip(LETTERS, options, strict=True)]
    return question + "\n\n" + "\n".join(lines)
