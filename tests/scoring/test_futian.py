"""Golden tests: Futian's 2022 evaluation (附表, 表1-3) scored with its own numbers."""
from __future__ import annotations

import pytest

from core.definitions.expressions import evaluate
from core.definitions.loader import validate_definition
from core.scoring import display, score

from .helpers import D, codes, definition, tree

PATH = "form_definitions/futian/self_evaluation.json"

# 表1-1 and section 四 of the report, in 万元; outputs from 表1-2 (2185 of 2208 retirees).
FIELDS = {
    "budget_initial": "260.00", "budget_adjustment": "-1.10", "budget_full_year": "258.90",
    "funds_arrived": "258.90", "executed": "258.90",
    "planned_output": "2208", "actual_output": "2185", "qualified_output": "2185",
    "planned_cost": "258.90", "actual_cost": "258.90", "satisfaction_rate": "95.39", "valid_questionnaires": "19",
}


def all_checked(leaf_id: str) -> list[str]:
    return [item["id"] for item in FUTIAN.node(leaf_id).rule.params["items"]]


FUTIAN = tree(PATH)
CHECKLISTS = ("basis_sufficiency", "procedure_compliance", "goal_reasonableness", "indicator_clarity",
              "budget_science", "allocation_reasonableness", "funds_use_compliance", "management_system",
              "system_execution")


def published(timeliness_final="5", timeliness_tier="achieved") -> dict:
    """The evaluator's inputs that reproduce the published scores (表1-3 / 附表)."""
    inputs = {leaf: {"checked": all_checked(leaf)} for leaf in CHECKLISTS}
    inputs.update({
        "completion_rate": {"final": "11", "reason": "目标值「<2208 人」只设上限，未能体现应完成的数量，酌情扣分"},
        "timeliness": {"tier": timeliness_tier, "final": timeliness_final,
                       "reason": "目标值「及时」未细化到时间节点"},
        "social_benefit": {"tier": "achieved", "final": "14", "reason": "效益指标只有定性目标，可衡量性不足"},
        "beneficiary_satisfaction": {"final": "13", "reason": "问卷针对工会整体工作而非本项目，有效问卷仅 19 份"},
    })
    return inputs


def test_the_system_has_17_leaves_and_4_level1_groups_of_20_20_30_30():
    assert len(FUTIAN.leaves) == 17
    assert [(n.id, n.weight) for n in FUTIAN.nodes] == [
        ("decision", 20), ("process", 20), ("output", 30), ("effect", 30)]


def test_published_scores_total_95_grade_excellent():
    result = score(FUTIAN, published(), fields=FIELDS)
    assert result.ok, result.problems
    assert result.total == 95
    assert display(result.total) == D("95.00")
    assert result.grade["zh"] == "优"
    assert {k: result.groups[k] for k in ("decision", "process", "output", "effect")} == {
        "decision": 20, "process": 20, "output": 28, "effect": 27}


def test_with_the_appendix_timeliness_4_the_total_is_94():
    # The appendix prints 4.0 for 完成及时性, the body 5.00: only 5 gives 95.
    result = score(FUTIAN, published(timeliness_final="4", timeliness_tier="partial"), fields=FIELDS)
    assert result.ok, result.problems
    assert result.total == 94 and result.grade["zh"] == "优"


def test_timeliness_4_is_outside_the_achieved_band():
    # "如期完成" is the achieved tier, whose band is [4.8, 6]: 4.0 contradicts it.
    result = score(FUTIAN, published(timeliness_final="4", timeliness_tier="achieved"), fields=FIELDS)
    assert codes(result.problems) == ["final_band"]
    assert result.problems[0].message == "「完成及时性」的最终得分 4 不在「达成年度指标」档的分值范围 [4.8, 6] 内"


def test_completion_rate_suggestion_is_12_times_2185_over_2208():
    leaf = score(FUTIAN, published(), fields=FIELDS).leaf("completion_rate")
    assert leaf.suggested == D("11.875") and display(leaf.suggested) == D("11.88")
    assert leaf.final == 11 and leaf.score == 11


def test_completion_rate_final_11_without_a_reason_is_refused():
    inputs = published()
    inputs["completion_rate"] = {"final": "11"}
    result = score(FUTIAN, inputs, fields=FIELDS)
    assert not result.ok
    assert codes(result.problems) == ["reason_required"]
    assert result.problems[0].path == "leaves.completion_rate.reason"
    assert result.problems[0].message == "「实际完成率」的最终得分 11 与建议得分 11.88 不同，须填写调整理由"
    leaf = result.leaf("completion_rate")
    assert leaf.final == 11 and leaf.score == D("11.875")  # the refused final is kept, not used


@pytest.mark.parametrize("leaf_id", ["funds_arrival_rate", "budget_execution_rate"])
def test_formula_suggestions_for_funds_arrival_and_execution_are_4(leaf_id):
    leaf = score(FUTIAN, published(), fields=FIELDS).leaf(leaf_id)
    assert display(leaf.suggested) == D("4.00") and leaf.final is None


def test_satisfaction_suggestion_is_15_times_95_39_percent():
    leaf = score(FUTIAN, published(), fields=FIELDS).leaf("beneficiary_satisfaction")
    assert display(leaf.suggested) == D("14.31") and leaf.score == 13


def test_cost_saving_rate_zero_gets_full_marks_as_published():
    assert score(FUTIAN, published(), fields=FIELDS).leaf("cost_saving").suggested == 6


def test_one_missing_checklist_item_costs_25_percent_of_3():
    inputs = published()
    inputs["basis_sufficiency"] = {"missing": ["no_duplication"]}
    result = score(FUTIAN, inputs, fields=FIELDS)
    assert result.leaf("basis_sufficiency").score == D("2.25") and result.total == D("94.25")


def test_the_misprinted_executed_amount_285_90_scores_no_more_than_full():
    # The report misprints 执行数 285.90; the ratio caps at 4 (the definition's check flags it).
    fields = dict(FIELDS, executed="285.90")
    assert score(FUTIAN, published(), fields=fields).leaf("budget_execution_rate").suggested == 4


def test_definition_checks_catch_the_misprinted_executed_amount():
    checks = {c["id"]: c["expression"] for c in definition(PATH)["checks"]}
    assert evaluate(checks["executed_within_budget"], FIELDS) is True
    assert evaluate(checks["executed_within_budget"], dict(FIELDS, executed="285.90")) is False
    assert evaluate(checks["budget_adds_up"], FIELDS) is True  # 260.00 − 1.10 = 258.90


def test_the_whole_definition_is_valid_in_the_definition_language():
    assert validate_definition(definition(PATH)) == []
