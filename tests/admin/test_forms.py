"""Editing forms: the raw JSON editor (no JavaScript needed), the validate endpoint,
publishing, immutability of published versions, previews and the test-scoring panel."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import DefinitionImmutable, FormDefinition, Jurisdiction
from tests.admin.helpers import Editor, form_values, plain, set_values, text
from tests.conftest import csrf_token, login

FUTIAN = "/admin/jurisdictions/futian/forms"


@pytest.fixture
def admin(app, client, people):
    people.user("futian_admin", "admin", jurisdiction="futian")
    login(client, "futian_admin")
    return client


def rows(app, code: str, kind: str) -> list[tuple[int, bool]]:
    with app.app_context():
        return [(r.version, r.is_published) for r in db.session.scalars(
            select(FormDefinition).join(Jurisdiction).where(Jurisdiction.code == code, FormDefinition.kind == kind)
            .order_by(FormDefinition.version))]


def test_raw_json_editor_works_without_javascript(app, admin):
    url = f"{FUTIAN}/goal/json"
    page = admin.get(url).get_data(as_text=True)
    values = form_values(page, "raw-form")
    doc = json.loads(values["body"])
    assert doc["id"] == "futian.goal"
    # A syntax error names line and column, keeps what was typed, saves nothing.
    broken = values["body"].replace('"kind": "goal",', '"kind": "goal",,', 1)
    response = admin.post(url, data=set_values(values, body=broken, action="save"))
    assert response.status_code == 422
    assert "JSON 语法错误" in text(response) and '"kind": "goal",,' in text(response)
    assert rows(app, "futian", "goal") == [(1, True)]
    # 检查 reports a problem by its path, and saves nothing.
    doc["sections"][0]["fields"][4]["min"] = "zero"      # 预算数 (money)
    response = admin.post(url, data=set_values(values, body=json.dumps(doc, ensure_ascii=False), action="check"))
    assert response.status_code == 422
    assert "sections[0].fields[4].min: 必须是数字，收到「zero」" in plain(response)
    assert rows(app, "futian", "goal") == [(1, True)]
    # Saving a valid edit makes the v2 draft; the published v1 is untouched.
    doc["sections"][0]["fields"][4]["min"] = 0
    doc["title"]["zh"] = "项目支出绩效目标表（2025 修订）"
    response = admin.post(url, data=set_values(values, body=json.dumps(doc, ensure_ascii=False), action="save"))
    assert response.status_code == 302
    assert rows(app, "futian", "goal") == [(1, True), (2, False)]
    # The page was rendered from v1: a second tab posting over the new draft is refused.
    response = admin.post(url, data=set_values(values, body=json.dumps(doc, ensure_ascii=False), action="save"))
    assert response.status_code == 409
    # Publish.
    response = admin.post(f"{FUTIAN}/goal/publish", data={"csrf_token": csrf_token(admin, url)})
    assert response.status_code == 302
    assert rows(app, "futian", "goal") == [(1, True), (2, True)]
    with app.app_context():
        v2 = db.session.scalar(select(FormDefinition).join(Jurisdiction).where(
            Jurisdiction.code == "futian", FormDefinition.kind == "goal", FormDefinition.version == 2))
        assert v2.body["version"] == 2 and v2.body["title"]["zh"].endswith("（2025 修订）")
        assert v2.jurisdiction.builtin  # a built-in jurisdiction stays built-in


def test_published_versions_cannot_change(app, admin):
    with app.app_context():
        row = db.session.scalar(select(FormDefinition).join(Jurisdiction).where(
            Jurisdiction.code == "futian", FormDefinition.kind == "goal"))
        row.body = {**row.body, "title": {"zh": "偷改"}}
        with pytest.raises(DefinitionImmutable):
            db.session.flush()
        db.session.rollback()


def test_validate_endpoint_answers_json(app, admin):
    url = f"{FUTIAN}/self_evaluation/validate"
    token = csrf_token(admin, f"{FUTIAN}/self_evaluation/json")
    answer = admin.post(url, data={"csrf_token": token, "body": '{"id": "x"'}).get_json()
    assert not answer["ok"] and "JSON 语法错误" in answer["problems"][0]["message"]
    page = admin.get(f"{FUTIAN}/self_evaluation/json").get_data(as_text=True)
    doc = json.loads(form_values(page, "raw-form")["body"])
    doc["scoring"]["nodes"][0]["weight"] = 25
    answer = admin.post(url, data={"csrf_token": token, "body": json.dumps(doc, ensure_ascii=False)}).get_json()
    assert {"path": "scoring.nodes[0].weight", "message": "「决策」的分值 25 与其下级分值之和 20 不一致",
            "code": "sum_mismatch"} in answer["problems"]
    # The structured editor's inputs validate the same way (no body: read as the editor).
    values = Editor(admin, "futian", "self_evaluation").values()
    values = set_values(values, n0_weight="25")
    answer = admin.post(url, data=values).get_json()
    assert any(p["path"] == "scoring.nodes[0].weight" for p in answer["problems"])
    assert rows(app, "futian", "self_evaluation") == [(1, True)]


def test_draft_can_be_discarded_but_not_a_first_version(app, admin, people):
    editor = Editor(admin, "futian", "goal")
    editor.post("save", title_zh="改标题")
    assert rows(app, "futian", "goal") == [(1, True), (2, False)]
    response = admin.post(f"{FUTIAN}/goal/discard", data={"csrf_token": csrf_token(admin, editor.url)})
    assert response.status_code == 302 and rows(app, "futian", "goal") == [(1, True)]
    # The first version of a new jurisdiction's form is a draft that cannot be thrown away.
    page = admin.get("/admin/jurisdictions/new").get_data(as_text=True)
    admin.post("/admin/jurisdictions/new", data=set_values(form_values(page, "jurisdiction-form"),
                                                           code="nanhai", name_zh="南海区总工会"))
    response = admin.post("/admin/jurisdictions/nanhai/forms/goal/discard",
                          data={"csrf_token": csrf_token(admin, editor.url)}, follow_redirects=True)
    assert "唯一的版本" in text(response) and rows(app, "nanhai", "goal") == [(1, False)]


def test_goal_preview_checks_sample_data_with_the_forms_rules(app, admin):
    url = f"{FUTIAN}/goal/preview"
    page = admin.get(url).get_data(as_text=True)
    assert 'class="paper"' in page and "产出指标" in page and "服务对象满意度" in page
    values = form_values(page, ".preview-frame")
    response = admin.post(url, data=set_values(values, action="check"))
    assert response.status_code == 200 and "示例数据有" in text(response)
    # An "add row" button works in the preview too.
    response = admin.post(url, data=set_values(values, action="add:output:quantity"))
    assert 'name="rows-0-name"' in response.get_data(as_text=True)


def test_scoring_preview_is_a_test_scoring_panel(app, admin):
    """Futian's 资金到位率 = arrived ÷ full-year budget × 4 and 实际完成率 = 12 × 2185 ÷ 2208 = 11.875."""
    url = f"{FUTIAN}/self_evaluation/preview"
    page = admin.get(url).get_data(as_text=True)
    assert 'id="selfeval-form"' in page and "立项依据充分性" in page
    values = set_values(form_values(page, "selfeval-form"),
                        f_budget_full_year="258.90", f_funds_arrived="258.90", f_planned_output="2208",
                        f_actual_output="2185")
    answer = admin.post(f"{url}/score", data=values).get_json()
    leaves = {leaf["id"]: leaf for leaf in answer["leaves"]}
    assert leaves["funds_arrival_rate"]["suggested"] == "4.00"
    assert leaves["completion_rate"]["suggested"] == "11.88"
    response = admin.post(url, data=values)
    assert response.status_code == 200 and "11.88" in text(response) and "试算总分" in text(response)
    with app.app_context():
        assert db.session.scalar(select(FormDefinition).join(Jurisdiction).where(
            Jurisdiction.code == "futian", FormDefinition.kind == "self_evaluation")).version == 1


def test_from_goal_templates_are_previewed_with_sample_rows(app, client, people):
    """Boye's national default: output 50 from the goal rows, one sample row scored against ≥100%."""
    people.user("boye_admin", "admin", jurisdiction="boye")
    login(client, "boye_admin")
    url = "/admin/jurisdictions/boye/forms/self_evaluation/preview"
    page = client.get(url).get_data(as_text=True)
    assert "示例：产出指标" in page
    values = set_values(form_values(page, "selfeval-form"), **{"s:output_sample1:actual": "50%"})
    answer = client.post(f"{url}/score", data=values).get_json()
    assert {leaf["id"]: leaf["suggested"] for leaf in answer["leaves"]}["output_sample1"] == "25.00"


def test_an_invalid_draft_is_not_previewed_and_says_why(app, admin):
    Editor(admin, "futian", "goal").post("save", s0f0_type="colour")
    response = admin.get(f"{FUTIAN}/goal/preview")
    assert "修正后才能预览" in text(response) and "sections[0].fields[0].type" in text(response)
    # The published version is still previewable.
    assert 'class="paper"' in admin.get(f"{FUTIAN}/goal/preview?version=1").get_data(as_text=True)


def test_adding_a_form_of_a_new_kind(app, admin):
    response = admin.post("/admin/jurisdictions/futian/forms", data={
        "csrf_token": csrf_token(admin, "/admin/jurisdictions/futian"), "kind": "assessment"})
    assert response.status_code == 302
    assert rows(app, "futian", "assessment") == [(1, False)]
    response = admin.post("/admin/jurisdictions/futian/forms", data={
        "csrf_token": csrf_token(admin, "/admin/jurisdictions/futian"), "kind": "goal"})
    assert "已有" in text(admin.get(response.headers["Location"]))


def test_absurd_json_in_the_raw_editor_is_a_message_not_a_crash(app, admin):
    url = f"{FUTIAN}/goal/json"
    values = form_values(admin.get(url).get_data(as_text=True), "raw-form")
    for body, message in (("[" * 50_000 + "]" * 50_000, "无法读取 JSON"), ('{"a": ' * 70 + "1" + "}" * 70, "嵌套超过"),
                          ("[1, 2]", "必须是一个 JSON 对象")):
        response = admin.post(url, data=set_values(values, body=body, action="save"))
        assert response.status_code == 422 and message in text(response), (message, response.status_code)
    assert rows(app, "futian", "goal") == [(1, True)]


def test_a_draft_the_structured_editor_cannot_show_sends_the_admin_to_the_json_editor(app, admin):
    url = f"{FUTIAN}/goal/json"
    values = form_values(admin.get(url).get_data(as_text=True), "raw-form")
    doc = json.loads(values["body"])
    doc["title"] = "只是一个字符串"
    doc["sections"][0]["fields"] = {"not": "a list"}
    doc["indicator_tree"] = ["nonsense"]
    assert admin.post(url, data=set_values(values, body=json.dumps(doc, ensure_ascii=False), action="save")).status_code == 302
    page = admin.get(f"{FUTIAN}/goal")
    assert page.status_code == 200 and "结构化编辑器无法显示" in text(page) and "title: 必须是对象" in plain(page)
    # A crafted structured post over it does not crash either.
    token = csrf_token(admin, url)
    from core.admin.common import digest
    with app.app_context():
        row = db.session.scalar(select(FormDefinition).join(Jurisdiction).where(
            Jurisdiction.code == "futian", FormDefinition.kind == "goal", FormDefinition.version == 2))
        base = digest(row)
    response = admin.post(f"{FUTIAN}/goal", data={"csrf_token": token, "base": base, "action": "add_field:0",
                                                  "it_present": "1", "it_on": "1", "ms_present": "1"})
    assert response.status_code in (302, 422)
    assert admin.get(f"{FUTIAN}/goal/preview").status_code == 200
