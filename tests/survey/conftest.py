"""Fixtures for the survey tests: Futian's retiree project (表1-2) with its goal form."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import g

from core.extensions import db
from core.models import Project
from core.workflow.service import start_submission
from survey.catalog import find_template
from survey.models import Survey
from survey.service import create_survey, publish
from tests.conftest import csrf_token, login

# Futian's goal rows as printed in 表1-2 (the satisfaction rows are r7 and r8).
FUTIAN_ROWS = [
    {"id": "r1", "level1": "output", "level2": "quantity", "name": "慰问退休职工人数", "target": "< 2208 人"},
    {"id": "r2", "level1": "output", "level2": "quantity", "name": "节日慰问次数", "target": "三次"},
    {"id": "r3", "level1": "output", "level2": "quality", "name": "节日慰问金金额发放到位率", "target": "100%"},
    {"id": "r4", "level1": "output", "level2": "timeliness", "name": "慰问金发放及时性", "target": "及时"},
    {"id": "r5", "level1": "output", "level2": "cost", "name": "发放慰问金总成本", "target": "<260 万"},
    {"id": "r6", "level1": "effect", "level2": "social", "name": "落实国家规定的退休人员应有的薪酬福利待遇",
     "target": "有效"},
    {"id": "r7", "level1": "satisfaction", "level2": "beneficiary", "name": "区退休职工对工会工作的满意度",
     "target": "> 80%"},
    {"id": "r8", "level1": "satisfaction", "level2": "other_satisfaction", "name": "区退休职工的投诉次数",
     "target": "< 5 次"},
]

# One complete, varied answer to futian/retirees (form field names as the page uses them).
ANSWER = {
    "q-received": "3", "q-age": "70",
    "q-payment-timely": "5", "q-payment-amount": "4", "q-payment-convenient": "5",
    "q-payment-informed": "3", "q-payment-staff": "4",
    "q-overall": "4", "q-channel": ["unit", "wechat"], "q-suggestion": "希望重阳节慰问金早一点到账",
}


class Futian:
    def __init__(self, people):
        self.org = people.organization("futian", "深圳市福田区总工会")
        self.other_org = people.organization("futian", "福田区总工会女职工部")
        self.filer = people.user("futian_a", "filer", organization=self.org)
        self.other_filer = people.user("futian_b", "filer", organization=self.other_org)
        self.reviewer = people.user("futian_rev", "reviewer", jurisdiction="futian")
        self.leader = people.user("futian_lead", "leader", jurisdiction="futian")
        self.boye_reviewer = people.user("boye_rev", "reviewer", jurisdiction="boye")
        self.project = Project(organization=self.org, name="区退休职工管理", year=2022, budget=Decimal("258.90"))
        db.session.add(self.project)
        db.session.commit()
        goal = start_submission(self.project, "goal", self.filer)
        goal.data = {"fields": {"project_name": "区退休职工管理"}, "milestones": {},
                     "indicators": [dict(row, description="", basis="") for row in FUTIAN_ROWS]}
        db.session.commit()

    def survey(self, *, mode="open", min_seconds=0, row="r7", status="open", **changes) -> Survey:
        template = find_template(self.project.jurisdiction, "futian/retirees")
        survey = create_survey(self.project, template, self.filer, indicator_row_id=row, mode=mode,
                               min_seconds=min_seconds)
        for key, value in changes.items():
            setattr(survey, key, value)
        if status in ("open", "closed"):
            publish(survey, self.filer)
        if status == "closed":
            survey.status = "closed"
        db.session.commit()
        return survey


@pytest.fixture
def futian(people):
    return Futian(people)


def open_form(client, path: str, **kwargs):
    """GET a public page as a new visit would.

    The fixtures keep an app context pushed, which Flask reuses for the test
    client's requests, so Flask-WTF's per-request token cache in ``g`` would leak
    from one phone (client) to the next: forget it first.
    """
    g.pop("csrf_token", None)
    return client.get(path, **kwargs)


def form_tokens(html: str) -> dict:
    """The hidden inputs of the public form a browser would send back."""
    found = dict(re.findall(r'<input type="hidden" name="(csrf_token|t|c|page)" value="([^"]*)"', html))
    assert "csrf_token" in found and "t" in found, html[:800]
    return found


def answer(client, slug: str, answers: dict | None = None, *, action="submit", page=None,
           headers=None, code=None, environ=None):
    environ = environ or {}
    """Open the survey like a phone would, then submit ``answers`` (all pages at once)."""
    path = f"/s/{slug}" + (f"?c={code}" if code else "")
    page_html = open_form(client, path, headers=headers, environ_base=environ).get_data(as_text=True)
    data = form_tokens(page_html)
    data.update(answers if answers is not None else ANSWER)
    data["action"] = action
    if page is not None:
        data["page"] = str(page)
    elif action == "submit":
        data["page"] = "2"
    return client.post(f"/s/{slug}", data=data, headers=headers, environ_base=environ)


def log_in(client, username):
    g.pop("csrf_token", None)  # see open_form
    login(client, username)


def staff_token(client, path: str) -> str:
    """The CSRF token of a staff page, read as the logged-in browser would."""
    g.pop("csrf_token", None)
    return csrf_token(client, path)
