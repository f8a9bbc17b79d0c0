"""One path through every joint: for each refusal the self-evaluation page shows, the
API's submit transition refuses the same stored form with the same message (issue 14,
item 2). Both call ``service.apply_transition``, which scores the form as part of its
one check."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Submission
from tests.api.helpers import auth, issue_token
from tests.conftest import login
from tests.selfeval.test_selfeval_flow import approved_goal_project, futian_post

CASES = {
    # the appendix's 4.0 for 完成及时性 under "achieved" is outside the tier's band
    "final outside its tier's band": ({"s:timeliness:final": "4"}, "不在「达成年度指标」档的分值范围 [4.8, 6] 内"),
    # a final that differs from the suggestion needs a reason
    "final without a reason": ({"s:completion_rate:reason": ""}, "实际完成率"),
    # a leaf without the value it is scored on (the satisfaction rate left blank)
    "unscored leaf": ({"f_satisfaction_rate": "", "s:beneficiary_satisfaction:final": "",
                       "s:beneficiary_satisfaction:reason": ""}, "服务对象满意度"),
}


@pytest.fixture
def futian(app, people):
    return approved_goal_project(people, "futian", "福田区总工会", "futian_2022.json", 0).id


@pytest.mark.parametrize("case", list(CASES))
def test_page_and_api_refuse_the_same_form_the_same_way(app, client, futian, case):
    overrides, message = CASES[case]
    login(client, "futian_filer")
    url = f"/projects/{futian}/forms/self_evaluation"
    html = client.get(url).get_data(as_text=True)
    saved = client.post(url, data=futian_post(html, action="save", **overrides))
    assert saved.status_code == 302

    api = client.post(f"/api/v1/projects/{futian}/submissions/self_evaluation/transitions",
                      json={"transition": "submit"}, headers=auth(issue_token(app, "futian_filer")))
    assert api.status_code == 422, api.get_json()
    api_text = str(api.get_json()["errors"])
    assert message in api_text

    page = client.post(url, data=futian_post(client.get(url).get_data(as_text=True), action="submit", **overrides))
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    state = db.session.scalar(select(Submission.state).where(Submission.project_id == futian,
                                                             Submission.kind == "self_evaluation"))
    assert state == "draft"


def test_the_complete_form_is_accepted_by_the_api_and_its_total_is_stored(app, client, futian):
    login(client, "futian_filer")
    url = f"/projects/{futian}/forms/self_evaluation"
    assert client.post(url, data=futian_post(client.get(url).get_data(as_text=True), action="save")).status_code == 302
    api = client.post(f"/api/v1/projects/{futian}/submissions/self_evaluation/transitions",
                      json={"transition": "submit"}, headers=auth(issue_token(app, "futian_filer")))
    assert api.status_code == 200, api.get_json()
    stored = db.session.scalar(select(Submission).where(Submission.project_id == futian,
                                                        Submission.kind == "self_evaluation"))
    assert (str(stored.score_total), stored.grade["zh"]) == ("95.00", "优")  # Futian's published total
