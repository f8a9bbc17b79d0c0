"""A closed survey fills the self-evaluation's satisfaction actual, with the survey as evidence."""
from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.models import AuditEvent, Submission, SubmissionRevision
from survey.results import satisfaction_result
from survey.service import close
from tests.survey.conftest import ANSWER, answer, log_in


def approve_goal(futian):
    # The fixture's goal is a bare draft that approval's check would refuse; what matters
    # here is an approved revision, stored as the workflow stores one.
    goal = futian.project.submission("goal")
    goal.state = "approved"
    goal.revisions.append(SubmissionRevision(event="approved", definition_id=goal.definition_id,
                                             data=dict(goal.data), author=futian.reviewer))
    db.session.commit()


def test_closed_survey_fills_the_satisfaction_actual(app, client, futian):
    approve_goal(futian)
    survey = futian.survey(row="r7")
    for number, overall in enumerate(("5", "4", "4")):
        phone = app.test_client()  # three people, three phones
        assert answer(phone, survey.slug, dict(ANSWER, **{"q-overall": overall}),
                      headers={"User-Agent": f"phone-{number}"}).status_code == 303  # redirected to the thank-you page
    url = f"/projects/{futian.project.id}/forms/self_evaluation"

    # While the survey is open nothing is filled: the result is not final.
    log_in(client, "futian_a")
    html = client.get(url).get_data(as_text=True)
    assert 'name="a:r7" value=""' in html

    close(survey, futian.filer)
    db.session.commit()
    expected = satisfaction_result(survey)
    assert expected.valid == 3 and expected.percent is not None
    html = client.get(url).get_data(as_text=True)
    assert f'name="a:r7" value="{expected.percent}%"' in html
    assert "有效问卷 3 份" in html and f"/surveys/{survey.id}/results" in html
    sub = db.session.scalar(select(Submission).where(Submission.project_id == futian.project.id,
                                                     Submission.kind == "self_evaluation"))
    assert sub.data["actuals"]["r7"] == f"{expected.percent}%"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submission.evidence")) is not None
    # A value the filer already entered is never overwritten by a later visit.
    sub.data = {**sub.data, "actuals": {**sub.data["actuals"], "r7": "96%"}}
    db.session.commit()
    client.get(url)
    db.session.refresh(sub)
    assert sub.data["actuals"]["r7"] == "96%"
