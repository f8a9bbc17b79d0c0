"""双监控 end to end through HTTP: the filer reports, finance sees the table (sorted and
filtered on the server), returns a report, suspends funds and approves the rectification."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEvent, FundingSuspension, MonitoringReport
from tests.conftest import csrf_token, login

from .helpers import BOYE_ORG, boye_project, rows_by_name


@pytest.fixture
def boye(people):
    org = people.organization("boye", BOYE_ORG)
    other = people.organization("boye", "博野县总工会女职工部")
    users = {
        "filer": people.user("filer_a", "filer", organization=org),
        "filer_b": people.user("filer_b", "filer", organization=other),
        "reviewer": people.user("reviewer", "reviewer", jurisdiction="boye"),
        "leader": people.user("leader", "leader", jurisdiction="boye"),
        "futian_reviewer": people.user("futian_reviewer", "reviewer", jurisdiction="futian"),
    }
    project3 = boye_project(people, users["filer"], users["reviewer"], index=2)       # 劳模体检… 8.83
    project4 = boye_project(people, users["filer"], users["reviewer"], index=3)       # 劳务派遣… 3.39
    return {"users": users, "p3": project3.id, "p4": project4.id,
            "rows3": rows_by_name(project3), "rows4": rows_by_name(project4)}


def report_url(project_id, round_id="aug", year=2023):
    return f"/monitoring/projects/{project_id}/{year}/{round_id}"


def fill(client, url, fields, indicators, action="save"):
    token = csrf_token(client, url)
    html = client.get(url).get_data(as_text=True)
    lock = re.search(r'name="lock_version"[^>]*value="(\d+)"', html) or re.search(r'id="lock_version"[^>]*value="(\d+)"', html)
    data = {"csrf_token": token, "lock_version": lock.group(1) if lock else "", "action": action}
    data.update({f"f_{k}": v for k, v in fields.items()})
    for row_id, entry in indicators.items():
        data.update({f"ind-{row_id}-{k}": v for k, v in entry.items()})
    return client.post(url, data=data)


P3_AUGUST = {  # Boye project 3 by the end of July: every indicator on track.
    "总人数": {"actual": "100%"}, "省部级劳模满意率": {"actual": "98%"}, "工作任务完成及时率": {"actual": "98%"},
    "人均体检费": {"actual": "200"}, "发扬劳模精神带头作用": {"actual": "98%"}, "劳模体检慰问产生影响": {"actual": "98%"},
    "保障劳模身体健康": {"actual": "98%"}, "服务对象满意度指标": {"actual": "96%"},
}


def entries(rows, by_name):
    return {rows[name]: entry for name, entry in by_name.items()}


def test_filer_reports_and_the_light_follows_the_spending_plan(app, client, boye):
    login(client, "filer_a")
    url = report_url(boye["p3"])
    html = client.get(url).get_data(as_text=True)
    assert "8月集中监控（1—7月）" in html and "56.25%" in html  # planned: 50 + 25 × 1/4
    # 2.50 of 8.83 万元 = 28.31%; v = 50.33 → red: a reason is required before submitting.
    response = fill(client, url, {"annual_budget": "8.83", "executed": "2.50", "implementation": "五一体检已完成"},
                    entries(boye["rows3"], P3_AUGUST), action="submit")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "预算执行为红灯：执行率 28.31%，计划 56.25%，须填写偏差原因及纠偏措施" in page
    with app.app_context():
        report = db.session.scalar(select(MonitoringReport))
        assert report.state == "draft" and report.project_light == "red"  # the draft was saved
    response = fill(client, url, {"annual_budget": "8.83", "executed": "2.50", "implementation": "五一体检已完成",
                                  "budget_deviation_reason": "春节慰问金待年底集中发放，已制定发放计划"},
                    entries(boye["rows3"], P3_AUGUST), action="submit")
    assert response.status_code == 302
    with app.app_context():
        report = db.session.scalar(select(MonitoringReport))
        assert report.state == "submitted" and report.project_light == "red"
        assert report.lights["budget"]["planned_rate"] == "56.25"
        actions = [e.action for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "monitoring_report").order_by(AuditEvent.id))]
        assert actions == ["monitoring.create", "monitoring.save", "monitoring.save", "monitoring.submit"]
    # Submitted: read-only for the filer.
    assert 'name="action" value="submit"' not in client.get(url).get_data(as_text=True)


def _submit(client, boye, project, executed, by_name, rows, reason=""):
    fields = {"annual_budget": "8.83" if project == boye["p3"] else "3.39", "executed": executed,
              "implementation": "按计划实施", "budget_deviation_reason": reason}
    response = fill(client, report_url(project), fields, entries(rows, by_name), action="submit")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


P4_AUGUST = {"人员数量": {"tier": "achieved"}, "财政拨款保障率": {"actual": "100%"}, "时间进度完成率": {"tier": "achieved"},
             "完成工作所需成本": {"tier": "achieved"}, "资金的使用效率": {"actual": "100%"}, "岗位配置率": {"actual": "100%"},
             "系统工作运转": {"actual": "98%"}, "结果准确性": {"actual": "100%"}, "服务对象满意度": {"actual": "90%"}}


@pytest.fixture
def reported(client, boye):
    login(client, "filer_a")
    _submit(client, boye, boye["p3"], "2.50", P3_AUGUST, boye["rows3"], reason="慰问金年底集中发放")
    # Project 4: 2.00 of 3.39 = 59.00% against 56.25% → green; satisfaction 90% of ≥98% = 91.84 → green.
    _submit(client, boye, boye["p4"], "2.00", P4_AUGUST, boye["rows4"])
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    return boye


def table(client, **params):
    response = client.get("/monitoring/", query_string={"year": 2023, "round": "aug", **params})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    body = html[html.index("<tbody>"):html.index("</tbody>")] if "<tbody>" in html else ""
    return html, re.findall(r'<td><a href="/monitoring/projects/\d+">([^<]+)</a>', body)


def test_finance_table_sorts_and_filters_on_the_server(client, reported):
    login(client, "reviewer")
    html, names = table(client)
    assert names == ["劳模体检、劳模慰问、劳模津贴、劳模慰问金", "劳务派遣人员工资及保险"]  # worst light first
    assert "light-red" in html and "light-green" in html
    _, names = table(client, sort="light", dir="asc")
    assert names == ["劳务派遣人员工资及保险", "劳模体检、劳模慰问、劳模津贴、劳模慰问金"]
    _, names = table(client, light="red")
    assert names == ["劳模体检、劳模慰问、劳模津贴、劳模慰问金"]
    _, names = table(client, sort="execution_rate", dir="desc")
    assert names == ["劳务派遣人员工资及保险", "劳模体检、劳模慰问、劳模津贴、劳模慰问金"]  # 59.00% > 28.31%
    _, names = table(client, q="派遣")
    assert names == ["劳务派遣人员工资及保险"]
    _, names = table(client, light="nonsense", sort="nonsense")  # unknown values are ignored
    assert len(names) == 2
    _, names = table(client, round="h1")  # an unknown round falls back to the default
    assert len(names) == 2


def test_the_table_shows_only_what_the_user_may_see(client, reported):
    login(client, "futian_reviewer")
    _, names = table(client)
    assert names == []
    assert client.get(report_url(reported["p3"])).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "filer_b")  # another department of Boye
    assert client.get(report_url(reported["p3"])).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "leader")  # the leader sees the table but may not suspend
    html, names = table(client)
    assert len(names) == 2 and "确认暂缓拨款" not in html


def test_suspension_needs_an_approved_rectification_report(app, client, reported):
    login(client, "reviewer")
    token = csrf_token(client, "/monitoring/")
    response = client.post(f"/monitoring/projects/{reported['p3']}/suspend",
                           data={"csrf_token": token, "reason": "预算执行严重滞后（28.31%，计划 56.25%）"})
    assert response.status_code == 302
    with app.app_context():
        suspension = db.session.scalar(select(FundingSuspension))
        sid = suspension.id
        assert suspension.state == "suspended"
    _, names = table(client, suspended="yes")
    assert names == ["劳模体检、劳模慰问、劳模津贴、劳模慰问金"]
    # Finance cannot lift it before a report exists.
    response = client.post(f"/monitoring/suspensions/{sid}/decide", data={"csrf_token": token, "decision": "approve"})
    assert "没有待审批的整改报告" in client.get(f"/monitoring/suspensions/{sid}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})

    login(client, "filer_a")
    token = csrf_token(client, f"/monitoring/suspensions/{sid}")
    assert "暂缓拨款" in client.get(f"/projects/{reported['p3']}").get_data(as_text=True)
    client.post(f"/monitoring/suspensions/{sid}/report", data={"csrf_token": token, "report": "已调整发放计划"})
    client.post("/logout", data={"csrf_token": token})

    login(client, "reviewer")
    token = csrf_token(client, f"/monitoring/suspensions/{sid}")
    client.post(f"/monitoring/suspensions/{sid}/decide",
                data={"csrf_token": token, "decision": "return", "comment": "请写明每笔资金的支付时间"})
    client.post("/logout", data={"csrf_token": token})

    login(client, "filer_a")
    token = csrf_token(client, f"/monitoring/suspensions/{sid}")
    client.post(f"/monitoring/suspensions/{sid}/report",
                data={"csrf_token": token, "report": "9月底前发放劳模慰问品 1.20 万元，12月发放春节慰问金 3.00 万元"})
    client.post("/logout", data={"csrf_token": token})

    login(client, "reviewer")
    token = csrf_token(client, f"/monitoring/suspensions/{sid}")
    client.post(f"/monitoring/suspensions/{sid}/decide", data={"csrf_token": token, "decision": "approve",
                                                              "comment": "同意恢复拨款"})
    with app.app_context():
        suspension = db.session.get(FundingSuspension, sid)
        assert suspension.state == "lifted" and suspension.lifted_at is not None
        actions = [e.action for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "funding_suspension").order_by(AuditEvent.id))]
        assert actions == ["suspension.suspend", "suspension.report", "suspension.return", "suspension.report",
                           "suspension.lift"]
    _, names = table(client, suspended="yes")
    assert names == []


def test_finance_returns_a_report(app, client, reported):
    login(client, "reviewer")
    with app.app_context():
        report_id = db.session.scalar(select(MonitoringReport.id).where(MonitoringReport.project_id == reported["p4"]))
    token = csrf_token(client, report_url(reported["p4"]))
    client.post(f"/monitoring/reports/{report_id}/return", data={"csrf_token": token, "comment": ""})
    with app.app_context():
        assert db.session.get(MonitoringReport, report_id).state == "submitted"  # a comment is required
    client.post(f"/monitoring/reports/{report_id}/return", data={"csrf_token": token, "comment": "满意度须附调查问卷"})
    with app.app_context():
        assert db.session.get(MonitoringReport, report_id).state == "returned"
    client.post("/logout", data={"csrf_token": token})
    login(client, "filer_a")
    html = client.get(report_url(reported["p4"])).get_data(as_text=True)
    assert "满意度须附调查问卷" in html and 'value="submit"' in html


def test_a_filer_cannot_suspend_and_a_project_without_approved_goal_is_not_monitored(app, client, people, boye):
    login(client, "filer_a")
    token = csrf_token(client, "/monitoring/")
    client.post(f"/monitoring/projects/{boye['p3']}/suspend", data={"csrf_token": token, "reason": "x"})
    with app.app_context():
        assert db.session.scalar(select(FundingSuspension)) is None


def test_multi_year_project_is_tracked_across_years(app, client, people, boye):
    with app.app_context():
        from core.models import User
        filer = db.session.scalar(select(User).where(User.username == "filer_a"))
        reviewer = db.session.scalar(select(User).where(User.username == "reviewer"))
        project = boye_project(people, filer, reviewer, index=2, name="劳模服务阵地建设（2023—2024）",
                               multi_year=True, end_year=2024)
        pid = project.id
    login(client, "filer_a")
    for year, executed in ((2023, "4.00"), (2024, "6.00")):
        fields = {"annual_budget": "8.83", "executed": executed, "implementation": "分年度实施",
                  "budget_deviation_reason": "集中采购延后"}
        response = fill(client, report_url(pid, year=year), fields, entries(rows_by_name_for(app, pid), P3_AUGUST),
                        action="submit")
        assert response.status_code == 302
    page = client.get(f"/monitoring/projects/{pid}").get_data(as_text=True)
    assert "2023 年度" in page and "2024 年度" in page and "跨年度累计" in page and "10.00" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "reviewer")
    _, names = table(client, year=2024)
    assert names == ["劳模服务阵地建设（2023—2024）"]  # the one-year projects of 2023 are not in 2024


def rows_by_name_for(app, project_id):
    with app.app_context():
        from core.models import Project
        return rows_by_name(db.session.get(Project, project_id))


def _post_from(client, url, html, fields, indicators, action):
    """Post again from a re-rendered page, with the lock version that page carries."""
    lock = re.search(r'id="lock_version"[^>]*value="(\d+)"', html) or re.search(
        r'name="lock_version"[^>]*value="(\d+)"', html)
    data = {"csrf_token": csrf_token(client, url), "lock_version": lock.group(1), "action": action}
    data.update({f"f_{k}": v for k, v in fields.items()})
    for row_id, entry in indicators.items():
        data.update({f"ind-{row_id}-{k}": v for k, v in entry.items()})
    return client.post(url, data=data)


def test_a_refused_submit_can_be_corrected_on_the_same_page_and_stale_edits_are_refused(app, client, boye):
    login(client, "filer_a")
    url = report_url(boye["p3"])
    fields = {"annual_budget": "8.83", "executed": "2.50", "implementation": "五一体检已完成"}
    indicators = entries(boye["rows3"], P3_AUGUST)
    refused = fill(client, url, fields, indicators, action="submit")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    fields["budget_deviation_reason"] = "春节慰问金年底集中发放"
    assert _post_from(client, url, page, fields, indicators, "submit").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(MonitoringReport)).state == "submitted"
    # A page opened before someone else's save cannot overwrite it.
    url4 = report_url(boye["p4"])
    old_page = client.get(url4).get_data(as_text=True)
    fill(client, url4, {"annual_budget": "3.39", "executed": "1.00", "implementation": "实施中"}, {})
    stale = _post_from(client, url4, old_page, {"annual_budget": "3.39", "executed": "9.99",
                                                "implementation": "旧页面"}, {}, "save")
    assert stale.status_code == 422 and "已被修改" in stale.get_data(as_text=True)
    with app.app_context():
        report = db.session.scalar(select(MonitoringReport).where(MonitoringReport.project_id == boye["p4"]))
        assert report.data["fields"]["executed"] == "1.00"


def test_the_table_in_english(client, reported):
    login(client, "reviewer")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/monitoring/"), "next": "/monitoring/"})
    # The ``people`` fixture keeps an app context open across requests, where Flask-Babel
    # caches the locale; a browser's requests each get a fresh one.
    from flask_babel import refresh
    refresh()
    html, names = table(client)
    assert len(names) == 2
    # Labels from the definitions and the lights are bilingual; interface strings come
    # from translations/en when compiled (scripts/test compiles them).
    assert "August round (January–July)" in html and ">Red<" in html
