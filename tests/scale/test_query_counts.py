"""Every staff list issues the same number of SQL statements for 5 rows as for 50.

A behaviour test, not a timing test (issue 13): a page whose statement count grows
with its rows takes minutes at a province's 20,000 projects. The projects are real
Boye goal forms approved through the workflow service, cloned as the service would
have stored them, with monitoring reports, suspensions and scored self-evaluations.
"""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from core.derived import store_plan
from core.extensions import db
from core.models import (FundingSuspension, Jurisdiction, MonitoringReport, Project, RectificationItem,
                         RectificationLetter, Submission, SubmissionRevision)
from core.monitoring import service as monitoring
from tests.api.helpers import auth, issue_token
from tests.conftest import login
from tests.monitoring.helpers import BOYE_ORG, boye_project

YEAR = 2023
TOLERANCE = 2  # the issue's ±2: e.g. one more lookup when a second jurisdiction appears


def _clone(template: Project, index: int, organization, filer) -> Project:
    """A copy of ``template`` (approved goal, June report, scored evaluation), as the services store them."""
    goal = template.submission("goal")
    project = Project(organization=organization, code=f"P{index:05d}", name=f"{template.name}（{index}）",
                      year=template.year, budget=template.budget + index)
    db.session.add(project)
    copy_goal = Submission(project=project, kind="goal", definition=goal.definition, state="approved",
                           data=copy.deepcopy(goal.data), findings=[])
    revision = SubmissionRevision(submission=copy_goal, event="approved", definition=goal.definition,
                                  data=copy.deepcopy(goal.data))
    db.session.add_all([copy_goal, revision])
    db.session.flush()
    store_plan(project, revision)
    if index % 2:
        report = monitoring.start_report(project, YEAR, "m06", filer)
        monitoring.save_report(report, {"fields": {**report.data["fields"], "executed": str(index % 7)},
                                         "indicators": {}}, filer)
        report.state = "submitted"
        if index % 4 == 1:
            db.session.add(FundingSuspension(project=project, report=report, reason="进度严重滞后",
                                             suspended_by_id=filer.id))
    if index % 5 == 1:
        letter = RectificationLetter(project=project, source="evaluation", title=f"反馈函（{index}）",
                                     issued_by_id=filer.id)
        letter.items = [RectificationItem(problem="满意度调查样本不足", deadline=date(2024, 3, 31)),
                        RectificationItem(problem="及时性指标未细化", deadline=date(2099, 3, 31))]
        db.session.add(letter)
    if index % 3 == 0:
        evaluation = Submission(project=project, kind="self_evaluation", definition=goal.definition,
                                state="approved", data={}, score_total=Decimal(70 + index % 30),
                                grade={"zh": "良", "en": "Good"}, grade_key="良")
        db.session.add(evaluation)
    return project


@pytest.fixture
def province(people):
    """A builder: ``province(n)`` makes Boye hold n approved projects (the first through the services)."""
    organization = people.organization("boye", BOYE_ORG)
    users = {"filer": people.user("filer", "filer", organization=organization),
             "reviewer": people.user("reviewer", "reviewer", jurisdiction="boye"),
             "leader": people.user("leader", "leader", jurisdiction="boye")}
    template = boye_project(people, users["filer"], users["reviewer"], index=2)
    made = [template]
    boye = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye"))
    boye.settings = {**(boye.settings or {}), "disclosure": {"years": [YEAR]}}

    def grow(n: int) -> None:
        while len(made) < n:
            made.append(_clone(template, len(made), organization, users["filer"]))
        db.session.commit()
    return grow


PAGES = {
    "projects": ("reviewer", "/"),
    "projects, searched": ("reviewer", f"/?q=劳模&year={YEAR}"),
    "review queue": ("reviewer", "/review/?state=approved"),
    "monitoring table": ("reviewer", f"/monitoring/?year={YEAR}&round=m06"),
    "monitoring, red first by rate": ("reviewer", f"/monitoring/?year={YEAR}&round=m06&sort=execution_rate"),
    "dashboard": ("leader", f"/dashboard/?year={YEAR}"),
    "rectification": ("reviewer", "/rectification/"),
    "rectification, overdue": ("reviewer", "/rectification/?state=overdue"),
    "disclosure": (None, "/public/boye/"),
    "API project list": ("reviewer", "/api/v1/projects?per_page=50"),
    "my exports": ("reviewer", "/jobs/"),
}


def _statements(app, client, path: str, headers=None) -> int:
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        response = client.get(path, headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype != "application/json" or response.get_json(), path
    return count


@pytest.mark.parametrize("name", list(PAGES))
def test_statements_do_not_grow_with_rows(app, client, province, name):
    user, path = PAGES[name]
    headers = None
    if user:
        login(client, user)
    if path.startswith("/api/"):
        headers = auth(issue_token(app, user))
    province(5)
    client.get(path, headers=headers)  # warm: compiled definitions, session loads
    few = _statements(app, client, path, headers)
    province(50)
    many = _statements(app, client, path, headers)
    assert abs(many - few) <= TOLERANCE, f"{name}: {few} statements with 5 projects, {many} with 50"


def test_pages_list_fifty_rows_and_link_the_rest(app, client, province):
    province(60)
    login(client, "reviewer")
    first = client.get("/").get_data(as_text=True)
    assert "共 60 条" in first and 'rel="next"' in first
    # A page past the end shows the last page, not an empty one or an error.
    last = client.get("/?page=999").get_data(as_text=True)
    assert "第 51–60 条" in last
    for bad in ("/?page=abc", "/?page=99999999999999999999", "/?year=12x", "/review/?year=-1"):
        response = client.get(bad)
        assert response.status_code == 400, bad


def test_monitoring_table_filters_and_sorts_in_sql(app, client, province):
    province(12)
    login(client, "reviewer")
    html = client.get(f"/monitoring/?year={YEAR}&round=m06&state=missing").get_data(as_text=True)
    assert "共 6 条" in html  # the six even-numbered copies have no June report
    suspended = client.get(f"/monitoring/?year={YEAR}&round=m06&suspended=yes").get_data(as_text=True)
    assert "共 3 条" in suspended  # copies 1, 5 and 9
    overdue = client.get("/rectification/?state=overdue").get_data(as_text=True)
    assert "共 3 条" in overdue  # copies 1, 6 and 11 have an item past its 2024 deadline
    assert "共 0 条" not in client.get("/rectification/?state=open").get_data(as_text=True)
    rates = [r.execution_rate for r in db.session.scalars(select(MonitoringReport).where(
        MonitoringReport.state == "submitted"))]
    assert rates and all(r is not None for r in rates)


def test_stored_values_match_a_recomputation(app, province):
    """One writer each: recomputing every stored value changes nothing."""
    from core.derived import refresh_all

    province(8)
    def snapshot():
        reports = [(r.id, r.project_light, r.budget_light, r.execution_rate, r.planned_rate, r.progress,
                    r.budget_yuan, r.executed_yuan) for r in db.session.scalars(
            select(MonitoringReport).order_by(MonitoringReport.id))]
        plans = [(p.project_id, p.month, p.rate, p.budget_yuan) for p in db.session.scalars(
            select(__import__("core.models", fromlist=["PlannedExecution"]).PlannedExecution))]
        return reports, sorted(plans)
    before = snapshot()
    refresh_all()
    db.session.flush()
    assert snapshot() == before
