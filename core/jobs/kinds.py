"""The kinds of job, one function each: ``run(job, out, progress) -> file name``.

Each reads the same query its page shows (same filters, same order, same scope for
the user who started it), writes the file to ``out`` and reports ``progress(done,
total)`` as it goes. A refusal the user should read is :class:`JobFailed`.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import BinaryIO, Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import select

from core.extensions import db
from core.i18n import today as local_today, label
from core.jobs.queue import JobFailed
from core.models import Job, Project, User
from core.reports.cells import safe_cell

BATCH = 500
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Kind:
    label: object  # lazy text: what the job page calls it
    run: Callable[[Job, BinaryIO, Progress], str]


def _user(job: Job) -> User:
    user = db.session.get(User, job.user_id)
    if user is None or not user.is_active:
        raise JobFailed(_("发起导出的账户已停用"))
    return user


def _workbook(title: str, headers: list[str]):
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append([safe_cell(h) for h in headers])
    return book, sheet


def _batches(ids: list, progress: Progress):
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]
        progress(min(start + BATCH, len(ids)), len(ids))


# ------------------------------------------------------------- monitoring table ------

def monitoring_xlsx(job: Job, out: BinaryIO, progress: Progress) -> str:
    """Every row of the monitoring table the user filtered, in its order."""
    from core.monitoring.service import STATE_LABELS
    from core.monitoring.settings import LIGHT_LABELS
    from core.monitoring.table import build_table
    from core.workflow.suspension import STATE_LABELS as SUSPENSION_LABELS

    user = _user(job)
    table = build_table(user, job.params)
    ids = list(db.session.scalars(table.ordered_ids()))
    progress(0, len(ids))
    round_label = label(table.chosen.label) if table.chosen else ""
    book, sheet = _workbook(_("绩效监控"), [
        _("项目灯"), _("项目名称"), _("填报部门"), _("所属辖区"), _("预算数"), _("执行率（%）"), _("计划进度（%）"),
        _("执行进度比"), _("监控表"), _("提示数"), _("拨款")])
    for batch in _batches(ids, progress):
        for r in table.rows(batch, user):
            sheet.append([safe_cell(v) for v in (
                label(LIGHT_LABELS.get(r.light, LIGHT_LABELS[None])), r.name, r.organization, r.jurisdiction,
                r.budget, _number(r.execution_rate), _number(r.planned_rate), _number(r.progress),
                label(STATE_LABELS[r.state]), len(r.alerts),
                label(SUSPENSION_LABELS[r.suspension]) if r.suspension else _("正常"))])
        db.session.expunge_all()
    book.save(out)
    return f"{_('绩效监控')}-{table.year}-{round_label}.xlsx"


def _number(value):
    return float(value) if value is not None else None


# ------------------------------------------------------------------ project list ------

def projects_xlsx(job: Job, out: BinaryIO, progress: Progress) -> str:
    """Every project of the list the user filtered."""
    from core.projects.queries import project_filters, project_list
    from core.workflow.transitions import STATE_LABELS

    user = _user(job)
    query = project_list(user, project_filters(job.params))
    ids = list(db.session.scalars(query.with_only_columns(Project.id, maintain_column_froms=True)))
    progress(0, len(ids))
    book, sheet = _workbook(_("项目"), [_("年度"), _("项目编码"), _("项目名称"), _("填报部门"), _("预算数"),
                                        _("绩效目标表")])
    for batch in _batches(ids, progress):
        rows = {project.id: (project, state) for project, state in db.session.execute(
            query.where(Project.id.in_(batch)))}
        for pid in batch:
            project, state = rows[pid]
            sheet.append([safe_cell(v) for v in (
                project.year, project.code, project.name, project.organization.name, float(project.budget),
                label(STATE_LABELS[state]) if state else _("未填报"))])
        db.session.expunge_all()
    book.save(out)
    return f"{_('项目')}-{local_today().isoformat()}.xlsx"


# --------------------------------------------------------- a department's PDFs ------

def goal_pdfs_zip(job: Job, out: BinaryIO, progress: Progress) -> str:
    """The goal forms of one organization's projects of one year, one PDF each, in a ZIP."""
    from core.auth import access
    from core.reports.views import goal_pdf, pdf_name

    user = _user(job)
    organization_id, year = int(job.params["organization_id"]), int(job.params["year"])
    visible = access.visible_projects(user).with_only_columns(Project.id)
    projects = list(db.session.scalars(select(Project).where(
        Project.id.in_(visible), Project.organization_id == organization_id, Project.year == year)
        .order_by(Project.name, Project.id)))
    goals = [(p, p.submission("goal")) for p in projects]
    goals = [(p, g) for p, g in goals if g is not None]
    if not goals:
        raise JobFailed(_("该部门 %(year)s 年度没有已填报的绩效目标表", year=year))
    organization = projects[0].organization.name
    progress(0, len(goals))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, (project, goal) in enumerate(goals, start=1):
            archive.writestr(pdf_name(project, goal), goal_pdf(project, goal, goal.definition.body, goal.data))
            progress(done, len(goals))
    return f"{organization}-{year}-{_('绩效目标表')}.zip"


KINDS: dict[str, Kind] = {
    "monitoring_xlsx": Kind(_l("绩效监控表导出（Excel）"), monitoring_xlsx),
    "projects_xlsx": Kind(_l("项目清单导出（Excel）"), projects_xlsx),
    "goal_pdfs_zip": Kind(_l("部门绩效目标表 PDF 打包（ZIP）"), goal_pdfs_zip),
}
