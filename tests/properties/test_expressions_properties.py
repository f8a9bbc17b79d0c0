"""Properties of the expression evaluator (core/definitions/expressions.py).

1. Whatever the source (random text, token soup from the language's own alphabet)
   and whatever the variables (numbers, junk strings, lists, dicts, objects, NaN),
   compiling and evaluating raise ExpressionError or nothing.
2. Generated arithmetic over Decimals evaluates to the value of an exact reference
   computation with ``fractions.Fraction`` (Python's own floor-division and modulo
   semantics): exactly for + - * // % ** unary minus abs min max, within the
   documented 40-digit precision where ``/`` is involved; and an intermediate result
   beyond 10**18 or a division by zero is an ExpressionError, as documented.

Sizes are bounded by the language limits (MAX_LENGTH, MAX_DEPTH, MAX_NODES); no timing.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.definitions.expressions import MAX_LENGTH, ExpressionError, compile_expression, evaluate

LIMIT = Fraction(10) ** 18

# ------------------------------------------------------------ never another error ---

TOKENS = ["a", "b", "c", "x1", "_y", "0", "1", "2.5", "10.09", "1e5", "1_000", "0x1F", "99999999999999999999",
          "+", "-", "*", "/", "//", "%", "**", "(", ")", "[", "]", ",", "<", "<=", ">", ">=", "==", "!=",
          " and ", " or ", "not ", "true", "false", "null", "None", "'完成'", '"25%"', "'", '"', "min(",
          "max(", "round(", "abs(", "sum(", "count(", "if(", "len(", "ndigits=", ".", "__class__",
          "lambda", " if ", " else ", " for ", " in ", ":", "=", ";", "\\", "\n", "　", "（", "）", "＋",
          "１", "@", "~", "^", "&", "|", "<<", "{", "}", "x.y", "a[0]", "__import__"]
SOUP = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)
JUNK_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30), st.floats(),
    st.decimals(), st.text(max_size=30), st.sampled_from(["", " ", "1,234.50", "25%", "１２", "1,2", "abc",
                                                          "-0", "NaN", "inf", "1e400", "9" * 120]),
    st.lists(st.one_of(st.integers(), st.text(max_size=5), st.none()), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.just(object()),
    st.tuples(st.integers()), st.binary(max_size=4))
ENV = st.dictionaries(st.sampled_from(["a", "b", "c", "x1", "_y"]), JUNK_VALUES, max_size=5)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.one_of(SOUP, st.text(max_size=120)), env=ENV)
def test_compile_and_evaluate_raise_only_expression_error(source, env):
    try:
        expression = compile_expression(source)
    except ExpressionError as error:
        assert error.message and error.code
        return
    try:
        result = expression.evaluate(env)
    except ExpressionError as error:
        assert error.message and error.code
        return
    assert result is None or isinstance(result, (Decimal, bool, str, list))
    if isinstance(result, Decimal):
        # (A bare variable is handed back as given; arithmetic results are bounded below.)
        assert result.is_finite()


@given(source=st.one_of(st.none(), st.integers(), st.binary(max_size=5), st.lists(st.text(max_size=2), max_size=2),
                        st.just("1+" * (MAX_LENGTH // 2) + "1")))
def test_sources_that_are_not_text_or_too_long_are_expression_errors(source):
    for run in (lambda: compile_expression(source), lambda: evaluate(source, {})):
        try:
            run()
        except ExpressionError:
            pass
        else:
            raise AssertionError(f"{source!r} was accepted")


# ------------------------------------------------------------ reference arithmetic ---

class Refused(Exception):
    """The reference says the evaluator must refuse (too large, division by zero)."""


@dataclass(frozen=True)
class Expr:
    source: str
    value: Fraction          # exact value (Fraction arithmetic)
    biggest: Fraction        # largest |intermediate|, for the error bound of "/"
    inexact: bool            # some step's exact result does not fit 40 significant digits


def _checked(value: Fraction) -> Fraction:
    if abs(value) > LIMIT:
        raise Refused("too_large")
    return value


def _fits(value: Fraction) -> bool:
    """Whether ``value`` is a decimal of at most 40 significant digits (kept exactly)."""
    d, places = value.denominator, 0
    while d % 10 == 0:
        d, places = d // 10, places + 1
    while d % 2 == 0 or d % 5 == 0:
        d, places = (d // 2 if d % 2 == 0 else d // 5), places + 1
    if d != 1:
        return False
    digits = str(abs(value.numerator * 10**places // value.denominator)).rstrip("0")
    return len(digits) <= 40


NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10**4).map(Decimal),
    st.decimals(min_value=0, max_value=10**4, places=2, allow_nan=False, allow_infinity=False),
)


def _leaf(draw, env: dict) -> Expr:
    number = draw(NUMBERS)
    if draw(st.booleans()):
        source = format(number, "f")
    else:
        name = f"v{len(env)}"
        # The same number handed over as the app does: Decimal, int, or a typed string.
        form = draw(st.sampled_from(["decimal", "str", "thousands", "int"]))
        if form == "int" and number == number.to_integral_value():
            env[name] = int(number)
        elif form == "str":
            env[name] = format(number, "f")
        elif form == "thousands":
            whole, _, frac = format(number, "f").partition(".")
            env[name] = f"{int(whole):,}" + (f".{frac}" if frac else "")
        else:
            env[name] = number
        source = name
    value = Fraction(number)
    return Expr(source, value, abs(value), False)


BINARY = ["+", "-", "*", "//", "%", "/"]


def _combine(op: str, left: Expr, right: Expr) -> Expr:
    a, b = left.value, right.value
    if op in ("/", "//", "%") and b == 0:
        raise Refused("division_by_zero")
    value = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
             "//": lambda: Fraction(a // b), "%": lambda: a % b}[op]()
    value = _checked(value)
    inexact = left.inexact or right.inexact or not _fits(value)
    return Expr(f"({left.source} {op} {right.source})", value, max(left.biggest, right.biggest, abs(value)),
                inexact)


@st.composite
def arithmetic(draw, allow_division: bool, max_leaves: int = 8):
    """(source, env, reference value or Refused, inexact, biggest)."""
    env: dict = {}
    operators = BINARY if allow_division else BINARY[:-1]
    count = draw(st.integers(min_value=1, max_value=max_leaves))
    items: list = [_leaf(draw, env) for _ in range(count)]
    refused = None
    unary_steps = 0
    while len(items) > 1 or (unary_steps < 3 and draw(st.integers(0, 2)) == 2):
        if len(items) == 1:
            unary_steps += 1
            # Unary steps on the last remaining value: -x, abs(x), x ** n, min/max with a leaf.
            kind = draw(st.sampled_from(["neg", "abs", "pow", "min", "max"]))
            (item,) = items
            if kind == "neg":
                items = [Expr(f"(-{item.source})", -item.value, item.biggest, item.inexact)]
            elif kind == "abs":
                items = [Expr(f"abs({item.source})", abs(item.value), item.biggest, item.inexact)]
            elif kind == "pow":
                exponent = draw(st.integers(min_value=0, max_value=4))
                if item.inexact and exponent > 1:
                    break
                if abs(item.value) >= 10**12:
                    refused = refused or Refused("too_large")
                value = item.value ** exponent
                if not refused and abs(value) > LIMIT:
                    refused = Refused("too_large")
                items = [Expr(f"({item.source} ** {exponent})", value, max(item.biggest, abs(value)),
                              item.inexact or not _fits(value))]
            else:
                other = _leaf(draw, env)
                pick = min if kind == "min" else max
                items = [Expr(f"{kind}({item.source}, {other.source})", pick(item.value, other.value),
                              max(item.biggest, other.biggest), item.inexact)]
            if refused:
                break
            continue
        i = draw(st.integers(min_value=0, max_value=len(items) - 2))
        op = draw(st.sampled_from(operators))
        left, right = items[i], items[i + 1]
        if (left.inexact or right.inexact) and op in ("//", "%"):
            op = "+"  # floor of an approximation may jump; keep "/" results continuous
        try:
            combined = _combine(op, left, right)
        except Refused as why:
            refused = why
            items[i:i + 2] = [Expr(f"({left.source} {op} {right.source})", Fraction(0), Fraction(0), True)]
            break
        items[i:i + 2] = [combined]
    if refused or len(items) > 1:
        # Fold what is left with "+" so the source contains the refused step.
        source = " + ".join(item.source for item in items)
        return source, env, refused or Refused("too_large"), True, Fraction(0)
    (item,) = items
    # Unary plus makes a bare string variable a number, as arithmetic would.
    return f"+{item.source}", env, item.value, item.inexact, item.biggest


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(arithmetic(allow_division=False))
def test_division_free_arithmetic_is_exact(case):
    source, env, expected, inexact, _biggest = case
    if isinstance(expected, Refused):
        try:
            result = evaluate(source, env)
        except ExpressionError as error:
            assert error.code in ("too_large", "division_by_zero"), (source, error.code)
        else:
            raise AssertionError(f"{source} = {result}, expected refusal ({expected})")
        return
    # Exactness needs every step to fit the 40 significant digits the evaluator keeps.
    assume(not inexact)
    result = evaluate(source, env)
    assert isinstance(result, Decimal), source
    assert Fraction(result) == expected, (source, env, result, expected)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(arithmetic(allow_division=True))
def test_arithmetic_with_division_matches_within_precision(case):
    source, env, expected, inexact, biggest = case
    if isinstance(expected, Refused):
        try:
            evaluate(source, env)
        except ExpressionError as error:
            assert error.code in ("too_large", "division_by_zero"), (source, error.code)
        else:
            # A "/" rounded to 40 digits can land a hair under the limit the exact value exceeds.
            assert inexact, source
        return
    try:
        result = evaluate(source, env)
    except ExpressionError as error:
        # Only at the limit, where rounding decides: the exact value is within 1e-20 of 10**18.
        assert error.code == "too_large" and biggest > LIMIT * (1 - Fraction(1, 10**20)), (source, error)
        return
    assert isinstance(result, Decimal)
    tolerance = Fraction(1, 10**32) * max(Fraction(1), biggest) if inexact else Fraction(0)
    assert abs(Fraction(result) - expected) <= tolerance, (source, env, result, float(expected))
