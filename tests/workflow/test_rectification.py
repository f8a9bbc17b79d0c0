"""Feedback letters and rectification with deadlines (Changzhi §28–30)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEvent, RectificationItem, RectificationLetter
from core.workflow import rectification as workflow
from core.workflow.rectification import NewItem
from core.workflow.transitions import TransitionRefused
from tests.conftest import csrf_token, login
from tests.monitoring.helpers import FUTIAN_ORG, futian_project

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the display zone's date, as the workflow's


@pytest.fixture
def futian(people):
    org = people.organization("futian", FUTIAN_ORG)
    users = {"filer": people.user("filer_f", "filer", organization=org),
             "reviewer": people.user("reviewer_f", "reviewer", jurisdiction="futian"),
             "boye_reviewer": people.user("reviewer_b", "reviewer", jurisdiction="boye")}
    return futian_project(people, users["filer"], users["reviewer"]), users


# The problems the Futian report itself lists (section 六), as a feedback letter.
FUTIAN_PROBLEMS = ("慰问退休职工人数目标值只设上限「< 2208 人」，未体现应达到的数量",
                   "慰问金发放及时性目标值「及时」未细化到时间节点（建议「8月31日前」）",
                   "满意度调查针对工会整体工作而非本项目，有效问卷仅 19 份")


def _letter(project, reviewer, deadlines=(30, 30, 60)):
    items = [NewItem(p, TODAY + timedelta(days=d)) for p, d in zip(FUTIAN_PROBLEMS, deadlines)]
    return workflow.issue_letter(project, reviewer, "关于区退休职工管理项目绩效评价结果的反馈函", items,
                                 "evaluation", "总体良好（95.0 分），以下问题限期整改")


def test_issue_answer_accept_and_return(futian):
    project, u = futian
    letter = _letter(project, u["reviewer"])
    first, second, third = letter.items
    assert workflow.letter_state(letter, TODAY) == "open"
    workflow.answer_item(first, u["filer"], "下年度改为「≥2185 人」并写明依据")
    workflow.accept_item(first, u["reviewer"])
    workflow.answer_item(second, u["filer"], "改为「8月31日前」")
    workflow.return_item(second, u["reviewer"], "请同时说明节日慰问的三个时间节点")
    assert second.state == "open" and second.review_comment.startswith("请同时说明")
    workflow.answer_item(second, u["filer"], "春节前、端午前、中秋前各一次，均于节前10日发放")
    workflow.accept_item(second, u["reviewer"])
    assert workflow.letter_state(letter, TODAY) == "open"
    workflow.answer_item(third, u["filer"], "2023年起按项目单独发放问卷，样本不少于 300 份")
    workflow.accept_item(third, u["reviewer"], "同意")
    assert workflow.letter_state(letter, TODAY) == "closed"
    db.session.flush()
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("rectification.%")).order_by(AuditEvent.id))]
    assert actions == ["rectification.issue", "rectification.answer", "rectification.accept", "rectification.answer",
                       "rectification.return", "rectification.answer", "rectification.accept",
                       "rectification.answer", "rectification.accept"]


def test_overdue_items(futian):
    project, u = futian
    letter = _letter(project, u["reviewer"], deadlines=(0, 10, 20))
    first, second, third = letter.items
    later = TODAY + timedelta(days=15)
    assert [workflow.is_overdue(i, later) for i in letter.items] == [True, True, False]
    assert workflow.letter_state(letter, later) == "overdue"
    workflow.answer_item(first, u["filer"], "已整改")
    assert not workflow.is_overdue(first, later)  # answered: no longer waiting
    assert not workflow.answered_late(first)       # answered on the day of the deadline


def test_refusals(futian):
    project, u = futian
    with pytest.raises(TransitionRefused, match="只有本辖区财务部门可以下发反馈函"):
        _letter(project, u["boye_reviewer"])
    with pytest.raises(TransitionRefused, match="至少须列出一个问题"):
        workflow.issue_letter(project, u["reviewer"], "反馈函", [])
    with pytest.raises(TransitionRefused, match="第 1 个问题的整改期限 .* 早于今天"):
        workflow.issue_letter(project, u["reviewer"], "反馈函", [NewItem("问题", TODAY - timedelta(days=1))])
    letter = _letter(project, u["reviewer"])
    with pytest.raises(TransitionRefused, match="只有项目所在部门的填报人"):
        workflow.answer_item(letter.items[0], u["reviewer"], "措施")
    with pytest.raises(TransitionRefused, match="尚未反馈整改措施"):
        workflow.accept_item(letter.items[0], u["reviewer"])
    with pytest.raises(TransitionRefused, match="请填写整改措施"):
        workflow.answer_item(letter.items[0], u["filer"], " ")


def test_pages_without_javascript(app, client, futian):
    project, u = futian
    login(client, "reviewer_f")
    url = f"/rectification/new?project_id={project.id}"
    token = csrf_token(client, url)
    html = client.get(url).get_data(as_text=True)
    assert html.count('name="problem-') == 5
    response = client.post("/rectification/new", data={
        "csrf_token": token, "project_id": project.id, "title": "反馈函", "source": "evaluation", "action": "more",
        **{f"problem-{i}": "" for i in range(5)}, **{f"deadline-{i}": "" for i in range(5)}})
    assert response.get_data(as_text=True).count('name="problem-') == 10  # "再加 5 行" without JavaScript
    response = client.post("/rectification/new", data={
        "csrf_token": token, "project_id": project.id, "title": "关于绩效评价结果的反馈函", "source": "evaluation",
        "action": "issue", "problem-0": FUTIAN_PROBLEMS[0], "deadline-0": (TODAY + timedelta(days=30)).isoformat(),
        "problem-1": FUTIAN_PROBLEMS[1], "deadline-1": "明年"})
    assert "整改期限「明年」不是日期" in response.get_data(as_text=True)
    response = client.post("/rectification/new", data={
        "csrf_token": token, "project_id": project.id, "title": "关于绩效评价结果的反馈函", "source": "evaluation",
        "action": "issue", "problem-0": FUTIAN_PROBLEMS[0], "deadline-0": (TODAY + timedelta(days=30)).isoformat(),
        "problem-1": FUTIAN_PROBLEMS[1], "deadline-1": (TODAY + timedelta(days=60)).isoformat()})
    assert response.status_code == 302
    letter_url = response.headers["Location"]
    with app.app_context():
        letter = db.session.scalar(select(RectificationLetter))
        assert [i.problem for i in letter.items] == list(FUTIAN_PROBLEMS[:2])
        item_id = letter.items[0].id
        # Make the first item overdue, as if a month had passed.
        db.session.get(RectificationItem, item_id).deadline = TODAY - timedelta(days=3)
        db.session.commit()
    overview = client.get("/rectification/").get_data(as_text=True)
    assert "逾期未反馈的问题" in overview and "慰问退休职工人数目标值只设上限「&lt; 2208 人」" in overview
    assert re.search(r'class="num overdue">3<', overview)
    client.post("/logout", data={"csrf_token": token})
    login(client, "filer_f")
    assert "已逾期 3 天" in client.get(letter_url).get_data(as_text=True)
    token = csrf_token(client, letter_url)
    client.post(f"/rectification/items/{item_id}/answer", data={"csrf_token": token, "measures": "已修改目标值"})
    page = client.get(letter_url).get_data(as_text=True)
    assert "逾期反馈" in page and "已修改目标值" in page
    # Another jurisdiction's reviewer sees nothing of it.
    client.post("/logout", data={"csrf_token": token})
    login(client, "reviewer_b")
    assert client.get(letter_url).status_code == 404
    assert "慰问退休职工人数目标值只设上限" not in client.get("/rectification/").get_data(as_text=True)


def test_deadlines_are_days_in_the_display_zone(app, client, futian):
    """Answered at 2023-06-30 17:30 UTC is 2023-07-01 01:30 in Beijing: after a 30 June deadline."""
    project, u = futian
    letter = _letter(project, u["reviewer"])
    item = letter.items[0]
    workflow.answer_item(item, u["filer"], "已整改")
    item.deadline = datetime(2023, 6, 30).date()
    item.answered_at = datetime(2023, 6, 30, 17, 30, tzinfo=timezone.utc)
    letter.created_at = datetime(2023, 6, 30, 16, 5, tzinfo=timezone.utc)
    db.session.commit()
    assert workflow.answered_late(item)
    item.answered_at = datetime(2023, 6, 30, 15, 59, tzinfo=timezone.utc)  # 23:59 in Beijing: in time
    assert not workflow.answered_late(item)
    item.answered_at = datetime(2023, 6, 30, 17, 30, tzinfo=timezone.utc)
    db.session.commit()
    login(client, "filer_f")
    page = client.get(f"/rectification/{letter.id}").get_data(as_text=True)
    assert "reviewer_f 2023-07-01 ·" in page                                      # issued at 00:05 in Beijing
    assert "整改期限：2023-06-30" in page
    assert "filer_f · 2023-07-01 · <span class=\"overdue\">逾期反馈</span>" in page
