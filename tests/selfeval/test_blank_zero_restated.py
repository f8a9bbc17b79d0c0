"""Blank and zero, zero budgets and restated targets through the self-evaluation page and the
API (issue 14, items 6–8): the national default form with Boye's project 3, and Futian.

- an empty 上年结转资金 / 其他资金 row is 0: the form scores and is submitted;
- a budget of 0 is never full marks: 「全年预算数为 0，无法计算预算执行率」 refuses submission;
- an actual written as a target (``≥98%``) is flagged when saved and refuses submission,
  with one message, on the page (422) and through the API (422) alike.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Submission
from tests.api.conftest import boye, tokens  # noqa: F401 - Boye's people and their API tokens
from tests.api.helpers import auth, goal_data
from tests.api.test_goal_api import create_project, put_goal, start_goal, transition
from tests.conftest import login
from tests.workflow.test_goal_flow import form_fields

from .test_selfeval_flow import futian, futian_post, plus  # noqa: F401 - the Futian fixture

# Boye project 3 (as the API helpers file it): every indicator met.
ACTUALS = {"总人数": "100%", "省部级劳模满意率": "99%", "工作任务完成及时率": "98%", "人均体检费": "200",
           "发扬劳模精神带头作用": "98%", "劳模体检慰问产生影响": "98%", "保障劳模身体健康": "98%",
           "服务对象满意度指标": "96%"}
RESTATED = "「省部级劳模满意率」的实际完成值「≥98%」含比较符号，像是重复了目标值；请填写实际测得的数值（如 98%）"
ZERO_BUDGET = "全年预算数为 0，无法计算预算执行率"


@pytest.fixture
def project(client, boye, tokens):  # noqa: F811
    """Boye project 3 with its goal approved through the API: the national default form."""
    created = create_project(client, tokens["filer_a"], boye["org_a"])
    started = start_goal(client, tokens["filer_a"], created["id"])
    assert put_goal(client, tokens["filer_a"], created["id"], goal_data(), started["lock_version"]).status_code == 200
    assert transition(client, tokens["filer_a"], created["id"], "submit").status_code == 200
    assert transition(client, tokens["reviewer"], created["id"], "approve").status_code == 200
    return created["id"]


def _evaluation(project_id: int) -> Submission:
    db.session.expire_all()
    return db.session.scalar(select(Submission).where(Submission.project_id == project_id,
                                                      Submission.kind == "self_evaluation"))


def _leaf_ids(project_id: int) -> dict[str, str]:
    """Indicator name → the id of the leaf instantiated from its goal row."""
    nodes = _evaluation(project_id).data["scoring"]["nodes"]
    return {leaf["label"]["zh"]: leaf["id"] for node in nodes for leaf in node.get("children", [])
            if leaf.get("goal_row")}


def national_page(client, project_id: int, money: dict, **actuals) -> tuple[str, dict]:
    """The page's URL and what a filer posts: ``money`` into the funds rows, the actuals."""
    login(client, "filer_a")
    url = f"/projects/{project_id}/forms/self_evaluation"
    values = form_fields(client.get(url).get_data(as_text=True))
    values.update({f"f_{key}": value for key, value in money.items()})
    values["f_goal_completion"] = "五一前完成全县省部级以上劳模体检和慰问。"
    for name, leaf in _leaf_ids(project_id).items():
        values[f"s:{leaf}:actual"] = actuals.get(name, ACTUALS[name])
    return url, values


# Only the 当年财政拨款 row: 上年结转资金 and 其他资金 stay empty.
FISCAL_ONLY = {"fiscal_initial": "8.83", "fiscal_full_year": "8.83", "fiscal_executed": "7.95",
               "carryover_initial": "", "carryover_full_year": "", "carryover_executed": "",
               "other_initial": "", "other_full_year": "", "other_executed": ""}


def test_an_empty_carryover_row_counts_zero_and_the_form_is_submitted(client, project):
    url, values = national_page(client, project, FISCAL_ONLY)
    live = client.post(f"{url}/score", data=values).get_json()
    execution = next(leaf for leaf in live["leaves"] if leaf["id"] == "budget_execution_rate")
    assert execution["problems"] == [] and execution["score"] == "9.00"  # 7.95 ÷ 8.83 × 10
    assert live["ok"] is True and live["total"] == "99.00"
    response = client.post(url, data={**values, "action": "submit"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    evaluation = _evaluation(project)
    assert evaluation.state == "submitted" and evaluation.score_total == Decimal("99.00")
    assert evaluation.data["computed"]["budget_full_year"] == "8.83"  # 年度资金总额, computed from the rows


def test_the_execution_rows_all_blank_is_missing_not_zero(client, project):
    url, values = national_page(client, project, {**FISCAL_ONLY, "fiscal_executed": ""})
    live = client.post(f"{url}/score", data=values).get_json()
    execution = next(leaf for leaf in live["leaves"] if leaf["id"] == "budget_execution_rate")
    assert execution["score"] is None
    assert [p["message"] for p in execution["problems"]] == ["「预算执行率」尚未评分（缺少「全年执行数」）"]


def test_a_zero_budget_is_refused_on_submit_never_full_marks(client, project, tokens):  # noqa: F811
    zeros = {key: "0" for key in FISCAL_ONLY}
    url, values = national_page(client, project, zeros)
    live = client.post(f"{url}/score", data=values).get_json()
    execution = next(leaf for leaf in live["leaves"] if leaf["id"] == "budget_execution_rate")
    assert execution["score"] is None and [p["message"] for p in execution["problems"]] == [ZERO_BUDGET]
    response = client.post(url, data={**values, "action": "submit"})
    assert response.status_code == 422 and ZERO_BUDGET in response.get_data(as_text=True)
    api = client.post(f"/api/v1/projects/{project}/submissions/self_evaluation/transitions",
                      json={"transition": "submit"}, headers=auth(tokens["filer_a"]))
    assert api.status_code == 422
    assert {(e["code"], e["message"]) for e in api.get_json()["errors"]} == {("target_zero", ZERO_BUDGET)}
    assert _evaluation(project).state == "draft"


def test_futian_with_a_zero_budget_is_refused(client, futian):
    login(client, "futian_filer")
    url = f"/projects/{futian}/forms/self_evaluation"
    html = client.get(url).get_data(as_text=True)
    zeros = {f"f_{key}": "0" for key in ("budget_initial", "budget_adjustment", "budget_full_year",
                                         "funds_arrived", "executed")}
    data = plus(futian_post(html), **zeros)
    live = client.post(f"{url}/score", data=data).get_json()
    by_id = {leaf["id"]: leaf for leaf in live["leaves"]}
    assert by_id["funds_arrival_rate"]["score"] is None and by_id["budget_execution_rate"]["score"] is None
    assert [p["message"] for p in by_id["funds_arrival_rate"]["problems"]] == ["全年预算为 0，无法计算资金到位率"]
    assert [p["message"] for p in by_id["budget_execution_rate"]["problems"]] == \
        ["实际到位资金为 0，无法计算预算执行率"]
    response = client.post(url, data=plus(data, action="submit"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "无法计算预算执行率" in page and "无法计算资金到位率" in page


def test_a_restated_target_is_flagged_on_save_and_refused_on_submit_by_page_and_api(client, project, tokens):  # noqa: F811
    url, values = national_page(client, project, FISCAL_ONLY, 省部级劳模满意率="≥98%")
    # Saved as a draft (a draft may be incomplete), with the message at the indicator.
    assert client.post(url, data=values).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert RESTATED in page
    values["lock_version"] = form_fields(page)["lock_version"]
    score = client.get(f"/api/v1/projects/{project}/score", headers=auth(tokens["filer_a"])).get_json()
    assert RESTATED in [p["message"] for p in score["result"]["problems"]]

    # Submit through the page: refused, the message shown.
    response = client.post(url, data={**values, "action": "submit"})
    assert response.status_code == 422 and RESTATED in response.get_data(as_text=True)

    # Submit through the API: the same refusal.
    leaf = _leaf_ids(project)["省部级劳模满意率"]
    api = client.post(f"/api/v1/projects/{project}/submissions/self_evaluation/transitions",
                      json={"transition": "submit"}, headers=auth(tokens["filer_a"]))
    assert api.status_code == 422
    assert api.get_json()["errors"] == [
        {"path": f"leaves.{leaf}.actual", "code": "actual_restates_target", "message": RESTATED}]
    assert _evaluation(project).state == "draft"

    # The measured value instead, through the API: submitted.
    got = client.get(f"/api/v1/projects/{project}/submissions/self_evaluation", headers=auth(tokens["filer_a"]))
    body = got.get_json()
    scores = body["data"]["scores"]
    scores[leaf] = {**scores[leaf], "actual": "99%"}
    saved = client.put(f"/api/v1/projects/{project}/submissions/self_evaluation", headers=auth(tokens["filer_a"]),
                       json={"data": {"fields": body["data"]["fields"], "scores": scores},
                             "lock_version": body["lock_version"]})
    assert saved.status_code == 200, saved.get_json()
    api = client.post(f"/api/v1/projects/{project}/submissions/self_evaluation/transitions",
                      json={"transition": "submit"}, headers=auth(tokens["filer_a"]))
    assert api.status_code == 200, api.get_json()
    assert _evaluation(project).state == "submitted"
