"""Find the final math answer in a model response, as a careful human grader reads it.

The part after thinking is read first (after the last `</think>`, `<|end_of_thought|>`,
`<|im_start|>answer`); when it states no final answer (cut off), the last final answer of the thinking
counts (a marked one, else its concluding sentence). Candidates are marked answers
(`\\boxed{}`/`\\fbox{}`, "Final Answer:", "the answer is", "Answer:", a JSON `"answer"` field); the one
written last wins, unless the text after it retracts it ("Hold on, it should be 15" gives 15; "that is
wrong", or a second thought that never returns to the answer, gives no answer). Recalled or supposed
answers ("I remember the answer is 3/7", "If the answer is 12") never count. Without any marker, the
concluding sentence is read for its value ("So, the total comes to 41." gives 41; "There are 7 ways ..."
gives 7; "48.2 is the correct sum of 35.7 and 12.5." gives 48.2). A later clause that concludes is the
one read ("12 ways, so the probability is 12/36 = 1/3." gives 1/3; "1/2 of 10, i.e., 5" gives 5);
solutions as equations are all read ("x = 2 or x = -3" gives 2, -3); a scale word counts ("5 million"); a
bound ("less than 5") is no value, and a sentence that gives two subjects two values ("the minimum is 5
and the maximum is 9") names no single answer. After the answer, a sentence about another case with a
value of its own ("Had we included zero, the count would be 6.", "Note that 8 would be wrong") is an
aside, not a new answer or a retraction. Closing remarks that judge the work and state no value ("I think
that's the final answer.", "Unless I made an error, this seems right.") and a prompt turn that a base
model went on to write are skipped; a concluding sentence with no number may state a one-word answer ("so
he ends up facing west." gives west). A response that simply stops (truncated, no final sentence) has no
answer: an abstention is better than a fragment that may match by chance. The one exception is a response
cut off inside a loop that restates its conclusion word for word ("Therefore, the maximum is 81." again
and again): that value is its answer; cut off while working the problem again, it has none. Every pattern
here is linear in the input, so megabyte responses stay fast. The shared reading helpers (thinking split,
boxes, JSON field, sentences, doubt cues, number words) live in reading.py.
"""

from __future__ import annotations

import re
from decimal import Decimal

from evalscale.grading.reading import (
    DOUBT,
    HEDGED,
    INLINE_MATH,
    LAST_PHRASES,
    MAX_CANDIDATE,
    NEGATED,
    NUMBER_WORD,
    RESTATED,
    RETRACT_CUE,
    Candidate,
    Extraction,
    first_sentence,
    hypothetical,
    json_answer,
    last_boxed,
    line_from,
    mask_math,
    math_segments,
    not_own,
    number_word_value,
    sentence_around,
    sentences,
    split_thinking,
    unbox,
    without_end_tokens,
    without_leaked_turn,
    words,
)

TAIL = 3000  # characters read after the last candidate for a retraction, and for a concluding sentence

# Phrases that mark the answer after them.
_PHRASE = re.compile(
    r"(?im)(?:final\s+answer\b"  # "Final Answer: 12", "**Final Answer**\n\n$42$"
    r"|the\s+(?:correct\s+|final\s+|right\s+)?(?:answer|option|choice)\s+(?:is|would\s+be|should\s+be|will\s+be)\b"
    r"|^\s*[#*_>\s]*answer\b[*_]*(?=[*_ \t]*(?:[:：]|$))"  # "**Answer:** $2\sqrt{5}$"
    r"|^\s*[#*_>\s]*answer\b(?=[ \t]*(?:\$|\\\(|\\\[|\\boxed))"  # "Answer $ 7 $"
    r"|答案\s*(?:是|为)?"  # "答案：7", "答案是 7。"
    r"|^####(?=\s))"  # GSM8K style "#### 72"
    r"[*_\s]*(?:is\b|of\b)?[\s*_]*[:：]?[ \t*_]*"
)
# Words between a marker and its value that are no part of the value: "The answer is indeed 7."
_FILLER = re.compile(
    r"(?i)(?:(?:indeed|simply|just|clearly|definitely|certainly|surely|for\s+sure|exactly|precisely|still)\b"
    r"[\s,]*)+"
)
# A phrase answer starting with one of these words states no value ("Answer: We first note...").
_NO_ANSWER_START = re.compile(
    r"(?i)\W*(?:not|n't|also|either|neither|unclear|unknown|we|let|let's|to|first|since|i|in"
    r"|for|from|using|our|if|now|note|step|here|as|because|when|then)\b(?![-+*/^=])"
)
# A phrase answer that is only one of these words states no value ("the answer is correct").
_NOT_A_VALUE = re.compile(
    r"(?i)(?:correct|incorrect|right|wrong|valid|invalid|consistent|confirmed|verified|unchanged|same|"
    r"as\s+follows|below|above|clear|obvious|it|this|that|done|complete|true\s+for\s+all)"
)
# Closing remarks after a conclusion state no value, so the sentence before them is read. A closing
# remark has no number or math, opens with its speaker or its subject ("I think", "this", "that's",
# "the answer") after an optional hedge clause ("Unless I made an error, this seems right."), judges
# the work ("correct", "final answer", "complete", "confident"), and casts no doubt on it.
_HEDGE_CLAUSE = re.compile(
    r"(?i)^\W*(?:(?:so|yes|okay|ok|alright|well|overall|hopefully|and)\b[,\s]*)?"
    r"(?:(?:unless|if|assuming|barring|after|having|as\s+far\s+as|to\s+the\s+best)\b[^,]*,\s*)?"
)
_REMARK_SUBJECT = re.compile(
    r"(?i)(?:i|i'?m|i'?ve|we|we'?re|this|that|that'?s|it|it'?s|everything|all|these|both|which|my|"
    r"the\s+(?:final\s+|correct\s+)?(?:answer|solution|result|calculation|reasoning|work)s?)\b"
)
# An adjective judges the work only at the end ("this is correct", not "this is a right triangle").
_JUDGES_WORK = re.compile(
    r"(?i)\b(?:(?:correct|right|accurate|final)\s+(?:answer|solution|result|value)|confident|sure|makes\s+sense"
    r"|checks?\s+out|helps?)\b"
    r"|\b(?:correct|right|complete|consistent|accurate|reasonable|solid|sound|fine|good|it|all|done|answer"
    r"|solution|result)\W*$"
)
_SHORT_CLOSING = re.compile(
    r"(?i)^\W*(?:done|yes|good|great|okay|ok|correct|right|confirmed|verified|perfect|final\s+answer"
    r"|let\s+me\s+know\b.*|hope\s+(?:this|that|it)\s+helps)"
    r"[.!\s]*$"
)
_CASTS_DOUBT = words(
    r"not|no|\w+n't|never|but|however|although|wrong|incorrect|mistake|recheck|reconsider|wait|hmm+"
)


# A check of the conclusion after it: "Let me double-check: 5 + 10 = 15.", "Verification: 3 * 4 = 12."
_VERIFICATION = re.compile(
    r"(?i)^\W*(?:let\s+me\s+|let'?s\s+|let\s+us\s+|quick\s+)?(?:double[-\s]?check|check|verify|verification"
    r"|confirm)\w*\b[^.:]{0,40}:"
)


def _is_check(unit: str) -> bool:
    """True for a check of the conclusion without second thoughts ("Let me double-check: 5 + 10 = 15.")."""
    check = _VERIFICATION.match(unit)
    return check is not None and DOUBT.search(unit, check.end()) is None


def _is_aside(units: list[str]) -> bool:
    """True when the last sentence is about another case after a stated value, with a value of its own ("So
    the total is 5. Had we included zero, the count would be 6."); restating the value, it is the conclusion
    of a question about another case ("... = 550 gallons. Karla would have saved 550 gallons if ...")."""
    if not hypothetical(units[-1]):
        return False
    stated = _sentence_value(units[-2])
    return stated is not None and value_of_sentence(units[-1]) != stated


def _is_closing_remark(unit: str) -> bool:
    """True for a closing remark that states no value ("I think that's the final answer.")."""
    unit = unit.replace("\u2019", "'")
    if re.search(r"[\d$\\=]", unit) or len(unit.split()) > 24:
        return False
    if _SHORT_CLOSING.match(unit):
        return True
    remark = unit[_HEDGE_CLAUSE.match(unit).end() :]
    subject = _REMARK_SUBJECT.match(remark)
    return (
        subject is not None
        and _JUDGES_WORK.search(remark, subject.end()) is not None
        and _CASTS_DOUBT.search(remark) is None
    )


_CONCLUDES = re.compile(
    r"(?i)\b(?:therefore|thus|hence|consequently|in\s+conclusion|to\s+conclude|in\s+the\s+end|in\s+total|in\s+all|altogether|overall"
    r"|answer|final|finally|ultimately|total|result|together|in\s+summary|to\s+summari[sz]e"
    r"|comes?\s+to"
    r"|in\s+(?:interval|set-?builder|simplest|standard|scientific)\s+(?:notation|form)"  # the answer's format
    r")\b"
    r"|^\W*so\b"
)
_PLANS = re.compile(  # a sentence that plans a step states no result: "Next, we compute the sum."
    r"(?i)\b(?:need\s+to|let'?s|let\s+us|we\s+will|we'll|now\s+we|then\s+we|should\s+we|want\s+to|trying|try|step"
    r"|(?:to|must|will|shall)\s+(?:find|compute|calculate|check|consider|determine|solve))\b"
    r"|^\W*(?:next|find|compute|calculate|check|consider|determine|solve)\b"  # not "next to each other"
    r"|[?:]\s*$"
)
_CONCLUSION_LABEL = re.compile(r"(?i)\W*(?:conclusion|final\s+answer|answer|result|summary)\s*[:.]?\W*")
_STEP_LABEL = re.compile(r"(?i)^\W*(?:step\s+\d+|conclusion|answer|result)\s*[:.]\s*")
_OPERATOR_BEFORE = re.compile(r"[-+*/^×÷·]\s?$")
_OPERATOR_AFTER = re.compile(r"\s?[-+*/^×÷·=]|\(")
_LIST_JOINER = re.compile(r"\s*(?:,|,?\s*(?:and|or)\b)\s*")
_THERE_ARE = re.compile(  # "Therefore, there are 1940 ways ... with at least one member from each party."
    r"(?i)\W*(?:(?:so|thus|therefore|hence|in\s+total|altogether),?\s+)?there\s+(?:is|are|were|was|will\s+be)\b"
    r"(?:\s+(?:exactly|only|in\s+total))?"
)
# A leading clause before the statement: "Since ... are used, the tank holds 1500 litres.",
# "Therefore, when $y = 3$, $x = 600$."
_SUBORDINATE = re.compile(
    r"(?i)^\W*(?:(?:so|thus|therefore|hence),?\s+)?(?:since|because|as|given|if|when|after|using|with|from)\b[^,]*,\s*"
)
# A trailing reason after the stated value: "The simplest form is $\\sqrt{53}$, as 53 cannot be factored",
# "Final answer: 7 (since 3 + 4 = 7)."
_REASON_AFTER = re.compile(r"(?i)(?:,|\s*\()\s*(?:as|since|because|given\s+that|due\s+to)\b")
# A later clause that concludes, or restates, the value: "Thus there are 12 ways, so the probability is
# 12/36 = 1/3." states 1/3; "1/2 of 10, i.e., 5" states 5 (not "so that", which gives a purpose).
_LATER_CLAUSE = re.compile(
    r"(?i)[,;]\s*(?:and\s+)?(?:so(?!\s+that)|thus|hence|therefore|which\s+means(?:\s+that)?|meaning(?:\s+that)?"
    r"|i\.\s?e\.|that\s+is|namely)(?!\w),?\s*"
)
# Solutions stated as equations of one unknown: "So x = 2 or x = -3." states both roots, not the last.
_UNKNOWN_EQUALS = re.compile(r"(?<![\w\\])(?P<unknown>[a-zA-Z])\s*=\s*")
_LIST_END = re.compile(r"\s*(?:,|,?\s*\b(?:and|or)\b)\s*$")
# After a value: a second subject that gets a value of its own ("5 and the maximum is 9", "5, b = 3").
_SECOND_SUBJECT = re.compile(r"(?i)[^\d]{0,60}?(?:,|;|\band\b)\s*(?:the\s+|its\s+)?[a-z][\w\s()]{0,40}?\s*")
# A bound is not a value: "more than 5", "less than 5", "at least 5", "up to 5".
_BOUND_BEFORE = re.compile(
    r"(?i)\b(?:(?:more|less|greater|fewer|larger|smaller|other)\s+than|at\s+(?:least|most)|up\s+to|over|under)\s*$"
)
# A number with its scale word: "5 million" is 5000000, "2.5 billion dollars" is 2500000000.
_SCALE_WORDS = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12}
_SCALED = re.compile(
    r"(?i)(?P<number>[-+]?\d[\d,]*(?:\.\d+)?)\s+(?P<scale>" + "|".join(_SCALE_WORDS) + r")\b"
)
# Linking verbs: the value a sentence states follows the last of them ("So, the total comes to 41.", "It will
# take 4 beakers to fill the tank of radius 6 cm.").
_LINK = re.compile(
    r"(?i)(?:\bis\b|\bare\b|\bwas\b|\bwere\b|\bequals?\b|\bequal\s+to\b|\bcomes?\s+to\b|\bgives?\b|\bget\b"
    r"|\bobtain\b|\byields?\b|\bbe\b|\btotals?\b|\bhas\b|\bhave\b|\bmakes?\b|\btakes?\b|\btook\b|\bneeds?\b"
    r"|=|:)"
)
# A predicate that names the value before its verb the answer: "48.2 is the correct sum of 35.7 and 12.5."
_IS_THE_ANSWER = re.compile(
    r"(?i)^[\s,]*(?:indeed\s+|also\s+|clearly\s+)?(?:the|our|my)\s+(?:correct|right|final|only|required|desired)\b"
)
# Plain-text arithmetic that ends a sentence after its verb: "15 + 39/40 inches.", "sin T = sqrt(21) / 5."
_NUMERAL = r"(?:\d+(?:\.\d+)?|sqrt\(\d+\)|√\d+|π)"
_ARITHMETIC = re.compile(
    r"\s*(?P<expr>[-+]?" + _NUMERAL + r"(?:\s*[-+*/]\s*" + _NUMERAL + r")+)"
    r"(?:\s+[a-zA-Z][a-zA-Z -]{0,40})?[\s.!]*$"
)
_NEGATION = re.compile(r"(?i)\b(?:not|never|cannot|no\s+longer)\b|n't\b")
_VALUE = re.compile(
    r"\$\$([^$]{1,500})\$\$|\$([^$\n]{1,500})\$|\\\[(.{1,500}?)\\\]|\\\((.{1,500}?)\\\)"
    r"|(?<![\w.\\])([(\[]\s*[-+]?[\w.√π∞/^-]{1,20}(?:\s*,\s*[-+]?[\w.√π∞/^-]{1,20}){1,9}\s*[)\]]"
    r"|[-+]?\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?"
    r"|\d+\s\d+/\d+(?![\d/])"  # a mixed number: "15 39/40 inches"
    r"|[-+]?(?:\d|√|π|sqrt\()[\w.^/*√π()+-]{0,40}%?)"
    r"|(?i:\b(?P<word>" + NUMBER_WORD + r")\b(?!-[a-z]))",  # not "an eight-hour day"
    re.S,
)
_WORDS_AFTER_NUMBER = re.compile(  # "14 students" -> 14, "four coins" -> 4
    r"^(?P<value>[-+]?\d[\d,]*(?:\.\d+)?(?:/\d+)?|\d+\\frac\{\d+\}\{\d+\}|" + NUMBER_WORD + r")"
    r"(?:\s+[a-zA-Z][a-zA-Z\s-]{0,40})?$",
    re.I,
)
_ARTICLE = re.compile(r"(?i)^(?:the|a|an)\s+(?=\S)")  # "the 11th grade" -> 11
_MIXED = re.compile(r"^(\d+)\s+(?:and\s+)?(\d+)\s*/\s*(\d+)\b")  # `137 and 1/2 miles`, `15 39/40 inches`
_ORDINAL = re.compile(
    r"(?<=\d)(?:\^\s*\{\s*\\(?:text|mathrm)\s*\{\s*(?:st|nd|rd|th)\s*\}\s*\}|(?:st|nd|rd|th)\b)"
)
# One-word answers in a concluding sentence without numbers.
_NAMED_SUBJECT = re.compile(  # "Priya would finish first.", "Navin from Mauritius earns the most"
    r"^(?:[^,]{0,40},\s+)?(?P<word>[A-Z][a-z]{2,})(?:\s+from\s+[A-Z][a-z]+)?\s+"
    r"(?:would|will|is|was|wins?|won|has|had|should|must|gets?|got|finish(?:es|ed)?|comes?|came|ends?|ended"
    r"|earns?|earned|makes?|made)\b",
    re.I,
)
# "so he ends up facing west.", "The skater is facing east when she finishes her spin.", "heading south"
_LAST_WORD = re.compile(
    r"\b(?:is|are|was|were|be|becomes?|facing|faces|face|towards?|heading|headed|pointing|points?)\s+"
    r"(?:the\s+|a\s+|an\s+)?"
    r"(?P<word>[A-Za-z]{3,})(?:\s+(?:when|after|once|as|at\s+the\s+end)\b[^.,;]{0,60})?[\s.!*]*$"
)
_NOT_A_WORD_ANSWER = words(
    r"correct|incorrect|right|wrong|valid|invalid|consistent|same|done|complete|possible|impossible",
    r"it|this|that|there|here|true|false|clear|obvious|fine|good|needed|required|answer|solution",
    r"following|above|below|given|shown|zero|one|two|three|four|five|six|seven|eight|nine|ten",
)
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")


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
        line = line_from(text, start)
        if not line.strip():  # "**Final Answer**\n\n$42$": answer on the next non-empty line
            start += len(line)
            while start < len(text) and text[start] in "\n \t":
                start += 1
            line = line_from(text, start)
        filler = _FILLER.match(line)
        if filler:  # "The answer is indeed 7."
            start += filler.end()
            line = line[filler.end() :]
        sentence = first_sentence(line)
        if _NO_ANSWER_START.match(sentence) or sentence.rstrip(" *_$").endswith("?"):
            continue
        # "(Note: if order mattered, the answer would be 10.)" is about another case
        aside = hypothetical(text[sentence_start:start] + sentence)
        found.append(Candidate(match.start(), start + len(sentence), sentence, aside=aside))
    return found


def clean(candidate: str, boxed_content: bool = False) -> str:
    """Strip markdown, math delimiters, sentence punctuation, units and words around an answer."""
    candidate = candidate[:MAX_CANDIDATE].strip()
    if boxed_content:
        return _plain_value(unbox(candidate))
    if "\\boxed" in candidate or "\\fbox" in candidate:
        boxed = last_boxed(candidate)
        return _plain_value(boxed.raw.strip()) if boxed else ""  # no box closes: `\boxed{1` cut off
    candidate = _stated_part(candidate)
    lead = _VALUE.match(candidate)
    if lead and is_prose(candidate) and not _OPERATOR_AFTER.match(candidate[lead.end() :]):
        return _value_text(candidate, lead) or ""  # the answer comes first: "40 daps equal 42 baps."
    if is_prose(candidate) or _states_with_verb(candidate):  # "The smallest $k$ is 12."
        return value_of_sentence(candidate) or word_answer(candidate) or ""
    math = math_segments(candidate)
    if math:
        candidate = _math_list(candidate) or math[0]
    else:
        candidate = candidate.rstrip(" !")  # "The answer is 41!" (a factorial is written in math)
    candidate = candidate.strip().lstrip("#>").strip("*_` \t\n$").rstrip(" .;:*_`$。")
    for opener, closer in (("\\[", "\\]"), ("\\(", "\\)")):
        if candidate.startswith(opener) and candidate.endswith(closer):
            candidate = candidate[2:-2]
    return _plain_value(candidate.strip().rstrip(" .;:").strip())


def _stated_part(text: str) -> str:
    """The part of an answer sentence that states the value: without a trailing reason ("7 (since 3 + 4 =
    7)" -> "7") or a remark after a semicolon ("3; 5 was a miscalculation" -> "3") and, when a later
    clause concludes or restates a value, that clause ("1/2 of 10, i.e., 5" -> "5")."""
    masked = mask_math(text)
    clauses = list(_LATER_CLAUSE.finditer(masked))
    if clauses and _VALUE.search(text, clauses[-1].end()):
        text, masked = text[clauses[-1].end() :], masked[clauses[-1].end() :]
    for cut in (_REASON_AFTER.search(masked), re.search(r";\s", masked)):
        if cut and _VALUE.search(text[: cut.start()]):
            text, masked = text[: cut.start()], masked[: cut.start()]
    return text


def _math_list(text: str) -> str | None:
    """Math spans joined only by commas, "and" or "or" as one list (`$x = 2$ or $x = -3$`), else None."""
    spans = list(INLINE_MATH.finditer(text))
    joiners = [text[a.end() : b.start()] for a, b in zip(spans, spans[1:], strict=False)]
    if len(spans) < 2 or not all(_LIST_JOINER.fullmatch(joiner) for joiner in joiners):
        return None
    return ", ".join(next(g for g in span.groups() if g is not None).strip() for span in spans)


def _equation_list(sentence: str, masked: str) -> str | None:
    """The values of solutions stated as equations of one unknown (`x = 2 or x = -3` -> `2, -3`), or None.

    `masked` is the sentence with its math masked (`mask_math`), so that no equation inside math is read.
    """
    equations = list(_UNKNOWN_EQUALS.finditer(masked))
    if len(equations) < 2 or len({m.group("unknown") for m in equations}) != 1:
        return None
    values = []
    for equation, following in zip(equations, [*equations[1:], None], strict=True):
        value = sentence[equation.end() : following.start() if following else len(sentence)]
        if following is not None:
            joiner = _LIST_END.search(value)
            if joiner is None:
                return None
            value = value[: joiner.start()]
        value = value.strip().rstrip(".!")
        if not value or _has_words(value):
            return None
        values.append(value)
    return ", ".join(values)


def _two_statements(masked: str, links: list[re.Match[str]], values: list[re.Match[str]]) -> bool:
    """True when the sentence links two subjects to two values (`the minimum is 5 and the maximum is 9`,
    `a = 5 and b = 3`): a value between the last two links, then a joiner and the second subject."""
    if len(links) < 2:
        return False
    between = [v for v in values if links[-2].end() <= v.start() and v.end() <= links[-1].start()]
    return any(_SECOND_SUBJECT.fullmatch(masked[v.end() : links[-1].start()]) for v in between)


def _scaled(number: str, scale: str) -> str:
    """A number times its scale word: (`2.5`, `billion`) -> `2500000000`."""
    value = Decimal(number.replace(",", "")).scaleb(_SCALE_WORDS[scale.lower()])
    return format(value.normalize(), "f")


def _states_with_verb(text: str) -> bool:
    """A sentence that opens with words and links them to a value outside math (`The smallest $k$ is
    12.`); not an answer that comes first (`$6$, and the sum of the digits is 9.` is 6)."""
    if re.match(r"[\s*_]*(?:\$|\\[(\[]|[-+]?\d)", text):
        return False
    masked = INLINE_MATH.sub(" x ", text)
    return _has_words(text) and re.search(r"(?i)\b(?:is|are|equals)\b", masked) is not None


def _plain_value(answer: str) -> str:
    """`14 students` -> `14`, `four coins` -> `4`, `5^{\\text{th}}` -> `5`; other answers unchanged."""
    answer = _MIXED.sub(r"\1\\frac{\2}{\3}", _ORDINAL.sub("", answer).strip())
    scaled = _SCALED.match(answer)
    if scaled:  # "5 million people"
        return _scaled(scaled.group("number"), scaled.group("scale"))
    words_after = _WORDS_AFTER_NUMBER.match(_ARTICLE.sub("", answer))
    if words_after and not re.search(r"(?i)\b(?:and|or|to|plus|minus|times|over|divided)\b", answer):
        return number_word_value(words_after.group("value")) or words_after.group("value")
    return answer


def is_prose(text: str) -> bool:
    """Two or more words of four letters or more outside math and LaTeX commands."""
    outside = INLINE_MATH.sub(" ", text)
    outside = re.sub(
        r"\\(?:begin|end)\s*\{\w*\*?\}|\\(?:text|mathrm|textbf|mbox)\s*\{[^{}]*\}|\\[a-zA-Z]+", " ", outside
    )
    return len(re.findall(r"[A-Za-z]{4,}", outside)) >= 2


def _has_words(text: str) -> bool:
    """A word of three letters or more outside math and `\\text{}` (so not a bare answer)."""
    outside = INLINE_MATH.sub(" ", text)
    outside = re.sub(r"\\(?:text|mathrm|textbf|mbox)\s*\{[^{}]*\}|\\[a-zA-Z]+", " ", outside)
    return re.search(r"[A-Za-z]{3,}", outside) is not None


def value_of_sentence(sentence: str, at_end: bool = False) -> str | None:
    """The value a sentence states: after a leading `Since ..., ` clause and its last linking verb.

    `Since $0.03 \\times 1500 = 45$ litres are used, the tank holds 1500 litres.` -> `1500`;
    `So, the total comes to 41.` -> `41`; `48.2 is the correct sum of 35.7 and 12.5.` -> `48.2` (the
    subject, when the predicate calls it the answer). None when the sentence names no single value,
    or negates it (`the minimum is not achieved, but it gets close to 50`). With `at_end`, the value
    must also end the sentence (only a few unit words after it) and follow a linking verb.
    """
    sentence = _SUBORDINATE.sub("", sentence.replace("**", "").strip(), count=1)
    sentence = _stated_part(sentence)  # "is $\\sqrt{53}$, as 53 ...", "12 ways, so the probability is 1/3"
    masked = mask_math(sentence)
    listed = _equation_list(sentence, masked)
    if listed and not _NEGATION.search(masked):  # "So x = 2 or x = -3."
        return listed
    links = list(_LINK.finditer(masked))
    there = _THERE_ARE.match(masked)
    if there:  # "There are 3 primes for which the digit sum is 8": the count, not the relative clause
        links, at_end = [there], False
    values = list(_VALUE.finditer(sentence))
    if _two_statements(masked, links, values):
        return None  # "So the minimum is 5 and the maximum is 9." names no single value
    named = [link for link in links if _IS_THE_ANSWER.match(masked[link.end() :])]
    arithmetic = _ARITHMETIC.match(sentence, links[-1].end()) if links else None
    if named:  # "So, \(x = 3\) is indeed the correct solution.", "confirming that x = 17 is the correct one"
        values = [v for v in values if v.end() <= named[-1].start()][-1:]
        at_end = False
    elif arithmetic and not _NEGATION.search(masked[: arithmetic.start()]):
        # "... is 15 + 39/40 inches.", "In conclusion, sin T = sqrt(21) / 5."
        return re.sub(r"(?<![a-zA-Z\\])sqrt(?=\()", r"\\sqrt", arithmetic.group("expr"))
    elif links:
        after = [v for v in values if v.start() >= links[-1].end()]
        if not after and (len(values) != 1 or at_end):
            return None
        values = after or values
    elif len(values) != 1 or at_end:
        return None
    if not values:
        return None
    value = values[0]
    if _NEGATION.search(masked[: value.end()]):
        return None
    run = [value]  # "the roots are $2$ and $3$": every value of the list, not the first
    end = value.end()
    for following in values[1:]:
        joiner = sentence[run[-1].end() : following.start()]
        if re.fullmatch(r",\s*or\s*", joiner) and len(run) == 1:
            end = following.end()  # "33/100, or 0.33" restates one value
            break
        if not _LIST_JOINER.fullmatch(joiner):
            break
        run.append(following)
        end = following.end()
    if at_end and not re.fullmatch(r"[^\d$\\=]{0,60}", sentence[end:]):
        return None
    texts = [_value_text(sentence, item) for item in run]
    return None if None in texts else ", ".join(texts)  # type: ignore[arg-type]


def word_answer(sentence: str) -> str | None:
    """The one word a sentence without numbers answers with, as `\\text{word}`; None when none.

    `Priya would finish first.` -> Priya (a named subject, the only name in the sentence);
    `so he ends up facing west.` -> west (the single word that ends it after a linking verb).
    Never read from a sentence with a number, math, a negation, a hedge, a condition or a question mark.
    """
    sentence = sentence.replace("**", "").strip()
    if re.search(r"[\d$\\?]", sentence) or _NEGATION.search(sentence) or HEDGED.search(sentence):
        return None
    if re.search(r"(?i)\b(?:if|unless|suppos\w*|assum\w*)\b", sentence):
        return None  # "Priya would finish first if she ran faster." states no answer
    if len(sentence.split()) > 14:
        return None
    named = _NAMED_SUBJECT.match(sentence)
    word = None
    if named and named.group("word")[0].isupper():
        names = {m.group(0) for m in _CAPITALISED.finditer(sentence[named.end() :])} | {named.group("word")}
        word = named.group("word") if names == {named.group("word")} else None
    if word is None:
        last = _LAST_WORD.search(sentence)
        word = last.group("word") if last else None
    if word is None or _NOT_A_WORD_ANSWER.fullmatch(word):
        return None
    return f"\\text{{{word}}}"


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
    if not INLINE_MATH.match(value.group(0)):
        if _BOUND_BEFORE.search(sentence[max(value.start() - 20, 0) : value.start()]):
            return None  # "The answer is less than 5." states a bound
        scaled = _SCALED.match(sentence, value.start())
        if scaled:  # "The population is 5 million."
            return _scaled(scaled.group("number"), scaled.group("scale"))
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
    for unit in filter(hypothetical, sentences(tail)):  # "Note that 8 would be wrong because ..."
        tail = tail.replace(unit, " " * len(unit), 1)
    cues = [m for m in (RETRACT_CUE.search(tail), DOUBT.search(tail)) if m is not None]
    if not cues:
        return False, None
    cue = min(cues, key=lambda m: m.start())
    after = tail[max(tail.rfind(". ", 0, cue.start()), tail.rfind("\n\n", 0, cue.start())) + 1 :]
    restated = list(RESTATED.finditer(after))
    if restated:
        value = value_of_sentence("is " + first_sentence(line_from(after, restated[-1].end())))
        if value:
            return True, value
    concluded = concluding_value(after)
    if concluded:
        return True, concluded
    negated = [m for m in NEGATED.finditer(after) if not HEDGED.search(sentence_around(after, m.start()))]
    doubted = DOUBT.search(after) is not None and answer.strip("$ ") not in after
    return bool(negated) or doubted, None


def concluding_value(text: str) -> str | None:
    """The value of the concluding sentence when it states one; None for a response that just stops.

    The sentence must be complete and conclude: a concluding word (`So`, `Therefore`, `in total`, a
    `Conclusion:` line before it) or a statement that ends on its value (`The remainder is $4$.`);
    plans and recalled answers never count. Closing remarks after it ("I think that's the final
    answer.") are skipped. A response cut off mid-sentence has no answer, unless it was cut inside a
    loop that keeps concluding one value (see `_loop_value`).
    """
    units = sentences(without_end_tokens(text[-TAIL:]))
    checks: list[str] = []
    while len(units) > 1 and (_is_closing_remark(units[-1]) or _is_check(units[-1]) or _is_aside(units)):
        popped = units.pop()  # "I think that's it.", "Let me double-check: 5 + 10 = 15.", "Had we ..."
        if _is_check(popped):
            checks.append(popped)
    if not units:
        return None
    if not re.search(r"(?:[.!]|\\\]|\$\$|\*\*)\W*$", units[-1]):
        return _loop_value(units[:-1])  # cut off mid-sentence
    labelled = len(units) > 1 and _CONCLUSION_LABEL.fullmatch(units[-2]) is not None
    value = _sentence_value(units[-1], labelled)
    if any(value_of_sentence(check) not in (None, value) for check in checks):
        return None  # the check after the conclusion came out differently: not settled
    return value


def _sentence_value(unit: str, concludes: bool = False) -> str | None:
    """The value one complete sentence concludes with (see `concluding_value`), or None."""
    last = _STEP_LABEL.sub("", unit)
    if _PLANS.search(INLINE_MATH.sub(" x ", last)) or not_own(re.split(r"[\d$\\]", last, maxsplit=1)[0]):
        return None  # a plan, or a supposed value ("If the answer is 12, ..."), not "... 90 ways if they ..."
    if concludes or _CONCLUDES.search(last):
        return value_of_sentence(last) or word_answer(last)
    if _ends_in_display(last):
        return None  # "Expanding, the product is:\n\\[...\\]" may be a step; only a concluding word counts
    return value_of_sentence(last, at_end=True) or word_answer(last)


def _loop_value(complete: list[str]) -> str | None:
    """The value a response cut off inside a loop of its conclusion keeps stating, else None.

    A loop: the last complete sentence was written before, word for word ("Therefore, the maximum
    value of the function is 81." twice, a price restated fifty times), and it concludes a value. The
    loop's period, the sentences since that earlier copy, concludes no other value (read from its
    concluding sentences, or from every sentence when none has a concluding word) and holds no second
    thought ("Wait"). A response cut off while it works the problem again is no answer.
    """
    if len(complete) < 2 or complete[-1] not in complete[:-1]:
        return None
    stated = _sentence_value(complete[-1])
    previous = len(complete) - 2 - complete[-2::-1].index(complete[-1])
    period = complete[previous + 1 :]
    if stated is None or any(DOUBT.search(unit) for unit in period):
        return None
    concluding = [unit for unit in period if _CONCLUDES.search(unit)] or period
    values = {value for value in map(_sentence_value, concluding) if value}
    return stated if values == {stated} else None


def _ends_in_display(unit: str) -> bool:
    return re.search(r"(?:\\\]|\$\$)\W*$", unit) is not None


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
    while len(cleaned) > 1 and cleaned[-1][0].aside:
        cleaned.pop()  # after a stated answer, a sentence about another case is an aside
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
        # the solution is cut off or empty: the thinking's last answer ("Therefore, the maximum is 27.")
        found, answer = _final_marked(thinking)
        if not found:
            answer = concluding_value(thinking)
    return Extraction(answer[:MAX_CANDIDATE] if answer else None)
