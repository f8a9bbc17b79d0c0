"""The ``indicator`` rule with Futian's goal-form rows (表1-2)."""
from __future__ import annotations

from core.scoring import display

from .helpers import D, codes, score_one

INDICATOR = {"type": "indicator"}


def test_complaints_below_5_with_0_is_full_marks():
    leaf = score_one(INDICATOR, {"target": "< 5 次", "actual": "0 次"}, weight=5, label="区退休职工的投诉次数")
    assert leaf.suggested == 5
    assert leaf.detail["direction"] == "reverse"


def test_satisfaction_above_80_percent_with_95_39_is_full_marks():
    leaf = score_one(INDICATOR, {"target": "> 80%", "actual": "95.39%"}, weight=15)
    assert leaf.suggested == 15 and not leaf.problems and not leaf.warnings


def test_upper_bound_people_2208_with_2185_is_full_under_the_reverse_reading():
    leaf = score_one(INDICATOR, {"target": "< 2208 人", "actual": "2185 人"}, weight=12)
    assert leaf.suggested == 12


def test_target_from_the_rule_params_and_actual_from_inputs():
    leaf = score_one({"type": "indicator", "target": "三次"}, {"actual": "三次"}, weight=10)
    assert leaf.suggested == 10


def test_positive_target_partly_reached():
    leaf = score_one(INDICATOR, {"target": "≥90%", "actual": "81%"}, weight=10)
    assert leaf.suggested == 9


def test_equal_zero_target():
    assert score_one(INDICATOR, {"target": "0次", "actual": "0"}, weight=4).suggested == 4
    assert score_one(INDICATOR, {"target": "0次", "actual": "1次"}, weight=4).suggested == 0


def test_qualitative_target_takes_a_tier():
    leaf = score_one(INDICATOR, {"target": "及时", "actual": "及时 100%", "tier": "achieved"}, weight=6)
    assert leaf.suggested == 6 and str(leaf.band) == "[4.8, 6]"
    assert leaf.detail["direction"] == "qualitative"


def test_qualitative_target_without_a_tier_is_unscored():
    leaf = score_one(INDICATOR, {"target": "有效", "actual": "有效 100%"}, weight=15, label="社会效益")
    assert leaf.score is None
    assert leaf.problems[0].message == "「社会效益」尚未评分（缺少「达成档次」）"


def test_deadline_target_is_judged_by_tier():
    leaf = score_one(INDICATOR, {"target": "8月31日前", "tier": "partial"}, weight=6)
    assert leaf.suggested == D("4.2") and leaf.detail["direction"] == "deadline"


def test_over_achievement_requires_a_deviation_reason():
    leaf = score_one(INDICATOR, {"target": "≥100 人", "actual": "140 人"}, weight=10, label="培训人数")
    assert leaf.suggested == 10
    assert codes(leaf.problems) == ["deviation_reason_required"]
    assert leaf.problems[0].path == "leaves.x.deviation_reason"
    assert leaf.problems[0].message.startswith("「培训人数」的实际完成值 140 达到目标值 ≥100 人 的 140%（≥130%）")


def test_over_achievement_with_a_reason_is_accepted():
    leaf = score_one(INDICATOR, {"target": "≥100 人", "actual": "140 人",
                                 "deviation_reason": "年中追加培训任务，目标未同步调整"}, weight=10)
    assert not leaf.problems


def test_just_below_130_percent_needs_no_reason():
    assert not score_one(INDICATOR, {"target": "≥100 人", "actual": "129.99"}, weight=10).problems


def test_actual_without_a_number_names_the_indicator():
    leaf = score_one(INDICATOR, {"target": "< 2208 人", "actual": "很多"}, weight=12, label="慰问退休职工人数")
    assert codes(leaf.problems) == ["actual_unparsed"]
    assert leaf.problems[0].message == "「慰问退休职工人数」的实际完成值「很多」不是数值，无法与目标值「< 2208 人」比较"


def test_unparseable_target_is_a_problem():
    leaf = score_one(INDICATOR, {"target": "≥", "actual": "1"}, weight=5, label="测试")
    assert codes(leaf.problems) == ["target_unparsed"]


def test_percent_actual_for_a_money_target_is_flagged_futian_cost():
    # 表1-2: 发放慰问金总成本 target "<260 万", actual "100%" — not the same quantity.
    leaf = score_one(INDICATOR, {"target": "<260 万", "actual": "100%"}, weight=6, label="发放慰问金总成本")
    assert codes(leaf.warnings) == ["unit_mismatch"]
    assert display(leaf.suggested) == D(6)
