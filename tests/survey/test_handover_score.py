"""A closed survey reaches the score (issue 14, item 5): Futian's scored 服务对象满意度 leaf
reads the satisfaction rate the survey fills, with the survey as its evidence; a different
value needs a reason (page and API alike); a newer closed survey is offered 「采用调查结果」."""
from __future__ import annotations

import re

from sqlalchemy import select

from core.extensions import db
from core.models import AuditEvent, Submission
from survey.results import satisfaction_result
from survey.service import close
from tests.api.helpers import auth, issue_token
from tests.survey.conftest import ANSWER, answer, log_in, staff_token
from tests.survey.test_handover import approve_goal

LEAF = "beneficiary_satisfaction"


def closed_survey(app, futian, overalls, tag):
    survey = futian.survey(row="r7")
    for number, overall in enumerate(overalls):
        assert answer(app.test_client(), survey.slug, dict(ANSWER, **{"q-overall": overall}),
                      headers={"User-Agent": f"{tag}-{number}"}).status_code == 303
    close(survey, futian.filer)
    db.session.commit()
    return survey


def evaluation(futian) -> Submission:
    sub = db.session.scalar(select(Submission).where(Submission.project_id == futian.project.id,
                                                     Submission.kind == "self_evaluation"))
    db.session.refresh(sub)
    return sub


def leaf_row(html: str) -> str:
    match = re.search(rf'<tr id="leaf-{LEAF}">.*?</tr>', html, re.S)
    assert match, html[:500]
    return match.group(0)


def page_values(html: str) -> dict:
    return dict(re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', html))


def test_a_closed_survey_fills_the_scored_leaf_and_a_change_needs_a_reason(app, client, futian):
    approve_goal(futian)
    survey = closed_survey(app, futian, ("5", "4", "4"), "first")
    expected = satisfaction_result(survey)
    percent = str(expected.percent)
    url = f"/projects/{futian.project.id}/forms/self_evaluation"
    log_in(client, "futian_a")
    html = client.get(url).get_data(as_text=True)

    # The scored leaf's input (the satisfaction rate field) is filled, not only 表1-2.
    sub = evaluation(futian)
    assert sub.data["fields"]["satisfaction_rate"] == percent
    assert sub.data["fields"]["valid_questionnaires"] == "3"
    assert sub.data["actuals"]["r7"] == f"{percent}%"
    evidence = sub.data["evidence"]["r7"]
    assert evidence["leaf"] == LEAF and evidence["source"]["survey_id"] == survey.id
    assert evidence["source"]["valid"] == 3 and evidence["source"]["ci_low"] is not None
    assert evidence["scored"] == {"leaf": LEAF, "field": "satisfaction_rate", "value": percent}
    assert re.search(rf'name="f_satisfaction_rate"[^>]*value="{re.escape(percent)}"', html)
    row = leaf_row(html)  # where it came from, next to the leaf
    assert "有效问卷 3 份" in row and "95% 置信区间" in row and f"/surveys/{survey.id}/results" in row
    assert "evidence-offer" not in html  # nothing newer than what the form has
    scored = client.post(f"{url}/score", data=page_values(html)).get_json()
    leaf = next(item for item in scored["leaves"] if item["id"] == LEAF)
    assert leaf["suggested"] is not None and not leaf["problems"]

    # A different value without a reason: flagged at the indicator, submission refused.
    message = (f"「服务对象满意度」填报的 96 与满意度调查「{survey.title}」的结果 {percent}% 不同："
               "请在该指标的“理由”中说明采用其他数值的原因，或点击「采用调查结果」")
    values = {**page_values(html), "f_satisfaction_rate": "96"}
    assert client.post(url, data={**values, "action": "save"}).status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert message in leaf_row(html)
    refused = client.post(url, data={**page_values(html), "action": "submit"})
    assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    token = issue_token(app, "futian_a")
    api = client.post(f"/api/v1/projects/{futian.project.id}/submissions/self_evaluation/transitions",
                      json={"transition": "submit"}, headers=auth(token))
    assert api.status_code == 422 and message in [e["message"] for e in api.get_json()["errors"]]
    assert evaluation(futian).state == "draft"
    # The value the filer typed is kept on later visits.
    client.get(url)
    assert evaluation(futian).data["fields"]["satisfaction_rate"] == "96"

    # With a reason the value may stay.
    reasoned = {**page_values(client.get(url).get_data(as_text=True)), f"s:{LEAF}:reason": "另有 2 份纸质问卷未录入系统"}
    assert client.post(url, data={**reasoned, "action": "save"}).status_code == 302
    api = client.post(f"/api/v1/projects/{futian.project.id}/submissions/self_evaluation/transitions",
                      json={"transition": "submit"}, headers=auth(token))
    assert message not in [e["message"] for e in api.get_json().get("errors", [])]


def test_a_newer_closed_survey_is_offered_and_adopted(app, client, futian):
    approve_goal(futian)
    first = closed_survey(app, futian, ("5", "4", "4"), "first")
    url = f"/projects/{futian.project.id}/forms/self_evaluation"
    log_in(client, "futian_a")
    client.get(url)
    assert evaluation(futian).data["evidence"]["r7"]["source"]["survey_id"] == first.id

    second = closed_survey(app, futian, ("5", "5", "5", "4"), "second")
    newer = satisfaction_result(second)
    assert newer.percent != satisfaction_result(first).percent
    html = client.get(url).get_data(as_text=True)
    sub = evaluation(futian)
    assert sub.data["evidence"]["r7"]["source"]["survey_id"] == first.id  # offered, not overwritten
    row = leaf_row(html)
    adopt = f"{url}/evidence/r7"
    assert "采用调查结果" in row and f'formaction="{adopt}"' in row and "有效问卷 4 份" in row

    assert client.post(adopt).status_code == 400  # CSRF
    response = client.post(adopt, data={"csrf_token": staff_token(client, url)})
    assert response.status_code == 303
    sub = evaluation(futian)
    assert sub.data["fields"]["satisfaction_rate"] == str(newer.percent)
    assert sub.data["fields"]["valid_questionnaires"] == "4"
    assert sub.data["actuals"]["r7"] == f"{newer.percent}%"
    assert sub.data["evidence"]["r7"]["source"]["survey_id"] == second.id
    html = client.get(url).get_data(as_text=True)
    assert "evidence-offer" not in html and f"/surveys/{second.id}/results" in leaf_row(html)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "submission.evidence")).all()
    assert any(e.detail.get("adopted") for e in events)

    # Another organization's filer cannot adopt for this project.
    other = app.test_client()
    log_in(other, "futian_b")
    assert other.post(adopt, data={"csrf_token": staff_token(other, "/")}).status_code in (403, 404)
