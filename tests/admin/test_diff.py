"""The structural diff between two versions of a definition, read by people."""
from __future__ import annotations

import json

from core.admin.diff import diff


def lines(old, new):
    return [change.text() for change in diff(old, new)]


GOAL = {"sections": [{"id": "budget", "label": {"zh": "预算"}, "fields": [
    {"id": "unit", "type": "text", "label": {"zh": "单位"}},
    {"id": "name", "type": "text", "label": {"zh": "项目名称"}},
    {"id": "budget_total", "type": "money", "label": {"zh": "预算数"}, "min": 0}]}]}


def copy(doc):
    return json.loads(json.dumps(doc))


def test_a_changed_label_is_named_by_its_path():
    new = copy(GOAL)
    new["sections"][0]["fields"][2]["label"]["zh"] = "预算总额"
    assert lines(GOAL, new) == ["sections[0].fields[2].label.zh: 「预算数」 → 「预算总额」"]


def test_inserting_a_field_does_not_make_the_later_ones_look_changed():
    new = copy(GOAL)
    new["sections"][0]["fields"].insert(1, {"id": "contact", "type": "text", "label": {"zh": "联系人"}})
    assert lines(GOAL, new) == ["sections[0].fields[1]: 新增 「联系人」 (id contact)"]


def test_removed_moved_and_changed_values():
    new = copy(GOAL)
    fields = new["sections"][0]["fields"]
    fields.reverse()                      # budget_total, name, unit
    del fields[1]                         # budget_total, unit
    fields[0]["min"] = 1
    fields[0]["required"] = True
    out = lines(GOAL, new)
    assert "sections[0].fields[1]: 删除 「项目名称」 (id name)" in out
    assert "sections[0].fields[0]: 位置 3 → 1" in out
    assert "sections[0].fields[0].min: 0 → 1" in out
    assert "sections[0].fields[0].required: 新增 true" in out


def test_lists_without_ids_are_compared_by_position_and_types_count():
    assert lines({"months": [3, 6]}, {"months": [3, 6, 9]}) == ["months[2]: 新增 9"]
    assert lines({"max": 100}, {"max": "100"}) == ["max: 100 → 「100」"]
    assert lines({"a": 1}, {"a": 1}) == []


def test_english_lines():
    change = diff({"x": {"zh": "a"}}, {"x": {"zh": "b"}, "y": 1})
    assert [c.text("en") for c in change] == ["x.zh: 「a」 → 「b」", "y: added 1"]
