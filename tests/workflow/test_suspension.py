"""Suspending funds until a rectification report is approved (Shijiazhuang §20), at the service level."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEvent
from core.workflow import suspension as workflow
from core.workflow.transitions import TransitionRefused
from tests.monitoring.helpers import BOYE_ORG, boye_project


@pytest.fixture
def setup(people):
    org = people.organization("boye", BOYE_ORG)
    users = {"filer": people.user("filer_a", "filer", organization=org),
             "other_filer": people.user("filer_b", "filer",
                                        organization=people.organization("boye", "博野县总工会女职工部")),
             "reviewer": people.user("reviewer", "reviewer", jurisdiction="boye"),
             "leader": people.user("leader", "leader", jurisdiction="boye"),
             "futian_reviewer": people.user("futian_reviewer", "reviewer", jurisdiction="futian")}
    project = boye_project(people, users["filer"], users["reviewer"], index=3)
    return project, users


def test_full_cycle_with_a_returned_report(setup):
    project, u = setup
    item = workflow.suspend(project, u["reviewer"], "项目执行与目标严重不匹配")
    assert workflow.active_suspension(project) is item and item.state == "suspended"
    workflow.submit_report(item, u["filer"], "已调整实施方案")
    assert item.state == "reported"
    workflow.return_report(item, u["reviewer"], "缺少整改完成时间")
    assert item.state == "suspended" and item.decision_comment == "缺少整改完成时间"
    workflow.submit_report(item, u["filer"], "9月底前完成岗位补充，10月起按月支付")
    workflow.approve_report(item, u["reviewer"], "同意")
    assert item.state == "lifted" and not item.active and workflow.active_suspension(project) is None
    db.session.flush()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "funding_suspension")
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor.username) for e in events] == [
        ("suspension.suspend", "reviewer"), ("suspension.report", "filer_a"), ("suspension.return", "reviewer"),
        ("suspension.report", "filer_a"), ("suspension.lift", "reviewer")]
    assert events[0].comment == "项目执行与目标严重不匹配"
    # Once lifted, funds may be suspended again later.
    assert workflow.suspend(project, u["reviewer"], "再次滞后").state == "suspended"


@pytest.mark.parametrize("who", ["filer", "leader", "futian_reviewer"])
def test_only_finance_of_the_jurisdiction_suspends(setup, who):
    project, u = setup
    with pytest.raises(TransitionRefused, match="只有本辖区财务部门可以暂缓拨款"):
        workflow.suspend(project, u[who], "x")


def test_refusals_say_why(setup):
    project, u = setup
    with pytest.raises(TransitionRefused, match="请填写暂缓拨款的原因"):
        workflow.suspend(project, u["reviewer"], "  ")
    item = workflow.suspend(project, u["reviewer"], "严重滞后")
    with pytest.raises(TransitionRefused, match="不能重复暂缓"):
        workflow.suspend(project, u["reviewer"], "又一次")
    with pytest.raises(TransitionRefused, match="没有待审批的整改报告"):
        workflow.approve_report(item, u["reviewer"])
    with pytest.raises(TransitionRefused, match="只有项目所在部门的填报人"):
        workflow.submit_report(item, u["other_filer"], "报告")
    with pytest.raises(TransitionRefused, match="请填写整改报告"):
        workflow.submit_report(item, u["filer"], "")
    workflow.submit_report(item, u["filer"], "报告")
    with pytest.raises(TransitionRefused, match="请填写退回原因"):
        workflow.return_report(item, u["reviewer"], "")
    with pytest.raises(TransitionRefused, match="只有本辖区财务部门可以审批"):
        workflow.approve_report(item, u["filer"])
    with pytest.raises(TransitionRefused, match="已被他人处理"):
        workflow.approve_report(item, u["reviewer"], lock_version=item.lock_version + 5)
