"""Planned and actual progress (core/monitoring/progress.py), with the seeds' spending plans."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.definitions.targets import parse_target
from core.monitoring.progress import (budget_progress, execution_rate, expected_value, indicator_progress,
                                      plan_points, planned_rate, time_elapsed_rate, to_decimal)

D = Decimal
BOYE_POINTS = [{"id": "m03", "month": 3}, {"id": "m06", "month": 6}, {"id": "m10", "month": 10},
               {"id": "m12", "month": 12}]
# Boye project 3 (劳模体检…) as printed: 25 / 50 / 75 / 100.
BOYE_3 = plan_points(BOYE_POINTS, {"m03": "25", "m06": "50", "m10": "75", "m12": "100"})
# Boye projects 1 and 2 as printed: the plan stops at 75% by 10月底 (12月底 left blank).
BOYE_1 = plan_points(BOYE_POINTS, {"m03": "25", "m06": "50", "m10": "75", "m12": ""})


def test_plan_points_skip_blanks_and_parse_percent_signs():
    assert BOYE_1 == [(3, D(25)), (6, D(50)), (10, D(75))]
    assert plan_points(BOYE_POINTS, {"m03": "25%", "m06": " 50 "}) == [(3, D(25)), (6, D(50))]


@pytest.mark.parametrize("month, expected", [
    (3, D(25)), (6, D(50)), (10, D(75)), (12, D(100)),
    (7, D("56.25")),          # the August round (1—7月): 50 + 25 × 1/4
    (9, D("68.75")),          # 50 + 25 × 3/4
    (11, D("87.5")),          # 75 + 25 × 1/2
])
def test_planned_rate_interpolates_between_milestones(month, expected):
    assert planned_rate(BOYE_3, month) == (expected, "plan")


def test_planned_rate_before_the_first_milestone_starts_from_zero():
    rate, source = planned_rate(BOYE_3, 2)
    assert source == "plan" and rate.quantize(D("0.01")) == D("16.67")


def test_planned_rate_after_the_last_milestone_stays_there():
    # Boye project 1's plan never reaches 100%: at 12月底 the plan still says 75%.
    assert planned_rate(BOYE_1, 12) == (D(75), "plan")


def test_without_a_plan_time_elapsed_applies():
    # Futian's goal form has no spending plan: June is half the year.
    assert planned_rate([], 6) == (D(50), "time")
    assert planned_rate([], 7)[0].quantize(D("0.01")) == D("58.33")
    assert time_elapsed_rate(12) == 100


def test_execution_rate_and_budget_progress():
    # Boye project 3, 8.83 万元, 3.00 executed by the end of July against 56.25% planned.
    rate = execution_rate(D("3.00"), D("8.83"))
    assert rate.quantize(D("0.0001")) == D("33.9751")
    assert budget_progress(rate, D("56.25")).quantize(D("0.01")) == D("60.40")
    assert execution_rate(D(1), D(0)) is None and execution_rate(None, D(1)) is None
    assert budget_progress(D(10), D(0)) is None  # nothing planned yet


def test_quantities_are_pro_rata_and_rates_are_levels():
    times = parse_target("三次")            # Futian: three festival visits a year
    assert expected_value(times, 6) == D("1.5")
    assert indicator_progress(times, D(1), 6).quantize(D("0.01")) == D("66.67")
    satisfaction = parse_target("> 80%")   # a level: 95.39% is compared with 80%, not with 40%
    assert expected_value(satisfaction, 6) == 80
    assert indicator_progress(satisfaction, D("95.39"), 6).quantize(D("0.01")) == D("119.24")
    per_head = parse_target("≥200 人均标准 200 元 /人")  # a per-unit value is a level too
    assert expected_value(per_head, 6) == 200
    assert expected_value(satisfaction, 6, "time_scaled") == 40


def test_to_decimal_reads_what_people_type():
    assert to_decimal("1,234.50") == D("1234.50") and to_decimal("56.25%") == D("56.25")
    assert to_decimal("") is None and to_decimal("abc") is None and to_decimal(None) is None
