"""Find the final math answer in a model response, as a careful human grader reads it.

The part after thinking is read first (after the last `</think>`, `<|end_of_thought|>`,
`<|im_start|>answer`); when it states no final answer (cut off), the last final answer
marked in the thinking counts. Candidates are marked answers (`\\boxed{}`/`\\fbox{}`,
"Final Answer:", "the answer is", "Answer:", a JSON `"answer"` field); the one written last
wins, unless the text after it retracts it ("Hold on, it should be 15" gives 15; "that is
wrong", or a second thought that never returns to the answer, gives no answer). Recalled or
supposed answers ("I remember the answer is 3/7", "If the answer is 12") never count. Without
any marker, the concluding sentence is read for its value ("So, the total comes to 41." gives
41; "There are 7 ways ..." gives 7), closing remarks such as "I think that's it" and a prompt
turn that a base model went on to write skipped. A response that simply stops (truncated, no
final sentence) has no answer: an abstention is better than a fragment that may match by
chance. Every pattern here is linear in the input, so megabyte responses stay fast.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

THINK_ENDS = ("<|im_start|>answer", "</think>", "<|end_of_thought|>", "</reasoning>")
MAX_CANDIDATE = 2000
LAST_PHRASES = 64  # only the last phrase matches compete: the last one wins, so earlier ones rarely matter
TAIL = 3000  # characters read after the last candidate for a retraction, and for a concluding sentence

_JSON_ANSWER = re.compile(r'"(?:final_)?answer"\s*:\s*("(?:[^"\\\n]|\\.){0,2000}"|-?\d[\d.]*)')
_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")
_BARE_BOX = re.compile(r"\\boxed\s+([-+]?[\w.]+)")  # `\boxed 5`
_PHRASE = re.compile(
    r"(?im)(?:final\s+answer\b|the\s+(?:correct\s+|final\s+|right\s+)?(?:answer|option|choice)\s+"
    r"(?:is|would\s+be|should\s+be|will\s+be)\b|^\s*[#*_>\s]*answer\b[*_]*(?=[*_ \t]*(?:[:：]|$))"
    r"|^####(?=\s))"
    r"[*_\s]*(?:is\b|of\b)?[\s*_]*[:：]?[ \t*_]*"
)
_INLINE_MATH = re.compile(
    r"\$\$([^$]{1,500})\$\$|\$([^$\n]{1,500})\$|\\\[(.{1,500}?)\\\]|\\\((.{1,500}?)\\\)", re.S
)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?")
_BOX_JOINER = re.compile(r"^(?:[ \t$,;]|\\[()])*(?:and|\\text\{\s*and\s*\}|,)?(?:[ \t$,;]|\\[()])*$")
_SENTENCE_END = re.compile(r"[.?!]\s+(?=[A-Z])")
# Words before a marker (in its sentence) that make it no statement of the model's own final result:
# a recalled answer anywhere in the sentence, a condition or guess in the marker's own clause.
_RECALLED = re.compile(
    r"(?i)\b(?:remember\w*|recall\w*|familiar|seen\s+this|according\s+to|reference|official|claim\w*)\b"
)
_CONDITIONAL = re.compile(
    r"(?i)\b(?:if|suppose|supposing|assum\w*|whether|guess\w*|maybe|perhaps|might|could|unless)\b"
)


def not_own(before: str) -> bool:
    """True when the sentence text before an answer marker recalls or supposes it ("If the answer is")."""
    return bool(_RECALLED.search(before) or _CONDITIONAL.search(re.split(r"[,;]", before)[-1]))


# A phrase answer starting with one of these words states no value ("Answer: We first note...").
_NO_ANSWER_START = re.compile(
    r"(?i)\W*(?:not|n't|also|either|neither|unclear|unknown|we|let|let's|to|first|since|i|in"
    r"|for|from|using|our|if|now|note|step|here|as|because|when|then)\b(?![-+*/^=])"
)
_RETRACT_CUE = re.compile(
    r"(?i)\b(?:wait|hold\s+on|hmm|actually|oops|sorry|correction|mistake|error|wrong|incorrect|miscalculat\w*"
    r"|miscount\w*|mis-?read|not\s+right|let\s+me\s+re\w+)\b"
)
_NEGATED = re.compile(
    r"(?i)\b(?:wrong|incorrect|mistake|error|not\s+(?:right|correct)|miscalculat\w*|miscount\w*"
    r"|mis-?read|doesn'?t\s+(?:work|hold|match)|can'?t\s+be)\b"
)
_RESTATED = re.compile(
    r"(?i)\b(?:should\s+(?:be|have\s+been)|is\s+actually|it'?s\s+actually|actually,?\s+(?:it'?s|it\s+is)|instead\s+(?:it\s+is|it'?s|of)?"
    r"|correct\s+(?:answer|value|result|total|count)\s+is|(?:answer|result|total)\s+is\s+really)\s*:?\s*"
)
# A second thought after an answer ("Wait, let me double-check"): the model has not settled on it.
DOUBT = re.compile(
    r"(?i)\b(?:wait|hmm+|hold\s+on|not\s+(?:sure|certain)|unsure|confus\w*|on\s+second\s+thought"
    r"|let\s+me\s+(?:re-?check|check\s+again|think\s+again|double-?check)"
    r"|I\s+(?:need\s+to|should)\s+(?:re-?)?(?:check|verify|confirm)"
    r"|reconsider|another\s+possibility|(?:or|maybe|perhaps)\s+the\s+answer|answer\s+(?:is|could\s+be)\s+either)\b"
)
_HEDGED = re.compile(r"(?i)\b(?:might|may|maybe|seems?|appears?|possibly|perhaps|could)\b")
_CLOSING = re.compile(
    r"(?i)^(?:i\s+think\s+that'?s\s+(?:it|all|the\s+answer|right|correct)|that'?s\s+(?:it|all|the\s+answer"
    r"|my\s+answer|the\s+final\s+answer)|hope\s+(?:this|that|it)\s+helps|let\s+me\s+know\b.*|i'?m\s+"
    r"(?:confident|fairly\s+confident|pretty\s+sure)\b.*|this\s+(?:should\s+be|is)\s+(?:it|correct|right)"
    r"|done|yes|good|great|okay|ok|final\s+answer|i\s+hope\s+(?:it|this)\s+is\s+correct)[.!\s]*$"
)
_CONCLUDES = re.compile(
    r"(?i)\b(?:therefore|thus|hence|consequently|in\s+conclusion|in\s+total|in\s+all|altogether|overall"
    r"|answer|final|finally|ultimately|total|result|together|in\s+summary|to\s+summari[sz]e"
    r"|comes?\s+to)\b|^\W*so\b"
)
_PLANS = re.compile(
    r"(?i)\b(?:need\s+to|let'?s|let\s+us|we\s+will|we'll|next|now\s+we|then\s+we|compute|calculate|find"
    r"|check|consider|determine|solve|should\s+we|want\s+to|trying|try|step)\b|[?:]\s*$"
)
_LEAKED_TURN = re.compile(
    r"(?m)^(?:You are an AI assistant|User:|Human:|Assistant:|###\s*(?:Instruction|Question|Problem)"
    r"|<\|im_start\|>(?:user|system))"
)
_STEP_LABEL = re.compile(r"(?i)^\W*(?:step\s+\d+|conclusion|answer|result)\s*[:.]\s*")
_OPERATOR_BEFORE = re.compile(r"[-+*/^×÷·]\s?$")
_OPERATOR_AFTER = re.compile(r"\s?[-+*/^×÷·=]|\(")
_LIST_JOINER = re.compile(r"\s*(?:,|,?\s*(?:and|or)\b)\s*")
_THERE_ARE = re.compile(r"(?i)\W*there\s+(?:is|are|were|was|will\s+be)\b(?:\s+(?:exactly|only|in\s+total))?")
_SUBORDINATE = re.compile(r"(?i)^\W*(?:since|because|as|given|if|when|after|using|with|from)\b[^,]*,\s*")
_LINK = re.compile(
    r"(?i)(?:\bis\b|\bare\b|\bwas\b|\bwere\b|\bequals?\b|\bequal\s+to\b|\bcomes?\s+to\b|\bgives?\b|\bget\b"
    r"|\bobtain\b|\byields?\b|\bbe\b|\btotals?\b|\bhas\b|\bhave\b|\bmakes?\b|=|:)"
)
_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split()
)
_ONES += "sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}
_TENS |= {"ninety": 90}
NUMBER_WORDS: dict[str, int] = {word: index for index, word in enumerate(_ONES)} | _TENS
_NUMBER_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five"
)
_NUMBER_WORD += r"|six|seven|eight|nine))?|" + "|".join(sorted(_ONES, key=len, reverse=True)) + ")"
_VALUE = re.compile(
    r"\$\$([^$]{1,500})\$\$|\$([^$\n]{1,500})\$|\\\[(.{1,500}?)\\\]|\\\((.{1,500}?)\\\)"
    r"|(?<![\w.\\])([(\[]\s*[-+]?[\w.√π∞/^-]{1,20}(?:\s*,\s*[-+]?[\w.√π∞/^-]{1,20}){1,9}\s*[)\]]"
    r"|[-+]?\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?"
    r"|[-+]?(?:\d|√|π|sqrt\()[\w.^/*√π()+-]{0,40}%?)"
    r"|(?i:\b(?P<word>" + _NUMBER_WORD + r")\b)",
    re.S,
)
_WORDS_AFTER_NUMBER = re.compile(
    r"^(?P<value>[-+]?\d[\d,]*(?:\.\d+)?(?:/\d+)?|\d+\\frac\{\d+\}\{\d+\}|" + _NUMBER_WORD + r")"
    r"(?:\s+[a-zA-Z][a-zA-Z\s-]{0,40})?$",
    re.I,
)
_MIXED = re.compile(r"^(\d+)\s+and\s+(\d+)\s*/\s*(\d+)\b")  # `137 and 1/2 miles`
# A phrase answer that is only one of these words states no value ("the answer is correct").
_NOT_A_VALUE = re.compile(
    r"(?i)(?:correct|incorrect|right|wrong|valid|invalid|consistent|confirmed|verified|unchanged|same|"
    r"as\s+follows|below|above|clear|obvious)"
)
_ORDINAL = re.compile(
    r"(?<=\d)(?:\^\s*\{\s*\\(?:text|mathrm)\s*\{\s*(?:st|nd|rd|th)\s*\}\s*\}|(?:st|nd|rd|th)\b)"
)


@dataclass(frozen=True)
class Extraction:
    """What was found: the answer text (None when nothing) and why not, if ambiguous."""

    answer: str | None
    ambiguous: bool = False


@dataclass(frozen=True)
class Candidate:
    """A marked answer: where it starts and ends in the text, and its raw text."""

    start: int
    end: int
    raw: str
    boxed: bool = False


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


def answer_part(response: str) -> str:
    """The text after the last end-of-thinking delimiter (the whole response if none)."""
    return split_thinking(response)[1]


def boxed_contents(text: str) -> list[tuple[int, int, str]]:
    """The last outermost `\\boxed{...}` / `\\fbox{...}` (balanced braces) as (start, end, content).

    Only the last LAST_PHRASES boxes are read, each up to MAX_CANDIDATE characters, so a
    megabyte of boxes stays fast; `\\boxed 5` (no braces) counts too.
    """
    found: list[tuple[int, int, str]] = []
    for match in list(_BOX.finditer(text))[-LAST_PHRASES:]:
        if found and match.start() < found[-1][1]:
            continue  # inside the previous box
        close = _closing_brace(text, match.end() - 1)
        if close is not None:
            found.append((match.start(), close + 1, text[match.end() : close]))
    for match in list(_BARE_BOX.finditer(text))[-LAST_PHRASES:]:
        found.append((match.start(), match.end(), match.group(1).rstrip(".")))
    return sorted(found)


def _closing_brace(text: str, opening: int) -> int | None:
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
    """The last boxed answer; adjacent boxes joined only by commas/'and' form one list answer."""
    boxes = boxed_contents(text)
    if not boxes:
        return None
    group = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        if not _BOX_JOINER.match(text[box[1] : group[0][0]]):
            break
        group.insert(0, box)
    contents = list(dict.fromkeys(content.strip() for _, _, content in group))  # a restated box is one
    return Candidate(group[-1][0], group[-1][1], ", ".join(contents), boxed=True)


def first_sentence(line: str) -> str:
    """The line up to its first sentence end outside math (`12. Hold on...` -> `12.`)."""
    masked = _INLINE_MATH.sub(lambda m: "x" * len(m.group(0)), line)
    end = _SENTENCE_END.search(masked)
    return line[: end.start() + 1] if end else line


def _phrase_answers(text: str) -> list[Candidate]:
    """Answers after "Final Answer:", "The answer is", "Answer:" (rest of the sentence or next line)."""
    found: list[Candidate] = []
    for match in list(_PHRASE.finditer(text))[-LAST_PHRASES:]:
        window = max(match.start() - 150, 0)
        sentence_start = (
            max(text.rfind(". ", window, match.start()), text.rfind("\n", window, match.start()), window - 1)
            + 1
        )
        if not_own(text[sentence_start : match.start()]):
            continue  # "If the answer is 5, ...", "I remember the answer is 3/7"
        start = match.end()
        line = _line_from(text, start)
        if not line.strip():  # "**Final Answer**\n\n$42$": answer on the next non-empty line
            start += len(line)
            while start < len(text) and text[start] in "\n \t":
                start += 1
            line = _line_from(text, start)
        sentence = first_sentence(line)
        if _NO_ANSWER_START.match(sentence) or sentence.rstrip(" *_$").endswith("?"):
            continue
        found.append(Candidate(match.start(), start + len(sentence), sentence))
    return found


def _line_from(text: str, start: int) -> str:
    """The rest of the line from `start`, at most MAX_CANDIDATE characters (keeps many matches linear)."""
    end = text.find("\n", start, start + MAX_CANDIDATE)
    return text[start : end if end >= 0 else start + MAX_CANDIDATE]


def _math_segments(text: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for m in _INLINE_MATH.finditer(text)]


def clean(candidate: str, boxed_content: bool = False) -> str:
    """Strip markdown, math delimiters, sentence punctuation, units and words around an answer."""
    candidate = candidate[:MAX_CANDIDATE].strip()
    if boxed_content:
        return _plain_value(candidate)
    if "\\boxed" in candidate or "\\fbox" in candidate:
        boxed = last_boxed(candidate)
        return _plain_value(boxed.raw.strip()) if boxed else ""  # no box closes: `\boxed{1` cut off
    if is_prose(candidate):
        return value_of_sentence(candidate) or ""
    math = _math_segments(candidate)
    if math:
        candidate = math[0]
    else:
        candidate = candidate.rstrip(" !")  # "The answer is 41!" (a factorial is written in math)
    candidate = candidate.strip().lstrip("#>").strip("*_` \t\n$").rstrip(" .;:*_`$")
    for opener, closer in (("\\[", "\\]"), ("\\(", "\\)")):
        if candidate.startswith(opener) and candidate.endswith(closer):
            candidate = candidate[2:-2]
    return _plain_value(candidate.strip().rstrip(" .;:").strip())


def _plain_value(answer: str) -> str:
    """`14 students` -> `14`, `four coins` -> `4`, `5^{\\text{th}}` -> `5`; other answers unchanged."""
    answer = _MIXED.sub(r"\1\\frac{\2}{\3}", _ORDINAL.sub("", answer).strip())
    words = _WORDS_AFTER_NUMBER.match(answer)
    if words and not re.search(r"(?i)\b(?:and|or|to|plus|minus|times|over|divided)\b", answer):
        return number_word_value(words.group("value")) or words.group("value")
    return answer


def number_word_value(word: str) -> str | None:
    """`four` -> `4`, `twenty-one` -> `21`; None when `word` is no number word."""
    parts = re.split(r"[- ]", word.lower())
    if not all(part in NUMBER_WORDS for part in parts):
        return None
    return str(sum(NUMBER_WORDS[part] for part in parts))


def is_prose(text: str) -> bool:
    """Two or more words of four letters or more outside math and LaTeX commands."""
    outside = _INLINE_MATH.sub(" ", text)
    outside = re.sub(
        r"\\(?:begin|end)\s*\{\w*\*?\}|\\(?:text|mathrm|textbf|mbox)\s*\{[^{}]*\}|\\[a-zA-Z]+", " ", outside
    )
    return len(re.findall(r"[A-Za-z]{4,}", outside)) >= 2


def _has_words(text: str) -> bool:
    """A word of three letters or more outside math and `\\text{}` (so not a bare answer)."""
    outside = _INLINE_MATH.sub(" ", text)
    outside = re.sub(r"\\(?:text|mathrm|textbf|mbox)\s*\{[^{}]*\}|\\[a-zA-Z]+", " ", outside)
    return re.search(r"[A-Za-z]{3,}", outside) is not None


def value_of_sentence(sentence: str, at_end: bool = False) -> str | None:
    """The value a sentence states: after a leading `Since ..., ` clause and its last linking verb.

    `Since $0.03 \\times 1500 = 45$ litres are used, the tank holds 1500 litres.` -> `1500`;
    `So, the total comes to 41.` -> `41`. None when the sentence names no single value, or negates
    it (`the minimum is not achieved, but it gets close to 50`). With `at_end`, the value must
    also end the sentence (only a few unit words after it) and follow a linking verb.
    """
    sentence = _SUBORDINATE.sub("", sentence.replace("**", "").strip(), count=1)
    masked = _INLINE_MATH.sub(lambda m: "x" * len(m.group(0)), sentence)
    links = list(_LINK.finditer(masked))
    there = _THERE_ARE.match(masked)
    if there:  # "There are 3 primes for which the digit sum is 8": the count, not the relative clause
        links, at_end = [there], False
    values = list(_VALUE.finditer(sentence))
    if links:
        after = [v for v in values if v.start() >= links[-1].end()]
        if not after and (len(values) != 1 or at_end):
            return None
        values = after or values
    elif len(values) != 1 or at_end:
        return None
    if not values:
        return None
    value = values[0]
    if re.search(r"(?i)\b(?:not|never|cannot|no\s+longer)\b|n't\b", masked[: value.end()]):
        return None
    run = [value]  # "the roots are $2$ and $3$": every value of the list, not the first
    for following in values[1:]:
        if not _LIST_JOINER.fullmatch(sentence[run[-1].end() : following.start()]):
            break
        run.append(following)
    if at_end and not re.fullmatch(r"[^\d$\\=]{0,60}", sentence[run[-1].end() :]):
        return None
    texts = [_value_text(sentence, item) for item in run]
    return None if None in texts else ", ".join(texts)  # type: ignore[arg-type]


def _value_text(sentence: str, value: re.Match[str]) -> str | None:
    """One value found in a sentence as answer text; None for a number inside a prose expression."""
    if value.group(5) and (
        _OPERATOR_BEFORE.search(sentence[max(value.start() - 3, 0) : value.start()])
        or _OPERATOR_AFTER.match(sentence[value.end() : value.end() + 3])
    ):
        return None  # `x^2 + 1`: a number inside an expression written in prose is no value
    if value.group("word"):
        return number_word_value(value.group("word"))
    text = next(g for g in value.groups() if g is not None).strip()
    if not _INLINE_MATH.match(value.group(0)):
        text = _balanced(text.rstrip(".,;:"))
        text = text.replace(",", "") if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", text) else text
        text = re.sub(r"(?<![a-zA-Z\\])sqrt(?=\()", r"\\sqrt", text)
    return _plain_value(text)


def _balanced(text: str) -> str:
    """Drop a closing parenthesis the value does not open (`5)` from `(so x = 5)`)."""
    while text.endswith(")") and text.count(")") > text.count("("):
        text = text[:-1]
    return text


def _retraction(tail: str, answer: str) -> tuple[bool, str | None]:
    """Read the text after the last marked answer: (retracted?, the corrected value if stated).

    A correction ("it should be 15") gives its value; a plain statement that the answer is wrong,
    or a second thought ("Wait, ...") that never comes back to the answer, gives none.
    """
    cues = [m for m in (_RETRACT_CUE.search(tail), DOUBT.search(tail)) if m is not None]
    if not cues:
        return False, None
    cue = min(cues, key=lambda m: m.start())
    after = tail[max(tail.rfind(". ", 0, cue.start()), tail.rfind("\n\n", 0, cue.start())) + 1 :]
    restated = list(_RESTATED.finditer(after))
    if restated:
        value = value_of_sentence("is " + first_sentence(_line_from(after, restated[-1].end())))
        if value:
            return True, value
    concluded = concluding_value(after)
    if concluded:
        return True, concluded
    negated = [m for m in _NEGATED.finditer(after) if not _HEDGED.search(_sentence_around(after, m.start()))]
    doubted = DOUBT.search(after) is not None and answer.strip("$ ") not in after
    return bool(negated) or doubted, None


def _sentence_around(text: str, index: int) -> str:
    """The sentence of `text` that holds position `index`."""
    start = max(text.rfind(". ", 0, index), text.rfind("\n\n", 0, index)) + 1
    end = min((e for e in (text.find(". ", index), text.find("\n\n", index)) if e >= 0), default=len(text))
    return text[start:end]


def concluding_value(text: str) -> str | None:
    """The value of the concluding sentence when it states one; None for a response that just stops.

    The sentence must be complete and conclude: a concluding word (`So`, `Therefore`, `in total`)
    or a statement that ends on its value (`The remainder is $4$.`); plans and recalled answers
    never count.
    """
    units = _sentences(text[-TAIL:])
    while units and _CLOSING.match(units[-1]) and len(units) > 1:
        units.pop()  # "I think that's the answer."
    if not units:
        return None
    last = _STEP_LABEL.sub("", units[-1])
    if not re.search(r"(?:[.!]|\\\]|\$\$|\*\*)\W*$", last):
        return None  # cut off mid-sentence
    if _PLANS.search(_INLINE_MATH.sub(" x ", last)) or not_own(last):
        return None
    if _CONCLUDES.search(last):
        return value_of_sentence(last)
    if _ends_in_display(last):
        return None  # "Expanding, the product is:\n\\[...\\]" may be a step; only a concluding word counts
    return value_of_sentence(last, at_end=True)


def _ends_in_display(unit: str) -> bool:
    return re.search(r"(?:\\\]|\$\$)\W*$", unit) is not None


def _sentences(text: str) -> list[str]:
    """Sentences and display-math blocks; a display block joins the sentence that leads into it."""
    masked = _INLINE_MATH.sub(lambda m: "x" * len(m.group(0)), text)
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
            and (_INLINE_MATH.fullmatch(unit.rstrip(" .")) or unit == ".")
            and units[-1][-1:] not in ".!?"
        ):
            units[-1] = f"{units[-1]} {unit}"
        else:
            units.append(unit)
    return units


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


def marked_candidates(text: str) -> list[Candidate]:
    """All answer candidates given by boxes, answer phrases and JSON answer fields, in text order."""
    candidates = _phrase_answers(text)
    field = json_answer(text)
    if field is not None:
        candidates.append(field)
    boxed = last_boxed(text)
    if boxed is not None:
        candidates.append(boxed)
    return sorted(candidates, key=lambda c: c.start)


def _final_marked(text: str) -> tuple[bool, str | None]:
    """(found a marked answer?, its value after retractions); the value is None when retracted."""
    cleaned = [(c, clean(c.raw, c.boxed)) for c in marked_candidates(text)]
    cleaned = [(c, answer) for c, answer in cleaned if answer and not _NOT_A_VALUE.fullmatch(answer)]
    if not cleaned:
        return False, None
    candidate, answer = cleaned[-1]
    retracted, corrected = _retraction(text[candidate.end : candidate.end + TAIL], answer)
    if retracted:
        return True, corrected
    return True, answer


def extract_math(response: str) -> Extraction:
    """The final math answer of a response, as a LaTeX/plain string (None when there is none)."""
    thinking, text = split_thinking(response)
    text = without_leaked_turn(text)
    found, answer = _final_marked(text)
    if not found:
        answer = concluding_value(text)
        bare = len(text.strip()) <= 400 and (not _has_words(text) or _WORDS_AFTER_NUMBER.match(text.strip()))
        if answer is None and bare:
            answer = clean(text) or None  # the response is the bare answer, e.g. `$\frac{1}{2}$`
    if answer is None and not found and thinking:
        found, answer = _final_marked(thinking)
    return Extraction(answer[:MAX_CANDIDATE] if answer else None)
