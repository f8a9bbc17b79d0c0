"""Turning what evaluators type into numbers, and numbers into what they read.

Inputs arrive as browser strings (``"258.90"``, ``"95.39%"``, ``"1,234.50"``), as
JSON numbers, or as ``Decimal``. Everything is computed in ``Decimal``; only the
displayed value is rounded (two decimals, ROUND_HALF_UP, as on the paper forms).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any, Mapping

from core.definitions.expressions import (
    MISSING, Expression, ExpressionError, blank_value, compile_expression, is_blank,
)

CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
# display() rounds in its own context: values up to 10**50 keep every digit, whatever
# the caller's context (the default keeps 28 digits, too few for 1e26 + cents).
_DISPLAY_MAX_EXPONENT = 50
_DISPLAY_CONTEXT = Context(prec=_DISPLAY_MAX_EXPONENT + 10)

# A bare input name is looked up directly instead of going through the evaluator:
# most rules read one input, and scoring thousands of forms should not pay for it.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LITERAL_WORDS = frozenset({"true", "false", "null", "none"})  # words the expression language owns
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)\Z")
_TRUE = frozenset({"true", "yes", "y", "1", "是", "符合", "达到", "已完成", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "否", "不符合", "未达到", "未完成", "off"})


# ------------------------------------------------------------- formatting -------

def display(value: Decimal | None) -> Decimal | None:
    """Round a score for display: two decimals, ROUND_HALF_UP (11.875 → 11.88)."""
    if value is None:
        return None
    if not value.is_finite() or value.adjusted() >= _DISPLAY_MAX_EXPONENT:
        # A mistyped final such as 1e26 (kept, with its problem, to be shown): rounding
        # it to cents would need more digits than any context keeps, and means nothing.
        return value
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=_DISPLAY_CONTEXT)


def fmt(value: Any) -> str:
    """Write a number the way a person would, for messages: 45, 4.8, 11.875."""
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) >= _DISPLAY_MAX_EXPONENT:
            return str(value)  # NaN, Infinity or 1E+26 as typed: a message must not fail on it
        text = format(value.normalize(context=_DISPLAY_CONTEXT), "f")
        return "0" if text in ("-0", "") else text
    return str(value)


# --------------------------------------------------------------- parsing --------

def to_decimal(value: Any) -> Decimal | None:
    """Parse a number from an input; ``None`` if it is not one.

    Accepts ``Decimal``, ``int``, ``float`` (through its shortest repr, so 0.1 stays
    0.1), and strings with thousands separators and an optional trailing ``%``.
    Booleans are not numbers here: ``True`` typed into a score is a mistake.
    """
    # Strings first: browser input is by far the most common case.
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").rstrip("%％").strip()
        if not _NUMBER.match(text):
            return None
        return Decimal(text)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    return None


def to_bool(value: Any) -> bool | None:
    """Parse yes/no from an input (``true``, ``"是"``, ``"否"``, 1, 0); ``None`` if unclear."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def to_count(value: Any) -> int | None:
    """Parse a non-negative whole count (``2``, ``"3"``, ``"3.0"``); ``None`` otherwise."""
    number = to_decimal(value)
    if number is None or number < 0 or number != number.to_integral_value():
        return None
    return int(number)


# ------------------------------------------------- input problems as values ------

class Unscored(Exception):
    """A rule cannot score yet because a value it is scored on was not entered.

    :param key: the input or field name that is blank — or, for a formula none of whose
        values was entered, the rule parameter (``actual``, ``target``…). Messages name
        it by its label, never by this key (:func:`core.scoring.messages.value_label`).
    """

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class InputError(Exception):
    """An input is present but wrong; becomes a :class:`Problem` naming the leaf.

    :param key: the input key at fault (the path is ``leaves.<leaf id>.<key>``).
    :param code: a message code from :mod:`core.scoring.messages`.
    :param params: values for the message's placeholders; a ``name`` (an input or field
        name) is shown by its label.
    """

    def __init__(self, key: str, code: str, **params: Any):
        super().__init__(f"{key}: {code}")
        self.key = key
        self.code = code
        self.params = params


# ------------------------------------------------------- numeric parameters ------

@dataclass(frozen=True)
class Source:
    """Where a rule's number comes from: a constant, one input, or an expression.

    Definitions write ``"target": 100`` (a constant), ``"actual": "executed"`` (one
    input or form field) or ``"actual": "arrived / budget * 100"`` (an expression
    over inputs). Compiled once when the scoring tree is loaded.
    """

    text: str
    constant: Decimal | None = None
    name: str | None = None
    expression: Expression | None = None
    #: the rule parameter this source was compiled for (``actual``, ``target``…), if known
    param: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The input names this source reads."""
        if self.name:
            return (self.name,)
        if self.expression is not None:
            return tuple(sorted(self.expression.names))
        return ()


def compile_source(spec: Any, param: str | None = None) -> Source:
    """Compile a numeric parameter; raises ``ExpressionError`` or ``ValueError``.

    ``param`` is the rule parameter's name (``actual``, ``target``…), kept for messages.
    """
    if isinstance(spec, (int, float, Decimal)) and not isinstance(spec, bool):
        constant = to_decimal(spec)
        if constant is None:
            raise ValueError(f"not a finite number: {spec!r}")
        return Source(text=fmt(constant), constant=constant, param=param)
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"expected a number or an expression, got {spec!r}")
    text = spec.strip()
    if _NAME.match(text) and text.lower() not in _LITERAL_WORDS:
        return Source(text=text, name=text, param=param)
    constant = to_decimal(text)
    if constant is not None:
        return Source(text=text, constant=constant, param=param)
    return Source(text=text, expression=compile_expression(text), param=param)


def _number(name: str, raw: Any) -> Decimal:
    number = to_decimal(raw)
    if number is None:
        raise InputError(name, "not_a_number", name=name, value=raw)
    return number


def _formula_values(source: Source, scope: Mapping[str, Any], read) -> dict[str, Any]:
    """The values of a formula's names under the blank rule (:func:`blank_value`).

    Nothing entered for any of them: the formula is missing, like a single value
    (:class:`Unscored` naming the parameter). Otherwise a blank is one part among
    others and counts 0, as in every other expression of the platform.
    """
    raws = {name: scope.get(name) for name in source.names}
    if raws and all(blank_value(raw, scored=True) is MISSING for raw in raws.values()):
        raise Unscored(source.param or next(iter(sorted(raws))))
    return {name: read(name, blank_value(raw)) for name, raw in raws.items()}


def evaluate_number(source: Source, scope: Mapping[str, Any]) -> Decimal:
    """The value of a numeric source over a leaf's inputs (and the form's fields).

    Blanks follow the platform's rule (:func:`blank_value`): a source that names one
    value is what the leaf is scored on, so a blank raises :class:`Unscored`; in a
    formula (``fiscal + carryover + other``) a blank part counts 0, and only a formula
    with nothing entered at all is unscored. :class:`InputError` when a value is not a
    number or the formula fails (e.g. division by zero) — the engine turns both into
    messages naming the leaf and the value's label.
    """
    if source.constant is not None:
        return source.constant
    if source.name is not None:
        raw = scope.get(source.name)
        if blank_value(raw, scored=True) is MISSING:
            raise Unscored(source.name)
        return _number(source.name, raw)
    variables = _formula_values(source, scope, _number)
    try:
        value = source.expression.evaluate(variables)
    except (ExpressionError, ArithmeticError) as error:
        raise InputError("expression", "evaluation_failed", source=source,
                         error=getattr(error, "message", None) or str(error)) from None
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise InputError("expression", "not_numeric_result", source=source, value=value)
    return value


def _condition_value(name: str, raw: Any) -> Any:
    if isinstance(raw, bool):
        return raw
    number = to_decimal(raw)
    return number if number is not None else raw


def evaluate_condition(source: Source, scope: Mapping[str, Any]) -> bool:
    """The truth of a yes/no source (``all_or_nothing``'s ``condition``).

    A bare name reads a yes/no input (``true``, ``"是"``, ``1``); an expression may
    compare numbers or strings (``reported >= required``).
    """
    if source.constant is not None:
        return source.constant != 0
    if source.name is not None:
        raw = scope.get(source.name)
        if blank_value(raw, scored=True) is MISSING:
            raise Unscored(source.name)
        flag = to_bool(_condition_value(source.name, raw))
        if flag is None:
            raise InputError(source.name, "not_yes_no", name=source.name, value=raw)
        return flag
    variables = _formula_values(source, scope, _condition_value)
    try:
        return bool(source.expression.evaluate(variables))
    except (ExpressionError, ArithmeticError, TypeError) as error:
        raise InputError("condition", "evaluation_failed", source=source,
                         error=getattr(error, "message", None) or str(error)) from None
