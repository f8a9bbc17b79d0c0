"""The self-evaluation through HTTP: pre-filled from the approved goal, scored live,
refused without reasons, submitted and approved — with the seeds' real numbers."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core.extensions import db
from core.models import Project, Submission
from core.workflow import service
from tests.conftest import csrf_token, login

DEMO = Path(__file__).resolve().parents[2] / "demo"

# Futian 表1-1 and 表1-2, in 万元 (see tests/scoring/test_futian.py for the engine-level goldens).
FUTIAN_FIELDS = {
    "budget_initial": "260.00", "budget_adjustment": "-1.10", "budget_full_year": "258.90",
    "funds_arrived": "258.90", "executed": "258.90", "planned_output": "2208", "actual_output": "2185",
    "qualified_output": "2185", "planned_cost": "258.90", "actual_cost": "258.90",
    "satisfaction_rate": "95.39", "valid_questionnaires": "19", "competent_department": "福田区总工会",
    "problems": "绩效目标设置不够细化；满意度调查未针对本项目。",
    "recommendations": "细化量化绩效目标；开展针对本项目的满意度调查。",
}
CHECKLISTS = ("basis_sufficiency", "procedure_compliance", "goal_reasonableness", "indicator_clarity",
              "budget_science", "allocation_reasonableness", "funds_use_compliance", "management_system",
              "system_execution")


def approved_goal_project(people, code: str, org_name: str, demo_file: str, project_index: int) -> Project:
    """A project whose goal form (from the demo transcription of the seed) is approved."""
    doc = json.loads((DEMO / demo_file).read_text(encoding="utf-8"))
    spec = doc["projects"][project_index]
    org = people.organization(code, org_name)
    filer = people.user(f"{code}_filer", "filer", organization=org)
    reviewer = people.user(f"{code}_reviewer", "reviewer", jurisdiction=code)
    project = Project(organization=org, code=spec["code"], name=spec["name"], year=doc["year"],
                      budget=Decimal(spec["budget"]))
    db.session.add(project)
    db.session.flush()
    submission = service.start_submission(project, "goal", filer)
    data = service.initial_data(project, submission.definition)
    data["fields"].update(spec["fields"])
    data["milestones"] = spec.get("milestones", {})
    data["indicators"] = spec["rows"]
    service.save_draft(submission, data, filer, None)
    service.apply_transition(submission, "submit", filer)
    service.apply_transition(submission, "approve", reviewer, comment="同意")
    db.session.commit()
    return project


def page_values(html: str) -> dict:
    values = {}
    for name, value in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', html):
        values[name] = value
    return values


def futian_post(html: str, **overrides) -> dict:
    values = page_values(html)
    values.update({f"f_{k}": v for k, v in FUTIAN_FIELDS.items()})
    data = list(values.items())
    for leaf in CHECKLISTS:
        items = re.findall(rf'name="s:{leaf}:checked" value="([^"]+)"', html)
        assert items, leaf
        data += [(f"s:{leaf}:checked", item) for item in items]
    published = {
        "s:completion_rate:final": "11",
        "s:completion_rate:reason": "目标值「<2208 人」只设上限，酌情扣分",
        "s:timeliness:tier": "achieved", "s:timeliness:final": "5",
        "s:timeliness:reason": "目标值「及时」未细化到时间节点",
        "s:social_benefit:tier": "achieved", "s:social_benefit:final": "14",
        "s:social_benefit:reason": "效益指标只有定性目标",
        "s:beneficiary_satisfaction:final": "13",
        "s:beneficiary_satisfaction:reason": "问卷针对工会整体工作，有效问卷仅 19 份",
    }
    published.update(overrides)
    data = [(k, v) for k, v in data if k not in published] + list(published.items())
    return MultiDict(data)


def plus(data: MultiDict, **values) -> MultiDict:
    copy = data.copy()
    for key, value in values.items():
        copy[key] = value  # replaces, keeping the other keys' multiple values
    return copy


@pytest.fixture
def futian(app, people):
    project = approved_goal_project(people, "futian", "福田区总工会", "futian_2022.json", 0)
    return project.id


def test_self_evaluation_needs_an_approved_goal(app, client, people):
    org = people.organization("boye", "711001 博野县总工会本级")
    people.user("filer", "filer", organization=org)
    project = Project(organization=org, name="未批复项目", year=2023, budget=Decimal("1"))
    db.session.add(project)
    db.session.commit()
    login(client, "filer")
    response = client.get(f"/projects/{project.id}/forms/self_evaluation", follow_redirects=True)
    assert "绩效目标表批复后才能填写自评表" in response.get_data(as_text=True)


def test_futian_published_scores_total_95_and_grade_you(app, client, futian):
    login(client, "futian_filer")
    url = f"/projects/{futian}/forms/self_evaluation"
    html = client.get(url).get_data(as_text=True)
    assert "立项依据充分性" in html and "项目是否与相关部门同类项目或部门内部相关项目重复" in html

    # Live scoring, nothing saved: 实际完成率 suggests 12 × 2185/2208 = 11.88.
    live = client.post(f"{url}/score", data=futian_post(html)).get_json()
    by_id = {leaf["id"]: leaf for leaf in live["leaves"]}
    assert by_id["completion_rate"]["suggested"] == "11.88"
    assert by_id["funds_arrival_rate"]["suggested"] == "4.00"
    assert (live["total"], live["grade"]["zh"]) == ("95.00", "优")

    # The appendix's 4.0 for 完成及时性 under "achieved" is outside the tier's band.
    response = client.post(url, data=futian_post(html, action="submit", **{"s:timeliness:final": "4"}))
    assert response.status_code == 422
    assert "不在「达成年度指标」档的分值范围 [4.8, 6] 内" in response.get_data(as_text=True)

    # A final that differs from the suggestion needs a reason.
    response = client.post(url, data=futian_post(client.get(url).get_data(as_text=True), action="submit",
                                                 **{"s:completion_rate:reason": ""}))
    assert response.status_code == 422
    assert "实际完成率" in response.get_data(as_text=True)
    with app.app_context():
        sub = db.session.scalar(select(Submission).where(Submission.project_id == futian,
                                                         Submission.kind == "self_evaluation"))
        assert sub.state == "draft"

    response = client.post(url, data=futian_post(client.get(url).get_data(as_text=True), action="submit"))
    assert response.status_code == 302
    with app.app_context():
        sub = db.session.scalar(select(Submission).where(Submission.project_id == futian,
                                                         Submission.kind == "self_evaluation"))
        assert sub.state == "submitted"
        assert sub.data["scores"]["completion_rate"]["final"] == "11"
        sub_id = sub.id

    # The reviewer sees both numbers and approves.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "futian_reviewer")
    page = client.get(f"/review/{sub_id}").get_data(as_text=True)
    assert "95.00" in page and "11.88" in page and "酌情扣分" in page
    with app.app_context():
        lock = db.session.get(Submission, sub_id).lock_version
    client.post(f"/review/{sub_id}", data={"csrf_token": csrf_token(client, f"/review/{sub_id}"),
                                          "decision": "approve", "comment": "同意", "lock_version": lock})
    with app.app_context():
        assert db.session.get(Submission, sub_id).state == "approved"


def test_totals_cannot_be_typed_by_hand(app, client, futian):
    login(client, "futian_filer")
    url = f"/projects/{futian}/forms/self_evaluation"
    html = client.get(url).get_data(as_text=True)
    live = client.post(f"{url}/score", data=plus(futian_post(html), total="100", grade="优", **{"s:total:final": "100"})).get_json()
    assert live["total"] == "95.00"


def test_national_default_self_evaluation_for_boye_project_3(app, client, people):
    """Boye uses the national default: output 50, effect 30, satisfaction 10, execution 10,
    the level-1 weights split equally over the goal's own rows."""
    project = approved_goal_project(people, "boye", "711001 博野县总工会本级", "boye_2023.json", 2)
    login(client, "boye_filer")
    url = f"/projects/{project.id}/forms/self_evaluation"
    html = client.get(url).get_data(as_text=True)
    # 4 output rows share 50 (12.5 each), 3 effect rows share 30 (10 each), 1 satisfaction row 10.
    leaf_ids = re.findall(r'id="leaf-([a-z0-9_]+)"', html)
    assert len(leaf_ids) == 9
    values = page_values(html)
    values.update({"f_fiscal_full_year": "8.83", "f_fiscal_executed": "7.95", "f_fiscal_initial": "8.83"})
    actual = {"总人数": "100%", "省部级劳模满意率": "99%", "工作任务完成及时率": "98%",
              "人均体检费": "200", "发扬劳模精神带头作用": "98%", "劳模体检慰问产生影响": "98%",
              "保障劳模身体健康": "98%", "服务对象满意度指标": "95%"}
    with app.app_context():
        sub = db.session.scalar(select(Submission).where(Submission.project_id == project.id,
                                                         Submission.kind == "self_evaluation"))
        for node in sub.data["scoring"]["nodes"]:
            for leaf in node.get("children", []):
                if leaf.get("goal_row"):
                    values[f"s:{leaf['id']}:actual"] = actual[leaf["label"]["zh"]]
    result = client.post(f"{url}/score", data=values).get_json()
    # Every indicator meets its target: 50 + 30 + 10; execution 7.95 / 8.83 × 10 = 9.0034 → 9.00.
    assert result["base"] == "99.00"
    assert result["total"] == "99.00" and result["grade"]["zh"] == "优"
    values["s:" + next(l["id"] for l in result["leaves"] if l["label"]["zh"] == "省部级劳模满意率") + ":actual"] = "49%"
    result = client.post(f"{url}/score", data=values).get_json()
    # 12.5 × 49/98 = 6.25 instead of 12.5.
    assert result["total"] == "92.75" and result["grade"]["zh"] == "优"


def test_goal_rows_without_a_leaf_still_record_their_actual_value(app, client, futian):
    """Futian's 17 leaves do not score its goal rows one by one; 表1-2 still reports them."""
    login(client, "futian_filer")
    url = f"/projects/{futian}/forms/self_evaluation"
    html = client.get(url).get_data(as_text=True)
    rows = re.findall(r'name="a:([^"]+)"', html)
    assert len(rows) == 8 and "&lt; 2208 人" in html
    data = futian_post(html)
    data[f"a:{rows[0]}"] = "2185 人"
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        from core.selfeval.actuals import goal_actuals
        sub = db.session.scalar(select(Submission).where(Submission.project_id == futian,
                                                         Submission.kind == "self_evaluation"))
        assert goal_actuals(sub.data)[rows[0]] == "2185 人"
