"""An admin creates a county jurisdiction and edits its forms in chromium: the
creation form, the structured editor (a field added, a rule type changed — applied
at once by admin.js — and its parameters filled), live validation, the preview and
the test-scoring panel. Screenshots in test-artifacts/admin-*.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.extensions import db
from core.models import FormDefinition, Jurisdiction
from tests.browser.test_goal_form import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def admin(people):
    people.user("root_admin", "admin", jurisdiction="shijiazhuang")


def test_create_a_county_and_edit_its_forms(app, page, live_server, admin, screenshot):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Failed loads are reported below with their address (the browser's own /favicon.ico aside).
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status == 404 and not response.url.endswith("/favicon.ico") else None)
    log_in(page, live_server, "root_admin")
    page.click("text=辖区管理")
    page.click("text=新建辖区")
    page.fill("#code", "xinhe")
    page.fill("#name_zh", "新河县总工会")
    page.fill("#name_en", "Xinhe County Federation of Trade Unions")
    page.fill("#months", "6,9,11")
    page.select_option("#complete_by", "11")
    page.fill("input[name=band0_min]", "85")
    page.fill("input[name=band1_min]", "75")
    page.select_option("#q_missing_basis", "error")
    screenshot("admin-create-jurisdiction")
    page.click("button:has-text('创建辖区')")
    expect(page.locator(".flash.success")).to_contain_text("已创建辖区「新河县总工会」")
    screenshot("admin-jurisdiction-overview")

    # The goal form: add a required field 联系人 in the first section.
    page.click("#form-goal >> text=编辑")
    page.click("#s0 button:has-text('添加字段')")
    expect(page.locator("#s0f2")).to_be_visible()
    page.fill("input[name=s0f2_id]", "contact")
    page.fill("input[name=s0f2_label_zh]", "联系人")
    page.check("input[name=s0f2_required]")
    # A typo is caught as one types (admin.js asks the server's validator).
    page.fill("input[name=s1f0_min]", "abc")
    expect(page.locator("#live-problems")).to_contain_text("sections[1].fields[0].min")
    page.fill("input[name=s1f0_min]", "0")
    expect(page.locator("#live-problems")).to_contain_text("检查通过")
    screenshot("admin-goal-editor")
    page.click(".sticky-actions button:has-text('保存草稿')")
    expect(page.locator(".flash.success")).to_contain_text("草稿 v1 已保存")

    # The preview renders the paper form as the department will see it.
    page.click("nav.tabs >> text=预览与试算")
    expect(page.locator("table.paper")).to_contain_text("联系人")
    expect(page.locator("table.paper")).to_contain_text("11月底")
    screenshot("admin-goal-preview")

    # The self-evaluation: the budget-execution leaf becomes an expression rule.
    page.goto(f"{live_server}/admin/jurisdictions/xinhe/forms/self_evaluation")
    page.select_option("select[name=n1_0_rule]", "expression")   # admin.js saves at once
    expect(page.locator("input[name=n1_0_param_expression]")).to_be_visible()
    page.fill("input[name=n1_0_param_expression]", "executed / budget_full_year * 10")
    page.click(".sticky-actions button:has-text('保存草稿')")
    expect(page.locator(".flash.success")).to_contain_text("已保存")
    page.locator("#n1_0").scroll_into_view_if_needed()
    screenshot("admin-self-evaluation-editor")

    # The test-scoring panel: 9 of 10 executed → 9 of the 10 points, live.
    page.click("nav.tabs >> text=预览与试算")
    expect(page.locator("#leaf-output_sample1")).to_contain_text("≥100%")   # a sample goal row's target
    page.fill("#f_budget_full_year", "10")
    page.fill("#f_executed", "9")
    expect(page.locator("td.suggested[data-leaf='execution_rate']")).to_have_text("9.00")
    page.fill("input[name='s:output_sample1:actual']", "100%")
    expect(page.locator("#score-total")).to_have_text("99.00")
    screenshot("admin-test-scoring")

    # Publish from the overview.
    page.goto(f"{live_server}/admin/jurisdictions/xinhe")
    page.click("#form-goal button:has-text('发布')")
    expect(page.locator(".flash.success")).to_contain_text("已发布 v1")
    # Its department and a filer.
    page.click("text=单位与用户")
    page.fill("#org-name", "新河县总工会本级")
    page.fill("#org-code", "720001")
    page.click("button:has-text('添加单位')")
    expect(page.locator(".flash.success")).to_contain_text("已添加单位")
    page.fill("#username", "xinhe_filer")
    page.fill("#display_name", "李填报")
    page.fill("#password", "1234567890")
    page.select_option("#scope", label="新河县总工会本级")
    page.click("button:has-text('创建用户')")
    expect(page.locator("#live-problems")).to_contain_text("有 1 处问题，未创建用户")
    expect(page.locator("#live-problems")).to_contain_text("password: 密码不能全是数字")
    screenshot("admin-people-refused")
    page.fill("#password", "xinhe-2026-pass")
    page.select_option("#scope", label="新河县总工会本级")
    page.click("button:has-text('创建用户')")
    expect(page.locator(".flash.success")).to_contain_text("已创建用户「xinhe_filer」")
    screenshot("admin-people")
    with app.app_context():
        xinhe = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "xinhe"))
        goal = db.session.scalar(select(FormDefinition).where(FormDefinition.jurisdiction_id == xinhe.id,
                                                              FormDefinition.kind == "goal"))
        assert goal.is_published and goal.body["sections"][0]["fields"][2]["id"] == "contact"
        rule = db.session.scalar(select(FormDefinition).where(
            FormDefinition.jurisdiction_id == xinhe.id, FormDefinition.kind == "self_evaluation")) \
            .body["scoring"]["nodes"][1]["children"][0]["rule"]
        assert rule == {"type": "expression", "expression": "executed / budget_full_year * 10"}
    assert errors == []


def test_edit_a_builtin_scoring_form_and_see_the_difference(app, page, live_server, people, screenshot):
    people.user("futian_admin", "admin", jurisdiction="futian")
    log_in(page, live_server, "futian_admin")
    page.goto(f"{live_server}/admin/jurisdictions/futian/forms/self_evaluation")
    items = page.locator("textarea[name=n0_0_0_param_items]")
    expect(items).to_contain_text("lawful")
    page.locator("#n0_0_0").scroll_into_view_if_needed()
    screenshot("admin-futian-scoring-editor")
    items.fill(items.input_value().replace("项目立项是否符合国家法律法规", "项目立项是否符合法律法规", 1))
    page.click(".sticky-actions button:has-text('保存草稿')")
    expect(page.locator(".flash.success")).to_contain_text("草稿 v2 已保存")
    page.click(".publish-bar button:has-text('发布 v2')")
    expect(page.locator(".flash.success")).to_contain_text("已发布 v2")
    # The JSON editor validates as one types.
    page.goto(f"{live_server}/admin/jurisdictions/futian/forms/goal/json")
    body = page.locator("#body")
    body.fill(body.input_value().replace('"type": "integer"', '"type": "integr"', 1))
    expect(page.locator("#live-problems")).to_contain_text("未知的字段类型「integr」")
    screenshot("admin-json-editor")
    page.goto(f"{live_server}/admin/jurisdictions/futian/forms/self_evaluation/diff")
    expect(page.locator("ul.diff li")).to_have_count(1)
    expect(page.locator("ul.diff")).to_contain_text(
        "scoring.nodes[0].children[0].children[0].rule.items[0].label.zh: 「项目立项是否符合国家法律法规")
    screenshot("admin-version-diff")


def test_hostile_and_oversized_packs_are_refused_with_clear_pages(app, page, live_server, admin, screenshot, tmp_path):
    import json

    from core.admin.service import export_doc

    with app.app_context():
        doc = export_doc(db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "futian")))
    doc.update(code="evil", name={"zh": "恶意包"})
    doc["forms"]["self_evaluation"]["computed"] = [
        {"id": "pwn", "label": {"zh": "x"}, "expression": "().__class__.__bases__[0].__subclasses__()"}]
    doc["forms"]["self_evaluation"]["scoring"]["nodes"][0]["weight"] = 45
    evil = tmp_path / "evil-pack.json"
    evil.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    log_in(page, live_server, "root_admin")
    page.goto(f"{live_server}/admin/import")
    page.set_input_files("#file", str(evil))
    page.click("button:has-text('导入')")
    expect(page.locator("#live-problems")).to_contain_text("未导入任何内容")
    expect(page.locator("#live-problems")).to_contain_text("不允许访问属性「.__subclasses__」")
    screenshot("admin-import-refused")
    big = tmp_path / "big-pack.json"
    big.write_bytes(b'{"code": "big", "padding": "' + b"x" * (50 * 1024 * 1024) + b'"}')
    page.goto(f"{live_server}/admin/import")
    page.set_input_files("#file", str(big))
    page.click("button:has-text('导入')")
    expect(page.locator("main")).to_contain_text("文件过大")
    screenshot("admin-import-too-large")
    with app.app_context():
        assert db.session.scalar(select(Jurisdiction).where(Jurisdiction.code.in_(("evil", "big")))) is None
