"""How often s1's text round trip changes the ids the model sees after a "Wait" (Qwen tokenizer).

s1's code appends the *text* "Wait" to the thinking text and re-tokenizes the
whole string; evalscale's `extension_tokenization: ids` appends Wait's own ids.
For each thinking text, this cuts it at every sentence end where a model could
have stopped (a token boundary right after `.`, `?` or `!`, with or without the
line breaks that follow) and compares:

- ids: the thinking's ids up to the cut + the ids of "Wait" (evalscale's `ids`),
- text: tokenize(text up to the cut + "Wait") (s1's code; evalscale's `text`).

It prints, per kind of cut, the share of cuts where the two differ, whether
only the last token before "Wait" changed (the boundary, e.g. `.` + `Wait` ->
`.Wait`) or earlier ones too, the change in token count, and the merged tokens.

The thinking ids are the tokenizer's own split of the text. A real model's ids
can deviate from it (a non-canonical split of the same text); s1's round trip
then changes those earlier tokens too, which this measurement cannot see.

Texts: `--texts FILE.jsonl --field NAME` (e.g. s1K traces), else the worked
solutions of MATH500 and AIME24 in ../shared/data (human-written, not model
thinking, but the same sentence-final punctuation and LaTeX).

    .venv/bin/python bench/wait_tokenization.py [--tokenizer DIR] [--texts FILE --field NAME]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SENTENCE_END = re.compile(r"[.?!](\n*)")


def load_texts(texts: Path | None, field: str) -> list[str]:
    """The thinking texts to cut: a JSONL file's `field`, or the benchmark solutions."""
    if texts is not None:
        return [json.loads(line)[field] for line in texts.read_text().splitlines() if line.strip()]
    rows = []
    for name in ("math500.jsonl", "aime24.jsonl"):
        rows += [json.loads(line) for line in (SHARED / "data" / name).read_text().splitlines() if line]
    return [row["solution"] for row in rows if row.get("solution")]


def cut_points(text: str, token_ends: set[int]) -> list[tuple[str, int]]:
    """(kind, character offset) of every sentence end that is also a token boundary."""
    cuts = []
    for match in SENTENCE_END.finditer(text):
        after_mark = match.start() + 1
        if after_mark in token_ends and after_mark < len(text):
            cuts.append(("after the mark", after_mark))
        if match.group(1) and match.end() in token_ends and match.end() < len(text):
            cuts.append(("after the line break", match.end()))
    return cuts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", type=Path, default=SHARED / "tokenizers" / "qwen3")
    parser.add_argument("--texts", type=Path, default=None)
    parser.add_argument("--field", default="thinking")
    parser.add_argument("--extension", default="Wait")
    args = parser.parse_args()

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    extension = tokenizer.encode(args.extension, add_special_tokens=False)
    texts = load_texts(args.texts, args.field)
    counts: Counter[tuple[str, str]] = Counter()
    merged: Counter[str] = Counter()
    length_change: Counter[int] = Counter()
    for text in texts:
        encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = encoding["input_ids"], encoding["offset_mapping"]
        ends = {end: index + 1 for index, (_, end) in enumerate(offsets)}
        for kind, offset in cut_points(text, set(ends)):
            thinking = ids[: ends[offset]]
            by_ids = thinking + extension
            by_text = tokenizer.encode(tokenizer.decode(thinking) + args.extension, add_special_tokens=False)
            counts[(kind, "cuts")] += 1
            if by_text == by_ids:
                continue
            first = next(
                (i for i, (a, b) in enumerate(zip(by_ids, by_text, strict=False)) if a != b),
                min(len(by_ids), len(by_text)),
            )
            counts[(kind, "boundary only" if first >= len(thinking) - 1 else "earlier too")] += 1
            length_change[len(by_text) - len(by_ids)] += 1
            merged[tokenizer.decode(by_text[first : first + 1])] += 1

    print(f"{len(texts)} texts, tokenizer {args.tokenizer.name}, extension {args.extension!r}")
    for kind in ("after the mark", "after the line break", "all"):
        cuts = sum(v for (k, what), v in counts.items() if what == "cuts" and kind in (k, "all"))
        boundary = sum(v for (k, what), v in counts.items() if what == "boundary only" and kind in (k, "all"))
        earlier = sum(v for (k, what), v in counts.items() if what == "earlier too" and kind in (k, "all"))
        changed = boundary + earlier
        print(
            f"{kind:>22}: {cuts:6d} cuts, ids differ at {changed:6d} ({changed / max(cuts, 1):6.1%}): "
            f"boundary only {boundary} ({boundary / max(cuts, 1):.1%}), earlier too {earlier}"
        )
    print("token count, text minus ids:", dict(sorted(length_change.items())))
    print("first changed token (text):", ", ".join(f"{token!r} {n}" for token, n in merged.most_common(10)))


if __name__ == "__main__":
    main()
