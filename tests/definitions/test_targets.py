"""Tests for core.definitions.targets: every target string of DOMAIN.md §2 and the seeds."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.definitions.errors import Problem
from core.definitions.targets import Target, TargetParseError, meets, parse_actual, parse_target


def num(raw, comparator, value, unit, direction=None, note=None):
    """Expected numeric target."""
    if direction is None:
        direction = {">=": "positive", ">": "positive", "<=": "reverse", "<": "reverse",
                     "=": "equal" if D(value) == 0 else "positive"}[comparator]
    return Target(raw=raw, comparator=comparator, value=D(value), unit=unit, direction=direction,
                  deadline=None, qualitative=False, recognized=True, note=note)


def qual(raw, recognized):
    return Target(raw=raw, comparator=None, value=None, unit=None, direction="qualitative",
                  deadline=None, qualitative=True, recognized=recognized, note=None)


def deadline(raw, month, day, note=None):
    return Target(raw=raw, comparator=None, value=None, unit=None, direction="deadline",
                  deadline=(month, day), qualitative=False, recognized=True, note=note)


# Every target value printed in DOMAIN.md §2, the Boye goal tables and Futian 表1-2.
SEED_TARGETS = [
    ("≥90%", num("≥90%", ">=", "90", "%")),
    ("≥100%", num("≥100%", ">=", "100", "%")),
    ("100%", num("100%", "=", "100", "%")),
    ("≤100%", num("≤100%", "<=", "100", "%")),
    ("≥98%", num("≥98%", ">=", "98", "%")),
    ("≥95%", num("≥95%", ">=", "95", "%")),
    ("< 2208 人", num("< 2208 人", "<", "2208", "人")),
    ("<2208人", num("<2208人", "<", "2208", "人")),
    ("> 80%", num("> 80%", ">", "80", "%")),
    ("< 5 次", num("< 5 次", "<", "5", "次")),
    ("<260 万", num("<260 万", "<", "260", "万")),
    ("三次", num("三次", "=", "3", "次")),
    ("≥200 人均标准 200 元 /人",
     num("≥200 人均标准 200 元 /人", ">=", "200", "元/人", note="人均标准 200 元 /人")),
    ("100%到位", num("100%到位", "=", "100", "%", note="到位")),
    ("8月31日前", deadline("8月31日前", 8, 31)),
    ("及时", qual("及时", True)),
    ("有效", qual("有效", True)),
    ("按月支付", qual("按月支付", True)),
    ("按照市总相关文件执行", qual("按照市总相关文件执行", True)),
    ("在档管理困难职工及劳模", qual("在档管理困难职工及劳模", False)),
    ("劳务派遣人员", qual("劳务派遣人员", False)),
]


@pytest.mark.parametrize("text,expected", SEED_TARGETS, ids=[t for t, _ in SEED_TARGETS])
def test_seed_targets_parse_to_full_structure(text, expected):
    assert parse_target(text) == expected


# Written forms: ASCII, full-width, spacing, Chinese numerals, decimals, words.
VARIANTS = [
    (">=90%", ">=", "90", "%"),
    ("=>90%", ">=", "90", "%"),
    ("<=100%", "<=", "100", "%"),
    ("=<100%", "<=", "100", "%"),
    ("＞80％", ">", "80", "%"),
    ("＜5次", "<", "5", "次"),
    ("＞＝90％", ">=", "90", "%"),
    ("≧90%", ">=", "90", "%"),
    ("≦100%", "<=", "100", "%"),
    ("≥ 95 %", ">=", "95", "%"),
    ("  ≥90%  ", ">=", "90", "%"),
    ("≥\u300090%", ">=", "90", "%"),          # ideographic space
    ("≥９０％", ">=", "90", "%"),              # full-width digits
    ("95.39%", "=", "95.39", "%"),
    ("≥99.5%", ">=", "99.5", "%"),
    ("十次", "=", "10", "次"),
    ("二十人", "=", "20", "人"),
    ("一百二十三人", "=", "123", "人"),
    ("两次", "=", "2", "次"),
    ("三千零五元", "=", "3005", "元"),
    ("一万二千人", "=", "12000", "人"),
    ("≥三次", ">=", "3", "次"),
    ("百分之九十", "=", "90", "%"),
    ("1,234元", "=", "1234", "元"),
    ("≥10万元", ">=", "10", "万元"),
    ("≥5 个工作日", ">=", "5", "个工作日"),
    ("2185人次", "=", "2185", "人次"),
    ("200元/人", "=", "200", "元/人"),
    ("不低于90%", ">=", "90", "%"),
    ("至少三次", ">=", "3", "次"),
    ("不超过5次", "<=", "5", "次"),
    ("低于260万", "<", "260", "万"),
    ("100人以上", ">=", "100", "人"),
    ("5天内", "<=", "5", "天"),
    ("0 次", "=", "0", "次"),
    ("零次", "=", "0", "次"),
    ("90", "=", "90", None),
]


@pytest.mark.parametrize("text,comparator,value,unit", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_written_forms(text, comparator, value, unit):
    target = parse_target(text)
    assert (target.comparator, target.value, target.unit) == (comparator, D(value), unit)
    assert target.raw == text.strip()
    assert target.qualitative is False and target.recognized is True and target.deadline is None


@pytest.mark.parametrize("text,direction", [
    ("≥90%", "positive"), ("> 80%", "positive"), ("100%", "positive"), ("三次", "positive"),
    ("< 5 次", "reverse"), ("<260 万", "reverse"), ("≤100%", "reverse"),
    ("0 次", "equal"), ("=0", "equal"),
    ("8月31日前", "deadline"), ("及时", "qualitative"), ("劳务派遣人员", "qualitative"),
])
def test_direction(text, direction):
    assert parse_target(text).direction == direction


def test_notes_keep_prefix_and_trailing_text():
    assert parse_target("及时 100%").note == "及时"
    assert parse_target("满意度≥95%").note == "满意度"
    assert parse_target("≥90% 以调查问卷为准").note == "以调查问卷为准"
    assert parse_target("≥90%").note is None


DEADLINES = [
    ("8月31日前", (8, 31), None),
    ("11月底前", (11, 30), None),
    ("6月底", (6, 30), None),
    ("12月31日", (12, 31), None),
    ("8月31号之前", (8, 31), None),
    ("十一月底前", (11, 30), None),
    ("2月底前", (2, 28), None),               # no year: a common year
    ("2024年2月底前", (2, 29), None),         # a leap year
    ("2023年 8 月 31 日前", (8, 31), None),
    ("年底前", (12, 31), None),
    ("8月31日前及时完成", (8, 31), "及时完成"),  # Futian 七.二's suggested wording
    ("≤8月31日", (8, 31), None),
]


@pytest.mark.parametrize("text,month_day,note", DEADLINES, ids=[d[0] for d in DEADLINES])
def test_deadlines(text, month_day, note):
    assert parse_target(text) == deadline(text.strip(), *month_day, note=note)


QUALITATIVE = [
    ("及时", True), ("有效", True), ("按月支付", True), ("按照市总相关文件执行", True),
    ("达标", True), ("合格", True), ("到位", True), ("完成", True), ("是", True), ("否", True),
    ("及时足额发放", True), ("按时完成", True), ("明显改善", True), ("达到预期目标", True),
    ("十分满意", True),                          # 十分 = "very", not 10 分
    ("依据冀财行【2021】102号文件执行", True),    # a policy reference may contain numbers
    ("在档管理困难职工及劳模", False), ("劳务派遣人员", False),
    ("三大节日全覆盖", False),                   # 三 is not a quantity here
    ("冀财行【2021】102号", False),
]


@pytest.mark.parametrize("text,recognized", QUALITATIVE, ids=[q[0] for q in QUALITATIVE])
def test_qualitative_targets(text, recognized):
    assert parse_target(text) == qual(text, recognized)


ERRORS = [
    # text, position, words the message must contain
    ("", 0, ["为空", "≥90%"]),
    ("   ", 0, ["为空"]),
    ("≥", 1, ["「≥」后面缺少数字", "≥90%"]),
    ("> 人", 2, ["「>」后面缺少数字"]),
    ("≥abc%", 1, ["「≥」后面缺少数字"]),
    ("  ≥", 3, ["缺少数字"]),                     # position counts the leading spaces
    ("≥≤5", 1, ["两个比较符号", "≥90%"]),
    ("≥90%≤100%", 4, ["两个比较符号", "拆成两个指标"]),
    ("不低于≥90%", 3, ["两个比较符号"]),
    ("≥1500%", 1, ["1500%", "超过 1000%"]),
    ("≥-5", 1, ["负数"]),
    ("< -5 次", 2, ["负数"]),
    ("-5%", 0, ["负数"]),
    ("5-10个工作日", 1, ["区间", "≥5 个工作日"]),
    ("8月32日前", 2, ["8月32日", "不存在", "8月31日前"]),
    ("2月30日前", 2, ["不存在", "2月28日前"]),
    ("13月1日前", 0, ["月份", "13"]),
    ("≥8月31日", 0, ["8月31日前"]),
    ("x" * 201, 200, ["过长", "201", "200"]),
]


@pytest.mark.parametrize("text,position,words", ERRORS, ids=[e[0][:12] or "empty" for e in ERRORS])
def test_errors_say_what_and_where(text, position, words):
    with pytest.raises(TargetParseError) as caught:
        parse_target(text)
    error = caught.value
    assert error.position == position
    for word in words:
        assert word in error.message
    assert str(error) == error.message
    assert isinstance(error, ValueError)


def test_error_as_problem():
    with pytest.raises(TargetParseError) as caught:
        parse_target("≥")
    problem = caught.value.to_problem("indicators[3].target")
    assert problem == Problem("indicators[3].target", caught.value.message, "target")


def test_exactly_200_characters_is_accepted():
    text = "≥90% " + "说" * 195
    assert len(text) == 200
    assert parse_target(text).value == D(90)


# Futian 表1-2: 实际完成值 as printed, plus the forms named in the brief.
ACTUALS = [
    ("2185 人", D("2185")), ("三次", D(3)), ("100%到位", D(100)), ("及时 100%", D(100)),
    ("100%", D(100)), ("有效 100%", D(100)), ("95.39%", D("95.39")), ("0 次", D(0)),
    ("有效", None), ("及时", None), ("", None), (None, None), ("8月25日", None),
    ("-5%", D(-5)), ("一百二十三人", D(123)),
]


@pytest.mark.parametrize("text,expected", ACTUALS, ids=[repr(a[0]) for a in ACTUALS])
def test_parse_actual(text, expected):
    assert parse_actual(text) == expected


def test_parse_actual_rejects_overlong_text():
    with pytest.raises(TargetParseError):
        parse_actual("1" * 201)


# Futian 表1-2 goal vs actual: every indicator met its target.
FUTIAN_MET = [
    ("< 2208 人", "2185 人"), ("三次", "三次"), ("100%到位", "100%到位"), ("> 80%", "95.39%"),
    ("< 5 次", "0 次"),
]


@pytest.mark.parametrize("target,actual", FUTIAN_MET)
def test_meets_futian_goals(target, actual):
    assert meets(parse_target(target), parse_actual(actual)) is True


@pytest.mark.parametrize("target,actual,expected", [
    ("≥90%", "90", True), ("≥90%", "89.99", False),
    (">80%", "80", False), (">80%", "80.01", True),
    ("≤100%", "100", True), ("≤100%", "100.5", False),
    ("< 2208 人", "2208", False), ("< 5 次", "4", True),
    ("三次", "2", False), ("三次", "3", True), ("三次", "4", True),   # "=" means "reach"
    ("0 次", "0", True), ("0 次", "1", False),                       # equal: at most 0
])
def test_meets_semantics(target, actual, expected):
    assert meets(parse_target(target), D(actual)) is expected


def test_meets_accepts_int():
    assert meets(parse_target("≥90%"), 95) is True


@pytest.mark.parametrize("text", ["及时", "8月31日前", "劳务派遣人员"])
def test_meets_refuses_targets_without_a_number(text):
    with pytest.raises(ValueError):
        meets(parse_target(text), D(1))


@pytest.mark.parametrize("text,expected", [
    ("< 2208 人", True), ("≤100%", True), ("≥90%", False), ("100%", False),
    ("及时", False), ("8月31日前", False),
])
def test_is_upper_bound_only(text, expected):
    assert parse_target(text).is_upper_bound_only is expected


@pytest.mark.parametrize("text,zh,en", [
    ("≥90%", "不低于90%", "at least 90%"),
    ("> 80%", "高于80%", "more than 80%"),
    ("≤100%", "不高于100%", "at most 100%"),
    ("< 2208 人", "低于2208人", "less than 2208人"),
    ("三次", "达到3次", "reach 3次"),
    ("0 次", "为0次", "exactly 0次"),
    ("95.39%", "达到95.39%", "reach 95.39%"),
    ("8月31日前", "8月31日前", "by Aug 31"),
    ("及时", "定性目标：及时", "qualitative: 及时"),
    ("劳务派遣人员", "不是指标值：劳务派遣人员", "not a target value: 劳务派遣人员"),
])
def test_describe(text, zh, en):
    target = parse_target(text)
    assert target.describe() == zh
    assert target.describe("zh") == zh
    assert target.describe("en") == en


# ---- hostile input -------------------------------------------------------------

def _outcome(function, *args):
    """What a call did: returned a value or raised the parser's own error — nothing else."""
    try:
        return function(*args)
    except TargetParseError as error:
        return error


def test_ten_thousand_characters_rejected_at_the_length_limit():
    # Timing of pathological inputs is measured in bench/bench_parsers.py.
    text = "≥" + "9" * 9999
    with pytest.raises(TargetParseError) as caught:
        parse_target(text)
    assert caught.value.position == 200


@pytest.mark.parametrize("text", [
    "9" * 200, "一" * 200, "十" * 200, "8月" * 100, "按月" * 100, "≥" + "9," * 99,
    "人" * 200, "1 " * 100, "-" * 200, "元/" * 100, "≥1" + "人" * 198, "及" * 200,
])
def test_pathological_inputs_are_handled(text):
    assert isinstance(_outcome(parse_target, text), (Target, TargetParseError))
    outcome = _outcome(parse_actual, text)
    assert outcome is None or isinstance(outcome, (D, TargetParseError))


def test_non_string_is_an_error():
    with pytest.raises(TargetParseError):
        parse_target(90)  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=260))
def test_random_unicode_never_crashes(text):
    try:
        target = parse_target(text)
    except TargetParseError as error:
        assert 0 <= error.position <= len(text)
        assert error.message
    else:
        assert isinstance(target, Target)
        assert target.raw == text.strip()
        assert target.direction in ("positive", "reverse", "equal", "deadline", "qualitative")
        assert (target.value is None) == (target.comparator is None)
    try:
        result = parse_actual(text)
    except TargetParseError:
        assert len(text.strip()) > 200
    else:
        assert result is None or isinstance(result, D)


_TARGETISH = st.text(alphabet="≥≤<>=＞％%0123456789.,一二三十百千万两零次人元/月日底前及时有效按 -", max_size=40)


@settings(max_examples=400, deadline=None)
@given(_TARGETISH)
def test_target_like_noise_never_crashes(text):
    try:
        target = parse_target(text)
    except TargetParseError as error:
        assert 0 <= error.position <= len(text)
    else:
        if target.value is not None and not target.qualitative:
            meets(target, D(1))  # comparable whenever it has a number
