"""Grade bands: the 90/80/60 default (Changzhi §27, lower bound inclusive) and custom ones."""
from __future__ import annotations

import pytest

from core.scoring import DEFAULT_GRADES, grade_for
from core.scoring.grades import parse_grades, validate_grades

from .helpers import D


@pytest.mark.parametrize("total, grade", [
    ("100", "优"), ("90", "优"), ("89.99", "良"), ("80", "良"), ("79.99", "中"), ("60", "中"), ("59.99", "差"),
    ("0", "差"), ("105", "优"),
])
def test_default_bands_lower_bound_inclusive(total, grade):
    assert grade_for(D(total))["zh"] == grade


def test_default_bands_are_used_when_none_are_given():
    assert parse_grades(None) == DEFAULT_GRADES


def test_local_variant_80_70_60():
    bands = parse_grades([{"min": 80, "label": {"zh": "优"}}, {"min": 70, "label": {"zh": "良"}},
                          {"min": 60, "label": {"zh": "中"}}, {"min": 0, "label": {"zh": "差"}}])
    assert grade_for(D(75), bands)["zh"] == "良"


def test_validation():
    assert validate_grades([{"min": 90, "label": {"zh": "优"}}, {"min": 0, "label": {"zh": "差"}}], "g") == []
    problems = validate_grades([{"min": "x", "label": {}}], "g")
    assert [p.code for p in problems] == ["label_missing", "grade_min_invalid"]
