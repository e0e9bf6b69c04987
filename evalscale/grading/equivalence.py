"""Exact equivalence of two parsed answers (no float tolerance).

Numbers compare exactly: rationals by value, irrational constants by symbolic
simplification, with a 60-digit evaluation used only to reject quickly (a
difference far from zero relative to the values' size) or, when simplification
cannot decide, to accept a difference below 1e-45 of their size. Structures
(lists, sets, tuples, intervals, matrices, relations) compare part by part.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import permutations
from typing import Any

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

_INTERVAL_KINDS = {"[]", "(]", "[)"}
_UNORDERED = {"list", "{}"}
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
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
    try:
        gold_value = parse_answer(gold)
    except ParseError:
        return (True, "match") if text_key(answer) == text_key(gold) else (False, "mismatch")
    if isinstance(gold_value, Text):
        return (True, "match") if text_key(answer) == text_key(gold) else (False, "mismatch")
    try:
        answer_value = parse_answer(answer)
    except ParseError:
        return (True, "match") if text_key(answer) == text_key(gold) else (False, "parse_error")
    return (True, "match") if equivalent(answer_value, gold_value) else (False, "mismatch")


def text_key(text: str) -> str:
    """A word answer reduced to lowercase letters and digits (`\\text{(C)}` -> `c`)."""
    text = re.sub(r"\\(?:text|mbox|mathrm|textbf|operatorname)\b", "", text)
    return re.sub(r"[^a-z0-9]", "", text.lower())


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
    """`x > a` -> (a, oo); `a <= x < b` -> [a, b); None when not an inequality on one symbol."""
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
        return _is_assignment(answer) and equivalent(answer.rhs, gold)
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


def _is_assignment(rel: Value) -> bool:
    return isinstance(rel, Rel) and rel.op == "=" and isinstance(rel.lhs, sympy.Symbol)


def _percent_equal(answer: Value, gold: Value) -> bool:
    if isinstance(answer, Percent) and isinstance(gold, Percent):
        return scalars_equal(answer.value, gold.value)
    plain, percent = (gold, answer) if isinstance(answer, Percent) else (answer, gold)
    assert isinstance(percent, Percent)
    if not isinstance(plain, sympy.Expr):
        return False
    return scalars_equal(plain, percent.value) or scalars_equal(plain, percent.value / 100)


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
        raise TooLarge("a power too large to compare exactly")
    difference = answer - gold
    if difference == 0:
        return True
    if difference.is_Rational:
        return False
    if difference.free_symbols:
        return _symbolic_zero(difference)
    return _numeric_zero(difference, answer, gold)


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
