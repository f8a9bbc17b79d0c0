"""validate_scoring: every problem, with its JSON path and a message naming the node."""
from __future__ import annotations

import copy

import pytest

from core.scoring import validate_scoring

from .helpers import codes, definition

VALID = {
    "max": 10,
    "nodes": [{"id": "g", "label": {"zh": "决策"}, "weight": 10, "children": [
        {"id": "a", "label": {"zh": "立项依据充分性"}, "weight": 6, "rule": {"type": "manual"}},
        {"id": "b", "label": {"zh": "资金到位率"}, "weight": 4, "rule": {"type": "ratio"}}]}],
}


def broken(change) -> list:
    scoring = copy.deepcopy(VALID)
    change(scoring)
    return validate_scoring(scoring)


def leaf(scoring, index=0):
    return scoring["nodes"][0]["children"][index]


@pytest.mark.parametrize("path", [
    "form_definitions/futian/self_evaluation.json",
    "form_definitions/shijiazhuang/self_evaluation.json",
    "form_definitions/_default/self_evaluation.json",
])
def test_repository_definitions_are_valid(path):
    assert validate_scoring(definition(path)["scoring"]) == []


def test_valid_minimal():
    assert validate_scoring(VALID) == []


def test_weight_must_equal_the_sum_of_children():
    problems = broken(lambda s: s["nodes"][0].update(weight=12))
    assert [str(p) for p in problems] == [
        "scoring.nodes[0].weight: 「决策」的分值 12 与其下级分值之和 10 不一致",
        "scoring.max: 一级指标分值之和 12 与满分 10 不一致"]


def test_missing_weight_names_the_node():
    problems = broken(lambda s: leaf(s).pop("weight"))
    assert str(problems[0]) == "scoring.nodes[0].children[0].weight: 「立项依据充分性」缺少分值（weight）"


def test_negative_weight():
    problems = broken(lambda s: leaf(s).update(weight=-1))
    assert problems[0].code == "weight_invalid"


def test_duplicate_ids():
    problems = broken(lambda s: leaf(s, 1).update(id="a"))
    assert str(problems[0]) == "scoring.nodes[0].children[1].id: 编号「a」重复（已用于 scoring.nodes[0].children[0]）"


def test_group_without_children_or_rule():
    problems = broken(lambda s: s["nodes"][0].update(children=[]))
    assert "no_children" in codes(problems)


def test_children_and_rule_together():
    problems = broken(lambda s: s["nodes"][0].update(rule={"type": "manual"}))
    assert "children_and_rule" in codes(problems)


def test_unknown_rule_type_lists_the_known_ones():
    problems = broken(lambda s: leaf(s).update(rule={"type": "magic"}))
    assert problems[0].path == "scoring.nodes[0].children[0].rule.type"
    assert problems[0].message.startswith("「立项依据充分性」的评分规则类型「magic」未定义（可用：all_or_nothing, checklist")


def test_rule_without_type():
    assert codes(broken(lambda s: leaf(s).update(rule={}))) == ["rule_missing_type"]


def test_required_parameter_missing():
    problems = broken(lambda s: leaf(s).update(rule={"type": "checklist"}))
    assert str(problems[0]) == "scoring.nodes[0].children[0].rule.items: 「立项依据充分性」的评分规则「checklist」缺少参数「items」"


def test_unknown_rule_parameter_is_a_typo():
    problems = broken(lambda s: leaf(s, 1).update(rule={"type": "ratio", "actaul": "x"}))
    assert codes(problems) == ["unknown_key"] and problems[0].path.endswith("rule.actaul")


def test_expression_syntax_error_with_position():
    problems = broken(lambda s: leaf(s, 1).update(rule={"type": "expression", "expression": "arrived / / budget"}))
    assert problems[0].code == "expression_invalid"
    assert problems[0].message.startswith("「资金到位率」的表达式「arrived / / budget」有误（第 ")


def test_checklist_points_above_weight():
    rule = {"type": "checklist", "items": [{"id": "x", "label": {"zh": "甲"}, "points": 4},
                                           {"id": "y", "label": {"zh": "乙"}, "points": 4}]}
    problems = broken(lambda s: leaf(s).update(rule=rule))
    assert problems[0].code == "param_invalid" and "超过指标分值 6" in problems[0].message


def test_threshold_bands_out_of_order():
    rule = {"type": "threshold_deduction", "bands": [{"min": 80, "deduct": 1}, {"min": 95, "deduct": 0}]}
    problems = broken(lambda s: leaf(s).update(rule=rule))
    assert problems[0].path.endswith("rule.bands[1]")


def test_indicator_target_that_cannot_parse():
    problems = broken(lambda s: leaf(s).update(rule={"type": "indicator", "target": "≥"}))
    assert problems[0].path.endswith("rule.target")


def test_unknown_node_key_is_a_typo():
    problems = broken(lambda s: leaf(s).update(wieght=6))
    assert codes(problems) == ["unknown_key"]


def test_required_flag_is_boolean():
    assert codes(broken(lambda s: leaf(s).update(required="yes"))) == ["not_boolean"]


def test_label_required():
    assert "label_missing" in codes(broken(lambda s: leaf(s).pop("label")))


def test_caps_must_not_be_negative():
    def change(s):
        s["bonus"] = {"cap": -5, "items": [{"id": "m", "label": {"zh": "积极措施"}, "weight": 5,
                                            "rule": {"type": "manual"}}]}
    assert str(broken(change)[0]) == "scoring.bonus.cap: 「加分项」的上限（cap）「-5」须为不小于 0 的数字"


def test_bonus_ids_share_the_namespace():
    def change(s):
        s["deductions"] = {"cap": 5, "items": [{"id": "a", "label": {"zh": "审计"}, "weight": 5,
                                                "rule": {"type": "manual"}}]}
    assert codes(broken(change)) == ["duplicate_id"]


def test_grades_descending_and_covering_zero():
    grades = [{"min": 80, "label": {"zh": "良"}}, {"min": 90, "label": {"zh": "优"}}]
    problems = broken(lambda s: s.update(grades=grades))
    assert codes(problems) == ["grades_order", "grades_cover"]


def test_max_must_be_positive():
    assert "max_invalid" in codes(broken(lambda s: s.update(max=0)))


def test_path_prefix():
    scoring = copy.deepcopy(VALID)
    scoring["nodes"][0]["weight"] = 11
    problems = validate_scoring(scoring, path="definitions[3].scoring")
    assert problems[0].path == "definitions[3].scoring.nodes[0].weight"


def test_not_an_object():
    assert codes(validate_scoring([])) == ["not_object"]
