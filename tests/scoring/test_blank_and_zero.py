"""Blank and zero, one rule (issue 14, items 6–8), at the engine.

- a blank money sub-row (上年结转资金, 其他资金) is 0 in a sum, in scoring as in every
  expression (DOMAIN.md §8: "the total is computed from its sub-rows … an empty sub-row
  is zero");
- a blank value a leaf is scored on (an actual, a count, all of a formula's rows) is
  missing: the leaf is not scored yet and the message names it by its label;
- a zero budget is never full marks; an actual that restates the target is refused.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.definitions.expressions import MISSING, blank_value, evaluate, is_blank
from core.scoring import display, instantiate_from_goal, load_scoring, score
from core.selfeval.scoring import field_labels

from .helpers import codes, definition, score_one
from .id_scan import internal_ids
from .test_from_goal import ACTUALS, FUTIAN_GOAL, GOAL_DEFINITION

NATIONAL = definition("form_definitions/_default/self_evaluation.json")
FUTIAN = definition("form_definitions/futian/self_evaluation.json")
LABELS = field_labels(NATIONAL)
ROWS = ("fiscal", "carryover", "other")
COLUMNS = ("initial", "full_year", "executed")


def national_tree():
    return load_scoring(instantiate_from_goal(NATIONAL["scoring"], GOAL_DEFINITION, FUTIAN_GOAL))


def money(**rows) -> dict:
    """The national money block: ``fiscal=("260", "258.90", "200")``; rows not given stay empty."""
    return {f"{row}_{column}": value for row, values in rows.items() for column, value in zip(COLUMNS, values)}


def execution(fields: dict):
    result = score(national_tree(), ACTUALS, fields=fields, labels=LABELS)
    return result, result.leaf("budget_execution_rate")


# ------------------------------------------------------------------ the one rule ------

def test_blank_value_is_the_one_rule():
    assert blank_value(None) == 0 and blank_value("  ") == 0 and blank_value("") == 0  # a part: 0
    assert blank_value(None, scored=True) is MISSING and blank_value(" ", scored=True) is MISSING
    assert blank_value("0") == "0" and blank_value("0", scored=True) == "0"  # zero is a value
    assert blank_value(Decimal(0), scored=True) == 0 and blank_value(False, scored=True) is False
    assert is_blank(" \t") and not is_blank(0) and not is_blank("0")


def test_the_national_default_scores_with_an_empty_carryover_row():
    """上年结转资金 and 其他资金 left empty: 年度资金总额 is the 当年财政拨款 row, and it scores."""
    fields = money(fiscal=("260.00", "258.90", "200"))
    assert all(fields.get(f"carryover_{c}") is None for c in COLUMNS)
    result, leaf = execution(fields)
    assert leaf.problems == () and leaf.score is not None
    assert display(leaf.suggested) == Decimal("7.72")  # 10 × 200 ÷ 258.90
    assert result.ok and result.groups["budget_execution"] == leaf.suggested


def test_an_empty_row_and_a_row_of_zeros_score_the_same():
    base = money(fiscal=("200", "200", "150"), other=("58.90", "58.90", "50"))
    empty = execution({**base, **money(carryover=("", "", ""))})[1]
    zeros = execution({**base, **money(carryover=("0", "0.00", "0"))})[1]
    assert empty.suggested == zeros.suggested == Decimal(10) * 200 / Decimal("258.90")


def test_scoring_and_the_computed_total_agree():
    """The form's 年度资金总额 (a computed field) and the scored budget are one sum, blanks 0."""
    fields = money(fiscal=("200", "200", "150"), carryover=("", "58.90", ""))
    computed = {c["id"]: c["expression"] for c in NATIONAL["computed"]}
    variables = {f"{row}_{column}": fields.get(f"{row}_{column}") for row in ROWS for column in COLUMNS}
    leaf = execution(fields)[1]
    assert leaf.detail["target"] == evaluate(computed["budget_full_year"], variables) == Decimal("258.90")
    assert leaf.detail["actual"] == evaluate(computed["executed"], variables) == Decimal(150)


def test_nothing_entered_for_the_execution_is_missing_and_named_by_its_label():
    result, leaf = execution(money(fiscal=("258.90", "258.90", "")))
    assert leaf.score is None
    assert [p.message for p in leaf.problems] == ["「预算执行率」尚未评分（缺少「全年执行数」）"]
    assert not result.ok


def test_a_blank_actual_is_missing_named_by_the_indicator_and_its_label():
    leaf = score_one({"type": "indicator"}, {"target": "≥98%", "actual": "  "}, label="省部级劳模满意率")
    assert leaf.score is None
    assert [p.message for p in leaf.problems] == ["「省部级劳模满意率」尚未评分（缺少「实际完成值」）"]


def test_a_blank_field_read_on_its_own_is_missing_by_the_fields_label():
    rule = {"type": "ratio", "actual": "funds_arrived", "target": "budget_full_year"}
    result = score({"max": 4, "nodes": [{"id": "x", "label": {"zh": "资金到位率"}, "weight": 4, "rule": rule}]},
                   {}, fields={"funds_arrived": "", "budget_full_year": "258.90"}, labels=field_labels(FUTIAN))
    assert [p.message for p in result.problems] == ["「资金到位率」尚未评分（缺少「实际到位资金」）"]


def test_a_wrong_sub_row_is_named_by_its_label():
    result, leaf = execution(money(fiscal=("258.90", "258.90", "258.90"), carryover=("", "", "十万")))
    assert [p.message for p in leaf.problems] == ["「预算执行率」的「上年结转资金：全年执行数」值「十万」不是数字"]


# ------------------------------------------------------------------ zero budget -------

def test_a_zero_budget_is_a_problem_never_full_marks():
    """Exported forms arrive with 年初/全年预算 and 执行数 all 0: the rate reads 0.00%."""
    result, leaf = execution(money(fiscal=("0", "0", "0"), carryover=("0", "0", "0"), other=("0", "0", "0")))
    assert leaf.score is None and leaf.suggested is None
    assert [(p.code, p.message) for p in leaf.problems] == [("target_zero", "全年预算数为 0，无法计算预算执行率")]
    assert not result.ok and "budget_execution" not in result.groups or result.groups["budget_execution"] == 0


def test_futian_zero_budget_names_each_rate_by_what_it_divides_by():
    tree = load_scoring(FUTIAN["scoring"])
    fields = {"budget_initial": "0", "budget_full_year": "0", "funds_arrived": "0", "executed": "0"}
    result = score(tree, {}, fields=fields, labels=field_labels(FUTIAN))
    assert result.leaf("funds_arrival_rate").problems[0].message == "全年预算为 0，无法计算资金到位率"
    assert result.leaf("budget_execution_rate").problems[0].message == "实际到位资金为 0，无法计算预算执行率"
    assert result.leaf("budget_execution_rate").score is None


# ------------------------------------------------------- actuals restating targets -----

@pytest.mark.parametrize("actual, example", [
    ("≥90%", "90%"), ("≥266米", "266米"), ("> 80%", "80%"), ("不低于90%", "90%"), ("95%以上", "95%"),
    ("<5次", "5次"), ("＞９０％", "90%")])
def test_an_actual_with_a_comparator_restates_the_target(actual, example):
    leaf = score_one({"type": "indicator"}, {"target": "≥90%", "actual": actual}, label="救助准确率")
    assert leaf.score is None and codes(leaf.problems) == ["actual_restates_target"]
    assert leaf.problems[0].path == "leaves.x.actual"
    assert leaf.problems[0].message == (
        f"「救助准确率」的实际完成值「{actual}」含比较符号，像是重复了目标值；请填写实际测得的数值（如 {example}）")


@pytest.mark.parametrize("actual", ["92%", "2185 人", "100%到位", "及时 100%", "0 次", "三次", "266米"])
def test_measured_actuals_are_not_flagged(actual):
    leaf = score_one({"type": "indicator"}, {"target": "≥2", "actual": actual})
    assert "actual_restates_target" not in codes(leaf.problems)


# ------------------------------------------------------------------ no ids ------------

def test_the_scanner_finds_the_ids_the_issue_quotes():
    assert internal_ids("「预算执行率」尚未评分（缺少「carryover_executed」）") == ["carryover_executed"]
    assert internal_ids("「实际完成率」尚未评分（缺少「actual」）") == ["actual"]
    assert internal_ids("「x」的「executed」值「abc」不是数字") == ["executed"]
    assert internal_ids("「预算执行率」尚未评分（缺少「全年执行数」）") == []


def _bad_inputs(tree) -> dict:
    """Something wrong or missing in every leaf: blanks, words for numbers, comparators,
    unknown tiers and items, finals out of range or without a reason."""
    inputs = {}
    for index, leaf in enumerate(tree.leaves):
        wrong = index % 4
        if leaf.rule.type == "indicator":
            inputs[leaf.id] = [{}, {"actual": "≥90%"}, {"actual": "很多", "final": "99"},
                               {"actual": "1000%", "tier": "excellent"}][wrong]
        elif leaf.rule.type == "checklist":
            inputs[leaf.id] = [{}, {"checked": ["no_such_item"]}, {"checked": [], "missing": []},
                               {"checked": [], "final": "1", "reason": ""}][wrong]
        elif leaf.rule.type == "qualitative":
            inputs[leaf.id] = [{}, {"final": "1"}, {"tier": "not_a_tier"}, {"tier": "achieved", "final": "0"}][wrong]
        else:
            inputs[leaf.id] = [{}, {"score": "abc", "count": "-1"}, {"final": "x"}, {"final": "-3"}][wrong]
    return inputs


@pytest.mark.parametrize("path", ["form_definitions/futian/self_evaluation.json",
                                  "form_definitions/shijiazhuang/self_evaluation.json",
                                  "form_definitions/shijiazhuang/assessment.json",
                                  "form_definitions/_default/self_evaluation.json"])
@pytest.mark.parametrize("fields", [{}, {"executed": "abc", "budget_full_year": "0", "funds_arrived": "0",
                                         "fiscal_full_year": "0", "carryover_executed": "x",
                                         "planned_output": "0", "actual_output": "", "budget": "0"}])
def test_no_message_of_a_built_in_form_quotes_an_id(path, fields):
    body = definition(path)
    scoring = body["scoring"]
    if path.startswith("form_definitions/_default"):
        scoring = instantiate_from_goal(scoring, GOAL_DEFINITION, FUTIAN_GOAL)
    tree = load_scoring(scoring)
    inputs = {**_bad_inputs(tree), "total": {"final": "100"}, "grade": "优", "no_such_leaf": {}}
    result = score(tree, inputs, fields=fields, labels=field_labels(body))
    messages = [p.message for p in (*result.problems, *result.warnings)]
    assert len(messages) >= len(tree.leaves) // 2
    assert [(m, internal_ids(m, frozenset(tree.index))) for m in messages if internal_ids(m, frozenset(tree.index))] == []
