"""Target values (指标值) of performance indicators: parse, compare, describe.

A goal form's level-3 indicator rows carry a *target value* typed by a person:
``≥90%``, ``< 2208 人``, ``三次``, ``8月31日前``, ``及时``,
``按照市总相关文件执行`` … (see ``../shared/DOMAIN.md`` §2). This module turns
such text into a :class:`Target` that scoring, monitoring and the goal-quality
rules can use, or raises :class:`TargetParseError` with a Chinese message that
says what is wrong and what to write instead.

Design notes (why it looks like this):

* It is a small hand-written scanner over at most 200 characters; the few regular
  expressions have no nested quantifiers, so run time is linear and hostile input
  cannot cause catastrophic backtracking.
* Normalisation maps characters one to one (full-width ``＞`` → ``>``, ``％`` →
  ``%``, ``≧`` → ``≥`` …), so every index in the normalised text is also an index
  in the text the user typed; error positions point at what the user sees.
* A number written without a comparator (``100%``, ``三次``) gets the comparator
  ``=`` and, unless it is zero, the direction ``positive``: in national practice
  such a target means "reach this" (DOMAIN.md §8), so exceeding it also meets it.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.definitions.errors import Problem

__all__ = [
    "MAX_LENGTH",
    "Target",
    "TargetParseError",
    "parse_target",
    "parse_actual",
    "restated_target",
    "meets",
]

#: Longest accepted target text (after stripping); longer text is an explanation,
#: not a value, and belongs in 指标值确定依据 or 绩效指标描述.
MAX_LENGTH = 200

#: A percentage above this is certainly a typing error.
MAX_PERCENT = Decimal(1000)

EXAMPLES_ZH = "例如「≥90%」「< 5 次」「2208 人」「8月31日前」或「及时」"


class TargetParseError(ValueError):
    """A target value that cannot be understood.

    :ivar message: Chinese text: what is wrong and what to write instead.
    :ivar position: index of the offending character in the text as passed.
    """

    def __init__(self, message: str, position: int = 0):
        super().__init__(message)
        self.message = message
        self.position = position

    def to_problem(self, path: str) -> Problem:
        """This error as a :class:`~core.definitions.errors.Problem` at ``path``."""
        return Problem(path=path, message=self.message, code="target")


@dataclass(frozen=True)
class Target:
    """A parsed target value.

    ``recognized`` is meaningful for qualitative targets (a known achievement word
    such as ``及时`` versus free text such as ``劳务派遣人员``); numeric and
    deadline targets are always ``recognized``.
    """

    raw: str
    comparator: str | None
    value: Decimal | None
    unit: str | None
    direction: str
    deadline: tuple[int, int] | None
    qualitative: bool
    recognized: bool
    note: str | None = None

    @property
    def is_upper_bound_only(self) -> bool:
        """True for ``<`` and ``<=``: the target caps the value but asks for nothing."""
        return self.comparator in ("<", "<=")

    def describe(self, lang: str = "zh") -> str:
        """A short human text, e.g. ``不低于90%`` / ``at least 90%``."""
        zh = not lang or lang.lower().startswith("zh")
        if self.direction == "deadline" and self.deadline:
            month, day = self.deadline
            return f"{month}月{day}日前" if zh else f"by {_MONTHS_EN[month - 1]} {day}"
        if self.qualitative:
            if self.recognized:
                return f"定性目标：{self.raw}" if zh else f"qualitative: {self.raw}"
            return f"不是指标值：{self.raw}" if zh else f"not a target value: {self.raw}"
        number = _format_decimal(self.value) + (self.unit or "")
        if self.direction == "equal":
            return f"为{number}" if zh else f"exactly {number}"
        if zh:
            return f"{_OP_ZH[self.comparator]}{number}"
        return f"{_OP_EN[self.comparator]} {number}"


_OP_ZH = {">=": "不低于", ">": "高于", "<=": "不高于", "<": "低于", "=": "达到"}
_OP_EN = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than", "=": "reach"}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --------------------------------------------------------------------------------
# Normalisation: one character in, one character out (positions are preserved).

def _build_char_map() -> dict[int, str]:
    table = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}  # full-width ASCII
    table.update({
        0x3000: " ",            # ideographic space
        ord("≧"): "≥", ord("≦"): "≤", ord("⩾"): "≥", ord("⩽"): "≤",
        ord("﹥"): ">", ord("﹤"): "<", ord("﹦"): "=",
        ord("−"): "-", ord("–"): "-", ord("﹣"): "-",
        ord("﹪"): "%",
    })
    return table


_CHAR_MAP = _build_char_map()


def _normalise(text: str) -> str:
    return text.translate(_CHAR_MAP)


# --------------------------------------------------------------------------------
# Vocabulary (data, not code).

#: Symbolic comparators; two-character ASCII forms are read first.
_SYMBOL_COMPARATORS_2 = {">=": ">=", "<=": "<=", "=>": ">=", "=<": "<="}
_SYMBOL_COMPARATORS_1 = {"≥": ">=", "≤": "<=", ">": ">", "<": "<", "=": "="}

#: Comparator words written directly before the number (longest first).
_WORD_COMPARATORS = tuple(sorted({
    "大于或等于": ">=", "大于等于": ">=", "不低于": ">=", "不少于": ">=", "不小于": ">=",
    "不得低于": ">=", "不得少于": ">=", "至少": ">=", "达到": "=",
    "小于或等于": "<=", "小于等于": "<=", "不高于": "<=", "不超过": "<=", "不多于": "<=",
    "不大于": "<=", "不得超过": "<=", "不得高于": "<=", "至多": "<=", "最多": "<=",
    "控制在": "<=",
    "高于": ">", "大于": ">", "超过": ">", "多于": ">",
    "低于": "<", "小于": "<", "少于": "<",
    "等于": "=",
}.items(), key=lambda item: -len(item[0])))

#: Words after the number that set the comparator when none was written.
_SUFFIX_COMPARATORS = (
    ("及以上", ">="), ("或以上", ">="), ("以上", ">="),
    ("及以下", "<="), ("或以下", "<="), ("以下", "<="), ("以内", "<="), ("之内", "<="),
    ("内", "<="),
)

#: Units (longest first so that 万元 wins over 万 and 人次 over 人).
_UNITS = tuple(sorted({
    "%", "‰", "个百分点", "百分点",
    "万人次", "人次", "万人", "人", "户次", "户", "次", "万户",
    "亿元", "万元", "千元", "元", "亿", "万",
    "个工作日", "工作日", "个月", "天", "日", "周", "月", "年", "小时", "分钟",
    "个", "项", "件", "份", "家", "场", "期", "篇", "所", "台", "套", "辆", "名", "位",
    "批", "座", "处", "条", "本", "册", "张", "部", "类", "床", "间", "栋", "课时", "学时",
    "平方公里", "平方米", "公里", "千米", "米", "亩", "吨", "千克", "公斤", "㎡",
    "km", "kg", "m", "分", "倍", "级",
}, key=lambda unit: -len(unit)))

#: Achievement words and modifiers. A qualitative target made only of these is a
#: recognised achievement phrase (及时, 有效, 按月支付, 足额发放, 达到预期目标 …).
_ACHIEVEMENT_WORDS = frozenset({
    "及时", "有效", "按时", "按期", "按月", "按季", "按季度", "按年", "按规定", "按要求",
    "按计划", "按标准", "按进度", "足额", "全额", "支付", "发放", "拨付", "缴纳", "兑现",
    "完成", "到位", "达标", "合格", "达到", "实现", "落实", "执行", "保障", "提升", "提高",
    "改善", "增强", "增加", "减少", "降低", "下降", "明显", "显著", "逐步", "持续", "稳步",
    "稳定", "进一步", "有所", "大幅", "良好", "较好", "优秀", "优良", "正常", "运转",
    "规范", "全部", "全面", "基本", "覆盖", "全覆盖", "是", "否", "无", "有", "好", "高",
    "满意", "安全", "不断", "得到", "缓解", "有序", "顺利", "准确", "健全", "完善", "符合",
    "要求", "规定", "标准", "预期", "目标", "计划", "效果", "成效", "的", "及", "和", "并",
    "且", "已", "十分", "非常", "较为", "比较",
})
_MAX_WORD = max(len(word) for word in _ACHIEVEMENT_WORDS)

#: A target starting with one of these refers to a rule or document
#: (按照市总相关文件执行): a recognised qualitative target even if it holds numbers.
_POLICY_PREFIXES = ("严格按照", "严格执行", "按照", "依照", "依据", "根据", "参照", "遵照", "遵循")

_PUNCTUATION = frozenset(" \t\r\n,.;:!?、，。；：！？()（）[]【】《》<>\"'“”‘’/-~·…")

_ARABIC = re.compile(r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?", re.ASCII)
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_CHARS = frozenset(_CN_DIGITS) | frozenset(_CN_SMALL_UNITS) | {"万"}

_CN_NUM = "[0-9一二三四五六七八九十]{1,3}"
# Anchored, no nested quantifiers: linear time.
_DEADLINE = re.compile(
    r"(?:于|在)?\s*(?:([0-9]{4})\s*年\s*)?(" + _CN_NUM + r")\s*月\s*"
    r"(?:(" + _CN_NUM + r")\s*[日号]|(底|末))\s*(?:之前|以前|前)?"
)
_YEAR_END = re.compile(r"(?:于|在)?\s*(?:本?年底|年末|年内|本年度内|年度内)\s*(?:之前|以前|前)?")


# --------------------------------------------------------------------------------
# Public API

def parse_target(text: str) -> Target:
    """Parse a target value (指标值) as typed into a goal form.

    :raises TargetParseError: empty text, text over 200 characters, a comparator
        without a number, two comparators, a number range, a negative number, a
        percentage over 1000, or an impossible date.
    """
    if not isinstance(text, str):
        raise TargetParseError("指标值必须是文字。请填写" + EXAMPLES_ZH + "。", 0)
    lead = len(text) - len(text.lstrip())
    raw = text.strip()
    if not raw:
        raise TargetParseError("指标值为空。请填写目标值，" + EXAMPLES_ZH + "。", 0)
    if len(raw) > MAX_LENGTH:
        raise TargetParseError(
            f"指标值过长（{len(raw)} 个字符，最多 {MAX_LENGTH} 个）。请只写目标值，"
            f"{EXAMPLES_ZH}；说明文字请写入「绩效指标描述」或「指标值确定依据」。",
            lead + MAX_LENGTH,
        )
    try:
        return _parse(raw, _normalise(raw))
    except TargetParseError as error:
        raise TargetParseError(error.message, error.position + lead) from None


def parse_actual(text: str) -> Decimal | None:
    """The number in an actual value (实际完成值) as written in the seeds.

    ``"2185 人"`` → 2185, ``"95.39%"`` → 95.39, ``"三次"`` → 3, ``"及时 100%"`` → 100,
    ``"100%到位"`` → 100. Returns ``None`` when there is no number (``"有效"``) or the
    text is a date (``"8月25日"``: a date is not a quantity). Negative numbers are
    kept (a cost saving rate can be negative).

    :raises TargetParseError: only for text over 200 characters.
    """
    if text is None:
        return None
    raw = str(text).strip()
    if not raw:
        return None
    if len(raw) > MAX_LENGTH:
        raise TargetParseError(
            f"实际完成值过长（{len(raw)} 个字符，最多 {MAX_LENGTH} 个）。请只写数值，例如「2185 人」「95.39%」。",
            MAX_LENGTH,
        )
    s = _normalise(raw)
    if _DEADLINE.match(s) or _YEAR_END.match(s):
        return None
    found = _find_number(s, 0, require_cn_unit=True)
    if found is None:
        return None
    value, start, _end = found
    sign = _sign_before(s, start)
    return -value if sign is not None else value


def restated_target(text: str) -> Target | None:
    """The bound an actual value (实际完成值) states instead of a measurement, if it does.

    ``≥90%``, ``> 266米``, ``不低于90%``, ``95%以上``, ``<5次`` read as targets with a
    comparator: they repeat what was to be reached, not what was reached. Returns that
    reading (its ``comparator`` is ``>=``, ``>``, ``<=`` or ``<``), else ``None`` —
    ``2185 人``, ``100%到位``, ``0次`` and ``及时`` are measurements or judgements. The
    scoring engine refuses to score such an actual (core/scoring/indicator.py).
    """
    if not isinstance(text, str) or not text.strip() or len(text.strip()) > MAX_LENGTH:
        return None
    try:
        target = parse_target(text)
    except TargetParseError:
        return None
    if target.qualitative or target.value is None or target.comparator not in (">=", ">", "<=", "<"):
        return None
    return target


def meets(target: Target, actual: Decimal) -> bool:
    """Whether ``actual`` satisfies a numeric ``target``.

    ``>=``, ``>``, ``<=``, ``<`` compare as written. ``=`` follows the direction:
    ``equal`` (target 0, e.g. ``0 次``) is met when ``actual <= 0``; otherwise ``=``
    means "reach this" and is met when ``actual >= value`` (DOMAIN.md §8).

    :raises ValueError: for qualitative and deadline targets, which have no number
        to compare with (the evaluator judges them).
    """
    if target.qualitative or target.value is None or target.comparator is None:
        raise ValueError(f"指标值「{target.raw}」不是数值目标，不能与数值比较。")
    actual = actual if isinstance(actual, Decimal) else Decimal(str(actual))
    value = target.value
    op = target.comparator
    if op == ">=":
        return actual >= value
    if op == ">":
        return actual > value
    if op == "<=":
        return actual <= value
    if op == "<":
        return actual < value
    if target.direction == "equal":
        return actual <= value
    return actual >= value


# --------------------------------------------------------------------------------
# The scanner

def _parse(raw: str, s: str) -> Target:
    comparators = _symbol_comparators(s)
    if len(comparators) > 1:
        (_, _, first), (pos, _, second) = comparators[0], comparators[1]
        raise TargetParseError(
            f"指标值中有两个比较符号（「{first}」和「{second}」）。一个指标值只能有一个比较符号；"
            "如需区间，请拆成两个指标，例如「≥90%」和「≤100%」。",
            pos,
        )
    if comparators:
        return _parse_with_symbol(raw, s, comparators[0])

    compact = _strip_spaces(s)
    if compact.startswith(_POLICY_PREFIXES):
        return _qualitative(raw, recognized=True)
    deadline = _parse_deadline(raw, s, 0)
    if deadline is not None:
        return deadline
    found = _find_number_candidate(s)
    if found is None:
        return _qualitative(raw, recognized=_is_achievement_phrase(s))
    start, value, end = found
    _reject_negative(s, start)
    prefix = s[:start].rstrip()
    comparator = None
    word = _ends_with_word_comparator(prefix)
    if word is not None:
        comparator = word[1]
        prefix = prefix[: len(prefix) - len(word[0])]
    return _finish_number(raw, s, comparator, value, start, end, prefix)


def _parse_with_symbol(raw: str, s: str, comparator: tuple[int, int, str]) -> Target:
    pos, length, symbol = comparator
    op = _SYMBOL_COMPARATORS_2.get(symbol) or _SYMBOL_COMPARATORS_1[symbol]
    prefix = s[:pos].rstrip()
    word = _ends_with_word_comparator(prefix)
    if word is not None:
        raise TargetParseError(
            f"指标值中有两个比较符号（「{word[0]}」和「{symbol}」）。请只保留一个，例如「≥90%」。",
            pos,
        )
    i = _skip_spaces(s, pos + length)
    deadline = _parse_deadline(raw, s, i)
    if deadline is not None:
        if op in ("<", "<="):
            return deadline
        raise TargetParseError(
            f"日期不能与「{symbol}」一起用。截止时间请写成「8月31日前」。", pos)
    _reject_negative(s, i)
    number = _read_number(s, i)
    if number is None:
        raise TargetParseError(
            f"比较符号「{symbol}」后面缺少数字。请写成「{symbol}90%」「{symbol}5 次」这样的形式，"
            "或去掉比较符号写定性目标（如「及时」）。",
            i,
        )
    value, end = number
    return _finish_number(raw, s, op, value, i, end, prefix)


def _finish_number(raw: str, s: str, comparator: str | None, value: Decimal,
                   start: int, end: int, prefix: str) -> Target:
    """Read unit, suffix comparator and note after a number; validate; build."""
    unit = None
    if s.startswith("百分之", start):
        unit = "%"  # 百分之九十 was read as a number already
    i = _skip_spaces(s, end)
    if unit is None:
        read = _read_unit(s, i)
        if read is not None:
            unit, i = read
            i = _skip_spaces(s, i)
    _reject_range(s, start, i)
    if comparator is None:
        for word, op in _SUFFIX_COMPARATORS:
            if s.startswith(word, i):
                comparator = op
                i = _skip_spaces(s, i + len(word))
                break
    rest = s[i:].strip()
    if unit is None and rest:
        unit = _unit_from_note(rest, value)
    if unit == "%" and value > MAX_PERCENT:
        raise TargetParseError(
            f"百分比 {_format_decimal(value)}% 超过 1000%，应是笔误。请检查数值，例如「≥90%」。", start)
    if comparator is None:
        comparator = "="
    note = " ".join(part for part in (prefix.strip(), rest) if part) or None
    return Target(
        raw=raw,
        comparator=comparator,
        value=value,
        unit=unit,
        direction=_direction(comparator, value),
        deadline=None,
        qualitative=False,
        recognized=True,
        note=note,
    )


def _direction(comparator: str, value: Decimal) -> str:
    if comparator in (">=", ">"):
        return "positive"
    if comparator in ("<=", "<"):
        return "reverse"
    return "equal" if value == 0 else "positive"


def _qualitative(raw: str, recognized: bool) -> Target:
    return Target(raw=raw, comparator=None, value=None, unit=None, direction="qualitative",
                  deadline=None, qualitative=True, recognized=recognized, note=None)


# --------------------------------------------------------------------------------
# Pieces of the scanner

def _symbol_comparators(s: str) -> list[tuple[int, int, str]]:
    """Every comparator symbol as (position, length, symbol as normalised)."""
    found = []
    i = 0
    while i < len(s):
        pair = s[i:i + 2]
        if pair in _SYMBOL_COMPARATORS_2:
            found.append((i, 2, pair))
            i += 2
            continue
        if s[i] in _SYMBOL_COMPARATORS_1:
            found.append((i, 1, s[i]))
        i += 1
    return found


def _ends_with_word_comparator(prefix: str) -> tuple[str, str] | None:
    for word, op in _WORD_COMPARATORS:
        if prefix.endswith(word):
            return word, op
    return None


def _skip_spaces(s: str, i: int) -> int:
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def _strip_spaces(s: str) -> str:
    return "".join(ch for ch in s if not ch.isspace())


def _read_number(s: str, i: int) -> tuple[Decimal, int] | None:
    """An Arabic or Chinese number starting exactly at ``i``: (value, end)."""
    if i >= len(s):
        return None
    match = _ARABIC.match(s, i)
    if match:
        try:
            return Decimal(match.group().replace(",", "")), match.end()
        except InvalidOperation:  # pragma: no cover - the pattern only allows digits
            return None
    if s.startswith("百分之", i):
        inner = _read_cn_number(s, i + 3)
        if inner is None:
            inner_arabic = _ARABIC.match(s, i + 3)
            if inner_arabic is None:
                return None
            return Decimal(inner_arabic.group().replace(",", "")), inner_arabic.end()
        return inner
    return _read_cn_number(s, i)


def _read_cn_number(s: str, i: int) -> tuple[Decimal, int] | None:
    end = i
    while end < len(s) and s[end] in _CN_CHARS and end - i < 12:
        end += 1
    # Back off one character at a time: 三十次 is fine, but in 十一月 the scanner
    # should not swallow more than a well-formed numeral.
    while end > i:
        value = _cn_to_int(s[i:end])
        if value is not None:
            return Decimal(value), end
        end -= 1
    return None


def _cn_to_int(text: str) -> int | None:
    """Chinese numeral up to 万 (十, 二十, 一百二十三, 两, 三千零五, 一万二千); None if malformed."""
    total = 0        # completed 万 groups
    section = 0      # value below 万
    digit = None     # pending digit
    last_unit = 10 ** 9
    previous_zero = False
    seen_wan = False
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and not previous_zero:
                return None  # 二三: two digits in a row
            digit = _CN_DIGITS[ch]
            previous_zero = digit == 0
        elif ch in _CN_SMALL_UNITS:
            unit = _CN_SMALL_UNITS[ch]
            if unit >= last_unit:
                return None  # 十百: units must decrease
            if digit is None:
                if section or total:
                    return None  # 一百十 without 一 is not written
                digit = 1        # 十 = 10, 十五 = 15
            section += digit * unit
            last_unit = unit
            digit = None
            previous_zero = False
        else:  # 万
            if seen_wan:
                return None
            seen_wan = True
            section += digit or 0
            if section == 0:
                return None
            total = section * 10000
            section, digit, last_unit, previous_zero = 0, None, 10 ** 9, False
    return total + section + (digit or 0)


def _read_unit(s: str, i: int, strict: bool = False) -> tuple[str, int] | None:
    """A unit at ``i`` (``人``, ``%``, ``元 /人`` → ``元/人``): (unit, end)."""
    first = _read_simple_unit(s, i, strict)
    if first is None:
        return None
    unit, end = first
    j = _skip_spaces(s, end)
    if j < len(s) and s[j] == "/":
        second = _read_simple_unit(s, _skip_spaces(s, j + 1), strict)
        if second is not None:
            return unit + "/" + second[0], second[1]
    return unit, end


def _read_simple_unit(s: str, i: int, strict: bool) -> tuple[str, int] | None:
    for unit in _UNITS:
        if s.startswith(unit, i) and _unit_boundary(s, i + len(unit), unit, strict):
            return unit, i + len(unit)
    return None


def _unit_boundary(s: str, end: int, unit: str, strict: bool = False) -> bool:
    """A unit must not be the first character of a word: 人 in 人均标准 is no unit.

    Unless ``strict``, an achievement word may follow (``3次完成``); strict mode is
    for Chinese numerals, where 十分满意 ("very satisfied") is not 10 分.
    """
    if end >= len(s) or unit in ("%", "‰", "㎡"):
        return True
    nxt = s[end]
    if unit.isascii():
        return not (nxt.isascii() and nxt.isalpha())
    if nxt.isspace() or nxt in _PUNCTUATION or nxt.isdigit() or nxt == "%":
        return True
    if any(s.startswith(word, end) for word, _ in _SUFFIX_COMPARATORS):
        return True
    if s.startswith("左右", end):
        return True
    return not strict and _starts_with_achievement_word(s, end)


def _starts_with_achievement_word(s: str, i: int) -> bool:
    # Two characters at least: single characters (及, 的, 有) start too many words.
    return any(s[i:i + n] in _ACHIEVEMENT_WORDS for n in range(2, min(_MAX_WORD, len(s) - i) + 1))


def _unit_from_note(note: str, value: Decimal) -> str | None:
    """In ``≥200 人均标准 200 元 /人`` the unit is written in the note, after the same number."""
    pos = 0
    while pos < len(note):
        found = _find_number(note, pos, require_cn_unit=True)
        if found is None:
            return None
        number, _start, end = found
        if number == value:
            read = _read_unit(note, _skip_spaces(note, end))
            return read[0] if read else None
        pos = end
    return None


def _find_number(s: str, start: int, require_cn_unit: bool) -> tuple[Decimal, int, int] | None:
    """First number at or after ``start``: (value, start, end).

    Chinese numerals count only when followed by a unit (or the end of the text)
    when ``require_cn_unit``, so that 三大节日 or 统一 are not numbers.
    """
    i = start
    while i < len(s):
        ch = s[i]
        if "0" <= ch <= "9" or ch in _CN_CHARS or s.startswith("百分之", i):
            number = _read_number(s, i)
            if number is not None:
                value, end = number
                arabic = "0" <= ch <= "9" or s.startswith("百分之", i)
                if arabic or not require_cn_unit or _cn_is_quantity(s, end):
                    return value, i, end
                i = end
                continue
        i += 1
    return None


def _cn_is_quantity(s: str, end: int) -> bool:
    j = _skip_spaces(s, end)
    return j >= len(s) or _read_unit(s, j, strict=True) is not None


def _find_number_candidate(s: str) -> tuple[int, Decimal, int] | None:
    """The number a comparator-less target is about: (start, value, end).

    It is the first number that either carries a unit (``2208 人``, ``三次``) or
    opens the text after nothing but achievement words (``100``, ``及时 100%``).
    A stray number inside free text (冀财行【2021】102号) is not a target.
    """
    pos = 0
    while True:
        found = _find_number(s, pos, require_cn_unit=True)
        if found is None:
            return None
        value, start, end = found
        j = _skip_spaces(s, end)
        has_unit = s.startswith("百分之", start) or _read_unit(s, j) is not None
        prefix = s[:start].strip()
        if _ends_with_word_comparator(prefix) is not None:
            prefix = ""
        if prefix.endswith("-"):
            return start, value, end  # a negative number: rejected by the caller
        if has_unit or not prefix or _is_achievement_phrase(prefix):
            return start, value, end
        pos = end


def _sign_before(s: str, start: int) -> int | None:
    """Index of a minus sign directly before the number (not the dash of 1-2)."""
    j = start - 1
    while j >= 0 and s[j].isspace():
        j -= 1
    if j >= 0 and s[j] == "-":
        k = j - 1
        while k >= 0 and s[k].isspace():
            k -= 1
        if k < 0 or not ("0" <= s[k] <= "9" or s[k] in _CN_CHARS):
            return j
    return None


def _reject_negative(s: str, start: int) -> None:
    """Targets are magnitudes: ``≥-5`` or ``-5%`` is an error (say 降低 instead)."""
    sign = start if start < len(s) and s[start] == "-" else _sign_before(s, start)
    if sign is not None:
        raise TargetParseError(
            "目标值不能是负数。表示减少时请写正数和方向，例如「≤5 次」或「成本降低率 ≥5%」。", sign)


def _reject_range(s: str, start: int, i: int) -> None:
    """``5-10 个工作日``: a range cannot be compared with one comparator."""
    if i < len(s) and s[i] in "-~至到":
        j = _skip_spaces(s, i + 1)
        if j < len(s) and ("0" <= s[j] <= "9" or (s[j] in _CN_CHARS and s[i] in "-~")):
            raise TargetParseError(
                f"指标值「{s.strip()}」是一个区间，目标值只能有一个界限。请写「≥下限」或「≤上限」，"
                "或拆成两个指标，例如「≥5 个工作日」和「≤10 个工作日」。",
                i,
            )


def _parse_deadline(raw: str, s: str, i: int) -> Target | None:
    match = _DEADLINE.match(s, i)
    if match:
        year_text, month_text, day_text, end_word = match.groups()
        month = _small_int(month_text)
        if month is None or not 1 <= month <= 12:
            raise TargetParseError(f"月份「{month_text}」不存在。请写 1 到 12 月，例如「8月31日前」。",
                                   match.start(2))
        # Without a year, February has 28 days (the common case); with a year we know.
        year = int(year_text) if year_text else 2023
        if year_text and not 1900 <= year <= 2999:
            raise TargetParseError(f"年份「{year_text}」不合理。请写例如「2023年8月31日前」。",
                                   match.start(1))
        last = calendar.monthrange(year, month)[1]
        if end_word:
            day = last
        else:
            day = _small_int(day_text)
            if day is None or not 1 <= day <= last:
                raise TargetParseError(
                    f"日期「{month}月{day_text}日」不存在。请写有效日期，例如「{month}月{last}日前」。",
                    match.start(3))
        return _deadline(raw, (month, day), s[match.end():])
    match = _YEAR_END.match(s, i)
    if match:
        return _deadline(raw, (12, 31), s[match.end():])
    return None


def _deadline(raw: str, month_day: tuple[int, int], rest: str) -> Target:
    return Target(raw=raw, comparator=None, value=None, unit=None, direction="deadline",
                  deadline=month_day, qualitative=False, recognized=True,
                  note=rest.strip() or None)


def _small_int(text: str | None) -> int | None:
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    return _cn_to_int(text)


def _is_achievement_phrase(s: str) -> bool:
    """True when the text is made only of achievement words (及时, 按月支付 …)."""
    text = "".join(ch for ch in s if not ch.isspace() and ch not in _PUNCTUATION)
    if not text:
        return False
    # Word break by dynamic programming: linear in len(text) × longest word.
    reachable = [False] * (len(text) + 1)
    reachable[0] = True
    for i in range(len(text)):
        if not reachable[i]:
            continue
        for n in range(1, min(_MAX_WORD, len(text) - i) + 1):
            if text[i:i + n] in _ACHIEVEMENT_WORDS:
                reachable[i + n] = True
    return reachable[len(text)]


def _format_decimal(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
