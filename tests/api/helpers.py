"""Shared helpers of the API and disclosure tests: Boye's people, tokens, a valid goal form."""
from __future__ import annotations

import copy

from sqlalchemy import select

from core.extensions import db
from core.models import ApiToken, User
from tests.workflow.test_goal_flow import BOYE_ORG, PROJECT_3_ROWS

PROJECT_3_NAME = "劳模体检、劳模慰问、劳模津贴、劳模慰问金"

# Boye project 3 as printed in the seed, after the reviewer's one correction
# (人均体检费 "≤200 元/人"), with its four milestones: a goal form that can be submitted.
GOAL_DATA = {
    "fields": {
        "unit_name": BOYE_ORG, "project_code": "13063723P00428710060R", "project_name": PROJECT_3_NAME,
        "budget_total": "8.83", "source_fiscal": "8.83", "source_other": "",
        "purpose": "2023年五一为全县省部级以上劳模进行体检。", "performance_goals": "1. 劳模体检\n2. 劳模慰问",
    },
    "milestones": {"m03": "25", "m06": "50", "m10": "75", "m12": "100"},
    "indicators": [
        {"id": f"r{index}", "level1": level1, "level2": level2, "name": name, "description": description,
         "target": "≤200 元/人" if name == "人均体检费" else target, "basis": basis}
        for index, (level1, level2, name, description, target, basis) in enumerate(PROJECT_3_ROWS, 1)
    ],
}


def goal_data() -> dict:
    return copy.deepcopy(GOAL_DATA)


def boye_people(people) -> dict:
    """Two Boye departments with a filer each, Boye's reviewer and leader, and Futian's."""
    org_a = people.organization("boye", BOYE_ORG)
    org_b = people.organization("boye", "博野县总工会女职工部")
    futian_org = people.organization("futian", "福田区总工会")
    people.user("filer_a", "filer", organization=org_a)
    people.user("filer_b", "filer", organization=org_b)
    people.user("reviewer", "reviewer", jurisdiction="boye")
    people.user("leader", "leader", jurisdiction="boye")
    people.user("futian_filer", "filer", organization=futian_org)
    people.user("futian_reviewer", "reviewer", jurisdiction="futian")
    people.user("boye_admin", "admin", jurisdiction="boye")
    return {"org_a": org_a.id, "org_b": org_b.id, "futian_org": futian_org.id}


def issue_token(app, username: str, name: str = "测试") -> str:
    """A new API token of ``username``; returns the secret."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        token, secret = ApiToken.issue(user, name)
        db.session.add(token)
        db.session.commit()
    return secret


def auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}
