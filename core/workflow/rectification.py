"""Feedback letters and rectification (整改), Changzhi §28–30.

After an evaluation or a monitoring finding, finance sends the department a feedback
letter (反馈函) listing problems, each with a deadline (§28); the department answers
each with its measures (§29) within the time set (§30); finance accepts the answer or
returns it. An item still open after its deadline is **overdue**.

    open ──answer──▶ answered ──accept──▶ accepted
      ▲                 │
      └─────return──────┘

The caller commits; every step is audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext

from core.audit import record
from core.auth import access
from core.extensions import db
from core.i18n import display_time, label, today as display_today
from core.models import MonitoringReport, Project, RectificationItem, RectificationLetter, User
from core.models.base import utcnow
from core.workflow.transitions import TransitionRefused

SOURCES = {"evaluation": {"zh": "绩效评价", "en": "Evaluation"},
           "monitoring": {"zh": "绩效监控", "en": "Monitoring"}}
ITEM_STATES = {"open": {"zh": "待整改", "en": "Open"},
               "answered": {"zh": "已反馈措施，待确认", "en": "Answered, awaiting confirmation"},
               "accepted": {"zh": "整改完成", "en": "Done"}}
LETTER_STATES = {"open": {"zh": "整改中", "en": "In progress"},
                 "overdue": {"zh": "有逾期事项", "en": "Overdue items"},
                 "closed": {"zh": "已办结", "en": "Closed"}}
MAX_TEXT = 8000
MAX_ITEMS = 50


@dataclass(frozen=True)
class NewItem:
    problem: str
    deadline: date


def is_overdue(item: RectificationItem, today: date) -> bool:
    """Still waiting for the department's measures after its deadline."""
    return item.state == "open" and item.deadline < today


def answered_late(item: RectificationItem) -> bool:
    """Answered after the deadline's day ended — in the display zone, where the deadline is a date."""
    return item.answered_at is not None and display_time(item.answered_at).date() > item.deadline


def letter_state(letter: RectificationLetter, today: date) -> str:
    if letter.items and all(i.state == "accepted" for i in letter.items):
        return "closed"
    if any(is_overdue(i, today) for i in letter.items):
        return "overdue"
    return "open"


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise TransitionRefused(gettext("请填写%(what)s", what=what))
    if len(value) > MAX_TEXT:
        raise TransitionRefused(gettext("%(what)s最多 %(max)s 个字，现有 %(n)s 个字", what=what, max=MAX_TEXT,
                                        n=len(value)))
    return value


def _audit(obj, action: str, actor: User, project: Project, comment: str = "", detail=None) -> None:
    object_type = "rectification_letter" if isinstance(obj, RectificationLetter) else "rectification_item"
    record(f"rectification.{action}", object_type, obj.id, actor=actor, comment=comment, detail=detail or {},
           jurisdiction_id=project.organization.jurisdiction_id, organization_id=project.organization_id)


def issue_letter(project: Project, actor: User, title: str, items: list[NewItem], source: str = "evaluation",
                 summary: str = "", report: MonitoringReport | None = None, today: date | None = None
                 ) -> RectificationLetter:
    """Finance issues a feedback letter with at least one problem and its deadline."""
    if not access.can_supervise(actor, project):
        raise TransitionRefused(gettext("只有本辖区财务部门可以下发反馈函"))
    if source not in SOURCES:
        raise TransitionRefused(gettext("未知的来源「%(source)s」", source=source))
    if not items:
        raise TransitionRefused(gettext("反馈函至少须列出一个问题及整改期限"))
    if len(items) > MAX_ITEMS:
        raise TransitionRefused(gettext("一份反馈函最多 %(n)s 个问题", n=MAX_ITEMS))
    today = today or display_today()
    for number, item in enumerate(items, 1):
        _text(item.problem, gettext("第 %(n)s 个问题", n=number))
        if item.deadline < today:
            raise TransitionRefused(gettext("第 %(n)s 个问题的整改期限 %(deadline)s 早于今天", n=number,
                                            deadline=f"{item.deadline:%Y-%m-%d}"))
    letter = RectificationLetter(project=project, report=report, source=source,
                                 title=_text(title, gettext("反馈函标题"))[:300],
                                 summary=(summary or "").strip()[:MAX_TEXT], issued_by=actor)
    letter.items = [RectificationItem(problem=i.problem.strip(), deadline=i.deadline, state="open") for i in items]
    db.session.add(letter)
    db.session.flush()
    _audit(letter, "issue", actor, project, detail={"items": len(items), "source": source})
    return letter


def _fresh(item: RectificationItem, lock_version) -> None:
    if lock_version is not None and int(lock_version) != item.lock_version:
        raise TransitionRefused(gettext("此事项在您打开后已被他人处理，请刷新页面查看最新状态。"))


def answer_item(item: RectificationItem, actor: User, measures: str, lock_version=None) -> None:
    """The department answers one problem with its measures (整改措施)."""
    project = item.letter.project
    if not access.can_file_for(actor, project.organization_id):
        raise TransitionRefused(gettext("只有项目所在部门的填报人可以反馈整改措施"))
    if item.state != "open":
        raise TransitionRefused(gettext("此问题状态为「%(state)s」，不能再反馈", state=label(ITEM_STATES[item.state])))
    _fresh(item, lock_version)
    item.measures = _text(measures, gettext("整改措施"))
    item.state = "answered"
    item.answered_by = actor
    item.answered_at = utcnow()
    _audit(item, "answer", actor, project, detail={"late": answered_late(item)})


def _decide(item: RectificationItem, actor: User, lock_version) -> Project:
    project = item.letter.project
    if not access.can_supervise(actor, project):
        raise TransitionRefused(gettext("只有本辖区财务部门可以确认整改"))
    if item.state != "answered":
        raise TransitionRefused(gettext("此问题尚未反馈整改措施"))
    _fresh(item, lock_version)
    return project


def accept_item(item: RectificationItem, actor: User, comment: str = "", lock_version=None) -> None:
    project = _decide(item, actor, lock_version)
    item.review_comment = (comment or "").strip()[:MAX_TEXT]
    item.state = "accepted"
    _audit(item, "accept", actor, project, comment=item.review_comment)


def return_item(item: RectificationItem, actor: User, comment: str, lock_version=None) -> None:
    project = _decide(item, actor, lock_version)
    item.review_comment = _text(comment, gettext("退回原因"))
    item.state = "open"
    _audit(item, "return", actor, project, comment=item.review_comment)
