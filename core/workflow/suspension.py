"""Suspending a project's funds until a written rectification report is approved.

Shijiazhuang §20: for projects with serious problems finance "暂缓或停止预算拨款，督促
整改落实，业务部门需提供书面整改报告……审批后，该预算项目方可继续执行"; Changzhi §22
and Chongqing 四（四） likewise.

    suspended ──report──▶ reported ──approve──▶ lifted
        ▲                    │
        └──────return────────┘

Finance (a reviewer of the project's jurisdiction) suspends, approves and returns;
the department's filer writes the report. Every step is audited. The caller commits.
"""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import select

from core.audit import record
from core.auth import access
from core.extensions import db
from core.i18n import label
from core.models import FundingSuspension, MonitoringReport, Project, User
from core.models.base import utcnow
from core.workflow.transitions import TransitionRefused

STATE_LABELS = {
    "suspended": {"zh": "暂缓拨款，待提交整改报告", "en": "Funds suspended, awaiting the rectification report"},
    "reported": {"zh": "整改报告待审批", "en": "Rectification report awaiting approval"},
    "lifted": {"zh": "已恢复拨款", "en": "Funding resumed"},
}
MAX_TEXT = 8000


def active_suspension(project: Project) -> FundingSuspension | None:
    """The project's suspension that is not lifted yet (at most one)."""
    return db.session.scalar(select(FundingSuspension).where(
        FundingSuspension.project_id == project.id, FundingSuspension.state != "lifted"))


def suspensions_of(project: Project) -> list[FundingSuspension]:
    return list(db.session.scalars(select(FundingSuspension).where(FundingSuspension.project_id == project.id)
                                   .order_by(FundingSuspension.id)))


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise TransitionRefused(gettext("请填写%(what)s", what=what))
    if len(value) > MAX_TEXT:
        raise TransitionRefused(gettext("%(what)s最多 %(max)s 个字，现有 %(n)s 个字", what=what, max=MAX_TEXT,
                                        n=len(value)))
    return value


def _fresh(suspension: FundingSuspension, lock_version) -> None:
    if lock_version is not None and int(lock_version) != suspension.lock_version:
        raise TransitionRefused(gettext("此事项在您打开后已被他人处理，请刷新页面查看最新状态。"))


def _audit(suspension: FundingSuspension, action: str, actor: User, comment: str = "") -> None:
    project = suspension.project
    record(f"suspension.{action}", "funding_suspension", suspension.id, actor=actor, comment=comment,
           detail={"project_id": project.id, "state": suspension.state},
           jurisdiction_id=project.organization.jurisdiction_id, organization_id=project.organization_id)


def suspend(project: Project, actor: User, reason: str, report: MonitoringReport | None = None) -> FundingSuspension:
    """Finance suspends the project's funds, saying why."""
    if not access.can_supervise(actor, project):
        raise TransitionRefused(gettext("只有本辖区财务部门可以暂缓拨款"))
    if active_suspension(project) is not None:
        raise TransitionRefused(gettext("此项目已暂缓拨款，整改报告批准前不能重复暂缓"))
    suspension = FundingSuspension(project=project, report=report, state="suspended",
                                   reason=_text(reason, gettext("暂缓拨款的原因")), suspended_by=actor)
    db.session.add(suspension)
    db.session.flush()
    _audit(suspension, "suspend", actor, comment=suspension.reason)
    return suspension


def submit_report(suspension: FundingSuspension, actor: User, text: str, lock_version=None) -> None:
    """The department hands in its written rectification report (书面整改报告)."""
    if not access.can_file_for(actor, suspension.project.organization_id):
        raise TransitionRefused(gettext("只有项目所在部门的填报人可以提交整改报告"))
    if suspension.state != "suspended":
        raise TransitionRefused(gettext("当前状态为「%(state)s」，不能提交整改报告",
                                        state=label(STATE_LABELS[suspension.state])))
    _fresh(suspension, lock_version)
    suspension.rectification_report = _text(text, gettext("整改报告"))
    suspension.state = "reported"
    suspension.reported_by = actor
    suspension.reported_at = utcnow()
    _audit(suspension, "report", actor)


def _decide(suspension: FundingSuspension, actor: User, lock_version) -> None:
    if not access.can_supervise(actor, suspension.project):
        raise TransitionRefused(gettext("只有本辖区财务部门可以审批整改报告"))
    if suspension.state != "reported":
        raise TransitionRefused(gettext("当前状态为「%(state)s」，没有待审批的整改报告",
                                        state=label(STATE_LABELS[suspension.state])))
    _fresh(suspension, lock_version)
    suspension.decided_by = actor


def approve_report(suspension: FundingSuspension, actor: User, comment: str = "", lock_version=None) -> None:
    """Finance approves the report: funding resumes."""
    _decide(suspension, actor, lock_version)
    suspension.decision_comment = (comment or "").strip()[:MAX_TEXT]
    suspension.state = "lifted"
    suspension.lifted_at = utcnow()
    _audit(suspension, "lift", actor, comment=suspension.decision_comment)


def return_report(suspension: FundingSuspension, actor: User, comment: str, lock_version=None) -> None:
    """Finance returns an insufficient report; funds stay suspended."""
    _decide(suspension, actor, lock_version)
    suspension.decision_comment = _text(comment, gettext("退回原因"))
    suspension.state = "suspended"
    _audit(suspension, "return", actor, comment=suspension.decision_comment)
