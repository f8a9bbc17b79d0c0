"""The ex-ante gate (Changzhi §14, Chongqing 四（一）/（六）): where the pack sets
``workflow.require_ex_ante``, no goal form is submitted without an approved assessment."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.extensions import db
from core.models import Project
from core.workflow import service
from core.workflow.transitions import TransitionRefused
from tests.conftest import csrf_token, login

GOAL = {
    "fields": {"competent_department": "长治市财政局", "project_period": "2024年1月—12月", "project_nature": "new", "ex_ante_done": "yes",
               "source_fiscal": "120.00", "purpose": "为城区 60 周岁以上老年人提供居家养老上门服务",
               "performance_goals": "1. 服务老年人不少于 3000 人次\n2. 服务对象满意度不低于 90%"},
    "milestones": {"m03": "20", "m06": "50", "m09": "75", "m12": "100"},
    "indicators": [
        {"id": "r1", "level1": "output", "level2": "quantity", "name": "上门服务人次", "description": "上门服务人次",
         "target": "≥3000 人次", "basis": "实施方案"},
        {"id": "r2", "level1": "effect", "level2": "social", "name": "老年人生活质量改善", "description": "回访评价",
         "target": "≥90%", "basis": "回访记录"},
        {"id": "r3", "level1": "satisfaction", "level2": "beneficiary", "name": "服务对象满意度",
         "description": "问卷调查", "target": "≥90%", "basis": "调查问卷"},
    ],
}
DIMENSIONS = ("necessity", "economy", "goal_reasonableness", "feasibility", "funding_compliance", "risk")


def ex_ante_data(conclusion="supported") -> dict:
    fields = {"method": "self", "conclusion": conclusion, "summary": "立项依据充分，成本测算合理"}
    for d in DIMENSIONS:
        fields[d] = "论证充分"
        fields[d + "_rating"] = "sufficient"
    return {"fields": fields, "milestones": {}, "indicators": []}


@pytest.fixture
def changzhi(people):
    org = people.organization("changzhi", "长治市某预算单位")
    filer = people.user("filer_c", "filer", organization=org)
    reviewer = people.user("reviewer_c", "reviewer", jurisdiction="changzhi")
    project = Project(organization=org, name="政府购买居家养老服务", year=2024, budget=Decimal("120.00"))
    db.session.add(project)
    db.session.commit()
    return project, filer, reviewer


def _goal(project, filer):
    goal = service.start_submission(project, "goal", filer)
    data = service.initial_data(project, goal.definition)
    data["fields"].update(GOAL["fields"])
    data.update({"milestones": GOAL["milestones"], "indicators": GOAL["indicators"]})
    result = service.save_draft(goal, data, filer, None)
    return goal, result


def _assess(project, filer, reviewer, conclusion="supported"):
    assessment = service.start_submission(project, "ex_ante", filer)
    data = service.initial_data(project, assessment.definition)
    data["fields"].update(ex_ante_data(conclusion)["fields"])
    assert service.save_draft(assessment, data, filer, None).problems == []
    service.apply_transition(assessment, "submit", filer)
    service.apply_transition(assessment, "approve", reviewer, comment="同意")
    return assessment


def test_goal_form_waits_for_an_approved_ex_ante_assessment(changzhi):
    project, filer, reviewer = changzhi
    goal, draft = _goal(project, filer)
    # The draft is saved; the gate is shown as a problem with the way to the assessment.
    [gate] = [p for p in draft.problems if p.code == "ex_ante_required"]
    assert gate.message == ("本辖区要求先完成事前绩效评估：请先在项目页面填报「事前绩效评估表」并经财务审核通过，"
                            f"再提交绩效目标表（事前绩效评估表当前：未填报；填报入口 /projects/{project.id}/forms/ex_ante）。")
    assert [p.code for p in draft.problems] == ["ex_ante_required"]  # nothing else is wrong with the goal form
    with pytest.raises(TransitionRefused) as refused:
        service.apply_transition(goal, "submit", filer)
    assert [p.code for p in refused.value.problems] == ["ex_ante_required"]

    assessment = service.start_submission(project, "ex_ante", filer)
    with pytest.raises(TransitionRefused) as refused:
        service.apply_transition(goal, "submit", filer)
    assert "事前绩效评估表当前：草稿" in refused.value.problems[0].message
    db.session.delete(assessment)
    db.session.flush()
    db.session.expire(project, ["submissions"])

    _assess(project, filer, reviewer)
    service.apply_transition(goal, "submit", filer)
    assert goal.state == "submitted"


def test_not_supported_means_no_budget(changzhi):
    project, filer, reviewer = changzhi
    _assess(project, filer, reviewer, conclusion="not_supported")
    goal, draft = _goal(project, filer)
    assert [p.code for p in draft.problems] == ["ex_ante_not_supported"]
    assert "不予支持" in draft.problems[0].message


def test_jurisdictions_without_the_setting_are_not_gated(people):
    from tests.monitoring.helpers import BOYE_ORG, boye_project
    org = people.organization("boye", BOYE_ORG)
    filer = people.user("filer_a", "filer", organization=org)
    reviewer = people.user("reviewer", "reviewer", jurisdiction="boye")
    project = boye_project(people, filer, reviewer, index=2)
    assert project.submission("goal").state == "approved"


def test_the_project_page_lists_the_assessment_only_where_it_exists(app, client, changzhi, people):
    project, filer, reviewer = changzhi
    login(client, "filer_c")
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "事前绩效评估表" in page
    form = client.get(f"/projects/{project.id}/forms/ex_ante").get_data(as_text=True)
    assert "立项必要性论证" in form and "投入风险应对措施结论" in form and "不予支持" in form
    boye_org = people.organization("boye", "711001 博野县总工会本级")
    people.user("filer_a", "filer", organization=boye_org)
    boye = Project(organization=boye_org, name="劳务派遣人员工资及保险", year=2023, budget=Decimal("3.39"))
    db.session.add(boye)
    db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "filer_a")
    assert "事前绩效评估表" not in client.get(f"/projects/{boye.id}").get_data(as_text=True)
