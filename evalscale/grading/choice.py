"""Read the letter a multiple-choice response commits to, as a careful human grader does.

Only commitments count: a box (`\\boxed{C}`), "Answer: D" (anywhere in a line; also "答案：D",
"<answer>B</answer>", "Correct option: B - 10^-3 eV"), "the correct / most probable answer is D: ...",
"the option that is not allowed is B", "I'll go with C", "I believe it's B", "it must be D", "C is the
answer", "This matches option A.", "only C fits", a bold span naming one option inside a sentence ("The
product is **B. methyl 3-aminobenzoate**.", "approximately **0.41 (Option D)**"), a lettered line after a
lead-in such as "the best fit is:", and a final line that is only a letter ("Choice C."). The last
commitment wins, so "Option B looks right at first ... Answer: D" is D, while a later discussion of
another option ("Option D: ... contradicts the data", "(C) would need a catalyst") is no commitment: a
last lettered line counts only when nothing was committed before it. Within a commitment the leading
letter wins (`C. **B is chiral**` is C) and remarks that rule other options out are no hedge ("for sure
B, it cannot be C or D"); a commitment naming two options ("D4h (option A) or C2v (option D)") is
ambiguous. A letter in parentheses elsewhere ("the field (B)") or a list item ("1. A strong acid") is
never read as a choice. A commitment its own line disowns ("C. 2-methylpentane, but it is not among the
options"), a second thought in or after the last commitment ("So the answer is J.\\n\\nBut wait, ...",
"B, but wait"), another option left open after it ("However, C is also plausible."), or a paragraph that
reopens the question in a response that never finishes ("However, if we consider the options and the")
means the model has not settled: no answer. A JSON reply's `"answer"` field is decisive ("None of the
above" is no letter). A commitment about another case ("(Note: if the question intended moles, the answer
would be D.)") counts only when nothing else commits. When no letter is committed to, an answer given as
an option's text or value (`\\boxed{0.85}`, "Answer: 12") is matched against the options, known or listed
in the response itself ("Choices: A) 9, B) 10, C) 12"); without options the letters run A-J (MMLU-Pro has
ten).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from evalscale.grading.extract import clean, extract_math
from evalscale.grading.reading import (
    DISOWNED,
    DOUBT,
    Extraction,
    hypothetical,
    is_unfinished,
    json_answer,
    last_boxed,
    not_own,
    split_thinking,
    without_end_tokens,
)

LETTERS = "ABCDEFGHIJ"  # up to ten options (MMLU-Pro); fewer when the problem's options are known
MAX_READ = 300
DOUBT_WINDOW = 2000  # characters after the last commitment searched for second thoughts
SCANNED = 200_000  # characters read from the end of a response for commitments
LAST_COMMITMENTS = 64  # the last commitment wins: earlier ones in a megabyte response need no reading
_COMMIT = re.compile(
    r"(?im)(?:\banswer\s*(?:is\s*)?[:：]"  # "Answer: D", "**Answer: B**"
    r"|\bthe\s+(?:[\w-]+\s+){0,3}?(?:answer|option|choice|statement|one|fit|match)\b[^.\n:]{0,60}?"
    r"\s(?:is|would\s+be|should\s+be|must\s+be)\b\s*[:：]?"  # "the option that cannot occur is D"
    r"|\bI(?:'ll|\s+will|\s+would|'d)?\s+(?:go\s+with|choose|pick|select|opt\s+for|say)\b"  # "I'll go with D"
    r"|(?:^|[.!]\s+|\bI'?m\s+|\bI\s+am\s+)going\s+with\b"  # "I'm torn between A and C. Going with C."
    r"|\b(?:my|final)\s+(?:answer|choice|pick|selection)\b\s*(?:is\b)?\s*[:：]?"  # "My final answer is (A)"
    r"|^[\s*_#]*final\s*[:：]"  # "Final: C"
    r"|\b(?:correct|right|best)\s+(?:option|choice|letter)\s*[:：]"  # "Correct option: B - 10^-3 eV"
    r"|\b(?:match(?:es)?|corresponds\s+to|points\s+to|aligns\s+with)\s+(?=(?:option|choice)\s+\(?[A-J]\b)"
    #   "This matches option A."
    r"|\bonly\s+(?=(?:option\s+|choice\s+)?\(?[A-J]\)?\s+(?:fits|works|satisfies|matches|remains|holds)\b)"
    #   "So, among the options, only C fits."
    r"|\bactually,?\s+(?:it'?s|it\s+is)\b"  # "Wait, actually, it's D"
    r"|\bI\s+(?:believe|think|conclude)\s+(?:that\s+)?(?:it'?s|it\s+is|it\s+must\s+be)\b"  # "I think it's B"
    r"|\bit\s+(?:must|has\s+to)\s+be\b"  # "So it must be D."
    r"|答案\s*(?:是|为)?\s*[:：]?)"  # "答案：D", "答案是 B。"
    r"[\s*_#`$]*"
)
_OR_HEDGE = re.compile(r"\b[A-J]\)?\s+or\s+(?:option\s+)?\(?[A-J]\b")
_RELATIVE_NOT = re.compile(r"(?i)^\s*not\s+[\w -]{1,30}?\s(?:is|are)\b\s*:?")
_LETTER_FIRST = re.compile(
    r"(?:^|[\n.!(*,:]|\b(?:so|thus|hence|therefore|option|choice)\s)\s*[*_]*\(?(?P<letter>[A-J])\)?[*_]*\s+(?:is|seems|appears)\s+"
    r"(?:to\s+be\s+)?(?:the\s+)?(?:correct|right|best|answer|most\s+(?:likely|plausible|probable)"
    r"|only\s+(?:one|option|choice)\b(?![^.\n]{0,60}\b(?:fail|wrong|incorrect|not|n't|inconsistent|exclud|violat)))\b",
    re.I,
)
_CONCLUDING_LETTER = re.compile(
    r"(?im)\b(?:thus|therefore|hence|so)\b[,:]?[ \t]*[*_]*\(?(?P<letter>[A-J])\)?[*_]*[ \t]*[.!]?[ \t*_]*$"
)
_LETTERED_LINE = re.compile(
    r"(?m)^[ \t>#*_]*\(?(?P<letter>[A-J])[).:][ \t*_]*\S.*$|^[ \t>#*_]*\((?P<alone>[A-J])\)"
)
_LEAD_IN = re.compile(r"(?i)\b(?:answer|best|correct|fit|match|choice|conclusion|therefore|thus|so|final)\b")
_LISTING = re.compile(r"(?i)\b(?:options|choices|each|review|consider|evaluat\w*|analy\w*)\b")
_PREFIX = re.compile(  # "for sure B", "\\boxed{\\text{option C}}", "**Option C: ...**", "[B]"
    r"(?i)^(?:[\s*_#`$>:\[{]|\\text\w*\s*\{|\\boxed\s*\{|option\b|choice\b|letter\b|for\s+sure\b|definitely\b"
    r"|clearly\b|indeed\b|certainly\b|surely\b|probably\b|likely\b)+"
)
# Remarks that rule other options out after a choice: "B, it cannot be C or D", "C (not A)".
_RULED_OUT = re.compile(
    r"(?i)[,;(]\s*(?:and\s+|but\s+)?(?:it\s+|this\s+)?(?:cannot|can't|could\s+not|is\s+not|isn't|not|never)\b.*"
)
# A bold span naming one option inside a sentence: "The product is **B. methyl 3-aminobenzoate**.",
# "**Option C: (2R,3S)-2-ethyl-3-methylpentanal**", "approximately **0.41 (Option D)**."
_BOLD_OPTION = re.compile(
    r"\*\*(?:(?:option|choice)\s+)?\(?(?P<lead>[A-J])\)?[.:)]\s+[^*\n]{1,200}\*\*"
    r"|\*\*[^*\n]{0,100}?\((?:option\s+|choice\s+)?(?P<tail>[A-J])\)\*\*",
    re.I,
)
_OPTION_LINE = re.compile(r"(?i)^[\s>#*_-]*(?:(?:option|choice)\s+)?\(?[A-J]\)?\s*[).:]")
_REJECTS = re.compile(r"(?i)\b(?:not|incorrect|wrong|eliminat\w*|unlikely|ruled?\s+out|false|n't)\b")
# Options the response lists itself: "Choices: A) 9, B) 10, C) 12, D) 15."
_LISTED_OPTION = re.compile(
    r"(?m)(?:^|[\s,;:])\(?(?P<letter>[A-J])[).]\s*(?P<text>[^,;\n]{1,80}?)\s*(?=[,;]|\.?\s*$)"
)
# Another option left open after the commitment ("However, C is also plausible."), unless the same sentence
# sets it aside ("B is also possible, but less likely.").
_LEFT_OPEN = re.compile(
    r"(?i)(?:\b(?:option|choice)\s+)?\(?\b(?P<letter>[A-J])\)?\s+(?:is|seems|could\s+be|might\s+be|may\s+be)\s+"
    r"(?:also|equally)\s+(?:\w+\s+)?(?:plausible|possible|correct|right|valid|viable|likely)\b(?P<rest>[^.\n]*)"
)
_SET_ASIDE = re.compile(r"(?i)\b(?:but|though|although|less|unlikely|not)\b")
# A paragraph after the last commitment that reopens the question, in a response that never finishes.
_REOPENS = re.compile(r"(?im)^\W*(?:however|but|alternatively|although|on\s+the\s+other\s+hand)\b")
# A leading letter; "I" only with punctuation after it, as in "I." or "(I)" (not "I think").
_LEAD_LETTER = re.compile(r"^(?:\(?(?P<letter>[A-HJ])\)?(?![A-Za-z0-9'’-])|\(?(?P<i>I)(?:[).:]|\s*$))")
_INNER_LETTER = re.compile(r"\(\s*(?:option\s+)?(?P<a>[A-J])\s*\)|\b(?:option|choice)\s+\(?(?P<b>[A-J])\b")
_HEDGE = re.compile(r"(?i)\b(?:or|and/or|either|versus|vs\.?)\b|/")
_PAIR = re.compile(
    r"^\(?[A-J]\)?\s*(?:,|\bor\b|\band\b|/|&)\s*(?:option\s+)?\(?[A-J]\)?(?![A-Za-z0-9])", re.I
)
_BOLD_LAST = re.compile(r"\*\*\(?(?P<letter>[A-J])\)?\*\*[\s.]*$")
_ALONE = re.compile(  # a last line that is only a letter: "**C**", "\\boxed{B}", "Choice C."
    r"^[\s*_#`$>(]*(?:(?:[Oo]ption|[Cc]hoice)\s+)?(?:\\(?:boxed|text)\{)?[\s(]*(?P<letter>[A-J])[\s)*_`$}.]*$"
)


def extract_choice(response: str, options: Sequence[str] | None = None) -> Extraction:
    """The committed letter; ambiguous when the final commitment names two options."""
    letters = LETTERS[: len(options)] if options else LETTERS
    thinking, text = split_thinking(response)
    field = json_answer(text)
    if field is not None:  # a JSON reply's answer field is its final word, whatever it holds
        found = _read(field.raw, letters, lead_only=False)
        if found.answer is None and not found.ambiguous and options:
            found = _matched_option(field.raw, options, letters) or found
        return found
    found = _final_letter(text, letters)
    if found is None and thinking:
        found = _final_letter(thinking, letters)
    if found is None:
        listed = options or _listed_options(text or thinking)  # "Choices: A) 9, B) 10 ...\n\nAnswer: 12"
        if listed:
            found = _matched_option(text or thinking, listed, LETTERS[: len(listed)])
    return found or Extraction(None)


def _final_letter(text: str, letters: str) -> Extraction | None:
    """The reading of the last commitment in `text` that names a letter (None when none does)."""
    text = without_end_tokens(text[-SCANNED:].replace("<answer>", "\nAnswer: "))  # "<answer>B</answer>"
    commitments: list[tuple[int, Extraction]] = []
    boxed = last_boxed(text)
    if boxed is not None:
        commitments.append((boxed.start, _read(boxed.raw, letters, lead_only=False)))
    # Commitments about another case: "(Note: if the question intended moles, the answer would be D.)"
    asides: list[tuple[int, Extraction]] = []
    for match in list(_COMMIT.finditer(text))[-LAST_COMMITMENTS:]:
        segment = _RELATIVE_NOT.sub("", _sentence(text, match.end()), count=1)  # "that is not allowed is B"
        before = text[max(match.start() - 80, 0) : match.start()]
        before = re.split(r"[.!?\n]", before)[-1]
        if re.match(r"(?i)\s*(?:not|n't)\b", segment) or re.search(r"(?i)(?:\bnot|n't|\bnever)\s*$", before):
            continue  # "The answer is not B", "This does not match option A"
        if not not_own(before):  # "If the answer is B, ..."
            about_another_case = hypothetical(before + match.group(0) + segment)
            (asides if about_another_case else commitments).append(
                (match.start(), _read(segment, letters, lead_only=False))
            )
    for match in list(_LETTER_FIRST.finditer(text))[-LAST_COMMITMENTS:]:
        if match.group("letter").upper() in letters and match.group("letter").isupper():
            commitments.append((match.start("letter"), Extraction(match.group("letter"))))
    for match in list(_CONCLUDING_LETTER.finditer(text))[-LAST_COMMITMENTS:]:
        if match.group("letter") in letters:  # "Therefore, **B**."
            commitments.append((match.start("letter"), Extraction(match.group("letter"))))
    commitments.extend(_bold_options(text, letters))
    bold = _BOLD_LAST.search(text[-40:])
    if bold and bold.group("letter") in letters:  # "I am fairly sure. **C**"
        commitments.append((len(text) - 40 + bold.start(), Extraction(bold.group("letter"))))
    if re.fullmatch(r"\s*\(?[a-j]\)?\s*", text) and text.strip("() \n").upper() in letters:
        commitments.append((0, Extraction(text.strip("() \n").upper())))  # the whole response is "c"
    explicit = [position for position, found in commitments if found.answer or found.ambiguous]
    if not explicit:  # a sentence about another case counts only when nothing else commits
        commitments.extend(asides)
        explicit = [position for position, found in asides if found.answer or found.ambiguous]
    # A lettered line counts after a lead-in, or as the last line when nothing was committed before it:
    # "**Answer: B**\n\n(C) would need a catalyst" is B.
    commitments.extend(_lettered_lines(text, letters, after=min(explicit, default=len(text))))
    readable = [
        (position, found)
        for position, found in commitments
        if (found.answer or found.ambiguous) and not DISOWNED.search(_line_at(text, position))
    ]  # "C. 2-methylpentane, but it is not among the options" is no choice
    if not readable:
        return None
    position, found = max(readable, key=lambda item: item[0])
    ends = [end for end in (text.find("\n", position), text.find(". ", position)) if end >= 0]
    rest = text[min(ends, default=len(text)) :]
    same_sentence = text[position : len(text) - len(rest)]
    if DOUBT.search(rest[:DOUBT_WINDOW]) or (not found.ambiguous and DOUBT.search(same_sentence)):
        return Extraction(None)  # "So the answer would be J.\n\nBut wait, ...", "B, but wait": still deciding
    if any(
        m.group("letter") != found.answer and not _SET_ASIDE.search(m.group("rest"))
        for m in _LEFT_OPEN.finditer(rest[:DOUBT_WINDOW])
    ):
        return Extraction(None)  # "**Answer: B**\n\nHowever, C is also plausible."
    if _REOPENS.search(rest[:DOUBT_WINDOW]) and is_unfinished(rest):
        return Extraction(None)  # "... C.\n\nHowever, if we consider the options and the" (never finishes)
    return found


def _line_at(text: str, position: int) -> str:
    """The line of `text` that holds `position`."""
    end = text.find("\n", position)
    return text[text.rfind("\n", 0, position) + 1 : end if end >= 0 else len(text)]


def _bold_options(text: str, letters: str) -> list[tuple[int, Extraction]]:
    """Bold spans that name one option inside a sentence, as the response's last line, or as its first line
    when no other bold span names an option; outside a list of options and without words rejecting it
    (`**Option A: ...** is incorrect`)."""
    found: list[tuple[int, Extraction]] = []
    for match in list(_BOLD_OPTION.finditer(text))[-LAST_COMMITMENTS:]:
        letter = (match.group("lead") or match.group("tail") or "").upper()
        if letter not in letters or not (match.group("lead") or match.group("tail")).isupper():
            continue
        line = _line_at(text, match.start())
        line_start = text.rfind("\n", 0, match.start()) + 1
        previous = text[: max(line_start - 1, 0)].rstrip().rsplit("\n", 1)[-1]
        following = text[line_start + len(line) :].lstrip().split("\n", 1)[0]
        if _OPTION_LINE.match(previous) or _OPTION_LINE.match(following) or _REJECTS.search(line):
            continue
        in_sentence = re.search(r"[A-Za-z]{2,}", text[line_start : match.start()]) is not None
        # "**C. 3**\n\nThis option gives ...", not a heading "#### **Option H: ...**" over notes
        opens_alone = not text[:line_start].strip() and not line.lstrip().startswith("#")
        opens_alone = opens_alone and len(_BOLD_OPTION.findall(text)) == 1 and not _REJECTS.search(following)
        if in_sentence or opens_alone or not text[match.end() :].strip():
            found.append((match.start(), Extraction(letter)))
    return found


def _lettered_lines(text: str, letters: str, after: int) -> list[tuple[int, Extraction]]:
    """A lettered line after a concluding lead-in ("the best fit is:"), or a last line that is a letter
    or a lone lettered line (`C. **B is the only chiral product.**` is C) when no commitment before
    position `after` precedes it."""
    lines = [(m.start(), m.group(0)) for m in re.finditer(r"(?m)^.*\S.*$", text[-20000:])]
    offset = max(len(text) - 20000, 0)
    found: list[tuple[int, Extraction]] = []
    for index, (start, line) in enumerate(lines):
        lettered = _LETTERED_LINE.match(line)
        if lettered is None or (lettered.group("letter") or lettered.group("alone")) not in letters:
            continue
        before = lines[index - 1][1].strip() if index else ""
        next_line = lines[index + 1][1] if index + 1 < len(lines) else ""
        neighbours_lettered = _LETTERED_LINE.match(before) or _LETTERED_LINE.match(next_line)
        led_in = (
            before.rstrip("*_ ").endswith(":") and _LEAD_IN.search(before) and not _LISTING.search(before)
        )
        last = index == len(lines) - 1 and offset + start <= after
        if (led_in or last) and not neighbours_lettered:
            found.append((offset + start, _read(line, letters, lead_only=True)))
    if lines and _ALONE.match(lines[-1][1]) and not _LETTERED_LINE.match(lines[-1][1]):
        if not _LETTERED_LINE.match(lines[-2][1] if len(lines) > 1 else ""):
            found.append((offset + lines[-1][0], _read(lines[-1][1], letters, lead_only=True)))
    return found


def _sentence(text: str, start: int) -> str:
    """The text from `start` to the end of its sentence (a period before a capital) or line."""
    end = text.find("\n", start, start + MAX_READ)
    segment = text[start : end if end >= 0 else start + MAX_READ]
    if not segment.strip():  # "**Answer:**\n\nC"
        rest = text[start : start + MAX_READ].lstrip()
        segment = rest.split("\n", 1)[0]
    stop = re.search(r"(?<=[a-z0-9)\]])\.\s+(?=[A-Z])", segment)
    return segment[: stop.start() + 1] if stop else segment


def _read(segment: str, letters: str, lead_only: bool) -> Extraction:
    """The letter a commitment names: its leading letter, else the only option it names in parentheses."""
    segment = re.sub(r"\\(?:text|textbf|mathrm|mathbf)\s*\{([^{}]*)\}", r"\1", segment)
    boxed = last_boxed(segment)
    body = boxed.raw if boxed is not None else segment
    body = _PREFIX.sub("", body.replace("$", " ")).strip()
    body = _RULED_OUT.sub("", body).strip() or body  # "for sure B, it cannot be C or D"
    if re.fullmatch(r"\(?[a-j]\)?[\s.*_`]*", body) and body.strip("()*_`. ").upper() in letters:
        return Extraction(body.strip("()*_`. ").upper())
    lead = _LEAD_LETTER.match(body)
    lead_letter = (lead.group("letter") or lead.group("i")) if lead else None
    named = {m.group("a") or m.group("b") for m in _INNER_LETTER.finditer(body)} & set(letters)
    if lead_letter and lead_letter in letters:
        if _PAIR.match(body) or _OR_HEDGE.search(body):
            return Extraction(None, ambiguous=True)  # "B or C", "A, C"
        others = named - {lead_letter}
        if others and _HEDGE.search(body):
            return Extraction(None, ambiguous=True)  # "A or (option D)"
        return Extraction(lead_letter)
    if _OR_HEDGE.search(body):
        return Extraction(None, ambiguous=True)  # "either I or H"
    if lead_only or not named:
        return Extraction(None)
    if len(named) > 1:
        return Extraction(None, ambiguous=True)
    return Extraction(named.pop())


def option_key(text: str) -> str:
    """An option or answer reduced for comparison: no markup, case, spaces or final period."""
    text = re.sub(r"\\(?:text|textbf|mathrm|mathbf|mbox)\s*\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\[,;:! ]|\\left|\\right|[$\s*_`]", "", text)
    return text.lower().rstrip(".")


def _matched_option(text: str, options: Sequence[str], letters: str) -> Extraction | None:
    """The one option whose text or value equals the stated final answer (None when none or several)."""
    stated = [extract_math(text).answer]
    boxed = last_boxed(text)
    if boxed is not None:
        stated.append(clean(boxed.raw))
    keys = {option_key(answer) for answer in stated if answer}
    keys.discard("")
    if not keys:
        return None
    hits = {
        letter
        for letter, option in zip(letters, options, strict=False)
        if option_key(option) in keys or _same_number(option, keys)
    }
    return Extraction(hits.pop()) if len(hits) == 1 else None


def _same_number(option: str, keys: set[str]) -> bool:
    """True when the option is a plain number equal to one of the stated answers (`0.850` and `0.85`)."""
    number = re.fullmatch(r"[-+]?\d+(?:\.\d+)?", option_key(option))
    if number is None:
        return False
    for key in keys:
        if re.fullmatch(r"[-+]?\d+(?:\.\d+)?", key) and float(key) == float(number.group(0)):
            return True
    return False


def _listed_options(text: str) -> list[str] | None:
    """The option texts a response lists itself (`A) 9, B) 10, C) 12, D) 15`), when they run A, B, C..."""
    listed: dict[str, str] = {}
    for match in _LISTED_OPTION.finditer(text[-20000:]):
        letter = match.group("letter")
        if letter == "A":
            listed = {}
        if letter == LETTERS[len(listed) : len(listed) + 1]:
            listed[letter] = match.group("text").strip()
    return list(listed.values()) if len(listed) >= 2 else None
