"""A safe LaTeX-math parser: tokenizer + recursive descent that builds sympy objects directly.

Model text is never handed to `eval`, `sympify` or `parse_expr`. Sizes are bounded
before any exact arithmetic (string length, digits, exponents, factorials, nesting),
so hostile input fails fast with ParseError instead of hanging; whatever still
takes long is cut by the worker wall limit (see limits.py).

The result of `parse_answer` is a `Value`: a sympy expression, or one of the small
structures below (relations, bracketed sequences, unions, matrices, text, numbers
in a base, percentages) that equivalence.py compares.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import sympy

MAX_CHARS = 2000
MAX_DEPTH = 60
MAX_DIGITS = 400
MAX_EXPONENT = 4000
MAX_FACTORIAL = 500

# "±" is carried through arithmetic as this symbol and expanded to +1 / -1 later.
PM = sympy.Symbol("__pm__")


class ParseError(ValueError):
    """The text is not a math answer this parser understands."""


class TooLarge(ParseError):
    """The answer exceeds a size limit (length, digits, nesting, magnitude): refused, not parsed."""


@dataclass(frozen=True)
class Text:
    """A word answer such as `\\text{Evelyn}` or `(C)`, compared case-insensitively."""

    words: str


@dataclass(frozen=True)
class BaseNum:
    """A numeral written in another base, e.g. `52_8`."""

    digits: str
    base: int


@dataclass(frozen=True)
class Percent:
    """A value written with a percent sign."""

    value: sympy.Expr


@dataclass(frozen=True)
class Rel:
    """A relation `lhs op rhs` (op one of = != < <= > >= in)."""

    op: str
    lhs: Value
    rhs: Value


@dataclass(frozen=True)
class Seq:
    """Items between brackets; `kind` is the bracket pair ("()", "[]", "(]", "[)", "{}") or "list"."""

    kind: str
    items: tuple[Value, ...]


@dataclass(frozen=True)
class Union:
    """A union of intervals (or sets)."""

    parts: tuple[Value, ...]


@dataclass(frozen=True)
class Mat:
    """A matrix (or vector) as rows of entries."""

    rows: tuple[tuple[Value, ...], ...]


Value = sympy.Expr | Text | BaseNum | Percent | Rel | Seq | Union | Mat

_UNICODE = {
    "π": r"\pi ",
    "√": r"\sqrt ",
    "∞": r"\infty ",
    "−": "-",
    "–": "-",
    "×": "*",
    "·": "*",
    "⋅": "*",
    "≤": r"\le ",
    "≥": r"\ge ",
    "≠": r"\ne ",
    "∪": r"\cup ",
    "°": r"^\circ ",
    "÷": "/",
    "∈": r"\in ",
    "\u2009": " ",
    "\u202f": " ",
    "\u00a0": " ",
    "\u2008": " ",
    "\u200b": "",
}
_SPACES = r"(?:\\[,;:! ]|~|\\thinspace|\\medspace)"  # not \quad: that separates numbers
_GROUPED = re.compile(r"(?<![\d.])(\d{1,3})((?:(?:,?\s*" + _SPACES + r"|,\s*\\!|\s)\s*\d{3})+)(?![\d])")
_PLAIN_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_DROP = re.compile(
    r"\\(?:left|right|big|Big|bigg|Bigg|bigl|bigr|Bigl|Bigr|displaystyle|textstyle|limits)(?![a-zA-Z])"
    r"|\\mathbf|\\boldsymbol|\\mathit|\\bf(?![a-zA-Z])|\\!|\$"
)
_RENAME = {
    "dfrac": "frac",
    "tfrac": "frac",
    "cfrac": "frac",
    "leq": "le",
    "geq": "ge",
    "leqslant": "le",
    "geqslant": "ge",
    "neq": "ne",
    "lt": "<",
    "gt": ">",
    "cdot": "*",
    "times": "*",
    "ast": "*",
    "div": "/",
    "lbrace": "{",
    "rbrace": "}",
    "lvert": "|",
    "rvert": "|",
    "vert": "|",
    "mid": "|",
    "lbrack": "[",
    "rbrack": "]",
    "dbinom": "binom",
    "tbinom": "binom",
    "land": "and",
    "wedge": "and",
    "to": "=",
    "rightarrow": "=",
    "Rightarrow": "=",
    "implies": "=",
}
_TEXT_CMDS = {"text", "mbox", "textbf", "textit", "textrm", "mathrm", "operatorname", "textnormal", "hbox"}
_IGNORED_CMDS = {"circ", "degree", "degrees", "%", "$", "quad", "qquad", "mathbb", "cal", "mathcal"}
_FUNCS = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "cot": sympy.cot,
    "sec": sympy.sec,
    "csc": sympy.csc,
    "arcsin": sympy.asin,
    "arccos": sympy.acos,
    "arctan": sympy.atan,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "exp": sympy.exp,
    "ln": sympy.log,
    "log": sympy.log,
    "lg": sympy.log,
}
_CONSTANTS = {"pi": sympy.pi, "infty": sympy.oo, "infinity": sympy.oo, "e": sympy.E}
_GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Sigma",
    "Phi",
    "Psi",
    "Omega",
}
_RELATIONS = {
    "=": "=",
    "ne": "!=",
    "!=": "!=",
    "<": "<",
    ">": ">",
    "le": "<=",
    "<=": "<=",
    "ge": ">=",
    ">=": ">=",
    "in": "in",
    "approx": "=",
}
_UNIT_WORDS = (
    "degrees|degree|deg|units|unit|square|sq|cubic|cm|mm|km|meters|meter|metres|inches|inch|feet|foot|ft"
    "|yards|miles|mph|hours|hour|hrs|minutes|minute|min|seconds|second|sec|days|day|weeks|years|cents|cent"
    "|dollars|dollar|pounds|lbs|kg|grams|liters|litres|ml|people|students|ways|points|times|percent|radians"
)
_TRAILING_UNIT = re.compile(
    r"(?<=[\d}).])(?:\s+|\s*\\(?:text|mbox|textrm|mathrm)\s*\{\s*)(?:" + _UNIT_WORDS + r")\s*\}?"
    r"(?:\s*\^\s*\{?[23]\}?)?\s*$"
)
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<cmd>\\(?:[a-zA-Z]+|[{}%$|#&_ ,;:!]))|(?P<name>[a-zA-Z])"
    r"|(?P<op><=|>=|!=|\\\\|[-+*/^_(){}\[\]|,;=<>!'%&]))"
)


@dataclass(frozen=True)
class Token:
    """One lexical token: kind is num, cmd, name, op or text."""

    kind: str
    text: str


_REPEATING = re.compile(r"(?<![\d.])(\d*)\.(\d*)\\(?:overline|bar|dot)\s*\{?(\d{1,12})\}?(?![\d])")
_REALS = re.compile(r"\\mathbb\s*\{?\s*R\s*\}?")
_REALS_MINUS = re.compile(
    r"\(-\\infty,\\infty\)\s*(?:\\setminus|\\backslash|-)\s*([\[(])([^\[\]()]{1,200}),([^\[\]()]{1,200})([\])])"
)


def _repeating_decimal(match: re.Match[str]) -> str:
    """`0.1\\overline{6}` -> `(16-1)/90`: a repeating decimal as an exact fraction (no evaluation here)."""
    whole, fixed, period = match.group(1) or "0", match.group(2), match.group(3)
    numerator = int(whole + fixed + period) - int(whole + fixed)
    denominator = int("9" * len(period) + "0" * len(fixed))
    return f"({numerator}/{denominator})"


def _reals_minus(match: re.Match[str]) -> str:
    """`R \\setminus [a, b]` -> `(-oo, a) U (b, oo)` (the complement of one interval)."""
    first_end = ")" if match.group(1) == "[" else "]"
    second_start = "(" if match.group(4) == "]" else "["
    return rf"(-\infty,{match.group(2)}{first_end}\cup{second_start}{match.group(3)},\infty)"


def normalize(text: str) -> str:
    """Rewrite notation variants into the forms the tokenizer expects (no evaluation)."""
    text = re.sub(r"√\s*(\d+(?:\.\d+)?)", r"\\sqrt{\1}", text)  # `√117` is the root of 117, not √1 * 17
    for char, replacement in _UNICODE.items():
        text = text.replace(char, replacement)
    text = _REPEATING.sub(_repeating_decimal, text)
    approx = re.search(r"\\approx|≈", text)
    if approx and re.search(r"\d", text[: approx.start()]):
        text = text[: approx.start()]  # `\frac{\sqrt2}{2} \approx 0.707`: the exact value, not its rounding
    text = re.sub(r"\\pmod\s*\{[^{}]*\}|\(\s*\\?(?:bmod|mod)\b[^()]*\)|\\bmod\s*\{?\w*\}?", "", text)
    text = text.replace("\\equiv", "=").replace("≡", "=")
    text = _REALS.sub(r"(-\\infty,\\infty)", text)
    text = _REALS_MINUS.sub(_reals_minus, text)
    text = text.replace("{,}", ",").replace("\\%", "%").replace("\\$", "")
    text = _GROUPED.sub(lambda m: m.group(1) + re.sub(r"\D", "", m.group(2)), text)
    text = _DROP.sub("", text).strip()
    text = re.sub(r"\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree", "", text)
    text = re.sub(r"^\\text\{\s*\}|\s+", " ", text).strip().rstrip(".").strip()
    text = _TRAILING_UNIT.sub("", text).strip() or text
    if _PLAIN_THOUSANDS.match(text):
        text = text.replace(",", "")
    return text


def tokenize(text: str) -> list[Token]:
    """Split normalized LaTeX into tokens; `\\text{...}` becomes one text token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise ParseError(f"unexpected character {text[pos:].strip()[:1]!r}")
        pos = match.end()
        kind = match.lastgroup or "op"
        value = match.group(kind)
        if kind == "cmd":
            name = value[1:]
            name = _RENAME.get(name, name)
            if name in _TEXT_CMDS:
                body, pos = _braced(text, pos)
                body = body.strip()
                if body in _FUNCS:  # `\operatorname{sin}` is \sin
                    tokens.append(Token("cmd", body))
                elif re.fullmatch(r"[a-zA-Z]", body) and name in {"mathrm", "operatorname", "mathit"}:
                    tokens.append(Token("name", body))  # `\mathrm{x}` is the variable x
                else:
                    tokens.append(Token("text", body))
                continue
            if name in {"{", "}", "|", "%", "_"} or name in {"<", ">", "*", "/", "=", "[", "]", "and"}:
                tokens.append(Token("op", name))
                continue
            if name in {",", ";", ":", " ", "!"} or name in _IGNORED_CMDS:
                continue
            value = name
        elif kind == "op" and value == "\\\\":
            value = "row"
        elif kind == "num" and len(value) > MAX_DIGITS:
            raise TooLarge("number too long")
        tokens.append(Token(kind, value))
    return tokens


def _braced(text: str, pos: int) -> tuple[str, int]:
    """The content of the `{...}` group starting at `pos` (after spaces), and the index after it."""
    while pos < len(text) and text[pos] == " ":
        pos += 1
    if pos >= len(text) or text[pos] != "{":
        raise ParseError("text command without braces")
    depth = 0
    for index in range(pos, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[pos + 1 : index], index + 1
    raise ParseError("unbalanced braces")


def parse_answer(text: str) -> Value:
    """Parse an answer string (LaTeX or plain math) into a Value; raises ParseError."""
    if len(text) > MAX_CHARS:
        raise TooLarge("answer too long")
    normalized = normalize(text)
    if not normalized:
        raise ParseError("empty answer")
    tokens = tokenize(normalized)
    if tokens and all(t.kind == "text" for t in tokens):
        return Text(" ".join(t.text for t in tokens))
    try:
        return _Parser(tokens).top()
    except RecursionError as error:
        raise TooLarge("nesting too deep") from error


def _group(kind: str, items: list[Value]) -> Value:
    return items[0] if len(items) == 1 else Seq(kind, tuple(items))


class _Parser:
    """Recursive descent over tokens; each method parses one grammar level."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    # -- token helpers -------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token is not None and token.kind in {"op", "cmd"} and token.text in texts

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ParseError("unexpected end of answer")
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        if not self.at(text):
            raise ParseError(f"expected {text!r}")
        self.pos += 1

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TooLarge("nesting too deep")

    # -- grammar ---------------------------------------------------------------------
    def top(self) -> Value:
        items = self.items(closers=())
        if self.peek() is not None:
            raise ParseError(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return _group("list", items)

    def items(self, closers: tuple[str, ...]) -> list[Value]:
        """A comma (or 'and'/'or') separated list up to one of `closers` or the end."""
        items: list[Value] = []
        while True:
            while self.at(",", ";", "and") or self._separator_text():
                self.pos += 1
            if self.peek() is None or self.at(*closers):
                return items
            items.append(self.relation())
            if not (
                self.at(",", ";", "and") or self._separator_text() or self.peek() is None or self.at(*closers)
            ):
                raise ParseError(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]

    def _separator_text(self) -> bool:
        token = self.peek()
        return (
            token is not None and token.kind == "text" and token.text.strip(" ,").lower() in {"and", "or", ""}
        )

    def relation(self) -> Value:
        left = self.union()
        while self.at(*_RELATIONS):
            op = _RELATIONS[self.take().text]
            left = Rel(op, left, self.union())
        return left

    def skip_units(self) -> None:
        """Drop unit words written as text after a value (`5 \\text{ cm}^2`)."""
        while self.peek() is not None and self.peek().kind == "text" and not self._separator_text():  # type: ignore[union-attr]
            self.pos += 1
            if self.at("^"):
                self.pos += 1
                self.argument()

    def union(self) -> Value:
        parts = [self.expr()]
        self.skip_units()
        while self.at("cup"):
            self.pos += 1
            parts.append(self.expr())
        return parts[0] if len(parts) == 1 else Union(tuple(parts))

    def expr(self) -> Value:
        self.enter()
        value = self.term()
        while self.at("+", "-", "pm", "mp"):
            op = self.take().text
            right = self.term()
            sign = {"+": sympy.Integer(1), "-": sympy.Integer(-1), "pm": PM, "mp": -PM}[op]
            value = _add(_arith(value), _mul(sign, _arith(right)))
        self.depth -= 1
        return value

    def term(self) -> Value:
        value = self.unary()
        while True:
            if self.at("*", "/"):
                op = self.take().text
                right = _arith(self.unary())
                value = _mul(_arith(value), right) if op == "*" else _divide(_arith(value), right)
            elif self._starts_atom():
                value = _product(value, self.power())
            else:
                return value

    def _starts_atom(self) -> bool:
        token = self.peek()
        if token is None:
            return False
        if token.kind in {"num", "name"}:
            return True
        if token.kind == "cmd":
            return token.text not in _RELATIONS and token.text not in {
                "cup",
                "pm",
                "mp",
                "end",
                "rfloor",
                "rceil",
            }
        return token.kind == "op" and token.text in {"(", "{"}

    def unary(self) -> Value:
        if self.at("-", "+", "pm", "mp"):
            op = self.take().text
            value = _arith(self.unary())
            factor = {"-": sympy.Integer(-1), "+": sympy.Integer(1), "pm": PM, "mp": -PM}[op]
            return value if op == "+" else _mul(factor, value)
        return self.power()

    def power(self) -> Value:
        start = self.pos
        base = self.postfix(self.atom())
        value = base
        if self.at("^"):
            self.pos += 1
            exponent = _arith(self.postfix(self.signed_atom() if self.at("-") else self.argument()))
            value = _pow(_arith(base), exponent)
        if isinstance(base, sympy.Symbol) and self.tokens[start].kind == "name" and self.at("("):
            return self.application(start) or value
        return value

    def application(self, start: int) -> sympy.Symbol | None:
        """A function named by a letter at a constant argument (`p(0)`, `f^{-1}(f^{-1}(6))`) as one named
        quantity, so that `p(0) + p(4) = 24` names what it states; None (nothing read) otherwise."""
        saved = (self.pos, self.depth)
        try:
            self.pos += 1
            self.enter()
            inner = self.expr()
            self.expect(")")
        except ParseError:
            inner = None
        self.depth = saved[1]
        applied = isinstance(inner, sympy.Expr) and all("(" in s.name for s in inner.free_symbols)  # type: ignore[attr-defined]
        if not applied:
            self.pos = saved[0]
            return None
        return sympy.Symbol("".join(token.text for token in self.tokens[start : self.pos]))

    def signed_atom(self) -> Value:
        self.expect("-")
        return -_arith(self.argument())

    def postfix(self, value: Value) -> Value:
        while self.at("!", "%", "'"):
            op = self.take().text
            if op == "!":
                value = _factorial(_arith(value))
            elif op == "%":
                value = Percent(_arith(value))
            else:
                raise ParseError("prime notation")
        return value

    def argument(self) -> Value:
        """A `{...}` group, or a single token argument as in `\\frac12` / `\\sqrt2`."""
        if self.at("{"):
            self.pos += 1
            self.enter()
            items = self.items(closers=("}",))
            self.expect("}")
            self.depth -= 1
            return _group("list", items)
        token = self.take()
        if token.kind == "num":
            if len(token.text) > 1 and "." not in token.text:
                self.tokens.insert(self.pos, Token("num", token.text[1:]))
                return sympy.Integer(token.text[0])
            return _number(token.text)
        self.pos -= 1
        return self.atom()

    def atom(self) -> Value:
        token = self.take()
        if token.kind == "num":
            value = _number(token.text)
            if self.at("_"):
                return self.base_number(token.text)
            return self.mixed_number(value)
        if token.kind == "name":
            return self.subscripted(token.text)
        if token.kind == "text":
            raise ParseError("text inside an expression")
        if token.kind == "op":
            return self.bracket(token.text)
        return self.command(token.text)

    def base_number(self, digits: str) -> Value:
        self.expect("_")
        base = self.argument()
        if not (isinstance(base, sympy.Integer) and 2 <= int(base) <= 36):
            raise ParseError("bad base subscript")
        return BaseNum(digits, int(base))

    def mixed_number(self, value: sympy.Expr) -> sympy.Expr:
        """`1\\frac{4}{5}` is 1 + 4/5 when a whole number is followed by a proper integer fraction."""
        if not (isinstance(value, sympy.Integer) and self.at("frac")):
            return value
        start = self.pos
        self.pos += 1
        numerator, denominator = self.argument(), self.argument()
        ints = isinstance(numerator, sympy.Integer) and isinstance(denominator, sympy.Integer)
        end = self.peek() is None or self.peek().kind == "text"  # type: ignore[union-attr]
        if ints and end and 0 < numerator < denominator:  # type: ignore[operator]
            return value + sympy.Rational(numerator, denominator)  # type: ignore[arg-type]
        self.pos = start
        return value

    def subscripted(self, name: str) -> sympy.Expr:
        if self.at("_"):
            self.pos += 1
            sub = self.take() if not self.at("{") else None
            if sub is None:
                self.pos += 1
                parts: list[str] = []
                while not self.at("}"):
                    parts.append(self.take().text)
                self.pos += 1
                name = f"{name}_{''.join(parts)}"
            else:
                name = f"{name}_{sub.text}"
        if name == "i":
            return sympy.I
        if name == "e":
            return sympy.E
        return sympy.Symbol(name)

    def bracket(self, opener: str) -> Value:
        if opener == "|":
            self.enter()
            inner = _arith(self.expr())
            self.expect("|")
            self.depth -= 1
            return sympy.Abs(inner)
        closers = {"(": (")", "]"), "[": ("]", ")"), "{": ("}",)}.get(opener)
        if closers is None:
            raise ParseError(f"unexpected {opener!r}")
        self.enter()
        items = self.items(closers=closers)
        closer = self.take().text
        self.depth -= 1
        if not items:
            raise ParseError("empty brackets")
        if len(items) == 1 and opener + closer in {"()", "[]", "{}"}:
            return items[0]
        return Seq(opener + closer, tuple(items))

    def command(self, name: str) -> Value:
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name in _GREEK:
            return sympy.Symbol(name)
        if name == "frac":
            numerator, denominator = _arith(self.argument()), _arith(self.argument())
            return _divide(numerator, denominator)
        if name == "sqrt":
            return self.root()
        if name == "binom":
            top, bottom = _arith(self.argument()), _arith(self.argument())
            _check_small(bottom, MAX_FACTORIAL)
            return sympy.binomial(top, bottom)
        if name in {"lfloor", "lceil"}:
            inner = _arith(self.expr())
            self.expect("rfloor" if name == "lfloor" else "rceil")
            return sympy.floor(inner) if name == "lfloor" else sympy.ceiling(inner)
        if name == "begin":
            return self.matrix()
        if name in _FUNCS:
            return self.function(name)
        raise ParseError(f"unknown command \\{name}")

    def root(self) -> sympy.Expr:
        index: sympy.Expr = sympy.Integer(2)
        if self.at("["):
            self.pos += 1
            index = _arith(self.expr())
            self.expect("]")
        radicand = _arith(self.argument())
        return _pow(radicand, _divide(sympy.Integer(1), index))

    def function(self, name: str) -> sympy.Expr:
        base: sympy.Expr | None = None
        if name == "log" and self.at("_"):
            self.pos += 1
            base = _arith(self.argument())
        exponent: sympy.Expr | None = None
        if self.at("^"):
            self.pos += 1
            exponent = _arith(self.argument())
        if self.at("(", "{"):
            argument = _arith(self.atom())
        else:
            argument = _arith(self.power())
            while self._starts_atom() and not self.at("(", "{", *_FUNCS):
                argument = argument * _arith(self.power())
        value = _FUNCS[name](argument)
        if base is not None:
            value = _divide(value, sympy.log(base))
        return _pow(value, exponent) if exponent is not None else value

    def matrix(self) -> Mat:
        self.expect("{")
        environment = ""
        while not self.at("}"):
            environment += self.take().text
        self.pos += 1
        if "matrix" not in environment and environment not in {"array", "smallmatrix"}:
            raise ParseError(f"unsupported environment {environment}")
        if environment == "array" and self.at("{"):
            while not self.at("}"):
                self.take()
            self.pos += 1
        rows: list[tuple[Value, ...]] = []
        row: list[Value] = []
        while True:
            if self.at("end"):
                self.pos += 1
                self.argument_skip()
                if row:
                    rows.append(tuple(row))
                break
            if self.at("row"):
                self.pos += 1
                continue
            row.append(self.relation())
            if self.at("&"):
                self.pos += 1
            elif self.at("row"):
                self.pos += 1
                rows.append(tuple(row))
                row = []
        if not rows or len({len(r) for r in rows}) != 1:
            raise ParseError("ragged matrix")
        return Mat(tuple(rows))

    def argument_skip(self) -> None:
        self.expect("{")
        while not self.at("}"):
            self.take()
        self.pos += 1


def _arith(value: Value) -> sympy.Expr:
    """The value as a scalar sympy expression (percent signs dropped), or ParseError."""
    if isinstance(value, Percent):
        return value.value
    if isinstance(value, sympy.Expr):
        return value
    raise ParseError(f"cannot do arithmetic on {type(value).__name__}")


def _product(left: Value, right: Value) -> Value:
    """Implicit multiplication; a scalar times a matrix scales each entry (`2\\begin{pmatrix}...`)."""
    if isinstance(right, Mat) and isinstance(left, sympy.Expr):
        return Mat(tuple(tuple(left * _arith(item) for item in row) for row in right.rows))
    return _mul(_arith(left), _arith(right))


def _add(left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
    """left + right; kept unevaluated next to a huge power, whose evaluation would never finish."""
    if is_huge(left) or is_huge(right):
        return sympy.Add(left, right, evaluate=False)
    return left + right


def _mul(left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
    """left * right; kept unevaluated next to a huge power (sympy would distribute and expand it)."""
    if is_huge(left) or is_huge(right):
        return sympy.Mul(left, right, evaluate=False)
    return left * right


def _number(text: str) -> sympy.Rational:
    """A decimal literal as an exact rational (0.5 -> 1/2)."""
    if text.startswith("."):
        text = "0" + text
    whole, _, fraction = text.partition(".")
    if not fraction:
        return sympy.Integer(whole)
    return sympy.Rational(int(whole + fraction), 10 ** len(fraction))


def _divide(numerator: sympy.Expr, denominator: sympy.Expr) -> sympy.Expr:
    if denominator == 0:
        raise ParseError("division by zero")
    if is_huge(numerator) or is_huge(denominator):  # `\\frac{7^{7^{7^7}} - 3}{8}`
        return sympy.Mul(numerator, sympy.Pow(denominator, -1, evaluate=False), evaluate=False)
    return numerator / denominator


def _check_small(value: sympy.Expr, limit: int) -> None:
    if is_huge(value):
        raise TooLarge("value too large")
    if value.is_number and value.is_finite and abs(value.evalf(15)) > limit:
        raise TooLarge("value too large")


@functools.lru_cache(maxsize=4096)
def is_huge(value: sympy.Basic) -> bool:
    """True when `value` holds a power whose exact value would be too large (kept unevaluated)."""
    if isinstance(value, sympy.Pow):
        return is_huge(value.base) or is_huge(value.exp) or _big_exponent(value.exp)
    return any(is_huge(arg) for arg in value.args)


def _big_exponent(exponent: sympy.Expr) -> bool:
    """An exponent (itself free of huge powers) too large for exact arithmetic."""
    if not exponent.is_number:
        return False
    magnitude = exponent.evalf(15)
    return bool(magnitude.has(sympy.oo, -sympy.oo, sympy.zoo) or abs(magnitude) > MAX_EXPONENT)


def _pow(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """base**exponent, left unevaluated when the exact result would be huge."""
    bits = base.p.bit_length() + base.q.bit_length() if isinstance(base, sympy.Rational) else 1
    if is_huge(base) or is_huge(exponent) or _big_exponent(exponent * bits):
        return sympy.Pow(base, exponent, evaluate=False)
    if base == 0 and exponent.is_number and exponent.is_negative:
        raise ParseError("division by zero")
    return sympy.Pow(base, exponent)


def _factorial(value: sympy.Expr) -> sympy.Expr:
    _check_small(value, MAX_FACTORIAL)
    return sympy.factorial(value)
