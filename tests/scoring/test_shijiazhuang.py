"""Shijiazhuang 附件二, corrected (项目绩效 36) and as printed (45)."""
from __future__ import annotations

import copy

import pytest

from core.definitions.errors import DefinitionInvalid
from core.definitions.loader import validate_definition
from core.scoring import display, load_scoring, score, validate_scoring

from .helpers import D, definition

PATH = "form_definitions/shijiazhuang/self_evaluation.json"
PRINTED = "tests/fixtures/definitions/shijiazhuang_self_evaluation_as_printed.json"
FIELDS = {"budget": "100000", "final_accounts": "92500", "satisfaction_rate": "95.39"}

# A complete example. Hand computation (weights in brackets):
#   项目决策 (20): 目标内容 达成 5 + 决策依据 达成, final 4.5 + 分配办法 部分达成 70% of 5 = 3.5
#                  + 分配结果 达成 5                                                  = 18
#   项目实施 (15): 组织管理 5 + 执行进度 final 4 + 资金使用 (manual) 5               = 14
#   项目绩效 (36): 产出 5 + 4 + 部分达成 70% of 3 = 2.1 → 11.1;
#                  效益 经济 (manual) 6 + 社会 8 + 可持续 未达成 30% of 8 = 2.4 → 16.4 = 27.5
#   项目满意度 (9): 9 × 95.39 / 100                                                   = 8.5851
#   预算执行 (20): 20 × 92500 / 100000                                                = 18.5
#   base = 18 + 14 + 27.5 + 8.5851 + 18.5 = 86.5851; bonus 积极措施 5 (the cap)
#   total = 91.5851 → 91.59, 优
INPUTS = {
    "objective_content": {"tier": "achieved"},
    "decision_basis": {"tier": "achieved", "final": "4.5", "reason": "未制定中长期实施规划"},
    "allocation_method": {"tier": "partial"},
    "allocation_result": {"tier": "achieved"},
    "management": {"tier": "achieved"},
    "progress": {"tier": "achieved", "final": "4", "reason": "中秋慰问晚于计划一周"},
    "funds_use": {"final": "5"},
    "output_quantity": {"tier": "achieved"},
    "output_quality": {"tier": "achieved"},
    "output_timeliness": {"tier": "partial"},
    "economic_benefit": {"score": "6"},
    "social_benefit": {"tier": "achieved"},
    "sustainable_impact": {"tier": "not_achieved"},
    "positive_measures": {"final": "5"},
}


def test_corrected_definition_is_valid_with_36_for_project_performance():
    doc = definition(PATH)
    assert validate_scoring(doc["scoring"]) == []
    assert [n["weight"] for n in doc["scoring"]["nodes"]] == [20, 15, 36, 9, 20]


def test_complete_example_total_with_bonus_at_its_cap():
    result = score(load_scoring(definition(PATH)["scoring"]), INPUTS, fields=FIELDS)
    assert result.ok, result.problems
    assert result.groups["decision"] == 18 and result.groups["implementation"] == 14
    assert result.groups["performance"] == D("27.5")
    assert result.base == D("86.5851") and result.bonus == 5
    assert result.total == D("91.5851") and display(result.total) == D("91.59")
    assert result.grade["zh"] == "优"


def test_bonus_group_sum_is_capped_at_5():
    scoring = copy.deepcopy(definition(PATH)["scoring"])
    scoring["bonus"]["items"].append({"id": "innovation", "label": {"zh": "创新做法"}, "weight": 3,
                                      "rule": {"type": "manual"}})
    inputs = dict(INPUTS, innovation={"final": "3"})
    result = score(scoring, inputs, fields=FIELDS)
    assert result.bonus_raw == 8 and result.bonus == 5
    assert result.total == D("91.5851")


def test_budget_execution_rate_is_capped_at_20():
    fields = dict(FIELDS, final_accounts="120000")
    assert score(definition(PATH)["scoring"], INPUTS, fields=fields).leaf("budget_execution_rate").suggested == 20


def test_as_printed_fails_naming_project_performance_45_and_36():
    problems = validate_scoring(definition(PRINTED)["scoring"])
    messages = [str(p) for p in problems]
    assert "scoring.nodes[2].weight: 「项目绩效」的分值 45 与其下级分值之和 36 不一致" in messages
    assert "scoring.max: 一级指标分值之和 109 与满分 100 不一致" in messages
    assert len(problems) == 2


def test_the_definition_loader_reports_the_same_error():
    assert validate_definition(definition(PATH)) == []
    assert "「项目绩效」的分值 45 与其下级分值之和 36 不一致" in [p.message for p in validate_definition(definition(PRINTED))]


def test_as_printed_cannot_be_loaded_or_scored():
    with pytest.raises(DefinitionInvalid) as caught:
        score(definition(PRINTED)["scoring"], INPUTS, fields=FIELDS)
    assert any(p.code == "sum_mismatch" and "45" in p.message and "36" in p.message for p in caught.value.problems)


def test_every_judgement_leaf_explains_its_rule_choice():
    tree = load_scoring(definition(PATH)["scoring"])
    for leaf in tree.leaves:
        if leaf.rule.type in ("manual", "qualitative"):
            assert leaf.note and leaf.note.startswith(leaf.rule.type), leaf.id
