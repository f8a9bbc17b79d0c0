"""instantiate_from_goal with Futian's goal rows (表1-2) and the national default form."""
from __future__ import annotations

import copy

import pytest

from core.definitions.errors import DefinitionInvalid
from core.scoring import display, instantiate_from_goal, load_scoring, score, validate_scoring
from core.scoring.from_goal import split_weight

from .helpers import D, codes, definition

DEFAULT = definition("form_definitions/_default/self_evaluation.json")["scoring"]
GOAL_DEFINITION = definition("form_definitions/futian/goal.json")

# 表1-2: 项目绩效目标及完成情况表 (targets; the actuals are in ACTUALS below).
FUTIAN_GOAL = {"indicators": [
    {"id": "r1", "level1": "output", "level2": "quantity", "name": "慰问退休职工人数", "target": "< 2208 人"},
    {"id": "r2", "level1": "output", "level2": "quantity", "name": "节日慰问次数", "target": "三次"},
    {"id": "r3", "level1": "output", "level2": "quality", "name": "节日慰问金金额发放到位率", "target": "100%到位"},
    {"id": "r4", "level1": "output", "level2": "timeliness", "name": "慰问金发放及时性", "target": "及时"},
    {"id": "r5", "level1": "output", "level2": "cost", "name": "发放慰问金总成本", "target": "<260 万"},
    {"id": "r6", "level1": "effect", "level2": "social", "name": "落实国家规定的退休人员应有的薪酬福利待遇",
     "description": "落实国家规定的退休人员应有的薪酬福利待遇", "target": "有效"},
    {"id": "r7", "level1": "satisfaction", "level2": "beneficiary", "name": "区退休职工对工会工作的满意度",
     "target": "> 80%"},
    {"id": "r8", "level1": "satisfaction", "level2": "other_satisfaction", "name": "区退休职工的投诉次数",
     "target": "< 5 次"},
]}
ACTUALS = {
    "output_r1": {"actual": "2185 人"}, "output_r2": {"actual": "三次"}, "output_r3": {"actual": "100%到位"},
    "output_r4": {"actual": "及时 100%", "tier": "achieved"}, "output_r5": {"actual": "258.90 万"},
    "effect_r6": {"actual": "有效 100%", "tier": "achieved", "final": 28, "reason": "指标内容范围过大，难以衡量"},
    "satisfaction_r7": {"actual": "95.39%"}, "satisfaction_r8": {"actual": "0 次"},
}
# The national table's money rows (上年结转资金 and 其他资金 empty: they count 0).
FIELDS = {"fiscal_initial": "260.00", "fiscal_full_year": "258.90", "fiscal_executed": "258.90"}


def test_rows_become_indicator_leaves_with_equal_shares():
    scoring = instantiate_from_goal(DEFAULT, GOAL_DEFINITION, FUTIAN_GOAL)
    assert validate_scoring(scoring) == []
    output = scoring["nodes"][0]
    assert [(c["id"], c["weight"]) for c in output["children"]] == [
        ("output_r1", 10), ("output_r2", 10), ("output_r3", 10), ("output_r4", 10), ("output_r5", 10)]
    assert output["children"][0]["rule"] == {"type": "indicator", "target": "< 2208 人"}
    assert output["children"][0]["goal_row"] == "r1" and output["children"][0]["label"] == {"zh": "慰问退休职工人数"}
    assert [c["weight"] for c in scoring["nodes"][1]["children"]] == [30]
    assert [c["weight"] for c in scoring["nodes"][2]["children"]] == [5, 5]


def test_the_template_is_not_modified():
    before = copy.deepcopy(DEFAULT)
    instantiate_from_goal(DEFAULT, GOAL_DEFINITION, FUTIAN_GOAL)
    assert DEFAULT == before


def test_scoring_futian_rows_on_the_national_default_form():
    # output 5 × 10 (all met: "< 2208 人" with 2185 under the reverse reading, "<5 次" with 0),
    # effect 28 (final, with reason), satisfaction 5 + 5, budget execution 258.90/258.90 × 10 = 10.
    tree = load_scoring(instantiate_from_goal(DEFAULT, GOAL_DEFINITION, FUTIAN_GOAL))
    result = score(tree, ACTUALS, fields=FIELDS)
    assert result.ok, result.problems
    assert result.groups == {"output": 50, "effect": 28, "satisfaction": 10, "budget_execution": 10}
    assert result.total == 98 and result.grade["zh"] == "优"


def test_budget_execution_is_min_10_executed_over_full_year():
    tree = load_scoring(instantiate_from_goal(DEFAULT, GOAL_DEFINITION, FUTIAN_GOAL))
    result = score(tree, ACTUALS, fields=dict(FIELDS, fiscal_executed="200"))
    assert display(result.leaf("budget_execution_rate").suggested) == D("7.72")  # 10 × 200 / 258.90


def test_uneven_split_adds_up_to_the_cent():
    assert split_weight(D(50), 3) == [D("16.67"), D("16.67"), D("16.66")]
    assert sum(split_weight(D(10), 7)) == 10
    rows = {"indicators": FUTIAN_GOAL["indicators"][:3] + FUTIAN_GOAL["indicators"][5:]}
    scoring = instantiate_from_goal(DEFAULT, GOAL_DEFINITION, rows)
    assert [c["weight"] for c in scoring["nodes"][0]["children"]] == [16.67, 16.67, 16.66]
    assert validate_scoring(scoring) == []


def test_given_weights_and_the_rest_split():
    template = copy.deepcopy(DEFAULT)
    template["nodes"][0]["from_goal"]["weights"] = {"r1": 20, "r2": 15}
    scoring = instantiate_from_goal(template, GOAL_DEFINITION, FUTIAN_GOAL)
    assert [c["weight"] for c in scoring["nodes"][0]["children"]] == [20, 15, 5, 5, 5]


def test_given_weights_that_exceed_the_node():
    template = copy.deepcopy(DEFAULT)
    template["nodes"][0]["from_goal"]["weights"] = {"r1": 60}
    with pytest.raises(DefinitionInvalid) as caught:
        instantiate_from_goal(template, GOAL_DEFINITION, FUTIAN_GOAL)
    assert codes(caught.value.problems) == ["goal_weights_mismatch"]


def test_a_level1_without_rows_names_it():
    rows = {"indicators": [r for r in FUTIAN_GOAL["indicators"] if r["level1"] != "satisfaction"]}
    with pytest.raises(DefinitionInvalid) as caught:
        instantiate_from_goal(DEFAULT, GOAL_DEFINITION, rows)
    assert str(caught.value.problems[0]) == (
        "scoring.nodes[2]: 绩效目标表中没有「满意度指标」下的指标行，无法生成「满意度指标」的评分指标")


def test_an_unknown_level1():
    template = copy.deepcopy(DEFAULT)
    template["nodes"][1]["from_goal"]["level1"] = "benefit"
    with pytest.raises(DefinitionInvalid) as caught:
        instantiate_from_goal(template, GOAL_DEFINITION, FUTIAN_GOAL)
    assert codes(caught.value.problems) == ["goal_level_unknown"]


def test_level2_filter_and_a_rule_template():
    template = copy.deepcopy(DEFAULT)
    template["nodes"][2]["from_goal"] = {"level1": "satisfaction", "level2": "beneficiary",
                                         "rule": {"type": "ratio", "target": 100}}
    scoring = instantiate_from_goal(template, GOAL_DEFINITION, FUTIAN_GOAL)
    assert scoring["nodes"][2]["children"] == [{
        "id": "satisfaction_r7", "label": {"zh": "区退休职工对工会工作的满意度"}, "weight": 10,
        "rule": {"type": "ratio", "target": 100}, "goal_row": "r7"}]


def test_the_uninstantiated_template_cannot_be_scored():
    with pytest.raises(DefinitionInvalid) as caught:
        load_scoring(DEFAULT)
    assert caught.value.problems[0].message == "「产出指标」的指标须先由绩效目标表生成（instantiate_from_goal）"
