"""Each built-in rule type, with the seeds' numbers where the seeds give them."""
from __future__ import annotations

import pytest

from core.scoring import display, score

from .helpers import D, codes, one_leaf, score_one

CHECKLIST_4 = {"type": "checklist", "items": [
    {"id": "lawful", "label": {"zh": "项目立项是否符合国家法律法规、国民经济发展规划和相关政策"}},
    {"id": "within_duties", "label": {"zh": "项目立项是否与部门职责范围相符，属于部门履职所需"}},
    {"id": "public_finance", "label": {"zh": "项目是否属于公共财政支持范围"}},
    {"id": "no_duplication", "label": {"zh": "项目是否与相关部门同类项目重复"}}]}
CHECKLIST_3 = {"type": "checklist", "items": [
    {"id": "decomposed", "label": {"zh": "是否将项目绩效目标细化分解为具体的绩效指标"}},
    {"id": "measurable", "label": {"zh": "是否通过清晰、可衡量的指标值予以体现"}},
    {"id": "matches_plan", "label": {"zh": "是否与项目目标任务数或计划数相对应"}}]}
# Shijiazhuang 附件三 减分项: ≥95% no deduction; below, 0.3 per point; below 80%, 5.
SPENDING_PROGRESS = {"type": "threshold_deduction", "value": "progress", "bands": [
    {"min": 95, "deduct": 0}, {"min": 80, "per_point": 0.3, "below": 95}, {"min": 0, "deduct": 5}]}


# ------------------------------------------------------------------- ratio --------

def test_ratio_futian_completion_rate_is_12_times_2185_over_2208():
    leaf = score_one({"type": "ratio"}, {"actual": "2185", "target": "2208"}, weight=12)
    assert leaf.suggested == D("11.875")  # exact: multiplied before dividing
    assert display(leaf.suggested) == D("11.88")


def test_ratio_is_capped_at_the_weight():
    assert score_one({"type": "ratio"}, {"actual": 2300, "target": 2208}, weight=12).suggested == 12


def test_ratio_reads_named_form_fields_futian_funds_arrival():
    rule = {"type": "ratio", "actual": "funds_arrived", "target": "budget_full_year"}
    leaf = score_one(rule, {}, weight=4, fields={"funds_arrived": "258.90", "budget_full_year": "258.90"})
    assert leaf.suggested == 4


def test_ratio_accepts_expressions_and_constants():
    rule = {"type": "ratio", "actual": "arrived / budget * 100", "target": 100}
    leaf = score_one(rule, {"arrived": "129.45", "budget": "258.90"}, weight=4)
    assert leaf.suggested == 2


def test_ratio_of_a_percentage_to_100_futian_satisfaction():
    leaf = score_one({"type": "ratio", "actual": "satisfaction", "target": 100}, {"satisfaction": "95.39%"}, weight=15)
    assert leaf.suggested == D("14.3085")
    assert display(leaf.suggested) == D("14.31")


def test_ratio_zero_target_is_not_scored_the_rate_is_undefined():
    """0 ÷ 0 reads 0.00%: a zero budget must never give full marks (issue 14, item 7)."""
    leaf = score_one({"type": "ratio"}, {"actual": 0, "target": 0}, label="实际完成率")
    assert leaf.score is None and leaf.suggested is None
    assert codes(leaf.problems) == ["target_zero"]
    assert leaf.problems[0].message == "目标值为 0，无法计算实际完成率"


def test_ratio_zero_target_names_the_field_by_its_label():
    rule = {"type": "ratio", "actual": "executed", "target": "budget_full_year"}
    fields = {"executed": "0", "budget_full_year": "0.00"}
    result = score(one_leaf(rule, label="预算执行率"), {}, fields=fields,
                   labels={"executed": {"zh": "全年执行数"}, "budget_full_year": {"zh": "全年预算数"}})
    assert [p.message for p in result.problems] == ["全年预算数为 0，无法计算预算执行率"]
    assert result.problems[0].path == "leaves.x.target" and result.total == 0


def test_ratio_negative_target_is_refused():
    leaf = score_one({"type": "ratio"}, {"actual": 1, "target": -5}, label="资金到位率")
    assert codes(leaf.problems) == ["target_negative"]
    assert "「资金到位率」" in leaf.problems[0].message


def test_ratio_actual_not_a_number_names_the_indicator():
    leaf = score_one({"type": "ratio"}, {"actual": "两千", "target": "2208"}, label="实际完成率")
    assert leaf.suggested is None
    assert leaf.problems[0].path == "leaves.x.actual"
    assert leaf.problems[0].message == "「实际完成率」的「实际完成值」值「两千」不是数字"


def test_ratio_with_missing_actual_is_unscored():
    leaf = score_one({"type": "ratio"}, {"target": "2208"}, label="实际完成率")
    assert leaf.score is None
    assert codes(leaf.problems) == ["unscored"]
    assert leaf.problems[0].message == "「实际完成率」尚未评分（缺少「实际完成值」）"


# ----------------------------------------------------------------- reverse --------

@pytest.mark.parametrize("actual, expected", [
    (0, 10), (5, 10), ("7.5", 5), (9, 2), (10, 0), (12, 0),
])
def test_reverse_complaints_below_5(actual, expected):
    assert score_one({"type": "reverse"}, {"actual": actual, "target": 5}).suggested == expected


def test_reverse_futian_cost_not_overspent_gets_full_marks():
    rule = {"type": "reverse", "actual": "actual_cost", "target": "planned_cost"}
    leaf = score_one(rule, {"actual_cost": "258.90", "planned_cost": "258.90"}, weight=6)
    assert leaf.suggested == 6


def test_reverse_zero_target_only_zero_is_full():
    assert score_one({"type": "reverse"}, {"actual": 0, "target": 0}).suggested == 10
    assert score_one({"type": "reverse"}, {"actual": 1, "target": 0}).suggested == 0


# ------------------------------------------------------------------- equal --------

@pytest.mark.parametrize("actual, target, expected", [
    (0, 0, 10), (1, 0, 0), (3, 3, 10), (2, 3, D(20) / D(3)),
])
def test_equal(actual, target, expected):
    assert score_one({"type": "equal"}, {"actual": actual, "target": target}).suggested == expected


# ------------------------------------------------------------- qualitative --------

def test_qualitative_achieved_suggests_the_top_of_its_band():
    leaf = score_one({"type": "qualitative"}, {"tier": "achieved"}, weight=15)
    assert leaf.suggested == 15
    assert (leaf.band.low, leaf.band.high, leaf.band.high_inclusive) == (12, 15, True)


def test_qualitative_half_open_tiers_suggest_their_middle():
    partial = score_one({"type": "qualitative"}, {"tier": "partial"}, weight=6)
    assert partial.suggested == D("4.2") and str(partial.band) == "[3.6, 4.8)"
    poor = score_one({"type": "qualitative"}, {"tier": "not_achieved"}, weight=6)
    assert poor.suggested == D("1.8") and str(poor.band) == "[0, 3.6)"


def test_qualitative_tier_by_chinese_label():
    assert score_one({"type": "qualitative"}, {"tier": "达成年度指标"}, weight=5).suggested == 5


def test_qualitative_unknown_tier_names_the_indicator():
    leaf = score_one({"type": "qualitative"}, {"tier": "excellent"}, label="社会效益")
    assert codes(leaf.problems) == ["unknown_tier"]
    assert leaf.problems[0].message.startswith("「社会效益」没有名为 excellent 的档次（可选：达成年度指标、")


def test_qualitative_final_without_a_tier_is_refused():
    leaf = score_one({"type": "qualitative"}, {"final": 14, "reason": "x"}, weight=15, label="社会效益")
    assert codes(leaf.problems) == ["tier_required"]
    assert leaf.problems[0].message == (
        "「社会效益」是定性指标，须先选择达成档次（达成年度指标、部分达成年度指标并具有一定效果、"
        "未达成年度指标且效果较差）再录入最终得分")


def test_qualitative_custom_tiers():
    rule = {"type": "qualitative", "tiers": [
        {"id": "yes", "label": {"zh": "是"}, "min": 90, "max": 100},
        {"id": "no", "label": {"zh": "否"}, "min": 0, "max": 50, "suggest": 0}]}
    assert score_one(rule, {"tier": "yes"}, weight=4).suggested == 4
    assert score_one(rule, {"tier": "no"}, weight=4).suggested == 0


# --------------------------------------------------------------- checklist --------

def test_checklist_futian_four_items_each_missing_loses_25_percent():
    leaf = score_one(CHECKLIST_4, {"checked": ["lawful", "within_duties", "public_finance"]}, weight=3)
    assert leaf.suggested == D("2.25")
    assert leaf.detail["missing"] == ("no_duplication",)


def test_checklist_futian_three_items_each_missing_loses_a_third_exactly():
    leaf = score_one(CHECKLIST_3, {"missing": ["measurable"]}, weight=3)
    assert leaf.suggested == 2  # not 3 × (1 − 0.3333) = 2.0001


def test_checklist_all_checked_is_full_and_none_checked_is_zero():
    assert score_one(CHECKLIST_4, {"checked": ["lawful", "within_duties", "public_finance", "no_duplication"]},
                     weight=3).suggested == 3
    assert score_one(CHECKLIST_4, {"checked": []}, weight=3).suggested == 0


def test_checklist_accepts_a_mapping_of_flags():
    flags = {"decomposed": True, "measurable": True, "matches_plan": False}
    leaf = score_one(CHECKLIST_3, {"checked": flags}, weight=3)
    assert leaf.suggested == 2


def test_checklist_unknown_item_names_indicator_and_item():
    leaf = score_one(CHECKLIST_4, {"checked": ["lawful", "legal"]}, weight=3, label="立项依据充分性")
    assert codes(leaf.problems) == ["unknown_item"]
    assert leaf.problems[0].path == "leaves.x.checked"
    assert leaf.problems[0].message.startswith("「立项依据充分性」没有编号为 legal 的项目（可选：「项目立项是否符合")


def test_checklist_with_points_shijiazhuang_publicity_and_training():
    # 附件三 宣传培训 (3): publicity 1, full training coverage 2.
    rule = {"type": "checklist", "items": [
        {"id": "publicity", "label": {"zh": "利用各种方式宣传预算绩效管理工作"}, "points": 1},
        {"id": "training", "label": {"zh": "对业务部门、下级工会培训全覆盖"}, "points": 2}]}
    assert score_one(rule, {"checked": ["publicity"]}, weight=3).suggested == 1
    assert score_one(rule, {"checked": ["publicity", "training"]}, weight=3).suggested == 3


# ---------------------------------------------------------- per_occurrence --------

@pytest.mark.parametrize("count, expected", [(0, 6), (2, 4), (6, 0), (9, 0)])
def test_per_occurrence_shijiazhuang_submissions_minus_one_floor_zero(count, expected):
    # 附件三 材料报送等 (6): −1 per late or missed submission, 扣完为止.
    assert score_one({"type": "per_occurrence", "per": 1}, {"count": count}, weight=6).suggested == expected


def test_per_occurrence_half_points_and_floor():
    rule = {"type": "per_occurrence", "per": 0.5}  # 质量控制 (8): −0.5 per goal-quality problem
    assert score_one(rule, {"count": "3"}, weight=8).suggested == D("6.5")
    assert score_one(rule, {"count": 40}, weight=8).suggested == 0


def test_per_occurrence_base_and_max_count():
    rule = {"type": "per_occurrence", "per": 1, "base": 5, "max_count": 2}
    assert score_one(rule, {"count": 4}, weight=6).suggested == 3


@pytest.mark.parametrize("count", ["abc", -1, "2.5"])
def test_per_occurrence_bad_count(count):
    leaf = score_one({"type": "per_occurrence", "per": 1}, {"count": count}, weight=6, label="材料报送等")
    assert codes(leaf.problems) == ["count_invalid"]
    assert "「材料报送等」" in leaf.problems[0].message


# ----------------------------------------------------------------- counted --------

def test_counted_rules_issued_one_point_each_max_4():
    rule = {"type": "counted", "per": 1}  # 附件三 制度建设 (4)
    assert score_one(rule, {"count": 3}, weight=4).suggested == 3
    assert score_one(rule, {"count": 6}, weight=4).suggested == 4


ENDORSEMENTS = {"type": "counted", "items": [
    {"id": "endorsement", "label": {"zh": "市级及以上领导肯定性批示"}, "points": 5},
    {"id": "experience", "label": {"zh": "在全国、全省、全市性会议上介绍经验"}, "points": 5},
    {"id": "media", "label": {"zh": "在市级以上媒体宣传"}, "points": 1}]}


def test_counted_bonus_items_shijiazhuang_bonus_capped_at_10():
    assert score_one(ENDORSEMENTS, {"counts": {"endorsement": 1, "media": 3}}, weight=10).suggested == 8
    leaf = score_one(ENDORSEMENTS, {"counts": {"endorsement": 1, "experience": 1, "media": 3}}, weight=10)
    assert leaf.suggested == 10 and leaf.detail["uncapped"] == 13


def test_counted_unknown_item():
    leaf = score_one(ENDORSEMENTS, {"counts": {"tv": 1}}, weight=10, label="加分项")
    assert codes(leaf.problems) == ["unknown_item"]


# ---------------------------------------------------------- all_or_nothing --------

@pytest.mark.parametrize("met, expected", [(True, 10), ("是", 10), ("否", 0), (False, 0), ("yes", 10)])
def test_all_or_nothing(met, expected):
    assert score_one({"type": "all_or_nothing"}, {"met": met}).suggested == expected


def test_all_or_nothing_condition_expression():
    rule = {"type": "all_or_nothing", "condition": "with_goals >= projects"}
    assert score_one(rule, {"with_goals": 12, "projects": 12}).suggested == 10
    assert score_one(rule, {"with_goals": 11, "projects": 12}).suggested == 0


def test_all_or_nothing_unclear_answer():
    leaf = score_one({"type": "all_or_nothing"}, {"met": "maybe"}, label="范围规模")
    assert codes(leaf.problems) == ["not_yes_no"]


# ------------------------------------------------------------ proportional --------

def test_proportional_done_over_required():
    assert score_one({"type": "proportional"}, {"done": 8, "required": 10}, weight=6).suggested == D("4.8")


def test_proportional_deduct_form_shijiazhuang_ex_ante_assessment():
    # 附件三 事前绩效评估 (6): deduct (not done ÷ required) × 6; 1 of 4 missing → 6 − 1.5.
    leaf = score_one({"type": "proportional", "deduct": True}, {"not_done": 1, "required": 4}, weight=6)
    assert leaf.suggested == D("4.5")


def test_proportional_as_expression():
    rule = {"type": "expression", "expression": "6 - not_done / required * 6"}
    assert score_one(rule, {"not_done": 1, "required": 4}, weight=6).suggested == D("4.5")


def test_proportional_nothing_required_is_full():
    assert score_one({"type": "proportional"}, {"done": 0, "required": 0}, weight=6).suggested == 6


# ------------------------------------------------------ threshold_deduction --------

@pytest.mark.parametrize("progress, deducted", [
    ("100", 0), (95, 0), ("94", D("0.3")), ("87.5", D("2.25")), (80, D("4.5")), (79, 5), (0, 5),
])
def test_threshold_deduction_shijiazhuang_spending_progress(progress, deducted):
    assert score_one(SPENDING_PROGRESS, {"progress": progress}, weight=5).suggested == deducted


def test_threshold_deduction_value_below_every_band():
    leaf = score_one(SPENDING_PROGRESS, {"progress": -3}, weight=5, label="支出进度")
    assert codes(leaf.problems) == ["no_band"]


# ------------------------------------------------------------------ manual --------

def test_manual_score_within_weight():
    assert score_one({"type": "manual"}, {"score": "3.5"}, weight=5).score == D("3.5")


def test_manual_score_above_weight_is_refused():
    leaf = score_one({"type": "manual"}, {"score": 6}, weight=5, label="积极措施")
    assert codes(leaf.problems) == ["score_range"]
    assert leaf.problems[0].message == "「积极措施」的得分 6 超出分值范围 [0, 5]"


def test_manual_with_only_a_final_needs_no_reason():
    leaf = score_one({"type": "manual"}, {"final": 4}, weight=5)
    assert leaf.score == 4 and not leaf.problems


# -------------------------------------------------------------- expression --------

def test_expression_futian_funds_arrival():
    leaf = score_one({"type": "expression", "expression": "arrived / budget * 4"},
                     {"arrived": "258.90", "budget": "258.90"}, weight=4)
    assert leaf.suggested == 4 and not leaf.warnings


def test_expression_clamped_with_a_warning():
    leaf = score_one({"type": "expression", "expression": "arrived / budget * 4"},
                     {"arrived": 300, "budget": 200}, weight=4, label="资金到位率")
    assert leaf.suggested == 4
    assert codes(leaf.warnings) == ["clamped"] and not leaf.problems
    assert leaf.warnings[0].message == "「资金到位率」的公式结果 6 超出 [0, 4]，按 4 计"


def test_expression_division_by_zero_is_a_problem_not_a_crash():
    leaf = score_one({"type": "expression", "expression": "arrived / budget * 4"},
                     {"arrived": 1, "budget": 0}, weight=4, label="资金到位率")
    assert codes(leaf.problems) == ["evaluation_failed"]
    # arrived and budget are nobody's labelled fields: the formula is not shown by its names
    assert leaf.problems[0].message == "「资金到位率」的公式无法计算：除数为零"


def test_expression_problems_show_the_formula_with_the_fields_labels():
    rule = {"type": "expression", "expression": "funds_arrived / budget_full_year * 4"}
    result = score(one_leaf(rule, weight=4, label="资金到位率"), {},
                   fields={"funds_arrived": "1", "budget_full_year": "0"},
                   labels={"funds_arrived": {"zh": "实际到位资金"}, "budget_full_year": {"zh": "全年预算"}})
    assert [p.message for p in result.problems] == [
        "「资金到位率」的公式「实际到位资金 ÷ 全年预算 × 4」无法计算：除数为零"]
