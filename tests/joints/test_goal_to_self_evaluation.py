"""Goal → self-evaluation: a goal whose rows cannot become the year-end self-evaluation is
refused when it is submitted and approved, through the page and the API alike; one
approved before that check gets a clear page, never a server error (issue 14, item 1)."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Project, Submission, SubmissionRevision
from tests.api.helpers import auth, goal_data
from tests.api.test_goal_api import create_project, put_goal, start_goal, transition
from tests.conftest import login
from tests.workflow.test_goal_flow import form_fields

NO_SATISFACTION = "绩效目标表中没有「满意度指标」下的指标行"


def _without_satisfaction() -> dict:
    data = goal_data()
    data["indicators"] = [r for r in data["indicators"] if r["level1"] != "satisfaction"]
    return data


@pytest.fixture
def drafted(client, boye, tokens):
    """A Boye goal (project 3 as printed) without its satisfaction row, saved as a draft via the API."""
    project = create_project(client, tokens["filer_a"], boye["org_a"])
    started = start_goal(client, tokens["filer_a"], project["id"])
    saved = put_goal(client, tokens["filer_a"], project["id"], _without_satisfaction(), started["lock_version"])
    assert saved.status_code == 200, saved.get_json()
    return project["id"]


def test_api_refuses_to_submit_it_with_the_message(client, drafted, tokens):
    response = transition(client, tokens["filer_a"], drafted, "submit")
    assert response.status_code == 422
    body = response.get_json()
    assert NO_SATISFACTION in str(body) and "年终自评表" in str(body)


def test_page_refuses_to_submit_it_with_the_same_message(client, drafted):
    login(client, "filer_a")
    url = f"/projects/{drafted}/forms/goal"
    html = client.get(url).get_data(as_text=True)
    assert NO_SATISFACTION in html  # shown at the indicator table while still a draft
    values = form_fields(html)
    values["action"] = "submit"
    response = client.post(url, data=values)
    assert response.status_code == 422 and NO_SATISFACTION in response.get_data(as_text=True)
    assert db.session.scalar(select(Submission.state).where(Submission.project_id == drafted)) == "draft"


def test_an_already_approved_goal_gets_a_clear_page_and_api_answer(app, client, drafted, tokens):
    # Approved before the check existed: force the state as an old database holds it.
    goal = db.session.scalar(select(Submission).where(Submission.project_id == drafted))
    goal.state = "approved"
    db.session.add(SubmissionRevision(submission=goal, event="approved", definition_id=goal.definition_id,
                                      data=copy.deepcopy(goal.data)))
    db.session.commit()
    login(client, "filer_a")
    response = client.get(f"/projects/{drafted}/forms/self_evaluation", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and NO_SATISFACTION in page and "申请调整" in page
    api = client.post(f"/api/v1/projects/{drafted}/submissions/self_evaluation", headers=auth(tokens["filer_a"]))
    assert api.status_code == 422 and NO_SATISFACTION in str(api.get_json()["errors"])
