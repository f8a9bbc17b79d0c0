"""The leaders' and finance's dashboard: charts and their tables, in scope."""
from __future__ import annotations

import re

import pytest

from core.monitoring import service
from tests.conftest import login
from tests.monitoring.helpers import BOYE_ORG, boye_project, rows_by_name
from tests.monitoring.test_flow import P3_AUGUST, P4_AUGUST


@pytest.fixture
def boye(people):
    org = people.organization("boye", BOYE_ORG)
    filer = people.user("filer_a", "filer", organization=org)
    reviewer = people.user("reviewer", "reviewer", jurisdiction="boye")
    people.user("leader", "leader", jurisdiction="boye")
    p3 = boye_project(people, filer, reviewer, index=2)
    p4 = boye_project(people, filer, reviewer, index=3)
    for project, executed, values in ((p3, "2.50", P3_AUGUST), (p4, "2.00", P4_AUGUST)):
        report = service.start_report(project, 2023, "aug", filer)
        rows = rows_by_name(project)
        data = {"fields": {"annual_budget": str(project.budget), "executed": executed, "implementation": "实施中",
                           "budget_deviation_reason": "年底集中发放"},
                "indicators": {rows[name]: entry for name, entry in values.items()}}
        service.save_report(report, data, filer)
        service.submit_report(report, filer)
    from core.extensions import db
    db.session.commit()
    return p3, p4


def test_dashboard_charts_and_tables(client, boye):
    login(client, "leader")
    response = client.get("/dashboard/?year=2023")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<svg") == 6 and "<script" not in html
    # Projects by state: both goal forms approved.
    state = html[html.index('id="chart-state"'):html.index('id="chart-light"')]
    assert re.search(r"<td>已批复</td><td class=\"num\">2</td>", state)
    # By light: project 3 red (28.31% against 56.25%), project 4 green (59.00%).
    light = html[html.index('id="chart-light"'):html.index('id="chart-execution"')]
    assert re.search(r"红灯</span></td><td class=\"num\">1</td>", light)
    assert re.search(r"绿灯</span></td><td class=\"num\">1</td>", light)
    # Execution against plan at the end of July, budget-weighted over both projects:
    # planned 56.25% for both; actual (2.50 + 2.00) ÷ (8.83 + 3.39) = 36.82%.
    execution = html[html.index('id="chart-execution"'):html.index('id="chart-grade"')]
    assert re.search(r"<td>7月底</td><td class=\"num\">56.25</td><td class=\"num\">36.82</td><td class=\"num\">2</td>",
                     execution)


def test_filers_have_no_dashboard(client, boye):
    login(client, "filer_a")
    assert client.get("/dashboard/").status_code == 403
