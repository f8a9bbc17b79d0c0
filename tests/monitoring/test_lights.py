"""Traffic lights (core/monitoring/lights.py): budget, indicators, project; reasons for red."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from core.monitoring.lights import evaluate, indicator_light, report_problems, worst
from core.monitoring.progress import plan_points
from core.monitoring.settings import Band, monitoring_settings

from .helpers import ROOT

D = Decimal
SETTINGS = monitoring_settings(None)  # DOMAIN.md §8 defaults
FUTIAN = json.loads((ROOT / "demo" / "futian_2022.json").read_text(encoding="utf-8"))["projects"][0]
ROWS = {row["name"]: row for row in FUTIAN["rows"]}


def light(name, month=6, **entry):
    return indicator_light(ROWS[name], entry, month, SETTINGS)


@pytest.mark.parametrize("value, expected", [
    (D("59.99"), "red"), (D(60), "yellow"), (D("79.99"), "yellow"), (D(80), "green"), (D(150), "green")])
def test_budget_band_defaults(value, expected):
    assert SETTINGS.budget_band.light(value) == expected


@pytest.mark.parametrize("value, expected", [
    (D("59.99"), "red"), (D(60), "yellow"), (D(80), "green"), (D("119.99"), "green"), (D(120), "blue")])
def test_indicator_band_defaults_with_blue_for_over_performance(value, expected):
    assert SETTINGS.indicator_band.light(value) == expected


def test_futian_at_the_june_round():
    # 慰问退休职工人数 < 2208 人: a reverse target, green while the actual stays within it.
    assert light("慰问退休职工人数", actual="2185 人").light == "green"
    assert light("慰问退休职工人数", actual="2210 人").light == "red"
    # 节日慰问次数 三次: by June 1.5 are due; one visit (春节) is 66.67% → yellow, two → 133.33% → blue.
    visits = light("节日慰问次数", actual="1 次")
    assert (visits.method, visits.expected, visits.light) == ("pro_rata", D("1.5"), "yellow")
    assert light("节日慰问次数", actual="2").light == "blue"
    # 满意度 > 80%: a level; 95.39% is 119.24% of it → green (blue starts at 120).
    assert light("区退休职工对工会工作的满意度", actual="95.39%").light == "green"
    # 投诉次数 < 5 次: 0 is green, 5 is not below 5 → red.
    assert light("区退休职工的投诉次数", actual="0 次").light == "green"
    assert light("区退休职工的投诉次数", actual="5 次").light == "red"
    # 发放慰问金总成本 <260 万: within the cap.
    assert light("发放慰问金总成本", actual="120 万").light == "green"


def test_qualitative_targets_take_a_tier():
    timely = light("慰问金发放及时性")
    assert (timely.method, timely.light, timely.problem) == ("tier", None, "tier_missing")
    assert light("慰问金发放及时性", tier="achieved").light == "green"
    assert light("落实国家规定的退休人员应有的薪酬福利待遇", tier="partial").light == "yellow"
    assert light("落实国家规定的退休人员应有的薪酬福利待遇", tier="not_achieved").light == "red"


def test_a_numeric_target_needs_a_number():
    assert light("节日慰问次数").problem == "actual_missing"
    assert light("节日慰问次数", actual="已开展").problem == "actual_not_number"


def test_project_light_is_the_worst():
    assert worst(["green", "blue"]) == "blue"
    assert worst(["green", "yellow", "blue"]) == "yellow"
    assert worst(["yellow", "red", None]) == "red"
    assert worst([None]) is None


def _futian_lights(month=6, executed="120.00", **overrides):
    ids = {row["name"]: row["id"] for row in FUTIAN["rows"]}
    entries = {ids["慰问退休职工人数"]: {"actual": "2185 人"}, ids["节日慰问次数"]: {"actual": "2 次"},
               ids["节日慰问金金额发放到位率"]: {"actual": "100%"}, ids["慰问金发放及时性"]: {"tier": "achieved"},
               ids["发放慰问金总成本"]: {"actual": "120 万"},
               ids["落实国家规定的退休人员应有的薪酬福利待遇"]: {"tier": "achieved"},
               ids["区退休职工对工会工作的满意度"]: {"actual": "95.39%"}, ids["区退休职工的投诉次数"]: {"actual": "0 次"}}
    for name, entry in overrides.items():
        entries[ids[name]] = entry
    fields = {"annual_budget": "258.90", "executed": executed}
    return evaluate(FUTIAN["rows"], entries, fields, plan_points([], {}), month, SETTINGS)


def test_futian_project_at_june():
    lights = _futian_lights()
    # 120.00 of 258.90 is 46.35%, against 50% of the year elapsed: v = 92.70 → green.
    assert lights.budget.execution_rate.quantize(D("0.01")) == D("46.35")
    assert lights.budget.planned_source == "time"
    assert lights.budget.value.quantize(D("0.01")) == D("92.70") and lights.budget.light == "green"
    assert lights.complete and lights.light == "blue"  # two visits by June is ahead of the plan
    assert lights.counts() == {"green": 7, "blue": 1}
    assert report_problems(lights, SETTINGS) == []


def test_red_lights_need_a_deviation_reason():
    lights = _futian_lights(executed="60.00", **{"区退休职工的投诉次数": {"actual": "6 次"}})
    # 60.00 / 258.90 = 23.17%, v = 46.35 → red budget; six complaints → red indicator.
    assert lights.budget.light == "red" and lights.light == "red"
    problems = report_problems(lights, SETTINGS)
    assert [p.code for p in problems] == ["reason_required", "reason_required"]
    assert problems[0].message == "「区退休职工的投诉次数」为红灯（实际 6 次，超出目标），须填写偏差原因及纠偏措施"
    assert problems[1].path == "fields.budget_deviation_reason"
    assert problems[1].message == "预算执行为红灯：执行率 23.17%，计划 50.00%，须填写偏差原因及纠偏措施"
    fixed = _futian_lights(executed="60.00", **{"区退休职工的投诉次数": {
        "actual": "6 次", "deviation_reason": "春节慰问名单遗漏，已补发并建立复核机制"}})
    assert [p.path for p in report_problems(fixed, SETTINGS)] == ["fields.budget_deviation_reason"]


def test_a_definition_can_change_thresholds_and_reasons():
    settings = monitoring_settings({"kind": "monitoring", "monitoring": {
        "thresholds": {"budget": {"red_below": 50, "green_from": 90}}, "reason_required_for": ["red", "yellow"],
        "percent_targets": "time_scaled"}})
    assert settings.budget_band == Band(D(50), D(90), None)
    row = ROWS["区退休职工对工会工作的满意度"]
    # Time-scaled, 95.39% at June is 238% of 40% → blue.
    assert indicator_light(row, {"actual": "95.39%"}, 6, settings).light == "blue"
    visits = indicator_light(ROWS["节日慰问次数"], {"actual": "1"}, 6, settings)
    assert visits.light == "yellow"
    lights = evaluate([ROWS["节日慰问次数"]], {ROWS["节日慰问次数"]["id"]: {"actual": "1"}},
                      {"annual_budget": "10", "executed": "5"}, [], 6, settings)
    assert [p.code for p in report_problems(lights, settings)] == ["reason_required"]


def test_lights_serialise_for_storage():
    stored = _futian_lights().as_dict()
    assert stored["light"] == "blue" and stored["budget"]["execution_rate"].startswith("46.3")
    assert stored["indicators"][0]["name"] == "慰问退休职工人数"
