"""The engine: finals and reasons, caps, totals, bad input, hooks."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pluggy
import pytest

from core import hooks as hookspecs
from core.scoring import bind_hooks, display, load_scoring, score

from .helpers import D, codes, score_one

MANUAL = {"type": "manual"}


def small_tree(**extra) -> dict:
    """Base 100 (two groups), a bonus group capped at 10 and a deduction group capped at 10."""
    scoring = {
        "max": 100,
        "nodes": [
            {"id": "work", "label": {"zh": "基础工作"}, "weight": 60, "children": [
                {"id": "a", "label": {"zh": "甲项"}, "weight": 40, "rule": MANUAL},
                {"id": "b", "label": {"zh": "乙项"}, "weight": 20, "rule": {"type": "ratio"}}]},
            {"id": "c", "label": {"zh": "丙项"}, "weight": 40, "rule": {"type": "qualitative"}}],
        "bonus": {"cap": 10, "items": [
            {"id": "endorsements", "label": {"zh": "加分项"}, "weight": 10, "rule": {"type": "counted", "items": [
                {"id": "endorsement", "label": {"zh": "领导肯定性批示"}, "points": 5},
                {"id": "media", "label": {"zh": "媒体宣传"}, "points": 1}]}},
            {"id": "innovation", "label": {"zh": "创新做法"}, "weight": 5, "rule": MANUAL}]},
        "deductions": {"cap": 10, "items": [
            {"id": "progress", "label": {"zh": "支出进度"}, "weight": 5, "rule": {
                "type": "threshold_deduction", "value": "progress", "bands": [
                    {"min": 95, "deduct": 0}, {"min": 80, "per_point": 0.3, "below": 95}, {"min": 0, "deduct": 5}]}},
            {"id": "audit", "label": {"zh": "审计发现问题"}, "weight": 5, "rule": MANUAL}]},
    }
    scoring.update(extra)
    return scoring


FULL = {"a": {"score": 40}, "b": {"actual": 1, "target": 1}, "c": {"tier": "achieved"}}


# ------------------------------------------------------------------- finals -------

def test_final_above_weight_is_refused_naming_the_indicator():
    leaf = score_one({"type": "ratio"}, {"actual": 1, "target": 2, "final": "13", "reason": "x"}, weight=12,
                     label="实际完成率")
    assert codes(leaf.problems) == ["final_range"]
    assert leaf.problems[0].path == "leaves.x.final"
    assert leaf.problems[0].message == "「实际完成率」的最终得分 13 超出分值范围 [0, 12]"
    assert leaf.score == 6  # the suggestion stands


def test_final_not_a_number():
    leaf = score_one(MANUAL, {"final": "十分"}, weight=12, label="积极措施")
    assert codes(leaf.problems) == ["not_a_number"]
    assert leaf.problems[0].message == "「积极措施」的「最终得分」值「十分」不是数字"


def test_final_equal_to_the_displayed_suggestion_needs_no_reason():
    leaf = score_one({"type": "ratio"}, {"actual": 2185, "target": 2208, "final": "11.88"}, weight=12)
    assert not leaf.problems and leaf.score == D("11.88")


def test_final_with_a_reason_is_used_and_both_are_kept():
    leaf = score_one({"type": "ratio"}, {"actual": 2185, "target": 2208, "final": 11, "reason": "上限型目标"}, weight=12)
    assert (leaf.suggested, leaf.final, leaf.score, leaf.reason) == (D("11.875"), 11, 11, "上限型目标")
    assert leaf.final_accepted


def test_blank_reason_does_not_count():
    leaf = score_one({"type": "ratio"}, {"actual": 1, "target": 2, "final": 5, "reason": "   "}, weight=12)
    assert codes(leaf.problems) == ["reason_required"]


def test_qualitative_final_outside_its_tier_band_is_refused():
    leaf = score_one({"type": "qualitative"}, {"tier": "achieved", "final": 11, "reason": "效果一般"}, weight=15,
                     label="社会效益")
    assert leaf.problems[0].message == "「社会效益」的最终得分 11 不在「达成年度指标」档的分值范围 [12, 15] 内"


def test_half_open_band_excludes_its_top():
    leaf = score_one({"type": "qualitative"}, {"tier": "partial", "final": 12, "reason": "x"}, weight=15)
    assert codes(leaf.problems) == ["final_band"]
    ok = score_one({"type": "qualitative"}, {"tier": "partial", "final": "11.99", "reason": "x"}, weight=15)
    assert not ok.problems


# ------------------------------------------------------------------- totals -------

def test_totals_bonus_and_deductions_with_caps():
    inputs = dict(FULL, a={"score": 30}, endorsements={"counts": {"endorsement": 1, "media": 3}},
                  innovation={"score": 5}, progress={"progress": "87.5"}, audit={"score": 5})
    result = score(small_tree(), inputs)
    assert result.ok, result.problems
    assert result.groups["work"] == 50 and result.base == 90
    assert (result.bonus_raw, result.bonus) == (13, 10)
    assert (result.deductions_raw, result.deductions) == (D("7.25"), D("7.25"))
    assert result.total == D("92.75") and result.grade["zh"] == "优"


def test_spending_progress_79_deducts_5():
    result = score(small_tree(), dict(FULL, progress={"progress": 79}))
    assert result.deductions == 5 and result.total == 95


def test_total_never_exceeds_max_plus_bonus_cap_nor_goes_below_zero():
    high = score(small_tree(), dict(FULL, endorsements={"counts": {"endorsement": 3}}))
    assert high.total == 110
    assert score(small_tree(), dict(FULL, innovation={"score": 5}, endorsements={"counts": {}})).total == 105
    low_inputs = {"a": {"score": 0}, "b": {"actual": 0, "target": 1},
                  "c": {"tier": "not_achieved", "final": 0, "reason": "无效果"},
                  "progress": {"progress": 10}, "audit": {"score": 5}}
    assert score(small_tree(), low_inputs).total == 0


def test_bonus_and_deduction_items_without_input_count_zero_without_problems():
    result = score(small_tree(), FULL)
    assert result.ok and result.total == 100
    assert result.leaf("audit").score is None


def test_unscored_required_leaves_are_problems_and_count_zero():
    result = score(small_tree(), {"a": {"score": 40}})
    assert [p.path for p in result.problems] == ["leaves.b.actual", "leaves.c.tier"]
    assert result.total == 40 and result.grade["zh"] == "差"


def test_grade_is_taken_from_the_rounded_total():
    # 89.995 displays as 90.00, so the grade must be 优, not 良.
    result = score(small_tree(), dict(FULL, a={"score": "29.995"}))
    assert display(result.total) == D("90.00") and result.grade["zh"] == "优"


def test_custom_grade_bands():
    bands = [{"min": 80, "label": {"zh": "优"}}, {"min": 70, "label": {"zh": "良"}},
             {"min": 60, "label": {"zh": "中"}}, {"min": 0, "label": {"zh": "差"}}]
    result = score(small_tree(grades=bands), dict(FULL, a={"score": 25}))
    assert result.total == 85 and result.grade["zh"] == "优"


# ---------------------------------------------------------------- bad input -------

def test_totals_groups_and_unknown_ids_are_never_inputs():
    inputs = dict(FULL, total={"final": 100}, work={"final": 60}, nosuch={"final": 1})
    result = score(small_tree(), inputs)
    assert {p.path: p.code for p in result.problems} == {
        "leaves.total": "total_not_input", "leaves.work": "computed_not_input", "leaves.nosuch": "unknown_leaf"}
    assert "「基础工作」的得分由下级指标汇总计算" in result.problems[1].message


def test_leaf_inputs_must_be_an_object():
    result = score(small_tree(), dict(FULL, a="40"))
    assert "inputs_not_object" in codes(result.problems)


def test_as_dict_is_json_ready_with_two_decimals():
    result = score(small_tree(), dict(FULL, b={"actual": 2185, "target": 2208}))
    data = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert data["leaves"][1]["suggested"] == "19.79" and data["total"] == "99.79"
    assert data["grade"] == {"zh": "优", "en": "Excellent"} and data["ok"] is True


def test_the_loaded_tree_is_reused_and_immutable():
    tree = load_scoring(small_tree())
    assert score(tree, FULL).total == score(tree, FULL).total == 100
    with pytest.raises(TypeError):
        tree.index["a"].rule.params["type"] = "x"


# -------------------------------------------------------------------- hooks -------

def test_hooks_override_suggestion_total_and_grade():
    calls = []

    def score_indicator(leaf, inputs, suggested):
        calls.append(leaf.id)
        return D(10) if leaf.id == "b" else None

    hooks = SimpleNamespace(score_indicator=score_indicator,
                            adjust_total=lambda result: result.total - 1,
                            grade=lambda total, bands: {"zh": f"{bands[0]['label']['zh']}?"})
    result = score(small_tree(), FULL, hooks=hooks)
    assert result.leaf("b").suggested == 10 and result.leaf("b").detail["rule_suggested"] == 20
    assert result.total == 89 and result.grade == {"zh": "优?"}
    assert "a" in calls and "progress" in calls


def test_hook_suggestion_out_of_range_is_ignored_with_a_warning():
    hooks = SimpleNamespace(score_indicator=lambda leaf, inputs, suggested: D(99))
    result = score(small_tree(), FULL, hooks=hooks)
    assert result.leaf("b").suggested == 20 and "hook_out_of_range" in codes(result.warnings)


class _Plugin:
    """A jurisdiction plugin as the web app would load it."""

    @hookspecs.hookimpl
    def score_indicator(self, leaf, suggested, jurisdiction):
        return D(15) if leaf.id == "b" and jurisdiction == "futian" else None

    @hookspecs.hookimpl
    def grade(self, total, bands, jurisdiction):
        return {"zh": "好"} if total >= 90 else None


def test_pluggy_hook_callers_work_through_bind_hooks():
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(_Plugin())
    result = score(small_tree(), FULL, hooks=bind_hooks(pm.hook, jurisdiction="futian"))
    assert result.leaf("b").suggested == 15 and result.total == 95
    assert result.grade == {"zh": "好"}


def test_list_answers_take_the_first_opinion():
    hooks = SimpleNamespace(adjust_total=lambda result: [None, D(50), D(60)])
    assert score(small_tree(), FULL, hooks=hooks).total == 50
