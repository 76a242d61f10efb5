"""A safe arithmetic evaluator: a tokenizer and a recursive-descent parser, no eval/exec.

Grammar (usual precedence, `**`/`^` right-associative and binding tighter than unary
minus, as in Python):

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/' | '//' | '%') unary)*
    unary  := ('+' | '-') unary | power
    power  := atom (('**' | '^') unary)?
    atom   := NUMBER | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')'

Names are a fixed table of constants (pi, e) and functions (sqrt, abs, round, min, max,
log, log10, exp, sin, cos, tan, floor, ceil). Results that would be enormous (a power
with more than `MAX_DIGITS` digits) are refused rather than computed, so an expression
cannot hang the process. Whole numbers stay exact (`10**400/5` is a whole number); a
quotient beyond a float's range is an error giving its approximate value. Leaves out
variables, assignment, comparisons and units; "15% of 240" is an error that says to
write 15/100*240.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

Number = int | float

MAX_DIGITS = 1000
MAX_LENGTH = 500

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op>\*\*|//|[-+*/%^(),]))"
)

CONSTANTS: Mapping[str, float] = MappingProxyType({"pi": math.pi, "e": math.e, "tau": math.tau})


def _round(x: Number, digits: Number = 0) -> Number:
    if not float(digits).is_integer():
        raise CalculatorError("round() takes a whole number of digits")
    return round(x, int(digits)) if digits else round(x)


FUNCTIONS: Mapping[str, tuple[Callable[..., Number], int, int]] = MappingProxyType(
    {
        # name: (function, least arguments, most arguments)
        "sqrt": (math.sqrt, 1, 1),
        "abs": (abs, 1, 1),
        "round": (_round, 1, 2),
        "min": (min, 1, 64),
        "max": (max, 1, 64),
        "log": (math.log, 1, 2),
        "log10": (math.log10, 1, 1),
        "exp": (math.exp, 1, 1),
        "sin": (math.sin, 1, 1),
        "cos": (math.cos, 1, 1),
        "tan": (math.tan, 1, 1),
        "floor": (math.floor, 1, 1),
        "ceil": (math.ceil, 1, 1),
    }
)


class CalculatorError(ValueError):
    """The expression is not arithmetic this calculator understands, or cannot be computed."""


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    position: int


def tokenize(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    text = expression.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            bad = text[pos:].strip()[:1]
            hint = " (write a percentage as 15/100*240)" if "%" in text else ""
            raise CalculatorError(f"unexpected character {bad!r} at position {pos + 1}{hint}")
        kind = match.lastgroup or "op"
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, expression: str) -> None:
        self.tokens = tokenize(expression)
        self.i = 0

    @property
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            found = repr(token.text) if token.kind != "end" else "the end"
            raise CalculatorError(
                f"expected {text!r} at position {token.position + 1}, found {found}"
            )

    def parse(self) -> Number:
        value = self.expr()
        token = self.peek
        if token.kind != "end":
            hint = " (write a percentage as 15/100*240)" if token.text.lower() == "of" else ""
            raise CalculatorError(
                f"unexpected {token.text!r} at position {token.position + 1}{hint}"
            )
        return value

    def expr(self) -> Number:
        value = self.term()
        while self.peek.text in ("+", "-"):
            op = self.take().text
            right = self.term()
            value = value + right if op == "+" else value - right
        return value

    def term(self) -> Number:
        value = self.unary()
        while self.peek.text in ("*", "/", "//", "%"):
            op = self.take().text
            right = self.unary()
            if op != "*" and right == 0:
                raise CalculatorError("division by zero")
            if op == "*":
                value = value * right
            elif op == "/":
                value = _divide(value, right)
            elif op == "//":
                value = value // right
            else:
                value = value % right
        return value

    def unary(self) -> Number:
        if self.peek.text in ("+", "-"):
            op = self.take().text
            value = self.unary()
            return -value if op == "-" else value
        return self.power()

    def power(self) -> Number:
        base = self.atom()
        if self.peek.text in ("**", "^"):
            self.take()
            exponent = self.unary()
            return _power(base, exponent)
        return base

    def atom(self) -> Number:
        token = self.take()
        if token.kind == "num":
            text = token.text
            return float(text) if any(c in text for c in ".eE") else int(text)
        if token.kind == "name":
            name = token.text.lower()
            if self.peek.text == "(":
                return self.call(name, token)
            if name in CONSTANTS:
                return CONSTANTS[name]
            if name == "of":
                raise CalculatorError(
                    f"unexpected 'of' at position {token.position + 1}; write a percentage as "
                    "15/100*240"
                )
            raise CalculatorError(
                f"unknown name {token.text!r}; known: {', '.join(sorted(CONSTANTS))} and "
                f"the functions {', '.join(sorted(FUNCTIONS))}"
            )
        if token.text == "(":
            value = self.expr()
            self.expect(")")
            return value
        found = repr(token.text) if token.kind != "end" else "the end"
        raise CalculatorError(f"expected a number at position {token.position + 1}, found {found}")

    def call(self, name: str, token: _Token) -> Number:
        if name not in FUNCTIONS:
            raise CalculatorError(
                f"unknown function {token.text!r}; known: {', '.join(sorted(FUNCTIONS))}"
            )
        function, least, most = FUNCTIONS[name]
        self.expect("(")
        args = [self.expr()]
        while self.peek.text == ",":
            self.take()
            args.append(self.expr())
        self.expect(")")
        if not least <= len(args) <= most:
            raise CalculatorError(f"{name}() takes {least} to {most} arguments, got {len(args)}")
        try:
            return function(*args)
        except (ValueError, OverflowError) as exc:
            raise CalculatorError(f"{name}{tuple(args)}: {exc}") from None


def _divide(left: Number, right: Number) -> Number:
    """`left / right`: exact for whole numbers that divide evenly (however large), else a
    float; a quotient beyond a float's range is an error that gives its approximate value."""
    if isinstance(left, int) and isinstance(right, int) and left % right == 0:
        return left // right
    try:
        return left / right
    except OverflowError:
        with decimal.localcontext() as ctx:
            ctx.prec = 12
            approx = decimal.Decimal(left) / decimal.Decimal(right)
        raise CalculatorError(
            f"the quotient is about {approx:.11E}, beyond the largest decimal number this "
            "calculator keeps (about 1.8E+308); use // for a whole-number quotient"
        ) from None


def _power(base: Number, exponent: Number) -> Number:
    if base == 0 and exponent < 0:
        raise CalculatorError("zero cannot be raised to a negative power")
    if abs(base) > 1 and abs(exponent) * math.log10(abs(base)) > MAX_DIGITS:
        raise CalculatorError(f"the result would have more than {MAX_DIGITS} digits")
    try:
        result = base**exponent
    except OverflowError:
        raise CalculatorError("the result is too large") from None
    if isinstance(result, complex):
        raise CalculatorError("a negative number to a fractional power is not a real number")
    return result


def evaluate(expression: str) -> Number:
    """The value of an arithmetic expression such as `(17 + 5) / 4` or `sqrt(2) * 3`."""
    if not expression.strip():
        raise CalculatorError("the expression is empty")
    if len(expression) > MAX_LENGTH:
        raise CalculatorError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        value = _Parser(expression).parse()
    except OverflowError:  # a huge whole number met a float (10**400 + 0.5)
        raise CalculatorError(
            "a whole number in the expression is too large to mix with decimal numbers "
            "(beyond about 1.8E+308)"
        ) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculatorError("the result is not a finite number")
    return value


def format_number(value: Number) -> str:
    """A result as a person writes it: 4 (not 4.0), 5.5, 0.333333333333."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".12g")
