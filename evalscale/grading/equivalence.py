"""Exact equivalence of two parsed answers (no float tolerance).

Numbers compare exactly: rationals by value, irrational constants by symbolic
simplification, with a 60-digit evaluation used only to reject quickly (a
difference far from zero relative to the values' size) or, when simplification
cannot decide, to accept a difference below 1e-45 of their size. Structures
(lists, sets, tuples, intervals, matrices, relations) compare part by part.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from itertools import permutations
from typing import Any

import mpmath
import sympy

from evalscale.grading.parse import (
    PM,
    BaseNum,
    Mat,
    ParseError,
    Percent,
    Rel,
    Seq,
    Text,
    TooLarge,
    Union,
    Value,
    is_huge,
    parse_answer,
)
from evalscale.grading.reading import number_word_value

_INTERVAL_KINDS = {"[]", "(]", "[)"}
_UNORDERED = {"list", "{}"}
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
_TRIG = (sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc)
_PROBES = (sympy.Rational(7, 3), sympy.Rational(-5, 11), sympy.Rational(13, 17))
_DIGITS = 60


def compare_texts(answer: str, gold: str) -> tuple[bool, str]:
    """Decide whether `answer` states the same value as `gold`; returns (correct, reason code).

    Answers beyond the size limits are refused with reason `timeout` (a resource limit).
    """
    try:
        return _compare(answer, gold)
    except TooLarge:
        return False, "timeout"


def _compare(answer: str, gold: str) -> tuple[bool, str]:
    answer, gold = _digits_for_words(answer), _digits_for_words(gold)
    if is_word_answer(answer) or is_word_answer(gold):
        same = text_key(answer) == text_key(gold) and all(map(_wordlike, (answer, gold)))
        return (True, "match") if same else (False, "mismatch")
    try:
        gold_value = parse_answer(gold)
    except ParseError:
        return (True, "match") if literal_key(answer) == literal_key(gold) else (False, "mismatch")
    try:
        answer_value = parse_answer(answer)
    except ParseError:
        return (True, "match") if literal_key(answer) == literal_key(gold) else (False, "parse_error")
    if isinstance(gold_value, Text) or isinstance(answer_value, Text):
        return (True, "match") if literal_key(answer) == literal_key(gold) else (False, "mismatch")
    return (True, "match") if equivalent(answer_value, gold_value) else (False, "mismatch")


_WRAPPERS = re.compile(r"\\(?:text|mbox|mathrm|textbf|textit|textrm|operatorname|mathbf)\s*\{([^{}]*)\}")


_MATH_WORDS = re.compile(r"\b(?:sin|cos|tan|cot|sec|csc|log|ln|exp|sinh|cosh|tanh|arc\w+)\b")
_CHOICE_WORD = re.compile(r"\(\s*[A-Z]\s*\)")


def is_word_answer(text: str) -> bool:
    """An answer made of words (a name, a day, `\\text{(C)}`): a word of three letters or more, no math."""
    plain = _WRAPPERS.sub(r"\1", text).strip().strip("$").strip()
    if _CHOICE_WORD.fullmatch(plain):
        return True
    if not re.fullmatch(r"[A-Za-z][A-Za-z' ()-]*\.?", plain) or _MATH_WORDS.search(plain):
        return False
    return re.search(r"[A-Za-z]{3,}", plain) is not None


def _wordlike(text: str) -> bool:
    """A word answer, or a bare letter that a choice-style gold `(C)` may be answered with."""
    return (
        is_word_answer(text)
        or re.fullmatch(r"[\s$]*\(?[A-Z]\)?[\s$.]*", _WRAPPERS.sub(r"\1", text)) is not None
    )


def text_key(text: str) -> str:
    """A word answer reduced to lowercase letters and digits, without a leading article
    (`\\text{(C)}` -> `c`, `\\text{a parabola}` -> `parabola`); words only."""
    plain = _WRAPPERS.sub(r"\1", text).strip().strip("$").strip().lower()
    return re.sub(r"[^a-z0-9]", "", re.sub(r"^(?:the|an|a)\s+(?=\S)", "", plain))


def literal_key(text: str) -> str:
    """An answer the parser cannot read, reduced only by markup and spacing: signs and operators stay."""
    text = _WRAPPERS.sub(r"\1", text)
    text = re.sub(r"\\(?:left|right|displaystyle|[,;:! ])|[\s$]", "", text)
    return text.rstrip(".").replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")


def _digits_for_words(text: str) -> str:
    """A number written in words (`four`, `\\text{twenty-one}`) as digits; other text unchanged."""
    plain = _WRAPPERS.sub(r"\1", text).strip().strip("$").strip().rstrip(".")
    value = number_word_value(plain) if re.fullmatch(r"[A-Za-z -]+", plain) else None
    return value if value is not None else text


def equivalent(answer: Value, gold: Value) -> bool:
    """True when the parsed answer equals the parsed gold under the rules of this module."""
    answer, gold = _canon(answer), _canon(gold)
    if isinstance(answer, Rel) or isinstance(gold, Rel):
        return _relations_equal(answer, gold)
    if isinstance(answer, Percent) or isinstance(gold, Percent):
        return _percent_equal(answer, gold)
    if isinstance(answer, BaseNum) and isinstance(gold, BaseNum):
        return answer.base == gold.base and _digits(answer) == _digits(gold)
    if isinstance(answer, BaseNum) or isinstance(gold, BaseNum):
        return _digits(answer) is not None and _digits(answer) == _digits(gold)
    interval_a, interval_g = _as_interval(answer), _as_interval(gold)
    if _is_set_of_reals(answer) or _is_set_of_reals(gold):
        return interval_a is not None and interval_g is not None and _intervals_equal(interval_a, interval_g)
    if isinstance(answer, Mat) or isinstance(gold, Mat):
        return _matrices_equal(answer, gold)
    if isinstance(answer, Seq) or isinstance(gold, Seq):
        if not (isinstance(answer, Seq) and isinstance(gold, Seq)):
            return False
        if gold.kind == "{}" and answer.kind not in _UNORDERED:
            return False  # a tuple is no answer to a set
        if gold.kind not in _UNORDERED and answer.kind == "{}":
            return False  # nor a set to a tuple
        ordered = gold.kind not in _UNORDERED  # the gold's brackets say whether order matters
        return _sequences_equal(answer.items, gold.items, ordered)
    if isinstance(answer, Text) or isinstance(gold, Text):
        return False
    return scalars_equal(answer, gold)


def _canon(value: Value) -> Value:
    """Expand ±, unwrap `x \\in S`, turn inequalities on one variable into intervals."""
    if isinstance(value, sympy.Expr) and value.has(PM):
        return Seq("list", (value.subs(PM, 1), value.subs(PM, -1)))
    if isinstance(value, Seq) and value.kind in _UNORDERED:
        items: list[Value] = []
        for item in value.items:
            item = _canon(item)
            items.extend(item.items if isinstance(item, Seq) and item.kind == "list" else (item,))
        return Seq(value.kind, tuple(items))
    if isinstance(value, Rel):
        if value.op == "in":
            return _canon(value.rhs)
        interval = _inequality_interval(value)
        if interval is not None:
            return interval
        if value.op == "=" and isinstance(value.rhs, sympy.Expr) and value.rhs.has(PM):
            expanded = _canon(value.rhs)
            assert isinstance(expanded, Seq)
            return Seq("list", tuple(Rel("=", value.lhs, item) for item in expanded.items))
    return value


def _inequality_interval(rel: Rel) -> Value | None:
    """`x > a` -> (a, oo); `a <= x < b` -> [a, b); `x != a` -> (-oo, a) U (a, oo); None when not an
    inequality on one symbol."""
    if rel.op == "!=" and isinstance(rel.lhs, sympy.Symbol) and isinstance(rel.rhs, sympy.Expr):
        if not rel.rhs.free_symbols:
            return Union((Seq("()", (-sympy.oo, rel.rhs)), Seq("()", (rel.rhs, sympy.oo))))
    ops = {"<", "<=", ">", ">="}
    if rel.op not in ops:
        return None
    if isinstance(rel.lhs, Rel) and rel.lhs.op in ops and isinstance(rel.lhs.rhs, sympy.Symbol):
        inner = rel.lhs
        if {inner.op.strip("="), rel.op.strip("=")} != {"<"}:
            return None
        low, high = (inner.lhs, rel.rhs)
        return Seq(("[" if "=" in inner.op else "(") + ("]" if "=" in rel.op else ")"), (low, high))
    if isinstance(rel.rhs, sympy.Symbol) and rel.lhs != rel.rhs:
        return _inequality_interval(Rel(_FLIP[rel.op], rel.rhs, rel.lhs))
    if not isinstance(rel.lhs, sympy.Symbol) or not isinstance(rel.rhs, sympy.Expr) or rel.rhs.free_symbols:
        return None
    closed = "=" in rel.op
    if rel.op.startswith(">"):
        return Seq("[)" if closed else "()", (rel.rhs, sympy.oo))
    return Seq("(]" if closed else "()", (-sympy.oo, rel.rhs))


def _relations_equal(answer: Value, gold: Value) -> bool:
    if not isinstance(answer, Rel):
        return isinstance(gold, Rel) and _is_assignment(gold) and equivalent(answer, gold.rhs)
    if not isinstance(gold, Rel):
        value = stated_value(answer)
        return value is not None and equivalent(value, gold)
    if _is_assignment(answer) and _is_assignment(gold) and answer.lhs == gold.lhs:
        return equivalent(answer.rhs, gold.rhs)
    if answer.op != gold.op and _FLIP.get(answer.op) == gold.op:
        answer = Rel(gold.op, answer.rhs, answer.lhs)
    if answer.op != gold.op:
        return False
    if not all(isinstance(side, sympy.Expr) for side in (answer.lhs, answer.rhs, gold.lhs, gold.rhs)):
        return equivalent(answer.lhs, gold.lhs) and equivalent(answer.rhs, gold.rhs)
    left = sympy.expand(answer.lhs - answer.rhs)  # type: ignore[operator]
    right = sympy.expand(gold.lhs - gold.rhs)  # type: ignore[operator]
    if left == 0 or right == 0:
        return left == right
    ratio = sympy.cancel(left / right)
    if answer.op == "=":
        return not ratio.free_symbols and ratio != 0
    return not ratio.free_symbols and bool(ratio.is_positive)


def stated_value(rel: Rel) -> Value | None:
    """The value an equation chain states: its last side when the first side names the quantity asked
    for (`x = 3`, `m+n = 101`, `a+b+c = 3+8+1 = 12`, `AB = 5`, `\\cot B = 3`, `(p,q,r) = (1,-4,6)`,
    `p(0) + p(4) = 24`) or is a computation (`5^2 - 3 = 22`),
    its first side when the only other side is such a name (`7 = y`), else the right side of an
    assignment (`y = 2x + 1`). None when the first side is an equation still to solve (`y^2 = 9`
    states y = ±3, not 9; `2x = 6`) and for other relations (inequalities)."""
    if rel.op != "=":
        return None
    sides: list[Value] = []
    while isinstance(rel.lhs, Rel) and rel.lhs.op == "=":
        sides.insert(0, rel.rhs)
        rel = rel.lhs
    if isinstance(rel.lhs, Rel):
        return None
    sides = [rel.lhs, rel.rhs, *sides]
    if (_is_name(sides[0]) or _is_constant(sides[0])) and _is_constant(sides[-1]):
        return sides[-1]  # a named quantity, or a computation (`\\binom{31}{28} = 4495`), and its value
    if len(sides) == 2 and _is_constant(sides[0]) and _is_name(sides[1]):
        return sides[0]
    return sides[-1] if len(sides) == 2 and isinstance(sides[0], sympy.Symbol) else None


def _is_name(value: Value) -> bool:
    """What a question names as its unknown: a bare symbol (`x`, `a_5`, `\\theta`), a sum or product of
    distinct symbols (`m+n`, `abc`, the segment `AB`), a trigonometric function of an angle (`\\cot B`,
    `\\sin\\theta`), or a tuple of names; never a power, a multiple or an absolute value of an unknown
    (`y^2`, `2x`, `|x|`), nor `\\sin x`: those are equations still to solve."""
    if isinstance(value, sympy.Symbol):
        return True
    if isinstance(value, sympy.Add | sympy.Mul):
        return all(isinstance(arg, sympy.Symbol) for arg in value.args)
    if isinstance(value, _TRIG) and isinstance(value.args[0], sympy.Symbol):
        return value.args[0].name[:1].isupper() or len(value.args[0].name) > 1  # an angle: B, \\theta; not x
    if isinstance(value, Seq) and value.kind not in _UNORDERED:
        return all(_is_name(item) for item in value.items)
    return False


def _is_constant(value: Value) -> bool:
    """A value free of variables (a number or a structure of numbers)."""
    if isinstance(value, sympy.Expr):
        return not value.free_symbols
    if isinstance(value, Seq):
        return all(_is_constant(item) for item in value.items)
    if isinstance(value, Mat):
        return all(_is_constant(item) for row in value.rows for item in row)
    return isinstance(value, Percent | BaseNum) or (
        isinstance(value, Union) and all(map(_is_constant, value.parts))
    )


def _is_assignment(rel: Value) -> bool:
    return isinstance(rel, Rel) and rel.op == "=" and isinstance(rel.lhs, sympy.Symbol)


def _percent_equal(answer: Value, gold: Value) -> bool:
    """x% equals a gold x% or the fraction x/100; equal to the plain number x only when that is a whole
    number or at least 1 (a gold asked as "what percent", written without the sign) — never a fraction
    below 1, so `0.25%` is not 1/4."""
    if isinstance(answer, Percent) and isinstance(gold, Percent):
        return scalars_equal(answer.value, gold.value)
    plain, percent = (gold, answer) if isinstance(answer, Percent) else (answer, gold)
    assert isinstance(percent, Percent)
    if not isinstance(plain, sympy.Expr):
        return False
    if scalars_equal(plain, percent.value / 100):
        return True
    whole_or_large = plain.is_number and (plain.is_integer or bool(abs(plain) >= 1))
    return bool(whole_or_large) and scalars_equal(plain, percent.value)


def _digits(value: Value) -> str | None:
    if isinstance(value, BaseNum):
        return value.digits.lstrip("0") or "0"
    if isinstance(value, sympy.Integer) and value >= 0:
        return str(value)
    return None


Interval = tuple[sympy.Expr, sympy.Expr, bool, bool]


def _is_set_of_reals(value: Value) -> bool:
    """Intervals written with a square bracket or an infinite end, and unions of them."""
    if isinstance(value, Union):
        return True
    if isinstance(value, Seq) and len(value.items) == 2:
        return value.kind in _INTERVAL_KINDS or (
            value.kind == "()"
            and any(isinstance(item, sympy.Expr) and item.has(sympy.oo, -sympy.oo) for item in value.items)
        )
    return False


def _as_interval(value: Value) -> list[Interval] | None:
    """A set of reals as a list of intervals (low, high, low closed, high closed), or None."""
    if isinstance(value, Union):
        parts = [_as_interval(_canon(part)) for part in value.parts]
        if any(part is None for part in parts):
            return None
        return [interval for part in parts for interval in part]  # type: ignore[union-attr]
    if not (isinstance(value, Seq) and len(value.items) == 2 and value.kind in _INTERVAL_KINDS | {"()"}):
        return None
    low, high = value.items
    if not (isinstance(low, sympy.Expr) and isinstance(high, sympy.Expr)):
        return None
    return [(low, high, value.kind[0] == "[", value.kind[1] == "]")]


def _intervals_equal(answer: list[Interval], gold: list[Interval]) -> bool:
    def same(a: Interval, g: Interval) -> bool:
        return a[2:] == g[2:] and scalars_equal(a[0], g[0]) and scalars_equal(a[1], g[1])

    return _matched(answer, gold, same, ordered=False)


def _matrices_equal(answer: Value, gold: Value) -> bool:
    """Matrices of one shape entry by entry; a vector also equals a tuple of its entries."""
    vector_a, vector_g = _vector(answer), _vector(gold)
    if vector_a is not None and vector_g is not None:
        return _sequences_equal(vector_a, vector_g, ordered=True)
    if not (isinstance(answer, Mat) and isinstance(gold, Mat)):
        return False
    shape = (len(answer.rows), len(answer.rows[0]))
    if shape != (len(gold.rows), len(gold.rows[0])):
        return False
    flat = [item for row in answer.rows for item in row]
    return _sequences_equal(tuple(flat), tuple(item for row in gold.rows for item in row), ordered=True)


def _vector(value: Value) -> tuple[Value, ...] | None:
    if isinstance(value, Mat) and (len(value.rows) == 1 or len(value.rows[0]) == 1):
        return tuple(item for row in value.rows for item in row)
    if isinstance(value, Seq) and value.kind not in _UNORDERED:
        return value.items
    return None


def _sequences_equal(answer: tuple[Value, ...], gold: tuple[Value, ...], ordered: bool) -> bool:
    return _matched(list(answer), list(gold), equivalent, ordered)


def _matched(answer: list[Any], gold: list[Any], same: Callable[[Any, Any], bool], ordered: bool) -> bool:
    """Pair items one to one (in order, or any order) so that every pair is `same`."""
    if len(answer) != len(gold):
        return False
    if ordered:
        return all(same(a, g) for a, g in zip(answer, gold, strict=True))
    remaining = list(range(len(gold)))
    for item in answer:
        match = next((index for index in remaining if same(item, gold[index])), None)
        if match is None:
            return len(gold) <= 6 and any(
                all(same(a, gold[i]) for a, i in zip(answer, order, strict=True))
                for order in permutations(range(len(gold)))
            )
        remaining.remove(match)
    return True


def scalars_equal(answer: sympy.Expr, gold: sympy.Expr) -> bool:
    """Exact equality of two scalar expressions (numbers or expressions in variables)."""
    if answer == gold:
        return True
    if answer.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan) or gold.has(sympy.oo, -sympy.oo, sympy.zoo):
        return False
    if is_huge(answer) or is_huge(gold):
        if _apart(magnitude(answer), magnitude(gold)):
            return False  # `(7^{7^{7^{7^7}}} - 3)/8` against 2: orders of magnitude apart, decided at once
        raise TooLarge("a power too large to compare exactly")
    difference = answer - gold
    if difference == 0:
        return True
    if difference.is_Rational:
        return False
    if difference.free_symbols:
        return _symbolic_zero(difference)
    return _numeric_zero(difference, answer, gold)


Bounds = tuple[float, float, int]  # low and high bounds of log10|value|, and the sign of value


def magnitude(value: sympy.Expr) -> Bounds | None:
    """Bounds of log10|value| and the sign of a constant, without evaluating huge powers
    (`7^{7^{7^7}}` is bounded through its exponent's magnitude); None when no bound is known (a sum
    whose terms may cancel, a base of size at most 1)."""
    if not is_huge(value):
        number = value.evalf(30)
        if not (number.is_number and number.is_real and number.is_finite) or number == 0:
            return None
        log = float(mpmath.log10(abs(mpmath.mpf(number))))
        slack = 1e-9 * max(1.0, abs(log))
        return log - slack, log + slack, 1 if number > 0 else -1
    parts = [magnitude(arg) for arg in value.args]
    if any(part is None for part in parts):
        return None
    bounds: list[Bounds] = parts  # type: ignore[assignment]
    if isinstance(value, sympy.Mul):
        sign = math.prod(part[2] for part in bounds)
        return sum(part[0] for part in bounds), sum(part[1] for part in bounds), sign
    if isinstance(value, sympy.Pow):
        (base_low, base_high, base_sign), (exp_low, exp_high, exp_sign) = bounds
        if base_sign < 0 or base_low <= 0 or exp_sign < 0:
            return None  # a negative base, |base| <= 1 or a negative exponent: no growth to bound
        return _scaled(exp_low, base_low), _scaled(exp_high, base_high), 1
    if isinstance(value, sympy.Add):
        top = max(range(len(bounds)), key=lambda index: bounds[index][0])
        rest = max((part[1] for index, part in enumerate(bounds) if index != top), default=-math.inf)
        if (
            bounds[top][0] - rest > math.log10(len(bounds)) + 1
        ):  # one term dominates: the others can't cancel it
            return bounds[top][0] - 0.05, bounds[top][1] + 0.05, bounds[top][2]
    return None


def _scaled(exponent_log: float, base_log: float) -> float:
    """log10 of base**exponent from log10(exponent) and log10(base) (infinite past float range)."""
    return math.inf if exponent_log > 300 else 10**exponent_log * base_log


def _apart(one: Bounds | None, other: Bounds | None) -> bool:
    """True when two values cannot be equal: opposite signs, or magnitude ranges that do not overlap."""
    if one is None or other is None:
        return False
    return one[2] != other[2] or one[0] > other[1] or other[0] > one[1]


def _numeric_zero(difference: sympy.Expr, answer: sympy.Expr, gold: sympy.Expr) -> bool:
    """Zero test for a constant: reject fast when clearly nonzero, else prove it symbolically."""
    value = difference.evalf(_DIGITS)
    scale = max(abs(answer.evalf(_DIGITS)), abs(gold.evalf(_DIGITS)))
    if value.is_number and scale.is_number and scale.is_finite:
        size = abs(value)
        if size.is_finite and size > scale * sympy.Float(10, _DIGITS) ** -40:
            return False
    for simplifier in (sympy.expand, sympy.radsimp, sympy.sqrtdenest, sympy.simplify):
        if simplifier(difference) == 0:
            return True
    return bool(value.is_number and abs(value) <= scale * sympy.Float(10, _DIGITS) ** -45)


def _symbolic_zero(difference: sympy.Expr) -> bool:
    """Zero test for an expression in variables: probe at rational points, then simplify."""
    if sympy.expand(difference) == 0:
        return True
    symbols = sorted(difference.free_symbols, key=str)
    for shift in range(len(_PROBES)):
        point = {s: _PROBES[(i + shift) % len(_PROBES)] + i for i, s in enumerate(symbols)}
        value = difference.subs(point).evalf(30)
        if value.is_number and value.is_finite and abs(value) > 1e-20:
            return False
    return sympy.simplify(difference) == 0
