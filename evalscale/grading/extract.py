"""Find the final answer in a model response (math expression or multiple-choice letter).

Only the part after thinking is graded (after the last `</think>` or
`<|im_start|>answer`). Candidates are found by markers (`\\boxed{}`/`\\fbox{}`,
"Final Answer:", "the answer is", markdown bold); the one written last wins, so a
retracted first answer never beats the corrected one. Every pattern here is
linear in the input, so megabyte responses stay fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

THINK_ENDS = ("<|im_start|>answer", "</think>", "<|end_of_thought|>", "</reasoning>")
MAX_CANDIDATE = 2000
LAST_PHRASES = 64  # only the last phrase matches compete: the last one wins, so earlier ones rarely matter

_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")
_PHRASE = re.compile(
    r"(?im)(?:final\s+answer\b|the\s+(?:correct\s+|final\s+)?(?:answer|option|choice)\s+"
    r"(?:is|would\s+be|should\s+be)\b|^\s*\**answer\b\**)[*_\s]*(?:is\b)?[\s*_]*[:：]?[ \t*_]*"
)
_BOLD = re.compile(r"\*\*([^*\n]{1,200})\*\*")
_INLINE_MATH = re.compile(
    r"\$\$([^$]{1,500})\$\$|\$([^$\n]{1,500})\$|\\\[(.{1,500}?)\\\]|\\\((.{1,500}?)\\\)", re.S
)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?")
_BOX_JOINER = re.compile(r"^[\s$,;.]*(?:and|\\text\{\s*and\s*\}|,)?[\s$,;]*$")
_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z])")
_LETTER = "ABCD"


@dataclass(frozen=True)
class Extraction:
    """What was found: the answer text (None when nothing) and why not, if ambiguous."""

    answer: str | None
    ambiguous: bool = False


def answer_part(response: str) -> str:
    """The text after the last end-of-thinking delimiter (the whole response if none)."""
    cut = max((response.rfind(mark) + len(mark) for mark in THINK_ENDS if mark in response), default=0)
    return response[cut:]


def boxed_contents(text: str) -> list[tuple[int, int, str]]:
    """Every outermost `\\boxed{...}` / `\\fbox{...}` with balanced braces, as (start, end, content)."""
    closing: dict[int, int] = {}
    stack: list[int] = []
    for index, char in enumerate(text):
        if char == "{":
            stack.append(index)
        elif char == "}" and stack:
            closing[stack.pop()] = index
    found: list[tuple[int, int, str]] = []
    for match in _BOX.finditer(text):
        close = closing.get(match.end() - 1)
        if close is not None and (not found or match.start() >= found[-1][1]):
            found.append((match.start(), close + 1, text[match.end() : close]))
    return found


def _last_boxed(text: str) -> tuple[int, str] | None:
    """The last boxed answer; adjacent boxes joined only by commas/'and' form one list answer."""
    boxes = boxed_contents(text)
    if not boxes:
        return None
    group = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        if not _BOX_JOINER.match(text[box[1] : group[0][0]]):
            break
        group.insert(0, box)
    return group[-1][0], ", ".join(content for _, _, content in group)


def _phrase_answers(text: str) -> list[tuple[int, str]]:
    """Answers after the last "Final Answer:", "The answer is", "Answer:" (rest of the line or sentence)."""
    found: list[tuple[int, str]] = []
    for match in list(_PHRASE.finditer(text))[-LAST_PHRASES:]:
        line = _line_from(text, match.end())
        if not line.strip():  # "**Final Answer**\n\n$42$": answer on the next non-empty line
            next_line = match.end() + len(line)
            while next_line < len(text) and text[next_line] == "\n":
                next_line += 1
            line = _line_from(text, next_line)
        found.append((match.start(), line))
    return found


def _line_from(text: str, start: int) -> str:
    """The rest of the line from `start`, at most MAX_CANDIDATE characters (keeps many matches linear)."""
    end = text.find("\n", start, start + MAX_CANDIDATE)
    return text[start : end if end >= 0 else start + MAX_CANDIDATE]


def _clean(candidate: str) -> str:
    """Strip markdown, math delimiters and sentence punctuation around an answer."""
    candidate = candidate[:MAX_CANDIDATE].strip()
    boxed = _last_boxed(candidate)
    if boxed is not None:
        return boxed[1].strip()
    math = [next(g for g in m.groups() if g is not None) for m in _INLINE_MATH.finditer(candidate)]
    if math:
        candidate = math[0]
    else:
        candidate = _SENTENCE_END.split(candidate, maxsplit=1)[0]
    candidate = candidate.strip().lstrip("#>").strip("*_` \t\n$").rstrip(" .;:*_`$")
    for opener, closer in (("\\[", "\\]"), ("\\(", "\\)")):
        if candidate.startswith(opener) and candidate.endswith(closer):
            candidate = candidate[2:-2]
    return candidate.strip().rstrip(" .;:").strip()


def _is_prose(text: str) -> bool:
    return len(re.findall(r"[A-Za-z]{4,}", re.sub(r"\\[a-zA-Z]+", "", text))) >= 2


def _marked(text: str) -> list[tuple[int, str]]:
    """All answer candidates given by boxes and phrases, with their positions."""
    candidates = list(_phrase_answers(text))
    boxed = _last_boxed(text)
    if boxed is not None:
        candidates.append(boxed)
    return sorted(candidates, key=lambda c: c[0])


def extract_math(response: str) -> Extraction:
    """The final math answer of a response, as a LaTeX/plain string (None when there is none)."""
    text = answer_part(response)
    cleaned = [(raw, _clean(raw)) for _, raw in _marked(text)]
    cleaned = [c for c in cleaned if c[1]]
    mathy = [c for c in cleaned if not _is_prose(c[1]) or re.search(r"[\d\\]", c[0])]
    cleaned = mathy or cleaned  # "the final answer is correct because ..." is no answer
    answer: str | None = cleaned[-1][1] if cleaned else None
    if answer is None:
        bold = [m.group(1) for m in _BOLD.finditer(text) if re.search(r"[\d\\]", m.group(1))]
        answer = _clean(bold[-1]) if bold else None
    if answer is not None:
        if _is_prose(answer):
            numbers = _NUMBER.findall(answer)
            answer = numbers[-1] if len(numbers) == 1 else answer
        return Extraction(answer[:MAX_CANDIDATE])
    stripped = _clean(text) if len(text.strip()) <= 400 else ""
    if stripped and not _is_prose(stripped):
        return Extraction(stripped)
    math = [next(g for g in m.groups() if g is not None) for m in _INLINE_MATH.finditer(text[-4000:])]
    if math:
        return Extraction(math[-1].strip())
    lines = [line for line in text[-4000:].splitlines() if line.strip()]
    numbers = _NUMBER.findall(lines[-1]) if lines else []
    return Extraction(numbers[-1] if numbers else None)


_CHOICE_TOKEN = re.compile(r"(?<![A-Za-z\\])(\()?([A-Za-z])\)?(?![A-Za-z])")
_LEAD = re.compile(r"^\(?([A-Z])(?:[).:]|\s|$)")
_HEDGE_PAIR = re.compile(r"(?i)\b[A-Z]\)?\s*(?:or|and|/|,|&)\s*\(?[A-Z]\b")


def extract_choice(response: str, letters: str = _LETTER) -> Extraction:
    """The chosen letter; ambiguous when the final answer names two letters or hedges between them."""
    text = answer_part(response)
    candidates = [c for c in _marked(text) if _clean_choice(c[1])]
    candidates = candidates or [(m.start(), m.group(1)) for m in _BOLD.finditer(text)]
    if not candidates:
        lines = [line for line in text[-4000:].splitlines() if line.strip()]
        candidates = [(0, lines[-1])] if lines and len(lines[-1].strip()) <= 40 else []
    if not candidates:
        tail = re.findall(r"(?i)(?:option|choice)\s*:?\s*\(?([A-D])\)?(?![A-Za-z])", text[-4000:])
        return Extraction(tail[-1].upper() if tail else None)
    return _letter_of(_clean_choice(candidates[-1][1]), letters)


def _clean_choice(candidate: str) -> str:
    candidate = re.sub(r"\\(?:text|textbf|mathrm|mathbf)\s*\{([^{}]*)\}", r"\1", candidate[:MAX_CANDIDATE])
    boxed = _last_boxed(candidate)
    candidate = boxed[1] if boxed else candidate
    return candidate.replace("$", " ").replace("*", " ").strip(" _`.:\n")[:300]


def _letter_of(candidate: str, letters: str) -> Extraction:
    """One letter from a candidate: a leading `(C)`/`C)`/`C.`/`C`, else the only option letter named."""
    named = [
        m.group(2).upper()
        for m in _CHOICE_TOKEN.finditer(candidate)
        if m.group(2).upper() in letters and (m.group(2).isupper() or m.group(1) or len(candidate) <= 3)
    ]
    if not named:
        return Extraction(None)
    lead = _LEAD.match(candidate.upper() if len(candidate) <= 3 else candidate)
    hedged = _HEDGE_PAIR.search(candidate) is not None and len(set(named)) > 1
    if lead and lead.group(1) in letters and not (hedged and _HEDGE_PAIR.match(candidate.lstrip("("))):
        return Extraction(lead.group(1))
    if len(set(named)) == 1:
        return Extraction(named[0])
    return Extraction(None, ambiguous=True)
