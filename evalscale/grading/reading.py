"""Reading helpers shared by the math and the letter extraction: one table per concept.

Each table lists its rules one per line, with the made-up example that motivates the rule beside
it. Every pattern here is linear in its input (no nested unbounded repetition), so megabyte
responses stay fast; nothing here evaluates model text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_CANDIDATE = 2000  # characters read for one answer
LAST_PHRASES = 64  # only the last matches compete: the last one wins, so earlier ones rarely matter


def words(*alternatives: str) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of `alternatives` as whole words."""
    return re.compile(r"(?i)\b(?:" + "|".join(alternatives) + r")\b")


@dataclass(frozen=True)
class Extraction:
    """What was found: the answer text (None when nothing) and why not, if ambiguous."""

    answer: str | None
    ambiguous: bool = False


@dataclass(frozen=True)
class Candidate:
    """A marked answer: where it starts and ends in the text, its raw text, and whether its sentence is
    about another case (`hypothetical`: "if order mattered, the answer would be 10")."""

    start: int
    end: int
    raw: str
    boxed: bool = False
    aside: bool = False


# ---------------------------------------------------------------------------------------------------
# Thinking split and the end of a response
# ---------------------------------------------------------------------------------------------------
THINK_ENDS = (
    "<|im_start|>answer",  # s1: "<|im_start|>think ... <|im_start|>answer Answer: 13"
    "</think>",  # DeepSeek-R1 / QwQ: "... </think>\n\nThe answer is 4"
    "<|end_of_thought|>",  # Sky-T1 / Bespoke: "<|end_of_thought|>\n\n<|begin_of_solution|> ..."
    "</reasoning>",
)
# Markers that close a response or a section; they carry no text of their own.
_END_TOKENS = re.compile(
    # "In conclusion, we have:\n\n$$\cot B = 3$$\n\n<|end_of_solution|>"
    r"<\|(?:end_of_solution|begin_of_solution|im_end|endoftext|eot_id|end)\|>"
    r"|</?(?:s|answer|solution)>"  # "<answer>B</answer>", "... 12</s>"
    r"|```\s*$"  # a code fence left open at the end: "... x = 17 is the correct solution.\n\n```"
)
_LEAKED_TURN = re.compile(  # a base model that goes on to write the next prompt: "You are an AI assistant..."
    r"(?m)^(?:You are an AI assistant|User:|Human:|Assistant:|###\s*(?:Instruction|Question|Problem)"
    r"|<\|im_start\|>(?:user|system))"
)


def split_thinking(response: str) -> tuple[str, str]:
    """(thinking, answer part): the text before and after the last end-of-thinking delimiter."""
    cut = max((response.rfind(mark) + len(mark) for mark in THINK_ENDS if mark in response), default=0)
    thinking = response[:cut]
    for mark in THINK_ENDS:
        if thinking.endswith(mark):
            thinking = thinking[: -len(mark)]
    return thinking, response[cut:]


def without_leaked_turn(text: str) -> str:
    """The text before a new prompt turn that a base model went on to write (`You are an AI assistant...`)."""
    leaked = _LEAKED_TURN.search(text, 200)
    return text[: leaked.start()] if leaked else text


def without_end_tokens(text: str) -> str:
    """The text with section and end-of-text markers (`<|end_of_solution|>`, `</answer>`) blanked."""
    return _END_TOKENS.sub(lambda m: " " * len(m.group(0)), text)


def is_unfinished(text: str) -> bool:
    """True when a response stops mid-sentence (`However, if we consider the options and the`): its last
    character, markers and markup aside, closes no sentence, bracket or math span."""
    tail = without_end_tokens(text[-400:]).rstrip(" \t\n*_`")
    return bool(tail) and tail[-1] not in ".!?)]}$:"


# ---------------------------------------------------------------------------------------------------
# Boxes and the JSON answer field
# ---------------------------------------------------------------------------------------------------
_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")
_BARE_BOX = re.compile(r"\\boxed\s+([-+]?[\w.]+)")  # `\boxed 5`
_BOX_JOINER = re.compile(r"^(?:[ \t$,;]|\\[()])*(?:and|\\text\{\s*and\s*\}|,)?(?:[ \t$,;]|\\[()])*$")
_JSON_ANSWER = re.compile(r'"(?:final_)?answer"\s*:\s*("(?:[^"\\\n]|\\.){0,2000}"|-?\d[\d.]*)')


def boxed_contents(text: str) -> list[tuple[int, int, str]]:
    """The last outermost `\\boxed{...}` / `\\fbox{...}` (balanced braces) as (start, end, content).

    Only the last LAST_PHRASES boxes are read, each up to MAX_CANDIDATE characters, so a
    megabyte of boxes stays fast; `\\boxed 5` (no braces) counts too.
    """
    found: list[tuple[int, int, str]] = []
    for match in list(_BOX.finditer(text))[-LAST_PHRASES:]:
        if found and match.start() < found[-1][1]:
            continue  # inside the previous box
        close = closing_brace(text, match.end() - 1)
        if close is not None:
            found.append((match.start(), close + 1, text[match.end() : close]))
    for match in list(_BARE_BOX.finditer(text))[-LAST_PHRASES:]:
        found.append((match.start(), match.end(), match.group(1).rstrip(".")))
    return sorted(found)


def closing_brace(text: str, opening: int) -> int | None:
    """The index of the brace that closes the one at `opening` (None within MAX_CANDIDATE characters)."""
    depth = 0
    for index in range(opening, min(len(text), opening + MAX_CANDIDATE)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return None


def last_boxed(text: str) -> Candidate | None:
    """The last boxed answer; adjacent boxes joined only by commas/'and' form one list answer.

    A box that holds only another box is that box (`\\boxed{\\boxed{5}}` is 5).
    """
    boxes = boxed_contents(text)
    if not boxes:
        return None
    group = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        if not _BOX_JOINER.match(text[box[1] : group[0][0]]):
            break
        group.insert(0, box)
    contents = list(dict.fromkeys(unbox(content.strip()) for _, _, content in group))  # a restated box is one
    return Candidate(group[-1][0], group[-1][1], ", ".join(contents), boxed=True)


def unbox(content: str) -> str:
    """The content of a box that is only a box (`\\boxed{5}` -> `5`); other text unchanged."""
    for _ in range(8):
        inner = _BOX.match(content)
        close = closing_brace(content, inner.end() - 1) if inner else None
        if inner is None or close != len(content) - 1:
            return content
        content = content[inner.end() : close].strip()
    return content


def json_answer(text: str) -> Candidate | None:
    """The last `"answer": "..."` field of a JSON reply (ZeroEval style), its string unescaped."""
    matches = list(_JSON_ANSWER.finditer(text[-20000:]))
    if not matches:
        return None
    last = matches[-1]
    literal = last.group(1)
    try:
        value = str(json.loads(literal))
    except ValueError:
        value = literal.strip('"')
    offset = max(len(text) - 20000, 0)
    return Candidate(offset + last.start(), offset + last.end(), value, boxed=True)


# ---------------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------------
INLINE_MATH = re.compile(
    r"\$\$([^$]{1,500})\$\$|\$([^$\n]{1,500})\$|\\\[(.{1,500}?)\\\]|\\\((.{1,500}?)\\\)", re.S
)
_SENTENCE_END = re.compile(r"[.?!]\s+(?=[A-Z])")


def mask_math(text: str) -> str:
    """The text with every math span replaced by as many `x` (so that no period in math ends a sentence)."""
    return INLINE_MATH.sub(lambda m: "x" * len(m.group(0)), text)


def math_segments(text: str) -> list[str]:
    """The contents of the math spans of `text`, in order."""
    return [next(g for g in m.groups() if g is not None) for m in INLINE_MATH.finditer(text)]


def line_from(text: str, start: int) -> str:
    """The rest of the line from `start`, at most MAX_CANDIDATE characters (keeps many matches linear)."""
    end = text.find("\n", start, start + MAX_CANDIDATE)
    return text[start : end if end >= 0 else start + MAX_CANDIDATE]


def first_sentence(line: str) -> str:
    """The line up to its first sentence end outside math (`12. Hold on...` -> `12.`)."""
    end = _SENTENCE_END.search(mask_math(line))
    return line[: end.start() + 1] if end else line


def sentence_around(text: str, index: int) -> str:
    """The sentence of `text` that holds position `index`."""
    start = max(text.rfind(". ", 0, index), text.rfind("\n\n", 0, index)) + 1
    end = min((e for e in (text.find(". ", index), text.find("\n\n", index)) if e >= 0), default=len(text))
    return text[start:end]


def sentences(text: str) -> list[str]:
    """Sentences and display-math blocks; a display block joins the sentence that leads into it."""
    masked = mask_math(text)
    cuts = [m.end() for m in re.finditer(r"[.!?](?=\s)|\n", masked)]
    units: list[str] = []
    start = 0
    for cut in [*cuts, len(text)]:
        unit = text[start:cut].strip()
        start = cut
        if not unit:
            continue
        if (
            units
            and (INLINE_MATH.fullmatch(unit.rstrip(" .")) or unit == ".")
            and units[-1][-1:] not in ".!?"
        ):
            units[-1] = f"{units[-1]} {unit}"
        else:
            units.append(unit)
    return units


# ---------------------------------------------------------------------------------------------------
# Doubt, retraction and ownership cues
# ---------------------------------------------------------------------------------------------------
# A second thought after an answer: the model has not settled on it.
DOUBT = words(
    r"wait",  # "So the answer is 12.\n\nWait, the second case double counts"
    r"hmm+",  # "So the answer is C.\n\nHmm, the third blank could also match D"
    r"hold\s+on",  # "Hold on, the corners were counted twice"
    r"not\s+(?:entirely\s+|completely\s+|totally\s+|quite\s+|fully\s+)?(?:sure|certain)|unsure",
    #   "I'm not sure this is right", "I'm not entirely sure about the last step"
    r"(?:I'?m|I\s+am|getting|a\s+bit|little)\s+confused|confusing",  # not "(B) confuses mass with weight"
    r"on\s+second\s+thought",
    r"let\s+me\s+(?:re-?check|check\s+again|think\s+again|double-?check)",  # "Let me double-check the case"
    r"I\s+(?:need\s+to|should)\s+(?:re-?)?(?:check|verify|confirm)",
    r"reconsider",
    r"another\s+possibility",
    r"(?:or|maybe|perhaps)\s+the\s+answer",  # "Alternatively, maybe the answer is F"
    r"answer\s+(?:is|could\s+be)\s+either",
    r"(?:seems?|looks?)\s+(?:way\s+|a\s+bit\s+|rather\s+)?too\s+(?:big|small|large|high|low|many|few)",
    #   "So the answer is 12.\n\nThat seems too small, though."
    r"(?:doesn'?t|does\s+not)\s+(?:seem|look)\s+right",
)
# Words after an answer that start a correction or a retraction.
RETRACT_CUE = words(
    r"wait|hold\s+on|hmm|actually|oops|sorry",  # "The answer is 12. Hold on, it should be 15."
    r"no(?=\s*[,!])",  # "The answer is 5. No, 6."
    r"correction|mistake|error|wrong|incorrect",  # "Final answer: 20. Oops, that is wrong"
    r"miscalculat\w*|miscount\w*|mis-?read",  # "Wait, I miscounted"
    r"not\s+right",
    r"let\s+me\s+re\w+",  # "Hmm, let me re-check"
)
# A plain statement that the answer is wrong.
NEGATED = words(
    r"wrong|incorrect|mistake|error",  # "Hmm, no, I made a mistake in the second step."
    r"not\s+(?:right|correct)",
    r"miscalculat\w*|miscount\w*|mis-?read",
    r"doesn'?t\s+(?:work|hold|match)",
    r"can'?t\s+be",
)
# A corrected value: "it should be 15", "the correct total is 38".
RESTATED = re.compile(
    r"(?i)\b(?:should\s+(?:be|have\s+been)|is\s+actually|it'?s\s+actually|actually,?\s+(?:it'?s|it\s+is)"
    r"|instead\s+(?:it\s+is|it'?s|of)?|correct\s+(?:answer|value|result|total|count)\s+is"
    r"|(?:answer|result|total)\s+is\s+really"
    r"|\bno[,!]\s*(?:wait,?\s*)?(?:it'?s\s+|it\s+is\s+|the\s+answer\s+is\s+)?(?=[-+$\\\d])"  # "No, 6."
    r")\s*:?\s*"
)
HEDGED = words(r"might|may|maybe|seems?|appears?|possibly|perhaps|could")  # "that might be wrong"
# Words before a marker that make it no statement of the model's own final result.
_RECALLED = words(  # anywhere in the sentence
    r"remember\w*|recall\w*",  # "I remember the answer is 3/7"
    r"familiar|seen\s+this",
    r"according\s+to|reference|official|claim\w*",  # "According to the textbook the answer is 8"
)
_CONDITIONAL = words(  # in the marker's own clause
    r"if|suppose|supposing|assum\w*|whether",  # "If the answer is 12, the sum is even"
    r"guess\w*|maybe|perhaps|might|could|unless",  # "Maybe the answer is 4?"
)
# A clause that disowns the statement it follows: "C. 2-methylpentane, but it is not among the options".
DISOWNED = re.compile(
    r"(?i)\bbut\b[^.\n]{0,40}?\b(?:(?:is|are)\s*n[o']t|not)\s+(?:among|one\s+of|in|listed|an?\s+option|"
    r"(?:the\s+)?(?:right|correct))\b"
)


# A sentence about another case than the one solved: a "would" under a condition or in a note ("Had we
# included zero, the count would be 6.", "(Note: if order mattered, the answer would be 10.)").
_WOULD = words(r"would|wouldn'?t|\w+'d")
_OTHER_CASE = words(r"if|unless|had|were|otherwise|instead|note|without|alternatively|suppos\w*")


def hypothetical(sentence: str) -> bool:
    """True for a sentence about another case ("If the sides were doubled, the area would be 96.")."""
    return bool(_WOULD.search(sentence) and _OTHER_CASE.search(sentence) and not DOUBT.search(sentence))


def not_own(before: str) -> bool:
    """True when the sentence text before an answer marker recalls or supposes it ("If the answer is")."""
    return bool(_RECALLED.search(before) or _CONDITIONAL.search(re.split(r"[,;]", before)[-1]))


# ---------------------------------------------------------------------------------------------------
# Number words
# ---------------------------------------------------------------------------------------------------
_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
    " sixteen seventeen eighteen nineteen"
).split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}
_TENS["ninety"] = 90
NUMBER_WORDS: dict[str, int] = {word: index for index, word in enumerate(_ONES)} | _TENS
NUMBER_WORD = (  # "four" (4), "twenty-one" (21), "ninety nine" (99)
    r"(?:(?:"
    + "|".join(_TENS)
    + r")(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|"
    + "|".join(sorted(_ONES, key=len, reverse=True))
    + ")"
)


def number_word_value(word: str) -> str | None:
    """`four` -> `4`, `twenty-one` -> `21`; None when `word` is no number word."""
    parts = re.split(r"[- ]", word.lower())
    if not all(part in NUMBER_WORDS for part in parts):
        return None
    return str(sum(NUMBER_WORDS[part] for part in parts))
