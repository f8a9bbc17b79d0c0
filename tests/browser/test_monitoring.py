"""Finance's monitoring table and the county ranking in the browser, with screenshots.

Data: Boye's projects 3 and 4 (approved) reported at the August round — project 3
behind its spending plan (red), project 4 on schedule (green) — and the Shijiazhuang
city union's scoring of three county unions (附件三).
"""
from __future__ import annotations

import pytest
from core.assessment import service as assessments
from core.extensions import db
from core.models import Jurisdiction
from core.monitoring import service
from core.workflow import suspension
from tests.assessment.test_shijiazhuang_assessment import PERFECT
from tests.conftest import PASSWORD
from tests.monitoring.helpers import BOYE_ORG, boye_project, rows_by_name
from tests.monitoring.test_flow import P3_AUGUST, P4_AUGUST

pytestmark = pytest.mark.browser


def log_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")


def _report(project, filer, executed, values, reason=""):
    report = service.start_report(project, 2023, "aug", filer)
    rows = rows_by_name(project)
    service.save_report(report, {
        "fields": {"annual_budget": str(project.budget), "executed": executed, "implementation": "按计划实施",
                   "budget_deviation_reason": reason},
        "indicators": {rows[name]: entry for name, entry in values.items()}}, filer)
    service.submit_report(report, filer)
    return report


@pytest.fixture
def monitoring_data(app, people):
    org = people.organization("boye", BOYE_ORG)
    filer = people.user("filer_a", "filer", organization=org)
    reviewer = people.user("reviewer", "reviewer", jurisdiction="boye")
    p3 = boye_project(people, filer, reviewer, index=2)
    p4 = boye_project(people, filer, reviewer, index=3)
    p1 = boye_project(people, filer, reviewer, index=3, name="职工书屋建设（2023—2024）", multi_year=True,
                      end_year=2024)
    _report(p3, filer, "2.50", P3_AUGUST, reason="春节慰问金年底集中发放，已制定发放计划")
    _report(p4, filer, "2.00", P4_AUGUST)
    yellow = dict(P4_AUGUST, 服务对象满意度={"actual": "75%"})  # 75 of ≥98% = 76.53 → yellow
    _report(p1, filer, "1.70", yellow)
    suspension.suspend(p3, reviewer, "预算执行严重滞后：执行率 28.31%，计划 56.25%")
    db.session.commit()

    sjz = people.jurisdiction("shijiazhuang")
    counties = [Jurisdiction(code=c, name_zh=n, parent=sjz) for c, n in (
        ("zhengding", "正定县总工会"), ("luancheng", "栾城区总工会"), ("gaocheng", "藁城区总工会"),
        ("luquan", "鹿泉区总工会"))]
    db.session.add_all(counties)
    db.session.commit()
    city = people.user("sjz_reviewer", "reviewer", jurisdiction="shijiazhuang")
    scores = {"zhengding": dict(PERFECT, rules_issued={"count": "2"}, spending_progress={"progress": "87.5"},
                                bonus_items={"counts": {"endorsement": "1", "media": "2"}}),
              "luancheng": dict(PERFECT, materials={"count": "9"}, spending_progress={"progress": "79"}),
              "gaocheng": dict(PERFECT, goal_quality_problems={"count": "3"}, spending_progress={"progress": "96"})}
    for county in counties[:3]:
        county_user = people.user(f"{county.code}_finance", "reviewer", jurisdiction=county.code)
        found = assessments.open_assessment(sjz, county, 2023, city)
        assessments.save_self(found, scores[county.code], {"rules_issued": "制度文件汇编"}, county_user)
        assessments.submit_self(found, county_user)
        if county.code != "gaocheng":  # 藁城 waits for the city's assessment
            assessments.finalise(found, city)
    db.session.commit()


def test_finance_monitoring_table_and_county_ranking(page, live_server, monitoring_data, screenshot):
    log_in(page, live_server, "reviewer")
    page.click("header a:has-text('绩效监控')")
    page.select_option("#f-year", "2023")
    page.select_option("#f-round", "aug")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table.monitoring-table tbody tr")
    assert rows.count() == 3
    # Worst light first: red, yellow, green.
    assert [t.strip() for t in page.locator("table.monitoring-table tbody tr td:first-child").all_inner_texts()] == \
        ["红灯", "黄灯", "绿灯"]
    assert "暂缓拨款，待提交整改报告" in rows.first.inner_text()
    screenshot("monitoring-finance-table")

    # Sorting and filtering are links and a GET form: they work without JavaScript.
    page.click("table.monitoring-table th a:has-text('执行率')")
    assert page.locator("table.monitoring-table tbody tr").first.inner_text().startswith("绿灯")
    page.select_option("#f-light", "red")
    page.click("form.filters button[type=submit]")
    assert page.locator("table.monitoring-table tbody tr").count() == 1

    page.click("table.monitoring-table a.button:has-text('监控表')")
    assert "8月集中监控（1—7月）" in page.locator("h1").inner_text()
    screenshot("monitoring-report")

    page.click("header button:has-text('退出')")
    log_in(page, live_server, "sjz_reviewer")
    page.click("header a:has-text('工作考核')")
    page.select_option("#year", "2023")
    page.click("button:has-text('切换年度')")
    ranking = page.locator("table.ranking tbody tr")
    assert ranking.count() == 4
    assert ranking.nth(0).inner_text().split("\t")[:2] == ["1", "正定县总工会"]
    assert "101.75" in ranking.nth(0).inner_text() and "88.00" in ranking.nth(1).inner_text()
    screenshot("assessment-county-ranking")

    page.click("table.ranking a.button >> nth=0")
    assert page.locator("table.sheet").count() == 1
    screenshot("assessment-sheet")

    page.goto(f"{live_server}/dashboard/?year=2023")
    assert page.locator(".chart svg").count() == 6
    screenshot("dashboard")


def test_dashboard_for_the_boye_leader(page, live_server, monitoring_data, people, screenshot):
    people.user("leader", "leader", jurisdiction="boye")
    log_in(page, live_server, "leader")
    page.click("header a:has-text('看板')")
    page.select_option("#year", "2023")
    page.click("button:has-text('切换年度')")
    assert page.locator("#chart-light svg rect").count() == 5
    screenshot("dashboard-boye-leader")


def test_filer_fills_the_august_report(page, live_server, people, screenshot):
    org = people.organization("boye", BOYE_ORG)
    filer = people.user("filer_a", "filer", organization=org)
    reviewer = people.user("reviewer", "reviewer", jurisdiction="boye")
    project = boye_project(people, filer, reviewer, index=2)
    log_in(page, live_server, "filer_a")
    page.goto(f"{live_server}/projects/{project.id}")
    page.click("#monitoring a.button:has-text('历次监控')")
    page.click("tr:has-text('8月集中监控') a.button:has-text('填报')")
    page.fill("#f_executed", "2.50")
    page.fill("#f_implementation", "五一劳模体检已完成，慰问品采购中")
    for row in page.locator("table.progress tbody tr").all():
        row.locator("input[type=text]").fill("200" if "人均体检费" in row.inner_text() else "98%")
    page.click("button[value=submit]")
    # Red budget light (28.31% against 56.25%): the reason is required, the draft is kept.
    assert "须填写偏差原因及纠偏措施" in page.locator("main").inner_text()
    assert page.locator("#budget .light-red").count() == 1
    screenshot("monitoring-report-edit")
    page.fill("#f_budget_deviation_reason", "春节慰问金年底集中发放，已制定发放计划")
    page.click("button[value=submit]")
    assert "监控表已报送财务部门" in page.locator(".flash.success").inner_text()
    screenshot("monitoring-report-submitted")


def test_suspension_and_feedback_letter_exchange(page, live_server, people, screenshot):
    """The department answers (a rectification report, a feedback item's measures) and
    finance decides, on the two pages that share those forms (templates/_decision.html)."""
    from datetime import date, timedelta

    from core.workflow import rectification

    org = people.organization("boye", BOYE_ORG)
    filer = people.user("filer_a", "filer", organization=org)
    reviewer = people.user("reviewer", "reviewer", jurisdiction="boye")
    project = boye_project(people, filer, reviewer, index=2)
    held = suspension.suspend(project, reviewer, "预算执行严重滞后：执行率 28.31%，计划 56.25%")
    letter = rectification.issue_letter(project, reviewer, "关于劳模体检项目监控情况的反馈函", [
        rectification.NewItem("满意度调查未针对本项目", date.today() + timedelta(days=30))])
    db.session.commit()
    held_id, letter_id = held.id, letter.id

    log_in(page, live_server, "filer_a")
    page.goto(f"{live_server}/monitoring/suspensions/{held_id}")
    page.fill("#report", "问题：执行滞后。原因：慰问品集中采购。措施：9月底前完成采购，10月起按月支付。")
    page.click("button:has-text('提交整改报告')")
    assert "整改报告已提交" in page.locator(".flash.success").inner_text()
    page.goto(f"{live_server}/rectification/{letter_id}")
    page.fill("textarea[name=measures]", "下次调查使用本项目专用问卷，样本不少于 100 份")
    page.click("button:has-text('反馈整改措施')")
    assert "整改措施已反馈" in page.locator(".flash.success").inner_text()

    page.click("header button:has-text('退出')")
    log_in(page, live_server, "reviewer")
    page.goto(f"{live_server}/monitoring/suspensions/{held_id}")
    assert page.locator("button[value=approve]").inner_text() == "批准，恢复拨款"
    screenshot("suspension-decision")
    page.fill("#comment", "同意恢复拨款")
    page.click("button[value=approve]")
    assert "已批准整改报告，恢复拨款" in page.locator(".flash.success").inner_text()
    page.goto(f"{live_server}/rectification/{letter_id}")
    screenshot("rectification-letter-decision")
    page.click("button[value=accept]")
    assert "已确认整改完成" in page.locator(".flash.success").inner_text()
