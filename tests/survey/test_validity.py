"""The invalid-response rules (pure)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.definitions.loader import load_definition
from core.definitions.locations import FORM_DEFINITIONS_DIR
from survey.validity import assess, reason_labels, straight_lined, too_fast

DEFINITION = load_definition(FORM_DEFINITIONS_DIR / "futian" / "surveys" / "retirees.json")
T0 = datetime(2022, 9, 1, 10, 0, tzinfo=timezone.utc)
ALL_FIVE = {"timely": "5", "amount": "5", "convenient": "5", "informed": "5", "staff": "5"}


def test_straight_lining_needs_every_row_alike_and_enough_rows():
    assert straight_lined(DEFINITION, {"payment": ALL_FIVE}, 5) == ["payment"]
    assert straight_lined(DEFINITION, {"payment": dict(ALL_FIVE, staff="4")}, 5) == []
    # the matrix has 5 statements: a threshold of 6 leaves it alone, 0 switches the rule off
    assert straight_lined(DEFINITION, {"payment": ALL_FIVE}, 6) == []
    assert straight_lined(DEFINITION, {"payment": ALL_FIVE}, 0) == []
    # an incomplete matrix is not straight-lined
    assert straight_lined(DEFINITION, {"payment": {"timely": "5", "amount": "5"}}, 2) == []


def test_too_fast():
    assert too_fast(T0, T0 + timedelta(seconds=19), 20)
    assert not too_fast(T0, T0 + timedelta(seconds=20), 20)
    assert not too_fast(T0, T0 + timedelta(seconds=1), 0)  # 0 switches it off
    assert not too_fast(None, T0, 20)


def test_assess_collects_every_reason_in_order():
    fields = {"payment": ALL_FIVE, "overall": "5"}
    reasons = assess(DEFINITION, fields, started_at=T0, submitted_at=T0 + timedelta(seconds=5), min_seconds=30,
                     straight_line_min_rows=5, duplicate_device=True)
    assert reasons == ["straight_lining", "too_fast", "duplicate_device"]
    assert assess(DEFINITION, {"payment": dict(ALL_FIVE, amount="3")}, started_at=T0,
                  submitted_at=T0 + timedelta(minutes=3), min_seconds=30, straight_line_min_rows=5) == []
    assert assess(DEFINITION, {}, started_at=None, submitted_at=T0, min_seconds=30,
                  straight_line_min_rows=5) == ["no_start_time"]


def test_reason_labels_are_chinese_by_default():
    assert reason_labels(["too_fast", "unknown_code"]) == ["作答时间过短", "unknown_code"]
    assert reason_labels(["manual"], "en") == ["excluded by the owner"]
