"""The ex-ante gate (Changzhi §14, Chongqing 四（一）/（六）): where the pack sets
``workflow.require_ex_ante``, no goal form of a project in the pack's scope (new
projects, and those at or above its budget threshold) is submitted without an
approved assessment; a continuing project under the threshold passes."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.extensions import db
from core.models import Jurisdiction, Project
from core.workflow import service
from core.workflow.transitions import TransitionRefused
from tests.api.helpers import auth, issue_token
from tests.conftest import csrf_token, login
from tests.workflow.test_goal_flow import form_fields

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
    assert gate.message == ("本辖区要求新增项目和预算 200 万元及以上的项目先完成事前绩效评估（本项目为「新增项目」）："
                            "请先在项目页面填报「事前绩效评估表」并经财务审核通过，再提交绩效目标表"
                            f"（事前绩效评估表当前：未填报；填报入口 /projects/{project.id}/forms/ex_ante）。")
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


# --- the scope: new projects and major ones, as the pack says ----------------------------------------

def _changzhi_project(people, name="城区道路养护", budget="120.00") -> Project:
    org = people.organization("changzhi", "长治市某预算单位")
    project = Project(organization=org, name=name, year=2024, budget=Decimal(budget))
    db.session.add(project)
    db.session.commit()
    return project


def _draft(project, filer, nature: str, budget: str) -> None:
    """A goal form saved as a draft: nothing wrong with it except, perhaps, the gate."""
    goal = service.start_submission(project, "goal", filer)
    data = service.initial_data(project, goal.definition)
    data["fields"].update({**GOAL["fields"], "project_nature": nature, "budget_total": budget,
                           "source_fiscal": budget})
    if nature != "new":
        data["fields"].pop("ex_ante_done")
    data.update({"milestones": GOAL["milestones"], "indicators": GOAL["indicators"]})
    result = service.save_draft(goal, data, filer, None)
    assert [p.code for p in result.problems if p.code != "ex_ante_required"] == []
    db.session.commit()


def _submit_page(client, project_id: int, nature: str):
    """The filer presses 提交审核 on the goal form's page (the select keeps ``nature``)."""
    url = f"/projects/{project_id}/forms/goal"
    values = form_fields(client.get(url).get_data(as_text=True))
    values.update({"f_project_nature": nature, "f_ex_ante_done": "yes" if nature == "new" else "",
                   "action": "submit"})
    return client.post(url, data=values)


def _submit_api(client, secret: str, project_id: int):
    return client.post(f"/api/v1/projects/{project_id}/submissions/goal/transitions",
                       json={"transition": "submit"}, headers=auth(secret))


def _state(project_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Project, project_id).submission("goal").state


@pytest.mark.parametrize("entry", ["page", "api"])
def test_a_continuing_project_under_the_threshold_is_not_gated(app, client, people, entry):
    project = _changzhi_project(people)
    filer = people.user("filer_c", "filer", organization=project.organization)
    _draft(project, filer, "continuing", "120.00")
    if entry == "page":
        login(client, "filer_c")
        response = _submit_page(client, project.id, "continuing")
        assert response.status_code == 302, response.get_data(as_text=True)
    else:
        response = _submit_api(client, issue_token(app, "filer_c"), project.id)
        assert response.status_code == 200, response.get_json()
    assert _state(project.id) == "submitted"


@pytest.mark.parametrize("nature, budget, reason", [
    ("new", "120.00", "本项目为「新增项目」"),
    ("continuing", "200.00", "本项目预算 200 万元，达到 200 万元"),  # the threshold is inclusive
    ("continuing", "350.50", "本项目预算 350.5 万元，达到 200 万元"),
])
def test_new_and_major_projects_are_refused_the_same_way_on_the_page_and_in_the_api(
        app, client, people, nature, budget, reason):
    project = _changzhi_project(people, budget=budget)
    filer = people.user("filer_c", "filer", organization=project.organization)
    _draft(project, filer, nature, budget)

    login(client, "filer_c")
    page = _submit_page(client, project.id, nature)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "本辖区要求新增项目和预算 200 万元及以上的项目先完成事前绩效评估" in html and reason in html
    assert _state(project.id) == "draft"

    response = _submit_api(client, issue_token(app, "filer_c"), project.id)
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert (error["path"], error["code"]) == ("ex_ante", "ex_ante_required")
    assert reason in error["message"]
    assert _state(project.id) == "draft"


def test_the_threshold_is_the_packs_setting(app, client, people):
    project = _changzhi_project(people, budget="120.00")
    filer = people.user("filer_c", "filer", organization=project.organization)
    _draft(project, filer, "continuing", "120.00")
    changzhi = db.session.scalar(db.select(Jurisdiction).where(Jurisdiction.code == "changzhi"))
    workflow = dict(changzhi.settings["workflow"])
    workflow["ex_ante_scope"] = {"project_nature": ["new"], "budget_at_least": 100}
    changzhi.settings = {**changzhi.settings, "workflow": workflow}
    db.session.commit()
    secret = issue_token(app, "filer_c")
    response = _submit_api(client, secret, project.id)
    assert response.status_code == 422
    assert "本项目预算 120 万元，达到 100 万元" in response.get_json()["errors"][0]["message"]

    # Without a threshold only the project's nature counts.
    changzhi.settings = {**changzhi.settings, "workflow": {**workflow, "ex_ante_scope": {"project_nature": ["new"]}}}
    db.session.commit()
    assert _submit_api(client, secret, project.id).status_code == 200


def test_an_assessment_that_does_not_support_the_project_stops_it_whatever_the_scope(changzhi, people):
    project, filer, reviewer = changzhi
    _assess(project, filer, reviewer, conclusion="not_supported")
    goal = service.start_submission(project, "goal", filer)
    data = service.initial_data(project, goal.definition)
    data["fields"].update({**GOAL["fields"], "project_nature": "continuing"})
    data["fields"].pop("ex_ante_done")
    data.update({"milestones": GOAL["milestones"], "indicators": GOAL["indicators"]})
    assert [p.code for p in service.save_draft(goal, data, filer, None).problems] == ["ex_ante_not_supported"]


def test_chongqing_states_the_nature_and_gates_new_projects_only(app, client, people):
    org = people.organization("chongqing", "重庆市妇联家庭和儿童工作部")
    filer = people.user("filer_q", "filer", organization=org)
    project = Project(organization=org, name="春蕾计划", year=2024, budget=Decimal("30.00"))
    db.session.add(project)
    db.session.commit()
    goal = service.start_submission(project, "goal", filer)
    data = service.initial_data(project, goal.definition)
    data["fields"].update({"project_category": "organ", "project_nature": "new", "multi_year": "no",
                           "budget_total": "30.00", "purpose": "资助困境女童完成学业",
                           "annual_goal": "资助 100 名女童"})
    data.update({"milestones": {"m03": "20", "m06": "50", "m09": "80", "m12": "100"}, "indicators": [
        {"id": "r1", "level1": "output", "level2": "quantity", "name": "资助人数", "description": "受助女童人数",
         "target": "≥100 人", "basis": "实施方案"},
        {"id": "r2", "level1": "effect", "level2": "social", "name": "完成学业比例", "description": "受助女童完成学业",
         "target": "≥95%", "basis": "回访记录", "indicator_source": "custom"},
        {"id": "r3", "level1": "satisfaction", "level2": "beneficiary", "name": "受助家庭满意度",
         "description": "问卷调查", "target": "≥90%", "basis": "调查问卷", "indicator_source": "common"}]})
    problems = service.save_draft(goal, data, filer, None).problems
    assert [p.code for p in problems] == ["ex_ante_required"], [(p.path, p.message) for p in problems]
    data["fields"]["project_nature"] = "continuing"
    assert service.save_draft(goal, data, filer, None).problems == []
    db.session.commit()
    response = _submit_api(client, issue_token(app, "filer_q"), project.id)
    assert response.status_code == 200, response.get_json()


def test_the_scope_is_checked_with_the_pack(tmp_path):
    import json

    from core.definitions.errors import DefinitionInvalid
    from core.definitions.pack import load_pack, pack_from_json, pack_to_json
    from core.definitions.locations import builtin_pack_dir

    pack = load_pack(builtin_pack_dir("changzhi"))
    assert pack.workflow["ex_ante_scope"] == {"project_nature": ["new"], "budget_at_least": 200}
    doc = pack_to_json(pack)
    doc["workflow"]["ex_ante_scope"] = {"project_nature": "new", "budget_at_least": "200", "budget": 1}
    with pytest.raises(DefinitionInvalid) as invalid:
        pack_from_json(json.loads(json.dumps(doc)))
    assert sorted(p.path for p in invalid.value.problems) == [
        "pack.json: workflow.ex_ante_scope.budget", "pack.json: workflow.ex_ante_scope.budget_at_least",
        "pack.json: workflow.ex_ante_scope.project_nature"]
