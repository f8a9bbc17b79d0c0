"""Shijiazhuang 附件三 (工会预算绩效管理工作评分表) in the scoring language, scored by the engine."""
from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest

from core.assessment.sheet import build_sheet, inputs_from_form, input_text, ranking
from core.scoring import display, load_scoring, score, validate_scoring
from tests.monitoring.helpers import ROOT

D = Decimal
DOC = json.loads((ROOT / "form_definitions" / "shijiazhuang" / "assessment.json").read_text(encoding="utf-8"))
TREE = load_scoring(DOC["scoring"])

# A county that did everything: base 100.
PERFECT = {
    "org_guarantee": {"checked": ["group_and_person"]}, "rules_issued": {"count": "4"},
    "publicity_training": {"checked": ["publicity", "training"]}, "materials": {"count": "0"},
    "ex_ante_scope": {"not_done": "0", "required": "4"}, "goal_scope": {"met": "是"},
    "goal_expert_review": {"met": "是"}, "goal_quality_problems": {"count": "0"}, "monitor_scope": {"count": "0"},
    "monitor_feedback": {"count": "0"}, "monitor_self_unfixed": {"count": "0"}, "monitor_missed": {"count": "0"},
    "monitor_findings_unfixed": {"count": "0"}, "eval_scope": {"met": "是"}, "eval_quality": {"count": "0"},
    "eval_feedback": {"met": "是"}, "eval_use": {"met": "是"}, "goals_reported": {"met": "是"},
    "goals_published": {"count": "0"}, "results_published": {"count": "0"},
}


def with_(**changes):
    inputs = copy.deepcopy(PERFECT)
    inputs.update(changes)
    return inputs


def test_the_table_as_printed():
    assert validate_scoring(DOC["scoring"]) == []
    assert [(n["label"]["zh"], n["weight"]) for n in DOC["scoring"]["nodes"]] == [
        ("基础工作", 16), ("事前绩效评估", 6), ("绩效目标管理", 20), ("绩效监控管理", 18), ("绩效评价管理", 22),
        ("绩效目标公开", 18)]
    assert TREE.max == 100 and TREE.bonus.cap == 10 and TREE.deductions.cap == 10
    assert len(TREE.leaves) == 23
    # 组织保障: printed weight 3, but its standard awards 2 — kept as printed.
    assert score(TREE, PERFECT).leaf("org_guarantee").score == 2


def test_a_perfect_county():
    result = score(TREE, PERFECT)
    assert result.ok, result.problems
    assert result.base == 99 and result.total == 99  # 组织保障 gives at most 2 of its 3
    assert result.grade["zh"] == "优"


@pytest.mark.parametrize("progress, deducted", [("100", 0), ("95", 0), ("94", "0.3"), ("87.5", "2.25"),
                                                ("80", "4.5"), ("79.99", 5), ("79", 5), ("50", 5)])
def test_spending_progress_band(progress, deducted):
    result = score(TREE, with_(spending_progress={"progress": progress}))
    assert result.leaf("spending_progress").score == D(str(deducted))
    assert result.deductions == D(str(deducted))


def test_spending_progress_87_5_gives_minus_2_25():
    result = score(TREE, with_(spending_progress={"progress": "87.5%"}))
    assert result.total == D("96.75")  # 99 − 2.25


def test_per_occurrence_deductions_floor_at_zero():
    # 材料报送等 (6): nine missed submissions deduct 9 but the item only loses its 6.
    result = score(TREE, with_(materials={"count": "9"}))
    assert result.leaf("materials").score == 0 and result.groups["basic"] == 2 + 4 + 3 + 0
    # 质量控制 (8, −0.5 each): 20 problems → 0, not −2; 3 problems → 6.5.
    assert score(TREE, with_(goal_quality_problems={"count": "20"})).leaf("goal_quality_problems").score == 0
    assert score(TREE, with_(goal_quality_problems={"count": "3"})).leaf("goal_quality_problems").score == D("6.5")


def test_ex_ante_scope_deducts_the_share_not_done():
    # 1 of 4 required assessments not done: 6 − 1/4 × 6 = 4.5.
    assert score(TREE, with_(ex_ante_scope={"not_done": "1", "required": "4"})).leaf("ex_ante_scope").score == D("4.5")


def test_bonus_capped_at_10():
    # One endorsement (5) + one experience (5) + three media reports (3) = 13 → 10.
    result = score(TREE, with_(bonus_items={"counts": {"endorsement": "1", "experience": "1", "media": "3"}}))
    assert result.leaf("bonus_items").detail["uncapped"] == 13
    assert result.bonus == 10 and result.total == 109


def test_audit_findings_are_tiered_up_to_5():
    for tier, points in (("minor", 1), ("serious", 3), ("grave", 5)):
        assert score(TREE, with_(audit_findings={"tier": tier})).leaf("audit_findings").score == points
    # Within its band with a reason (a grave finding judged 4.5).
    result = score(TREE, with_(audit_findings={"tier": "grave", "final": "4.5", "reason": "已部分整改"}))
    assert result.leaf("audit_findings").score == D("4.5") and result.ok
    # Both deductions together stay within the cap of 10.
    both = score(TREE, with_(audit_findings={"tier": "grave"}, spending_progress={"progress": "70"}))
    assert both.deductions == 10 and both.total == 89


def test_self_and_assessed_stages_are_two_scorings():
    self_inputs = with_(rules_issued={"count": "4"}, spending_progress={"progress": "92"})
    assessed = with_(rules_issued={"count": "2"}, spending_progress={"progress": "87.5"})
    assert display(score(TREE, self_inputs).total) == D("98.10")   # 99 − 0.9
    assert display(score(TREE, assessed).total) == D("94.75")      # 99 − 2 − 2.25


def test_the_sheet_rows_and_form_parsing():
    sheet = build_sheet(TREE)
    assert [r.leaf.id for r in sheet.rows][:4] == ["org_guarantee", "rules_issued", "publicity_training", "materials"]
    assert sheet.rows[0].first_in_area and sheet.rows[0].area_size == 4
    assert [s.key for s in sheet.rows[4].inputs] == ["not_done", "required"]  # 事前绩效评估 范围规模
    from werkzeug.datastructures import MultiDict
    form = MultiDict([("in-org_guarantee-checked-present", "1"), ("in-publicity_training-checked-present", "1"),
                      ("in-publicity_training-checked", "training"), ("in-materials-count", "2"),
                      ("in-bonus_items-counts.media", "3"), ("in-bonus_items-counts.endorsement", ""),
                      ("in-spending_progress-progress", "87.5"), ("final-materials", "4"),
                      ("reason-materials", ""), ("ev-materials", "2023年报送台账")])
    inputs, evidence = inputs_from_form(sheet, form)
    assert inputs["org_guarantee"] == {"checked": []}               # none done is an answer
    assert inputs["publicity_training"] == {"checked": ["training"]}
    assert inputs["materials"] == {"count": "2", "final": "4"}
    assert inputs["bonus_items"] == {"counts": {"media": "3"}}
    assert "rules_issued" not in inputs and evidence == {"materials": "2023年报送台账"}
    spec = sheet.rows[2].inputs[0]
    assert input_text(spec, inputs["publicity_training"]) == "对业务部门、下级工会预算绩效管理培训全覆盖"


def test_ranking_shares_places_and_leaves_the_unassessed_last():
    ranked = ranking([("正定", D("96.75")), ("栾城", D("98.1")), ("藁城", None), ("鹿泉", D("96.75"))])
    assert ranked == [(1, "栾城", D("98.1")), (2, "正定", D("96.75")), (2, "鹿泉", D("96.75")), (None, "藁城", None)]
