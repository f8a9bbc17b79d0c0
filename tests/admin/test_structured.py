"""The structured editor: what the page shows reads back into the same definition,
and its buttons edit the structure."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from core.admin import structured
from core.admin.diff import diff
from core.admin.blank import blank_goal, blank_self_evaluation
from core.extensions import db
from core.models import FormDefinition, Jurisdiction
from core.scoring import default_registry
from tests.admin.helpers import form_values
from tests.conftest import login

REGISTRY = default_registry()


@pytest.fixture
def admin_client(app, client, people):
    people.user("root_admin", "admin", jurisdiction="shijiazhuang")
    for code in ("boye", "changzhi", "chongqing", "futian"):
        people.user(f"{code}_admin", "admin", jurisdiction=code)
    return client


def builtin_forms(app):
    with app.app_context():
        return [(j.code, row.kind, copy.deepcopy(row.body)) for row, j in db.session.execute(
            select(FormDefinition, Jurisdiction).join(Jurisdiction).where(Jurisdiction.builtin.is_(True))
            .order_by(Jurisdiction.code, FormDefinition.kind)).all()]


def test_every_builtin_form_reads_back_unchanged_from_its_editor_page(app, admin_client):
    """Nothing the editor does not show may be lost: an unchanged page saves the same JSON."""
    forms = builtin_forms(app)
    assert len(forms) >= 10
    for code, kind, body in forms:
        login(admin_client, "root_admin" if code == "shijiazhuang" else f"{code}_admin")
        page = admin_client.get(f"/admin/jurisdictions/{code}/forms/{kind}")
        assert page.status_code == 200, (code, kind)
        values = form_values(page.get_data(as_text=True), "structured-form")
        parsed, problems = structured.parse(values, body, REGISTRY)
        assert problems == [], (code, kind, problems)
        assert parsed == body, (code, kind, [c.text() for c in diff(body, parsed)])


def test_parse_reads_labels_numbers_choices_and_keeps_hidden_keys():
    body = blank_goal("x", "万元")
    body["sections"][0]["fields"][0]["visible_if"] = "1 > 0"
    form = {
        "title_zh": "目标表", "title_en": "", "s0_id": "project", "s0_label_zh": "项目", "s0_columns": "2",
        "s0f0_id": "unit_name", "s0f0_type": "choice", "s0f0_label_zh": "单位", "s0f0_choices": "a | 甲单位\nb | 乙单位 | B unit",
        "s0f1_id": "project_name", "s0f1_type": "text", "s0f1_label_zh": "项目名称", "s0f1_required": "1",
        "s1_id": "budget", "s1_label_zh": "预算", "s1f0_id": "budget_total", "s1f0_type": "money",
        "s1f0_label_zh": "预算数", "s1f0_min": "0", "s1f0_max": "1e3", "s1f1_id": "purpose", "s1f1_type": "textarea",
        "s1f1_label_zh": "用途",
    }
    parsed, problems = structured.parse(form, body, REGISTRY)
    assert problems == []
    unit = parsed["sections"][0]["fields"][0]
    assert unit["choices"] == [{"value": "a", "label": {"zh": "甲单位"}},
                               {"value": "b", "label": {"zh": "乙单位", "en": "B unit"}}]
    assert unit["visible_if"] == "1 > 0" and "required" not in unit
    assert parsed["title"] == {"zh": "目标表"} and parsed["sections"][0]["columns"] == 2
    assert parsed["sections"][1]["fields"][0]["min"] == 0
    assert parsed["sections"][1]["fields"][0]["max"] == "1e3"    # not a plain number: the validator names it
    assert "milestones" in parsed                                # no ms_present: the plan is not touched


def test_milestone_months_that_are_no_months_are_reported():
    body = blank_goal("x", "万元")
    parsed, problems = structured.parse({"ms_present": "1", "ms_on": "1", "ms_months": "3, 6, 13, 十",
                                         "ms_complete_by": "12", "ms_label_zh": "计划"}, body, REGISTRY)
    assert [p["month"] for p in parsed["milestones"]["points"]] == [3, 6]
    assert [p.message for p in problems] == ["资金支出计划的月份「13」无效（须为 1–12 的整数），未保存该月份",
                                             "资金支出计划的月份「十」无效（须为 1–12 的整数），未保存该月份"]


def test_rule_parameters_in_plain_lines():
    body = blank_self_evaluation("x", "万元")
    form = {"sc_max": "100", "n0_id": "output", "n0_label_zh": "产出", "n0_weight": "90", "n0_kind": "goal",
            "n0_level1": "output", "n1_id": "budget_execution", "n1_label_zh": "预算执行", "n1_weight": "10",
            "n1_kind": "group", "n1_0_id": "execution_rate", "n1_0_label_zh": "预算执行率", "n1_0_weight": "10",
            "n1_0_kind": "leaf", "n1_0_rule": "qualitative",
            "n1_0_param_tiers": "good | 好 | 80 | 100\nbad | 差 | 0 | 80 | 40"}
    parsed, problems = structured.parse(form, body, REGISTRY)
    rule = parsed["scoring"]["nodes"][1]["children"][0]["rule"]
    assert rule == {"type": "qualitative", "tiers": [
        {"id": "good", "label": {"zh": "好"}, "min": 80, "max": 100},
        {"id": "bad", "label": {"zh": "差"}, "min": 0, "max": 80, "suggest": 40}]}
    assert structured.param_text("tiers", rule["tiers"]) == "good | 好 | 80 | 100\nbad | 差 | 0 | 80 | 40"
    bands = [{"min": 95, "deduct": 0}, {"min": 80, "per_point": 0.3, "below": 95}, {"min": 0, "deduct": 5}]
    assert structured.parse_param("bands", structured.param_text("bands", bands), "x", []) == bands


def test_buttons_add_move_and_remove():
    body = blank_self_evaluation("x", "万元")
    body, anchor = structured.apply_action(body, "add_node:n")
    assert anchor == "n2" and body["scoring"]["nodes"][2]["rule"] == {"type": "manual"}
    body, anchor = structured.apply_action(body, "up_node:n2")
    assert anchor == "n1" and body["scoring"]["nodes"][1]["id"] == "node1"
    body, _ = structured.apply_action(body, "add_node:n1")          # a leaf becomes a group
    assert "rule" not in body["scoring"]["nodes"][1] and len(body["scoring"]["nodes"][1]["children"]) == 1
    body, _ = structured.apply_action(body, "add_node:d")
    assert body["scoring"]["deductions"]["label"] == {"zh": "减分项"}
    body, _ = structured.apply_action(body, "remove_node:d0")
    assert "deductions" not in body["scoring"]                       # an empty group is no group
    body, anchor = structured.apply_action(body, "add_field:1")
    assert anchor == "s1f2" and body["sections"][1]["fields"][2]["id"] == "field1"
    body, _ = structured.apply_action(body, "down_section:0")
    assert body["sections"][0]["id"] == "budget"
    body, _ = structured.apply_action(body, "remove_field:0:2")
    assert [f["id"] for f in body["sections"][0]["fields"]] == ["budget_full_year", "executed"]
    before = copy.deepcopy(body)
    for nonsense in ("remove_field:9:9", "up_node:n99", "add_field:x", "frobnicate", "remove_node:../../etc"):
        body, _ = structured.apply_action(body, nonsense)
    assert body == before


def test_tree_buttons():
    body = blank_goal("x", "万元")
    body, anchor = structured.apply_action(body, "add_category")
    assert anchor == "c3" and body["indicator_tree"]["categories"][3]["children"][0]["id"] == "sub1"
    body, anchor = structured.apply_action(body, "add_child:3")
    assert anchor == "c3x1" and body["indicator_tree"]["categories"][3]["children"][1]["id"] == "sub2"
    body, _ = structured.apply_action(body, "up_child:3:1")
    assert [c["id"] for c in body["indicator_tree"]["categories"][3]["children"]] == ["sub2", "sub1"]
    body, _ = structured.apply_action(body, "remove_category:0")
    assert [c["id"] for c in body["indicator_tree"]["categories"]] == ["effect", "satisfaction", "category1"]


def test_every_builtin_form_previews_and_has_versions_pages(app, admin_client):
    for code, kind, _body in builtin_forms(app):
        login(admin_client, "root_admin" if code == "shijiazhuang" else f"{code}_admin")
        for page in ("preview", "versions", "json", "diff"):
            response = admin_client.get(f"/admin/jurisdictions/{code}/forms/{kind}/{page}")
            assert response.status_code == 200, (code, kind, page)
        preview = admin_client.get(f"/admin/jurisdictions/{code}/forms/{kind}/preview").get_data(as_text=True)
        assert 'class="paper' in preview and "修正后才能预览" not in preview, (code, kind)


@pytest.mark.parametrize("action, anchor, ids", [
    ("down_section:0", "s1", lambda b: [s["id"] for s in b["sections"]][:2][::-1]),
    ("remove_section:0", "sections", lambda b: [s["id"] for s in b["sections"]][1:]),
    ("up_field:0:1", "s0f0", lambda b: [f["id"] for f in b["sections"][0]["fields"]][:2][::-1]),
    ("remove_field:0:0", "s0", lambda b: [f["id"] for f in b["sections"][0]["fields"]][1:]),
    ("down_category:0", "c1", lambda b: [c["id"] for c in b["indicator_tree"]["categories"]][:2][::-1]),
    ("remove_category:1", "tree", lambda b: [c["id"] for c in b["indicator_tree"]["categories"]][:1]
     + [c["id"] for c in b["indicator_tree"]["categories"]][2:]),
    ("up_child:0:1", "c0x0", lambda b: [c["id"] for c in b["indicator_tree"]["categories"][0]["children"]][:2][::-1]),
    ("remove_child:0:0", "c0", lambda b: [c["id"] for c in b["indicator_tree"]["categories"][0]["children"]][1:]),
])
def test_remove_up_and_down_buttons_of_every_list(action, anchor, ids):
    body = blank_goal("x", "万元")
    expected = ids(body)  # the ids as the button should leave them, read before pressing it
    after, got = structured.apply_action(copy.deepcopy(body), action)
    kind = action.split("_")[1].split(":")[0]
    current = {"section": lambda b: [s["id"] for s in b["sections"]],
               "field": lambda b: [f["id"] for f in b["sections"][0]["fields"]],
               "category": lambda b: [c["id"] for c in b["indicator_tree"]["categories"]],
               "child": lambda b: [c["id"] for c in b["indicator_tree"]["categories"][0]["children"]]}[kind]
    assert got == anchor
    assert current(after)[:len(expected)] == expected
