"""A filer fills a Boye goal form in the browser, adding an indicator row."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Project, Submission
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def filer(people):
    org = people.organization("boye", "711001 博野县总工会本级")
    people.user("filer_a", "filer", organization=org)
    people.user("reviewer", "reviewer", jurisdiction="boye")
    return org


def log_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")


def test_fill_goal_form_with_added_row(app, page, live_server, filer, screenshot):
    log_in(page, live_server, "filer_a")
    page.click("text=新建项目")
    page.fill("#name", "劳务派遣人员工资及保险")
    page.fill("#code", "13063723P00428710007U")
    page.fill("#year", "2023")
    page.fill("#budget", "3.39")
    page.click("button:has-text('创建')")
    page.click("a.button:has-text('填报')")
    assert page.locator("table.paper caption").inner_text().startswith("项目支出绩效目标表")

    page.fill("#f_source_fiscal", "3.39")
    page.fill("#f_purpose", "保障劳务派遣人员工资按时发放及各保险的按时缴纳。")
    for point, value in (("m03", "25"), ("m06", "50"), ("m10", "75"), ("m12", "100")):
        page.fill(f"#m_{point}", value)
    page.fill("#f_performance_goals", "1. 保障劳务派遣人员工资按时发放及各保险的按时缴纳。")
    rows = [("output", "quantity", "人员数量", "≥4 人"), ("output", "timeliness", "工资发放及时率", "每月10日前"),
            ("effect", "social", "岗位配置率", "≥100%"), ("satisfaction", "beneficiary", "服务对象满意度", "≥98%")]
    for level1, level2, name, target in rows:
        page.click(f"button[value='add:{level1}:{level2}']")
        row = page.locator("tr.ind-row", has=page.locator(f"input[value='{level2}']")).last
        row.locator("input[name$='-name']").fill(name)
        row.locator("input[name$='-description']").fill(name)
        row.locator("input[name$='-target']").fill(target)
        row.locator("input[name$='-basis']").fill("劳务派遣人员预算")
        page.click("button[value=save]:not(.offscreen)")
        assert page.locator(".flash.success").count() == 1
    screenshot("goal-form-filled")
    # A row added by mistake is removed again.
    page.click("button[value='add:output:quality']")
    page.locator("tr.ind-row", has=page.locator("input[value='quality']")).locator("button.danger").click()
    assert page.locator("input[value='quality']").count() == 0

    page.click("button[value=submit]")
    assert "已提交" in page.locator(".flash.success").inner_text()
    # The quality review flags the vague timeliness target, and the form is read-only now.
    assert "每月10日前" in page.locator(".findings").inner_text()
    assert page.locator("button[value=submit]").count() == 0
    screenshot("goal-form-submitted")
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.name == "劳务派遣人员工资及保险"))
        submission = db.session.scalar(select(Submission).where(Submission.project_id == project.id))
        assert submission.state == "submitted"
        names = [r["name"] for r in submission.data["indicators"]]
    assert names == ["人员数量", "工资发放及时率", "岗位配置率", "服务对象满意度"]

    page.click("header button:has-text('退出')")
    log_in(page, live_server, "reviewer")
    page.click("header a:has-text('审核')")
    page.click("text=劳务派遣人员工资及保险")
    assert page.locator("table.paper td.col-target").all_inner_texts() == ["≥4 人", "每月10日前", "≥100%", "≥98%"]
    screenshot("goal-form-review")
