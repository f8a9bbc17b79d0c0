"""A small, safe expression language for computed fields, checks and scoring.

One evaluator serves computed fields (``if(budget > 0, executed / budget * 100, 0)``),
cross-field checks (``abs(source_fiscal + source_other - budget_total) < 0.005``),
``visible_if`` / ``required_if`` and custom scoring rules.

The language
    numbers (``12``, ``10.09`` — always exact :class:`~decimal.Decimal`), strings
    (``'完成'`` or ``"完成"``), ``true``/``false`` (also ``True``/``False``),
    ``null`` (also ``None``), field ids (``[A-Za-z_][A-Za-z0-9_]*``), the operators
    ``+ - * / // % **``, unary ``-``/``+``, comparisons (chained too: ``0 <= x <= 100``),
    ``== !=``, ``and or not``, parentheses, list literals ``[a, b]`` and the functions
    ``min max round abs sum count if len``. Nothing else.

How it stays safe
    The source is parsed with :func:`ast.parse` and only a whitelist of node types is
    compiled, into plain Python closures: user text is never passed to ``eval``,
    ``exec`` or ``compile``, variables are looked up only in the mapping given to
    :meth:`Expression.evaluate` (never in builtins), and there is no attribute access,
    subscript, lambda, comprehension or call outside the whitelist. Size limits
    (length, nesting, node count, digits, exponents, magnitude of results) are
    checked before any work whose cost they bound.

Values
    ints, floats (via ``Decimal(str(x))``) and Decimals become Decimals; booleans stay
    booleans; strings stay strings until arithmetic or an ordering comparison needs a
    number, when ``"1,234.50"`` becomes 1234.50 and ``"25%"`` becomes 25 (the number
    the user typed, not 0.25). A blank (``None``, ``""`` or spaces) counts as 0 in
    arithmetic because an empty sub-row must not break a sum (``source_fiscal +
    source_other``): that is one half of the platform's blank rule, :func:`blank_value`
    (the other half, for the value a score is computed from, is in the same function).
"""
from __future__ import annotations

import ast
import difflib
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from functools import lru_cache

__all__ = [
    "ExpressionError",
    "Expression",
    "compile_expression",
    "evaluate",
    "FUNCTION_NAMES",
    "MISSING",
    "blank_value",
    "is_blank",
]

MAX_LENGTH = 2000
MAX_DEPTH = 40
MAX_NODES = 500
MAX_DIGITS = 30
MAX_EXPONENT = 64
MAX_POWER_BASE = Decimal(10) ** 12
MAX_MAGNITUDE = Decimal(10) ** 18
MAX_ROUND_DIGITS = 18

# Private name for the ``if(...)`` function: ``if`` is a Python keyword, so the
# tokenizer-aware pre-pass rewrites ``if(`` to this. It is exactly two characters
# long, so every position in the rewritten text is the position in the user's text,
# and it is non-ASCII, which user identifiers never are (the pre-pass rejects
# non-ASCII characters outside strings), so it cannot collide with a field id.
_IF_NAME = "\u0131f"  # "ıf" (dotless i)

FUNCTION_NAMES = frozenset({"min", "max", "round", "abs", "sum", "count", "if", "len"})
_FUNCTION_LIST = "min、max、round、abs、sum、count、if、len"
# (minimum, maximum) number of positional arguments; None = any number.
_ARITY = {
    "min": (1, None),
    "max": (1, None),
    "round": (1, 2),
    "abs": (1, 1),
    "sum": (0, None),
    "count": (0, None),
    "if": (3, 3),
    "len": (1, 1),
}
_CONSTANT_NAMES = {"true": True, "false": False, "null": None}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Every arithmetic operation goes through this context (never the thread's current
# one, which other code may change). 40 significant digits cover any value up to the
# 10**18 magnitude limit with 18+ decimals; the traps turn silent NaN/Infinity into
# exceptions we report.
_CTX = Context(
    prec=40,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
_ZERO = Decimal(0)
_ONE = Decimal(1)


# --------------------------------------------------------------------------- errors


class ExpressionError(ValueError):
    """An expression could not be compiled or evaluated.

    :ivar message: what is wrong, in Chinese (``未知的名称「foo」``).
    :ivar message_en: the same in English.
    :ivar position: 0-based character offset in :attr:`source`, or ``None``.
    :ivar source: the expression text.
    :ivar code: a stable machine-readable id (``syntax``, ``unknown_name``,
        ``not_allowed``, ``too_long``, ``too_deep``, ``too_large``,
        ``division_by_zero``, ``type``…).

    ``str(e)`` gives ``第 12 个字符：未知的名称「foo」`` (humans count from 1, so
    that is ``position == 11``); :meth:`describe` gives either language.
    """

    def __init__(
        self,
        message: str,
        *,
        message_en: str | None = None,
        position: int | None = None,
        source: str = "",
        code: str = "invalid",
    ):
        self.message = message
        self.message_en = message_en or message
        self.position = position
        self.source = source
        self.code = code
        super().__init__(self.describe("zh"))

    def describe(self, lang: str = "zh") -> str:
        """The message with its position, in ``"zh"`` or ``"en"``."""
        if lang == "en":
            if self.position is None:
                return self.message_en
            return f"at character {self.position + 1}: {self.message_en}"
        if self.position is None:
            return self.message
        return f"第 {self.position + 1} 个字符：{self.message}"

    def __str__(self) -> str:
        return self.describe("zh")


class _Fail(Exception):
    """Raised by value helpers, which do not know where they are; the compiled node
    that called them adds the position and source."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(zh)
        self.code, self.zh, self.en = code, zh, en

    def at(self, position: int | None, source: str) -> ExpressionError:
        return ExpressionError(
            self.zh, message_en=self.en, position=position, source=source, code=self.code
        )


# --------------------------------------------------------------------------- values

_NUMBER_TEXT = re.compile(
    r"([+-]?)((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)(%?)\Z"
)


def _number_from_text(text: str) -> Decimal | None:
    """``"1,234.50"`` → 1234.50, ``"25%"`` → 25, ``"１２"`` → 12; ``None`` if not a number.

    NFKC folds full-width digits, commas and percent signs, which Chinese input
    methods produce. Commas are only accepted as thousands separators, so "1,2" is
    not silently read as 12. A trailing % keeps the number the user typed.
    """
    if len(text) > 100:
        return None
    match = _NUMBER_TEXT.match(unicodedata.normalize("NFKC", text).strip())
    if not match:
        return None
    sign, digits, _percent = match.groups()
    return Decimal(sign + digits.replace(",", ""))


class _Missing:
    """The value of a blank that is what a score is computed from: not entered yet."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


#: What :func:`blank_value` returns for a blank that is scored on its own.
MISSING = _Missing()


def is_blank(value: object) -> bool:
    """Nothing entered: ``None``, or text of only spaces (``0`` is a value, not a blank)."""
    return value is None or (isinstance(value, str) and not value.strip())


def blank_value(value: object, scored: bool = False) -> object:
    """What a value stands for when it may be blank — the platform's one rule for blanks.

    *A blank that is one part of a sum or a formula counts 0*: computed fields, checks
    and scoring formulas add an empty sub-row as nothing, so the national table's
    年度资金总额 is right when its 上年结转资金 or 其他资金 row is empty (DOMAIN.md §8).
    *A blank that is itself what a leaf is scored on is missing* (``scored=True``): an
    actual value (实际完成值), a count, a tier, a score, or a scoring formula none of
    whose values was entered — the result is :data:`MISSING`, the leaf is not scored
    yet and the message names the value by its label. Anything not blank is returned
    unchanged. Written once here; docs/definitions.md ("Blank and zero") and
    docs/scoring.md (§2) describe it, :mod:`core.scoring.values` applies it.
    """
    if not is_blank(value):
        return value
    return MISSING if scored else _ZERO



def _check_magnitude(value: Decimal) -> Decimal:
    """Reject non-finite numbers and results beyond ±10**18; normalise -0 to 0."""
    if not value.is_finite() or value.copy_abs() > MAX_MAGNITUDE:
        raise _Fail("too_large", "结果过大（绝对值超过 10^18）",
                    "result too large (absolute value above 10^18)")
    if value.is_zero() and value.is_signed():
        return value.copy_abs()
    return value


def _to_number(value: object) -> Decimal:
    """The number a value stands for in arithmetic (empty → 0, bool → 1/0)."""
    if isinstance(value, Decimal):
        return _check_magnitude(value)
    if isinstance(value, bool):
        return _ONE if value else _ZERO
    if is_blank(value):
        return blank_value(value)  # a blank part of a sum is 0
    if isinstance(value, str):
        number = _number_from_text(value)
        if number is None:
            shown = value if len(value) <= 20 else value[:20] + "…"
            raise _Fail("type", f"「{shown}」不是数字", f"'{shown}' is not a number")
        return _check_magnitude(number)
    if isinstance(value, list):
        raise _Fail("type", "列表不能直接参与运算（请使用 sum、min、max 或 count）",
                    "a list cannot be used in arithmetic (use sum, min, max or count)")
    raise _Fail("type", "不是数字", "not a number")


def _coerce_variable(value: object, nested: bool = False) -> object:
    """Turn a caller's value into a language value (numbers become Decimal)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _Fail("type", "数值无效（NaN 或无穷大）", "invalid number (NaN or infinity)")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Fail("type", "数值无效（NaN 或无穷大）", "invalid number (NaN or infinity)")
        # str() gives the shortest repr, so 10.09 stays 10.09 instead of
        # 10.0899999999999998578914528479799628257751464843750.
        return Decimal(str(value))
    if isinstance(value, (list, tuple)) and not nested:
        return [_coerce_variable(item, nested=True) for item in value]
    kind = type(value).__name__
    raise _Fail("type", f"不支持的值类型 {kind}", f"unsupported value type {kind}")


def _truthy(value: object) -> bool:
    if is_blank(value):
        return False
    return bool(value)


# ------------------------------------------------------------------------ operators


def _add(a: object, b: object) -> Decimal:
    return _check_magnitude(_CTX.add(_to_number(a), _to_number(b)))


def _sub(a: object, b: object) -> Decimal:
    return _check_magnitude(_CTX.subtract(_to_number(a), _to_number(b)))


def _mul(a: object, b: object) -> Decimal:
    return _check_magnitude(_CTX.multiply(_to_number(a), _to_number(b)))


def _divisor(b: object) -> Decimal:
    number = _to_number(b)
    if number.is_zero():
        raise _Fail("division_by_zero", "除数为零", "division by zero")
    return number


def _div(a: object, b: object) -> Decimal:
    divisor = _divisor(b)
    return _check_magnitude(_CTX.divide(_to_number(a), divisor))


def _floordiv(a: object, b: object) -> Decimal:
    # Decimal's // truncates toward zero; users expect Python's floor (-7 // 2 == -4).
    divisor = _divisor(b)
    quotient, remainder = _CTX.divmod(_to_number(a), divisor)
    if not remainder.is_zero() and remainder.is_signed() != divisor.is_signed():
        quotient = _CTX.subtract(quotient, _ONE)
    return _check_magnitude(quotient)


def _mod(a: object, b: object) -> Decimal:
    # Python semantics: the remainder has the divisor's sign (-7 % 3 == 2).
    divisor = _divisor(b)
    remainder = _CTX.remainder(_to_number(a), divisor)
    if not remainder.is_zero() and remainder.is_signed() != divisor.is_signed():
        remainder = _CTX.add(remainder, divisor)
    return _check_magnitude(remainder)


def _pow(a: object, b: object) -> Decimal:
    base, exponent = _to_number(a), _to_number(b)
    if exponent != exponent.to_integral_value():
        raise _Fail("not_allowed", "指数必须是整数", "the exponent must be an integer")
    if exponent.copy_abs() > MAX_EXPONENT:
        raise _Fail("too_large", f"指数过大（绝对值最多 {MAX_EXPONENT}）",
                    f"exponent too large (at most {MAX_EXPONENT} in absolute value)")
    if base.copy_abs() >= MAX_POWER_BASE:
        raise _Fail("too_large", "乘方的底数过大（绝对值须小于 10^12）",
                    "base of a power too large (must be below 10^12)")
    n = int(exponent)
    if n == 0:
        return _ONE  # Decimal calls 0 ** 0 undefined; Python and users say 1.
    if base.is_zero() and n < 0:
        raise _Fail("division_by_zero", "除数为零（0 的负数次方）",
                    "division by zero (0 to a negative power)")
    return _check_magnitude(_CTX.power(base, n))


_BINARY_OPS: dict[type, tuple[str, Callable[[object, object], object]]] = {
    ast.Add: ("+", _add),
    ast.Sub: ("-", _sub),
    ast.Mult: ("*", _mul),
    ast.Div: ("/", _div),
    ast.FloorDiv: ("//", _floordiv),
    ast.Mod: ("%", _mod),
    ast.Pow: ("**", _pow),
}
_OTHER_OPERATORS = {
    ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|",
    ast.BitXor: "^", ast.BitAnd: "&", ast.Invert: "~",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
}


def _numeric_pair(a: object, b: object) -> tuple[object, object]:
    """Operands for an ordering comparison: two non-numeric strings compare as text
    (ISO dates sort correctly); anything else compares as numbers."""
    if isinstance(a, str) and isinstance(b, str) and not (is_blank(a) or is_blank(b)):
        na, nb = _number_from_text(a), _number_from_text(b)
        if na is None or nb is None:
            return a, b
        return na, nb
    return _to_number(a), _to_number(b)


def _equal(a: object, b: object) -> bool:
    """``==``: empty values (None, "") equal each other; a number equals a string
    that reads as the same number; otherwise plain equality."""
    if is_blank(a) or is_blank(b):
        return is_blank(a) and is_blank(b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, str) or isinstance(b, str):
        text, other = (a, b) if isinstance(a, str) else (b, a)
        if not isinstance(other, (Decimal, bool)):
            return False
        number = _number_from_text(text)
        return number is not None and number == other
    return a == b


def _lt(a, b):
    a, b = _numeric_pair(a, b)
    return a < b


def _le(a, b):
    a, b = _numeric_pair(a, b)
    return a <= b


def _gt(a, b):
    a, b = _numeric_pair(a, b)
    return a > b


def _ge(a, b):
    a, b = _numeric_pair(a, b)
    return a >= b


_COMPARE_OPS = {
    ast.Eq: _equal,
    ast.NotEq: lambda a, b: not _equal(a, b),
    ast.Lt: _lt,
    ast.LtE: _le,
    ast.Gt: _gt,
    ast.GtE: _ge,
}


# ------------------------------------------------------------------------ functions


def _items(args: list) -> list:
    """``f([a, b])`` and ``f(a, b)`` mean the same for the aggregate functions."""
    if len(args) == 1 and isinstance(args[0], list):
        return args[0]
    return args


def _fn_min(*args):
    return _extreme("min", args, min)


def _fn_max(*args):
    return _extreme("max", args, max)


def _extreme(name: str, args: tuple, pick: Callable) -> Decimal:
    items = _items(list(args))
    if not items:
        raise _Fail("type", f"{name}() 至少需要一个值", f"{name}() needs at least one value")
    return pick(_to_number(item) for item in items)


def _fn_sum(*args):
    total = _ZERO
    for item in _items(list(args)):
        total = _check_magnitude(_CTX.add(total, _to_number(item)))
    return total


def _fn_count(*args):
    """Count items that are filled in: None, blank strings and empty lists are not;
    0 and false are values and do count."""
    items = _items(list(args))
    return Decimal(sum(1 for item in items if not is_blank(item) and item != []))


def _fn_abs(value):
    return _CTX.abs(_to_number(value))


def _fn_len(value):
    if is_blank(value):
        return _ZERO
    if isinstance(value, (str, list)):
        return Decimal(len(value))
    raise _Fail("type", "len() 需要文本或列表", "len() needs text or a list")


def _fn_round(value, ndigits=_ZERO):
    """Round half up (2.675 → 2.68, as accountants do), returning a Decimal."""
    number = _to_number(value)
    places = _to_number(ndigits)
    if places != places.to_integral_value() or places.copy_abs() > MAX_ROUND_DIGITS:
        raise _Fail("type", f"round() 的位数必须是 -{MAX_ROUND_DIGITS} 到 {MAX_ROUND_DIGITS} 之间的整数",
                    f"round() digits must be an integer from -{MAX_ROUND_DIGITS} to {MAX_ROUND_DIGITS}")
    n = int(places)
    if n >= 0:
        return number.quantize(_ONE.scaleb(-n), rounding=ROUND_HALF_UP, context=_CTX)
    factor = _CTX.power(Decimal(10), -n)
    whole = _CTX.divide(number, factor).quantize(_ONE, rounding=ROUND_HALF_UP, context=_CTX)
    return _check_magnitude(_CTX.multiply(whole, factor))


_FUNCTIONS: dict[str, Callable] = {
    "min": _fn_min,
    "max": _fn_max,
    "sum": _fn_sum,
    "count": _fn_count,
    "abs": _fn_abs,
    "len": _fn_len,
    "round": _fn_round,
}


# ------------------------------------------------------------------------ pre-pass


def _bad_character(char: str, position: int, source: str) -> ExpressionError:
    folded = unicodedata.normalize("NFKC", char)
    if folded.isascii() and folded.isprintable() and folded.strip():
        zh = f"不允许的字符「{char}」，请使用半角字符「{folded}」"
        en = f"character '{char}' is not allowed; use the half-width '{folded}'"
    else:
        shown = char if char.isprintable() else f"U+{ord(char):04X}"
        zh, en = f"不允许的字符「{shown}」", f"character '{shown}' is not allowed"
    return ExpressionError(zh, message_en=en, position=position, source=source, code="syntax")


def _check_characters(source: str) -> None:
    """Control characters (and lone surrogates) have no business in an expression;
    rejecting them also keeps Python's line/offset arithmetic simple (only \\n)."""
    for position, char in enumerate(source):
        code = ord(char)
        if (code < 32 and char not in "\t\n") or code == 127 or 0xD800 <= code <= 0xDFFF:
            raise _bad_character(char, position, source)


def _string_end(source: str, start: int) -> int | None:
    """Index just past the string literal opening at ``start``; None if unterminated."""
    quote = source[start]
    triple = source.startswith(quote * 3, start)
    i = start + (3 if triple else 1)
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if triple and source.startswith(quote * 3, i):
            return i + 3
        if not triple and char == quote:
            return i + 1
        if not triple and char == "\n":
            return None
        i += 1
    return None


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _prepare(source: str) -> str:
    """Check characters and bracket nesting, and rewrite ``if(`` to the private name.

    Scans like Python's tokenizer where it matters: string literals (including
    triple-quoted and prefixed ones) are skipped, so ``'if('`` inside a string is
    left alone and quotes inside strings do not confuse the bracket count.
    """
    out = list(source)
    depth = 0
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char in "'\"":
            end = _string_end(source, i)
            if end is None:
                break  # unterminated: let ast.parse report it precisely
            i = end
            continue
        if _is_word_char(char):
            j = i
            while j < n and _is_word_char(source[j]):
                j += 1
            if source[i:j] == "if":
                k = j
                while k < n and source[k] in " \t\n":
                    k += 1
                if k < n and source[k] == "(":
                    out[i:j] = _IF_NAME
            i = j
            continue
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExpressionError(
                    f"嵌套过深（括号最多 {MAX_DEPTH} 层）",
                    message_en=f"nested too deeply (at most {MAX_DEPTH} levels of brackets)",
                    position=i, source=source, code="too_deep")
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == "#":
            raise ExpressionError("不支持注释「#」", message_en="comments ('#') are not supported",
                                  position=i, source=source, code="syntax")
        elif not char.isascii():
            raise _bad_character(char, i, source)
        i += 1
    return "".join(out)


# ------------------------------------------------------------------------ positions


class _Positions:
    """Map ast's (line, UTF-8 byte column) to 0-based character offsets."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")
        self.starts = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line) + 1
        self.encoded = [line.encode("utf-8") for line in self.lines]

    def at(self, lineno: int | None, col: int | None) -> int | None:
        if lineno is None or col is None or not 1 <= lineno <= len(self.lines):
            return None
        prefix = self.encoded[lineno - 1][:col].decode("utf-8", errors="ignore")
        return self.starts[lineno - 1] + len(prefix)

    def start(self, node: ast.AST) -> int | None:
        return self.at(getattr(node, "lineno", None), getattr(node, "col_offset", None))

    def end(self, node: ast.AST) -> int | None:
        return self.at(getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))

    def segment(self, node: ast.AST) -> str:
        start, end = self.start(node), self.end(node)
        return self.text[start:end] if start is not None and end is not None else ""


# -------------------------------------------------------------------------- parsing

_SYNTAX_MESSAGES = (
    ("was never closed", "括号没有闭合", "a bracket is never closed"),
    ("unmatched", "多余的右括号", "unmatched closing bracket"),
    ("does not match", "括号不匹配", "brackets do not match"),
    ("unterminated string", "字符串缺少结束引号", "unterminated string"),
    ("unterminated triple-quoted", "字符串缺少结束引号", "unterminated string"),
    ("invalid decimal literal", "无效的数字", "invalid number"),
    ("leading zeros", "数字不能以 0 开头", "numbers cannot start with 0"),
    ("expected 'else'", "不支持「… if … else …」，请使用 if(条件, 值1, 值2)",
     "use if(condition, a, b) instead of '… if … else …'"),
)


def _syntax_error(err: SyntaxError, source: str, positions: _Positions) -> ExpressionError:
    text = err.msg or "invalid syntax"
    zh, en = f"语法错误（{text}）", f"syntax error ({text})"
    for needle, zh_msg, en_msg in _SYNTAX_MESSAGES:
        if needle in text:
            zh, en = zh_msg, en_msg
            break
    else:
        if text.startswith("invalid syntax"):
            zh, en = "语法错误", "syntax error"
    position = None
    if err.lineno and err.offset and 1 <= err.lineno <= len(positions.lines):
        # SyntaxError.offset is 1-based and counts characters, not bytes.
        position = min(positions.starts[err.lineno - 1] + err.offset - 1, len(source))
    elif err.lineno:
        position = len(source)  # Python gives no column when input ends too early
    if position is not None and source.startswith(":=", position):
        zh, en = "不允许赋值「:=」", "assignment (':=') is not allowed"
    elif position is not None and source.startswith("=", position):
        zh, en = "不允许赋值「=」，比较是否相等请用「==」", "assignment ('=') is not allowed; compare with '=='"
    return ExpressionError(zh, message_en=en, position=position, source=source, code="syntax")


def _parse(text: str, source: str, positions: _Positions) -> ast.Expression:
    try:
        # Python warns about some odd input (e.g. "1if"); that is user text, not our
        # code, so keep it out of the logs. Errors are still raised.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise _syntax_error(err, source, positions) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("嵌套过深", message_en="nested too deeply",
                              source=source, code="too_deep") from None
    except (ValueError, Warning) as err:
        raise ExpressionError(f"语法错误（{err}）", message_en=f"syntax error ({err})",
                              source=source, code="syntax") from None


# --------------------------------------------------------------------- tree checks

_IGNORED_CHILDREN = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)

_NODE_MESSAGES: dict[type, tuple[str, str]] = {
    ast.Lambda: ("不允许使用 lambda", "lambda is not allowed"),
    ast.ListComp: ("不允许使用推导式", "comprehensions are not allowed"),
    ast.SetComp: ("不允许使用推导式", "comprehensions are not allowed"),
    ast.DictComp: ("不允许使用推导式", "comprehensions are not allowed"),
    ast.GeneratorExp: ("不允许使用推导式", "comprehensions are not allowed"),
    ast.JoinedStr: ("不允许使用 f-字符串", "f-strings are not allowed"),
    ast.FormattedValue: ("不允许使用 f-字符串", "f-strings are not allowed"),
    ast.NamedExpr: ("不允许赋值「:=」", "assignment (':=') is not allowed"),
    ast.IfExp: ("不支持「… if … else …」，请使用 if(条件, 值1, 值2)",
                "use if(condition, a, b) instead of '… if … else …'"),
    ast.Tuple: ("不允许使用元组，列表请用方括号 [a, b]", "tuples are not allowed; write lists as [a, b]"),
    ast.Dict: ("不允许使用字典", "dictionaries are not allowed"),
    ast.Set: ("不允许使用集合", "sets are not allowed"),
    ast.Starred: ("不允许使用「*」展开", "'*' unpacking is not allowed"),
    ast.Await: ("不允许使用 await", "await is not allowed"),
    ast.Yield: ("不允许使用 yield", "yield is not allowed"),
    ast.YieldFrom: ("不允许使用 yield", "yield is not allowed"),
    ast.Slice: ("不允许使用切片", "slices are not allowed"),
}

_Problem = tuple  # (position, code, zh, en)


def _dunder_problem(name: str, position) -> _Problem:
    return (position, "not_allowed", f"不允许使用双下划线开头的名称「{name}」",
            f"names starting with '__' are not allowed ('{name}')")


def _literal_value(node: ast.Constant, positions: _Positions) -> Decimal:
    """The exact Decimal a numeric literal spells (its text, not Python's float)."""
    text = positions.segment(node).replace("_", "")
    if isinstance(node.value, int) and not text.isdigit():
        # No reliable text (should not happen); ints are exact anyway.
        return Decimal(node.value)
    return Decimal(text)


def _literal_problem(node: ast.Constant, positions: _Positions, position) -> _Problem | None:
    value = node.value
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    if isinstance(value, complex):
        return (position, "not_allowed", "不支持复数", "complex numbers are not supported")
    if not isinstance(value, (int, float)):
        return (position, "not_allowed", "不支持的常量", "unsupported constant")
    text = positions.segment(node).lower()
    if text[:2] in ("0x", "0o", "0b"):
        return (position, "not_allowed", "只支持十进制数字", "only decimal numbers are supported")
    mantissa = text.split("e")[0]
    if sum(ch.isdigit() for ch in mantissa) > MAX_DIGITS:
        return (position, "too_large", f"数字位数过多（最多 {MAX_DIGITS} 位）",
                f"number has too many digits (at most {MAX_DIGITS})")
    try:
        number = _literal_value(node, positions)
    except (ArithmeticError, ValueError):
        return (position, "syntax", "无效的数字", "invalid number")
    if not number.is_finite() or number.copy_abs() > MAX_MAGNITUDE:
        return (position, "too_large", "数字过大（绝对值超过 10^18）",
                "number too large (absolute value above 10^18)")
    return None


def _call_problem(node: ast.Call, positions: _Positions) -> _Problem | None:
    position = positions.start(node)
    func = node.func
    if not isinstance(func, ast.Name):
        return None  # the callee itself (attribute, lambda…) is reported on its own
    name = "if" if func.id == _IF_NAME else func.id
    if name.startswith("__"):
        return _dunder_problem(name, position)
    if name not in FUNCTION_NAMES:
        return (position, "unknown_function",
                f"未知的函数「{name}」（可用的函数：{_FUNCTION_LIST}）",
                f"unknown function '{name}' (available: {', '.join(sorted(FUNCTION_NAMES))})")
    for keyword in node.keywords:
        if name != "round" or keyword.arg != "ndigits":
            shown = keyword.arg or "**"
            return (positions.start(keyword), "not_allowed",
                    f"{name}() 不接受参数名「{shown}」", f"{name}() takes no argument '{shown}'")
    if name == "round" and not node.args:
        return (position, "arguments", "round() 的第一个参数必须是要取整的数",
                "round() needs the number to round as its first argument")
    count = len(node.args) + len(node.keywords)
    low, high = _ARITY[name]
    if count < low or (high is not None and count > high):
        if low == high:
            expected, expected_en = f" {low} 个", f"{low}"
        elif high is None:
            expected, expected_en = f"至少 {low} 个", f"at least {low}"
        else:
            expected, expected_en = f" {low} 到 {high} 个", f"{low} to {high}"
        return (position, "arguments", f"{name}() 需要{expected}参数，给了 {count} 个",
                f"{name}() takes {expected_en} arguments, {count} given")
    return None


def _node_problem(node: ast.AST, positions: _Positions) -> _Problem | None:
    """Why this node is not allowed, or None if it is (whitelist)."""
    position = positions.start(node)
    if isinstance(node, ast.Constant):
        return _literal_problem(node, positions, position)
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            return _dunder_problem(node.id, position)
        return None
    if isinstance(node, ast.Call):
        return _call_problem(node, positions)
    if isinstance(node, ast.Attribute):
        return (positions.end(node.value), "not_allowed", f"不允许访问属性「.{node.attr}」",
                f"attribute access ('.{node.attr}') is not allowed")
    if isinstance(node, ast.Subscript):
        return (positions.end(node.value), "not_allowed", "不允许使用下标「[…]」",
                "subscripts ('[…]') are not allowed")
    if isinstance(node, ast.BinOp):
        return _operator_problem(node.op, position) or _power_problem(node, positions)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            return None
        return _operator_problem(node.op, position)
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARE_OPS:
                return _operator_problem(op, position)
        return None
    if isinstance(node, (ast.BoolOp, ast.List)):
        return None
    zh, en = _NODE_MESSAGES.get(type(node), (f"不允许的语法（{type(node).__name__}）",
                                            f"construct not allowed ({type(node).__name__})"))
    return (position, "not_allowed", zh, en)


def _constant_number(node: ast.AST, positions: _Positions) -> Decimal | None:
    """The value of a numeric literal, optionally signed (``-3``); else None."""
    sign = 1
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if not (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)) or _literal_problem(node, positions, None):
        return None
    value = _literal_value(node, positions)
    return -value if sign < 0 else value


def _power_problem(node: ast.BinOp, positions: _Positions) -> _Problem | None:
    """Reject ``10 ** 100`` when it is written, not only when it is evaluated.

    The same limits are enforced again at evaluation time for operands that are
    not literals (``x ** n``, ``9 ** 9 ** 9``).
    """
    if not isinstance(node.op, ast.Pow):
        return None
    for operand in (node.left, node.right):
        value = _constant_number(operand, positions)
        if value is None:
            continue
        try:
            _pow(value if operand is node.left else _ONE, value if operand is node.right else _ONE)
        except _Fail as fail:
            return (positions.start(operand), fail.code, fail.zh, fail.en)
    return None


def _operator_problem(op: ast.AST, position) -> _Problem | None:
    if type(op) in _BINARY_OPS:
        return None
    symbol = _OTHER_OPERATORS.get(type(op), type(op).__name__)
    return (position, "not_allowed", f"不支持的运算符「{symbol}」", f"operator '{symbol}' is not supported")


def _check_tree(tree: ast.Expression, source: str, positions: _Positions) -> list[tuple[int | None, str]]:
    """Walk the tree once, iteratively (so no input can exhaust the stack), enforcing
    the node and depth limits and the whitelist. Returns the referenced names with
    their positions. The earliest problem in the text is the one reported.

    Depth counts nesting, not the length of a flat chain: ``a + b + c`` parses as
    ``((a + b) + c)`` but is compiled into a loop, so a left operand that continues
    the chain does not add a level. Long sums therefore hit the node limit, not the
    depth limit.
    """
    problems: list[_Problem] = []
    names: list[tuple[int | None, str]] = []
    stack = [(tree.body, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"表达式过于复杂（最多 {MAX_NODES} 个节点）",
                                  message_en=f"expression too complex (at most {MAX_NODES} nodes)",
                                  position=positions.start(node), source=source, code="too_complex")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"嵌套过深（最多 {MAX_DEPTH} 层）",
                                  message_en=f"nested too deeply (at most {MAX_DEPTH} levels)",
                                  position=positions.start(node), source=source, code="too_deep")
        problem = _node_problem(node, positions)
        if problem:
            # Report the outermost offence (".__bases__" rather than the "()" it
            # hangs off) and skip its insides, which may lack positions.
            problems.append(problem)
            continue
        if isinstance(node, ast.Name) and node.id not in _CONSTANT_NAMES:
            names.append((positions.start(node), node.id))
        for child in _children(node):
            continues_chain = isinstance(node, ast.BinOp) and child is node.left and isinstance(child, ast.BinOp)
            stack.append((child, depth if continues_chain else depth + 1))
    if problems:
        position, code, zh, en = min(problems, key=lambda p: len(source) if p[0] is None else p[0])
        raise ExpressionError(zh, message_en=en, position=position, source=source, code=code)
    return names


def _children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Call):
        # The callee of an allowed call is a function name, not a field reference.
        callee = [] if isinstance(node.func, ast.Name) else [node.func]
        return [*callee, *node.args, *(k.value for k in node.keywords)]
    return [c for c in ast.iter_child_nodes(node) if not isinstance(c, _IGNORED_CHILDREN)]


def _check_names(names, allowed: frozenset[str], source: str) -> None:
    unknown = sorted(((p if p is not None else -1), n) for p, n in names if n not in allowed)
    if not unknown:
        return
    position, first = unknown[0]
    distinct = list(dict.fromkeys(n for _, n in unknown))
    zh = "未知的名称" + "、".join(f"「{n}」" for n in distinct)
    en = "unknown name " + ", ".join(f"'{n}'" for n in distinct)
    close = difflib.get_close_matches(first, sorted(allowed), n=1)
    if close:
        zh += f"，是否指「{close[0]}」？"
        en += f"; did you mean '{close[0]}'?"
    raise ExpressionError(zh, message_en=en, position=None if position < 0 else position,
                          source=source, code="unknown_name")


# ------------------------------------------------------------------------ compiling

_Fn = Callable[[Mapping[str, object]], object]


class _Compiler:
    """Turn a checked tree into nested closures; each closure evaluates one node.

    Only reached after :func:`_check_tree`, so recursion here is bounded by
    ``MAX_DEPTH`` (flat chains are compiled with loops).
    """

    def __init__(self, source: str, positions: _Positions):
        self.source = source
        self.positions = positions

    def compile(self, node: ast.AST) -> _Fn:
        method = getattr(self, "_" + type(node).__name__)
        return method(node)

    def _Constant(self, node: ast.Constant) -> _Fn:
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = _literal_value(node, self.positions)
        return lambda env: value

    def _Name(self, node: ast.Name) -> _Fn:
        if node.id in _CONSTANT_NAMES:
            constant = _CONSTANT_NAMES[node.id]
            return lambda env: constant
        name, source, position = node.id, self.source, self.positions.start(node)

        def load(env):
            try:
                value = env[name]
            except KeyError:
                raise ExpressionError(f"未知的名称「{name}」", message_en=f"unknown name '{name}'",
                                      position=position, source=source, code="unknown_name") from None
            try:
                return _coerce_variable(value)
            except _Fail as fail:
                fail.zh, fail.en = f"「{name}」：{fail.zh}", f"'{name}': {fail.en}"
                raise fail.at(position, source) from None
        return load

    def _List(self, node: ast.List) -> _Fn:
        items = [self.compile(item) for item in node.elts]
        return lambda env: [item(env) for item in items]

    def _UnaryOp(self, node: ast.UnaryOp) -> _Fn:
        operand = self.compile(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda env: not _truthy(operand(env))
        negate = isinstance(node.op, ast.USub)
        source, position = self.source, self.positions.start(node)

        def unary(env):
            try:
                number = _to_number(operand(env))
                return _check_magnitude(_CTX.minus(number) if negate else _CTX.plus(number))
            except _Fail as fail:
                raise fail.at(position, source) from None
        return unary

    def _BinOp(self, node: ast.BinOp) -> _Fn:
        # Unroll the left spine ((a + b) - c) * d into a loop over (op, right) steps.
        steps = []
        while isinstance(node, ast.BinOp):
            steps.append((node.op, node.right))
            node = node.left
        first = self.compile(node)
        compiled = [
            (_BINARY_OPS[type(op)][1], self.compile(right), self.positions.start(right))
            for op, right in reversed(steps)
        ]
        source = self.source

        def binary(env):
            value = first(env)
            for operation, right, position in compiled:
                operand = right(env)
                try:
                    value = operation(value, operand)
                except _Fail as fail:
                    raise fail.at(position, source) from None
                except ArithmeticError:
                    raise ExpressionError("数值超出范围", message_en="number out of range",
                                          position=position, source=source, code="too_large") from None
            return value
        return binary

    def _BoolOp(self, node: ast.BoolOp) -> _Fn:
        operands = [self.compile(value) for value in node.values]
        if isinstance(node.op, ast.And):
            return lambda env: all(_truthy(operand(env)) for operand in operands)
        return lambda env: any(_truthy(operand(env)) for operand in operands)

    def _Compare(self, node: ast.Compare) -> _Fn:
        first = self.compile(node.left)
        steps = [
            (_COMPARE_OPS[type(op)], self.compile(right), self.positions.start(right))
            for op, right in zip(node.ops, node.comparators)
        ]
        source = self.source

        def compare(env):
            left = first(env)
            for operation, right_fn, position in steps:
                right = right_fn(env)
                try:
                    if not operation(left, right):
                        return False
                except _Fail as fail:
                    raise fail.at(position, source) from None
                except TypeError:
                    raise ExpressionError("无法比较这两个值", message_en="these values cannot be compared",
                                          position=position, source=source, code="type") from None
                left = right
            return True
        return compare

    def _Call(self, node: ast.Call) -> _Fn:
        name = "if" if node.func.id == _IF_NAME else node.func.id
        args = [self.compile(arg) for arg in node.args]
        args += [self.compile(keyword.value) for keyword in node.keywords]  # only round's ndigits
        if name == "if":
            condition, then, otherwise = args
            # Lazy: only the chosen branch runs, so if(budget > 0, x / budget, 0) is safe.
            return lambda env: then(env) if _truthy(condition(env)) else otherwise(env)
        function, source, position = _FUNCTIONS[name], self.source, self.positions.start(node)

        def call(env):
            values = [arg(env) for arg in args]
            try:
                return function(*values)
            except _Fail as fail:
                raise fail.at(position, source) from None
            except ArithmeticError:
                raise ExpressionError(f"{name}() 的结果超出范围", message_en=f"{name}() out of range",
                                      position=position, source=source, code="too_large") from None
        return call


# ----------------------------------------------------------------------- public API


class Expression:
    """A compiled expression: parse once, evaluate many times.

    Immutable. ``names`` holds the field ids the expression references (for
    dependency ordering of computed fields, and for validating definitions).
    """

    __slots__ = ("source", "names", "_fn")

    source: str
    names: frozenset[str]

    def __init__(self, source: str, names: frozenset[str], fn: _Fn):
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "_fn", fn)

    def __setattr__(self, key, value):
        raise AttributeError("Expression is immutable")

    def __delattr__(self, key):
        raise AttributeError("Expression is immutable")

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Expression) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def evaluate(self, variables: Mapping[str, object]) -> object:
        """Evaluate with ``variables`` (field id → value).

        Returns a Decimal (arithmetic), bool (comparisons, and/or/not), str, None or
        list. Raises :class:`ExpressionError` for unknown variables, division by
        zero, values that are not numbers where numbers are needed, results beyond
        10**18 — never another exception type for bad data.
        """
        try:
            return self._fn(variables)
        except ExpressionError:
            raise
        except (ArithmeticError, TypeError, ValueError, RecursionError) as err:
            raise ExpressionError(f"无法计算（{type(err).__name__}）",
                                  message_en=f"cannot evaluate ({type(err).__name__})",
                                  source=self.source, code="evaluation") from None


def compile_expression(source: str, allowed_names: Iterable[str] | None = None) -> Expression:
    """Compile ``source`` into an :class:`Expression`.

    :param allowed_names: if given, every field id the expression references must be
        in it (checked now, at compile time, with a "did you mean" hint).
    :raises ExpressionError: syntax errors, constructs outside the language, unknown
        names or functions, and exceeded limits — always with a position when one
        applies. Nothing else is raised, whatever the input.
    """
    if not isinstance(source, str):
        raise ExpressionError("表达式必须是文本", message_en="an expression must be text", code="type")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"表达式过长（{len(source)} 个字符，最多 {MAX_LENGTH} 个）",
                              message_en=f"expression too long ({len(source)} characters, at most {MAX_LENGTH})",
                              source=source, code="too_long")
    if not source.strip():
        raise ExpressionError("表达式为空", message_en="the expression is empty", source=source, code="syntax")
    _check_characters(source)
    text = _prepare(source)
    positions = _Positions(text)
    tree = _parse(text, source, positions)
    names = _check_tree(tree, source, positions)
    if allowed_names is not None:
        _check_names(names, frozenset(allowed_names), source)
    fn = _Compiler(source, positions).compile(tree.body)
    return Expression(source, frozenset(name for _, name in names), fn)


@lru_cache(maxsize=1024)
def _compile_cached(source: str) -> Expression:
    return compile_expression(source)


def evaluate(source: str, variables: Mapping[str, object]) -> object:
    """Compile (cached, LRU of 1024 sources) and evaluate ``source`` in one call."""
    if not isinstance(source, str):
        raise ExpressionError("表达式必须是文本", message_en="an expression must be text", code="type")
    return _compile_cached(source).evaluate(variables)
