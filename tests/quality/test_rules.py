"""Tests for core.quality.rules on the real goal tables of Boye and Futian."""
from __future__ import annotations

import dataclasses
import re

import pytest

from core.quality import BUILTIN_RULES, Finding, QualityRule, review
from core.quality.rules import CATEGORY_KEYWORDS, row_role
from tests.quality.boye_rows import BOYE_TREE, PROJECT_1, PROJECT_2, PROJECT_3, PROJECT_4, PROJECTS

BOYE = {"id": "boye.goal", "version": 1, "kind": "goal", "indicator_tree": BOYE_TREE}
PUBLIC = {"serves_public": True}


def summary(findings):
    """(rule, row_id, path, severity) per finding, in order."""
    return [(f.rule, f.row_id, f.path, f.severity) for f in findings]


def run(rows, context=None, settings=None, definition=BOYE):
    """Review ``rows``; the context is empty (not serving the public) unless given."""
    return review(definition, {"fields": {}, "milestones": {}, "indicators": rows}, context or {},
                  settings or {})


# ---- Boye: the four printed projects ----------------------------------------------

BOYE_EXPECTED = {
    # 救助人数 = 在档管理困难职工及劳模: names the beneficiaries, not a value.
    # 救助标准 = 按照市总相关文件执行 refers to a standard: recognised, no finding.
    # 资金的使用效率 ≤100% is an economic benefit; upper bounds are flagged only for quantity.
    "13063723P004287100744": [
        ("target_not_a_value", "p1r1", "indicators[0].target", "warning"),
    ],
    "13063723P00428710008F": [
        ("target_not_a_value", "p2r1", "indicators[0].target", "warning"),
    ],
    # 省部级劳模满意率 under 质量指标: see test_satisfaction_rate_under_quality_is_flagged.
    "13063723P00428710060R": [
        ("category_mismatch", "p3r2", "indicators[1].level2", "warning"),
    ],
    # 人员数量 = 劳务派遣人员 (not a value); 时间进度完成率 = 按月支付 (no date);
    # 结果准确性 filed under 生态效益 (looks like quality).
    "13063723P00428710007U": [
        ("target_not_a_value", "p4r1", "indicators[0].target", "warning"),
        ("vague_timeliness", "p4r3", "indicators[2].target", "warning"),
        ("category_mismatch", "p4r8", "indicators[7].level2", "warning"),
    ],
}


@pytest.mark.parametrize("code", list(PROJECTS))
def test_boye_projects_exact_findings(code):
    assert summary(run(PROJECTS[code], context=PUBLIC)) == BOYE_EXPECTED[code]


def test_boye_all_targets_parse():
    findings = run(PROJECT_1 + PROJECT_2 + PROJECT_3 + PROJECT_4)
    assert "unparseable_target" not in {f.rule for f in findings}


def test_boye_result_accuracy_looks_like_quality():
    (finding,) = [f for f in run(PROJECT_4) if f.rule == "category_mismatch"]
    assert finding == Finding(
        rule="category_mismatch", path="indicators[7].level2", row_id="p4r8",
        message=finding.message, severity="warning")
    assert finding.message["zh"] == (
        "「结果准确性」归在「生态效益指标」下，但名称看起来是质量指标（关键词「准确」）。"
        "请核对是否应归入「质量指标」。")
    assert "looks like a quality indicator" in finding.message["en"]
    assert "Ecological benefit" in finding.message["en"]


def test_satisfaction_rate_under_quality_is_flagged():
    """Decision: 省部级劳模满意率 filed under 质量指标 IS flagged.

    Satisfaction is measured by surveying the people served and has its own level-1
    category with its own weight (Shijiazhuang 附件二: 项目满意度 9; Futian 满意度 15).
    A satisfaction rate under 质量 double-counts satisfaction and escapes the survey
    requirements, so a reviewer should look at it; it stays a warning because
    "satisfaction with the check-up service" can be argued to be a quality measure.
    """
    (finding,) = run(PROJECT_3)
    assert finding.row_id == "p3r2"
    assert finding.message["zh"] == (
        "「省部级劳模满意率」归在「质量指标」下，但名称看起来是满意度指标（关键词「满意」）。"
        "请核对是否应归入「服务对象满意度指标」。")
    assert "looks like a satisfaction indicator" in finding.message["en"]


def test_boye_not_a_value_message_names_row_and_target():
    (finding,) = run(PROJECT_1)
    assert finding.message["zh"].startswith("「救助人数」的指标值「在档管理困难职工及劳模」不是目标值")
    assert "≥50 人" in finding.message["zh"]          # a quantity example for a quantity row
    assert "'救助人数'" in finding.message["en"]


def test_boye_monthly_payment_timeliness_message():
    finding = next(f for f in run(PROJECT_4) if f.rule == "vague_timeliness")
    assert finding.message["zh"].startswith("时效指标「时间进度完成率」的指标值「按月支付」是定性表述")
    assert "8月31日前" in finding.message["zh"]


# ---- Futian 表1-2 -------------------------------------------------------------------

FUTIAN_TREE = {
    "categories": [
        {"id": "output", "label": {"zh": "产出指标", "en": "Output indicators"}, "children": [
            {"id": "quantity", "label": {"zh": "数量", "en": "Quantity"}, "role": "quantity"},
            {"id": "quality", "label": {"zh": "质量", "en": "Quality"}, "role": "quality"},
            {"id": "timeliness", "label": {"zh": "时效", "en": "Timeliness"}, "role": "timeliness"},
            {"id": "cost", "label": {"zh": "成本", "en": "Cost"}, "role": "cost"},
        ]},
        {"id": "effect", "label": {"zh": "效益指标", "en": "Effect indicators"}, "role": "effect", "children": [
            {"id": "social", "label": {"zh": "社会效益", "en": "Social benefit"}, "role": "social"},
        ]},
        # 其他满意度 has no role of its own: it falls back to its parent's.
        {"id": "satisfaction", "label": {"zh": "满意度指标", "en": "Satisfaction"}, "role": "satisfaction",
         "children": [
             {"id": "beneficiary", "label": {"zh": "服务对象满意度", "en": "Beneficiary satisfaction"},
              "role": "satisfaction"},
             {"id": "other", "label": {"zh": "其他满意度", "en": "Other satisfaction"}},
         ]},
    ],
}
FUTIAN = {"id": "futian.goal", "indicator_tree": FUTIAN_TREE}


def futian_row(row_id, level1, level2, name, target, basis=""):
    return {"id": row_id, "level1": level1, "level2": level2, "name": name, "description": name,
            "target": target, "basis": basis}


# 表1-2 has no 指标值确定依据 column, hence basis "".
FUTIAN_ROWS = [
    futian_row("f1", "output", "quantity", "慰问退休职工人数", "< 2208 人"),
    futian_row("f2", "output", "quantity", "节日慰问次数", "三次"),
    futian_row("f3", "output", "quality", "节日慰问金金额发放到位率", "100%到位"),
    futian_row("f4", "output", "timeliness", "慰问金发放及时性", "及时"),
    futian_row("f5", "output", "cost", "发放慰问金总成本", "<260 万"),
    futian_row("f6", "effect", "social", "落实国家规定的退休人员应有的薪酬福利待遇", "有效"),
    futian_row("f7", "satisfaction", "beneficiary", "区退休职工对工会工作的满意度", "> 80%"),
    futian_row("f8", "satisfaction", "other", "区退休职工的投诉次数", "< 5 次"),
]
NO_BASIS_RULE = {"missing_basis": "off"}


def test_futian_each_defect_of_report_section_6_fires_its_rule():
    findings = run(FUTIAN_ROWS, context=PUBLIC, settings=NO_BASIS_RULE, definition=FUTIAN)
    assert summary(findings) == [
        ("upper_bound_quantity", "f1", "indicators[0].target", "warning"),   # 六.一
        ("vague_timeliness", "f4", "indicators[3].target", "warning"),       # 六.二
        ("qualitative_effect", "f6", "indicators[5].target", "warning"),     # 六.三
    ]


def test_futian_messages():
    upper, timely, effect = run(FUTIAN_ROWS, settings=NO_BASIS_RULE, definition=FUTIAN)
    assert upper.message["zh"].startswith("「慰问退休职工人数」的指标值「< 2208 人」只有上限")
    assert "≥2208人" in upper.message["zh"]
    assert "upper bound" in upper.message["en"]
    assert timely.message["zh"].startswith("时效指标「慰问金发放及时性」的指标值「及时」")
    assert "8月31日前" in timely.message["zh"]
    assert effect.message["zh"].startswith(
        "效益指标「落实国家规定的退休人员应有的薪酬福利待遇」的指标值「有效」只是定性表述")
    assert "measured" in effect.message["en"]


def test_futian_reverse_indicators_outside_quantity_are_fine():
    """<260 万 (cost) and < 5 次 (complaints, filed under 其他满意度) are legitimate upper bounds."""
    rows = [FUTIAN_ROWS[4], FUTIAN_ROWS[7]]
    assert run(rows, settings=NO_BASIS_RULE, definition=FUTIAN) == []


def test_role_falls_back_to_parent():
    assert row_role(FUTIAN, FUTIAN_ROWS[7]) == "satisfaction"
    assert row_role(FUTIAN, FUTIAN_ROWS[0]) == "quantity"
    assert row_role(FUTIAN, {"level1": "output", "level2": "nope"}) is None
    assert row_role(FUTIAN, {"level1": "nope", "level2": "quantity"}) is None
    assert row_role({}, FUTIAN_ROWS[0]) is None


def test_rows_may_name_categories_by_their_chinese_label():
    row = futian_row("x", "产出指标", "数量", "慰问退休职工人数", "< 2208 人", "文件要求")
    assert row_role(FUTIAN, row) == "quantity"
    assert summary(run([row], definition=FUTIAN, context={})) == [
        ("upper_bound_quantity", "x", "indicators[0].target", "warning")]


def test_futian_rows_lack_basis():
    findings = [f for f in run(FUTIAN_ROWS, definition=FUTIAN) if f.rule == "missing_basis"]
    assert [f.path for f in findings] == [f"indicators[{i}].basis" for i in range(8)]
    assert findings[0].message["zh"].startswith("「慰问退休职工人数」没有填写指标值确定依据")


# ---- missing_satisfaction (Futian 七.四) ----------------------------------------------

def test_missing_satisfaction_when_serving_the_public():
    rows = FUTIAN_ROWS[:6]
    quiet = {**NO_BASIS_RULE, "upper_bound_quantity": "off", "vague_timeliness": "off",
             "qualitative_effect": "off"}
    findings = run(rows, context=PUBLIC, settings=quiet, definition=FUTIAN)
    assert summary(findings) == [("missing_satisfaction", None, "indicators", "warning")]
    assert "满意度" in findings[0].message["zh"] and "七.四" in findings[0].message["zh"]


@pytest.mark.parametrize("context", [{"serves_public": False}, {}, None])
def test_no_satisfaction_needed_when_not_serving_the_public(context):
    findings = review(FUTIAN, {"indicators": FUTIAN_ROWS[:6]}, context, NO_BASIS_RULE)
    assert "missing_satisfaction" not in {f.rule for f in findings}


def test_other_satisfaction_row_counts_as_satisfaction():
    rows = FUTIAN_ROWS[:6] + [FUTIAN_ROWS[7]]
    assert "missing_satisfaction" not in {f.rule for f in run(rows, context=PUBLIC, definition=FUTIAN)}


# ---- duplicate_indicator ----------------------------------------------------------

def test_duplicate_in_same_category_flags_the_second():
    rows = [
        dict(PROJECT_1[0], id="a", target="≥50 人"),
        dict(PROJECT_1[1], id="b"),
        dict(PROJECT_1[0], id="c", name=" 救助 人数 ", target="≥40 人"),
    ]
    assert summary(run(rows)) == [("duplicate_indicator", "c", "indicators[2].name", "warning")]
    (finding,) = run(rows)
    assert "与第 1 行同名" in finding.message["zh"] and "数量指标" in finding.message["zh"]


def test_same_name_in_different_categories_is_not_a_duplicate():
    rows = [PROJECT_1[4], dict(PROJECT_1[4], id="x", level2="social")]   # 资金的使用效率 twice
    assert run(rows) == []


def test_boye_same_indicator_in_two_projects_is_not_checked_here():
    """资金的使用效率 is ≤100% in project 1 and ≥100% in project 4: a cross-project
    inconsistency, outside this per-form review."""
    assert run([PROJECT_1[4]]) == [] and run([PROJECT_4[4]]) == []


# ---- unparseable_target -----------------------------------------------------------

@pytest.mark.parametrize("target,words", [
    ("≥", "「≥」后面缺少数字"),
    ("≥≤5", "两个比较符号"),
    ("", "为空"),
    ("≥1500%", "超过 1000%"),
])
def test_unparseable_target_is_an_error_with_parser_message(target, words):
    row = dict(PROJECT_1[1], target=target)
    (finding,) = run([row])
    assert (finding.rule, finding.severity, finding.path) == ("unparseable_target", "error",
                                                                "indicators[0].target")
    assert words in finding.message["zh"]
    assert finding.message["zh"].startswith("「救助准确率」的指标值")


def test_unparseable_quantity_target_triggers_no_other_target_rule():
    row = dict(PROJECT_1[0], target="<")
    assert [f.rule for f in run([row])] == ["unparseable_target"]


def test_long_target_is_shortened_in_message():
    (finding,) = run([dict(PROJECT_1[1], target="≥90%" + "很" * 300)])
    assert "…" in finding.message["zh"] and "过长" in finding.message["zh"]


# ---- category_mismatch keyword table ----------------------------------------------

@pytest.mark.parametrize("level1,level2,name,target,expected", [
    ("effect", "ecological", "结果准确性", "≥100%", True),
    ("output", "quality", "省部级劳模满意率", "≥98%", True),
    ("effect", "social", "绿化覆盖率", "≥90%", True),            # ecological under social
    ("output", "quantity", "项目验收合格率", "≥95%", True),
    ("output", "quality", "人均救助标准", "≥200 元/人", True),    # 标准 with money → cost
    ("output", "quality", "服务标准化率", "≥90%", False),         # 标准 without money
    ("output", "cost", "人均体检费", "≥200 元/人", False),
    ("output", "quality", "免费体检覆盖率", "≥90%", False),       # 费 counts only at the end
    ("satisfaction", "beneficiary", "区退休职工的投诉次数", "< 5 次", False),
    ("output", "timeliness", "工作任务完成及时率", "≥98%", False),
    ("effect", "social", "劳模体检慰问产生影响", "≥98%", False),
    ("effect", "economic", "资金的使用效率", "≤100%", False),
    ("output", "quality", "财政拨款保障率", "≥100%", False),
])
def test_category_keywords(level1, level2, name, target, expected):
    row = {"id": "r", "level1": level1, "level2": level2, "name": name, "target": target,
           "basis": "文件要求"}
    rules = {f.rule for f in run([row])}
    assert ("category_mismatch" in rules) is expected


def test_generic_effect_category_accepts_ecological_keywords():
    tree = {"categories": [{"id": "effect", "label": {"zh": "效益指标"}, "role": "effect", "children": [
        {"id": "benefit", "label": {"zh": "效益"}}]}]}
    row = {"id": "r", "level1": "effect", "level2": "benefit", "name": "绿化覆盖率",
           "target": "≥90%", "basis": "文件要求"}
    assert run([row], definition={"indicator_tree": tree}, context={}) == []


def test_keyword_table_is_data():
    assert {hint.role for hint in CATEGORY_KEYWORDS} >= {
        "quality", "timeliness", "cost", "satisfaction", "ecological", "quantity"}


# ---- review(): settings, severities, order -----------------------------------------

def test_rule_ids_labels_and_defaults():
    assert [rule.id for rule in BUILTIN_RULES] == [
        "upper_bound_quantity", "vague_timeliness", "qualitative_effect", "target_not_a_value",
        "category_mismatch", "missing_satisfaction", "missing_basis", "duplicate_indicator",
        "unparseable_target"]
    for rule in BUILTIN_RULES:
        assert isinstance(rule, QualityRule)
        assert rule.label["zh"] and rule.label["en"]
        assert rule.description["zh"] and rule.description["en"]
        assert rule.default_severity == ("error" if rule.id == "unparseable_target" else "warning")
    cited = " ".join(rule.description["zh"] for rule in BUILTIN_RULES)
    assert "福田评价报告 六" in cited and "石家庄办法第十二条" in cited and "七.四" in cited


def test_settings_switch_off_and_raise_severity():
    assert [f.rule for f in run(PROJECT_4, settings={"target_not_a_value": "off"})] == [
        "vague_timeliness", "category_mismatch"]
    findings = run(PROJECT_4, settings={"category_mismatch": "error"})
    assert [f.severity for f in findings] == ["warning", "warning", "error"]
    everything_off = {rule.id: "off" for rule in BUILTIN_RULES}
    assert run(PROJECT_4, settings=everything_off) == []


def test_unknown_severity_is_rejected():
    with pytest.raises(ValueError):
        run(PROJECT_4, settings={"vague_timeliness": "fatal"})


def test_findings_sorted_by_row_whole_form_first():
    rows = [dict(PROJECT_4[2], basis=""), PROJECT_4[0]]       # no satisfaction row
    assert summary(run(rows, context=PUBLIC)) == [
        ("missing_satisfaction", None, "indicators", "warning"),
        ("vague_timeliness", "p4r3", "indicators[0].target", "warning"),
        ("missing_basis", "p4r3", "indicators[0].basis", "warning"),
        ("target_not_a_value", "p4r1", "indicators[1].target", "warning"),
    ]


def test_custom_rules_and_severity_replacement():
    def everything(definition, data, context):
        return [Finding("custom", f"indicators[{i}].name", row.get("id"), {"zh": "x", "en": "x"})
                for i, row in enumerate(data["indicators"])]

    rule = QualityRule("custom", {"zh": "自定义", "en": "Custom"}, {"zh": "", "en": ""}, "warning",
                       everything)
    findings = review(BOYE, {"indicators": PROJECT_1[:2]}, {}, {"custom": "error"}, rules=(rule,))
    assert [(f.row_id, f.severity) for f in findings] == [("p1r1", "error"), ("p1r2", "error")]
    with pytest.raises(dataclasses.FrozenInstanceError):
        findings[0].severity = "warning"  # type: ignore[misc]


@pytest.mark.parametrize("data", [
    {}, {"indicators": None}, {"indicators": "x"}, {"indicators": [None, 3, "row"]},
    {"indicators": [{"id": 7, "level1": None, "level2": None, "name": None, "target": None}]},
    {"indicators": [{"level1": "output", "level2": "quality", "name": "救助准确率", "target": 90,
                     "basis": "文件要求"}]},
])
def test_malformed_data_does_not_crash(data):
    findings = review(BOYE, data, {}, {})
    assert all(isinstance(f, Finding) for f in findings)
    for finding in findings:
        assert re.match(r"^indicators(\[\d+\]\.\w+)?$", finding.path)


def test_numeric_target_from_json_is_read_as_text():
    row = {"id": "n", "level1": "output", "level2": "quality", "name": "救助准确率", "target": 90,
           "basis": "文件要求"}
    assert run([row], context={}) == []


def test_row_without_name_is_named_by_position():
    row = dict(PROJECT_1[0], name="")
    (finding,) = run([row])
    assert finding.message["zh"].startswith("第 1 行指标的指标值")
