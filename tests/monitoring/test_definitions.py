"""The monitoring forms of the seed packs and the ``monitoring`` block of the definition language."""
from __future__ import annotations

import copy
import json

import pytest

from core.definitions.loader import validate_definition
from core.definitions.locations import builtin_pack_dir
from core.definitions.pack import load_pack
from core.monitoring.settings import monitoring_settings

CODES = ("shijiazhuang", "boye", "changzhi", "chongqing", "futian")


def monitoring_doc(code="boye") -> dict:
    return json.loads((builtin_pack_dir(code) / "monitoring.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("code", CODES)
def test_every_seed_pack_lists_a_valid_monitoring_form(code):
    pack = load_pack(builtin_pack_dir(code))
    assert pack.forms["monitoring"].kind == "monitoring"
    assert validate_definition(monitoring_doc(code)) == []
    settings = monitoring_settings(monitoring_doc(code))
    assert settings.rounds and all(r.settings is settings for r in settings.rounds)
    assert settings.budget_band.red_below == 60 and settings.indicator_band.blue_from == 120


def test_shijiazhuang_rounds_follow_its_spending_plan_milestones():
    # 附件一: 资金支出计划 6月底, 9月底, 11月底 (§15: complete by the end of November).
    assert [r.month for r in monitoring_settings(monitoring_doc("shijiazhuang")).rounds] == [6, 9, 11]
    # Elsewhere the August concentrated round covers January–July (DOMAIN.md §8).
    boye = monitoring_settings(monitoring_doc("boye"))
    assert boye.round("aug").month == 7 and boye.round("aug").label["zh"] == "8月集中监控（1—7月）"
    assert boye.current_round(8).id == "aug" and boye.current_round(1).id == "m06"


def test_ex_ante_forms_where_the_pack_requires_them():
    for code in ("changzhi", "chongqing"):
        pack = load_pack(builtin_pack_dir(code))
        assert pack.workflow["require_ex_ante"] is True and pack.forms["ex_ante"].kind == "ex_ante"
        ids = {f.id for f in pack.forms["ex_ante"].fields}
        assert {"necessity", "economy", "goal_reasonableness", "feasibility", "funding_compliance",
                "conclusion"} <= ids
    assert "risk" in {f.id for f in load_pack(builtin_pack_dir("changzhi")).forms["ex_ante"].fields}  # §14
    assert "effectiveness" in {f.id for f in load_pack(builtin_pack_dir("chongqing")).forms["ex_ante"].fields}
    for code in ("boye", "shijiazhuang", "futian"):
        assert "ex_ante" not in load_pack(builtin_pack_dir(code)).forms


def _problems(change) -> list[str]:
    doc = copy.deepcopy(monitoring_doc())
    change(doc)
    return [str(p) for p in validate_definition(doc)]


def test_round_ids_unique_and_months_increasing():
    def change(doc):
        doc["monitoring"]["rounds"][1]["id"] = "m06"
        doc["monitoring"]["rounds"][2]["month"] = 5
    assert _problems(change) == [
        "monitoring.rounds[1].id: id「m06」重复（已用于 monitoring.rounds[0]）",
        "monitoring.rounds[2].month: 月份必须在 1–12 之间且严格递增：5 月排在 7 月之后",
    ]


def test_thresholds_in_order():
    def change(doc):
        doc["monitoring"]["thresholds"]["indicator"] = {"red_below": 60, "green_from": 80, "blue_from": 70}
    assert _problems(change) == ["monitoring.thresholds.indicator: 阈值须满足 red_below ≤ green_from ≤ blue_from，"
                                 "现为 60 / 80 / 70"]


def test_field_references_must_exist():
    def change(doc):
        doc["monitoring"]["fields"]["executed"] = "spent"
    assert _problems(change) == ["monitoring.fields.executed: 「spent」不是本表单的字段 id（用于累计执行数）"]


def test_structure_is_strict():
    def change(doc):
        doc["monitoring"]["rounds"][0]["month"] = 13
        doc["monitoring"]["tresholds"] = {}
        doc["monitoring"]["percent_targets"] = "sometimes"
    problems = _problems(change)
    assert "monitoring.rounds[0].month: 必须在 1 到 12 之间，收到 13" in problems
    assert "monitoring.tresholds: 未知的键「tresholds」" in problems
    assert any(p.startswith("monitoring.percent_targets:") for p in problems)


def test_only_a_monitoring_form_has_a_monitoring_block():
    def change(doc):
        doc["kind"] = "goal"
    assert _problems(change) == ["monitoring: 只有 monitoring 类表单可以有 monitoring 设置"]
