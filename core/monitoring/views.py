"""Monitoring (双监控) pages: finance's table, the filer's report, suspensions of funds."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from core import params
from core.auth import access
from core.extensions import db
from core.listing import paginate
from core.models import AuditEvent, FundingSuspension, MonitoringReport, Organization, Project
from core.monitoring import service
from core.monitoring.lights import METHODS, TIERS, pct
from core.monitoring.settings import LIGHT_LABELS
from core.monitoring.table import LIGHT_FILTERS, STATE_FILTERS, build_table
from core.webforms.builder import attach_problems, data_from_form, form_from_data
from core.models import RectificationLetter
from core.workflow import rectification, suspension as suspensions
from core.workflow.transitions import TransitionRefused

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")


@bp.app_template_global()
def light_label(light):
    return LIGHT_LABELS.get(light, LIGHT_LABELS[None])


@bp.app_template_global()
def percent(value):
    return pct(value)


@bp.app_template_global()
def monitoring_summary(project: Project) -> dict:
    """For the project page: the latest submitted report, an active suspension, open letters."""
    reports = [r for r in service.reports_of(project) if r.state == "submitted"]
    active = suspensions.active_suspension(project)
    latest = reports[-1] if reports else None
    return {"latest": latest, "latest_round": service.round_of(latest) if latest else None, "suspension": active,
            "suspension_label": suspensions.STATE_LABELS[active.state] if active else None,
            "can_monitor": service.approved_goal(project) is not None}


# ------------------------------------------------------------------ helpers ------

def _fail(refused: TransitionRefused):
    flash(refused.message, "error")
    for problem in refused.problems[:20]:
        flash(str(problem), "error")


# -------------------------------------------------------------------- table ------

@bp.route("/")
@login_required
def index():
    table = build_table(current_user, request.args)
    page = paginate(table.ordered_ids(), table.query)
    rows = table.rows(list(page.items), current_user)
    counts = dict(db.session.execute(table.sql.summary()).all())
    summary = {light: counts.get(None if light == "none" else light, 0) for light in LIGHT_FILTERS}
    organizations = db.session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(
            table.sql.base.with_only_columns(Project.organization_id, maintain_column_froms=True)))
        .order_by(Organization.name)).all()
    return render_template(
        "monitoring/index.html", rows=rows, page=page, total=sum(counts.values()), year=table.year,
        years=service.visible_years(current_user) or [table.year], rounds=table.rounds, round=table.chosen,
        filters=table.filters, sort=table.sort, descending=table.descending, query=table.query,
        organizations=organizations, summary=summary, light_filters=LIGHT_FILTERS, state_filters=STATE_FILTERS,
        state_labels=service.STATE_LABELS, suspension_labels=suspensions.STATE_LABELS)


# ------------------------------------------------------------------- report ------

def _report_context(project, report, data, lights, problems, form=None):
    by_path: dict[str, list[str]] = {}
    for problem in problems:
        by_path.setdefault(problem.path, []).append(problem.message)
    revision = report.goal_revision or service.approved_goal(project)
    tree = {c["id"]: c for c in (revision.definition.body.get("indicator_tree") or {}).get("categories", [])}
    return dict(project=project, report=report, raw=report.definition.body, data=data, lights=lights,
                problems=problems, by_path=by_path, form=form, tiers=TIERS, methods=METHODS, categories=tree,
                round=service.round_of(report), state_labels=service.STATE_LABELS,
                can_file=access.can_file_for(current_user, project.organization_id),
                can_supervise=access.can_supervise(current_user, project),
                editable=report.state in service.EDITABLE and access.can_file_for(current_user, project.organization_id))


def _indicator_entries(revision, form) -> dict:
    entries = {}
    for row in revision.data.get("indicators") or []:
        rid = row.get("id")
        entry = {k: (form.get(f"ind-{rid}-{k}") or "").strip()[:4000] for k in ("actual", "tier", "deviation_reason")}
        if any(entry.values()):
            entries[rid] = entry
    return entries


@bp.route("/projects/<int:project_id>/<int:year>/<round_id>", methods=["GET", "POST"])
@login_required
def report_page(project_id: int, year: int, round_id: str):
    project = access.project_or_404(current_user, project_id)
    can_file = access.can_file_for(current_user, project.organization_id)
    report = service.report_for(project, year, round_id)
    if report is None:
        if not can_file or request.method == "POST":
            abort(404)
        try:
            report = service.start_report(project, year, round_id, current_user)
            db.session.commit()
        except TransitionRefused as refused:
            db.session.rollback()
            _fail(refused)
            return redirect(url_for("monitoring.project_page", project_id=project.id))
    raw = report.definition.body
    if request.method == "GET":
        form = form_from_data(raw, {"fields": report.data.get("fields") or {}})
        form.lock_version.data = str(report.lock_version)
        lights = service.lights_of(report)
        problems = service.problems_of(report, report.data, lights) if report.state in service.EDITABLE else []
        attach_problems(form, report.data, problems)
        return render_template("monitoring/report.html", **_report_context(project, report, report.data, lights,
                                                                           problems, form))
    if not can_file:
        abort(403)
    form = form_from_data(raw, {"fields": report.data.get("fields") or {}}, formdata=request.form)
    revision = service.approved_goal(project) or report.goal_revision
    data = {"fields": data_from_form(raw, form)["fields"], "indicators": _indicator_entries(revision, request.form)}
    action = request.form.get("action", "save")
    try:
        lights, problems = service.save_report(report, data, current_user, form.lock_version.data or None)
        db.session.commit()
        if action == "submit":
            service.submit_report(report, current_user)
            db.session.commit()
            flash(_("监控表已报送财务部门"), "success")
        else:
            flash(_("监控表已保存"), "success")
    except (TransitionRefused, StaleDataError) as refused:
        db.session.rollback()
        stale = isinstance(refused, (StaleDataError, service.StaleEdit))
        if isinstance(refused, StaleDataError):
            refused = TransitionRefused(_("此监控表刚被他人修改，您的修改未保存。请刷新页面后再修改。"))
        db.session.refresh(report)
        # The draft was saved before submitting, so the form continues from the saved
        # version; a stale form keeps its old version until the user reloads.
        if not stale:
            form.lock_version.data = str(report.lock_version)
        flash(refused.message, "error")
        lights = service.lights_of(report, data)
        problems = refused.problems or service.problems_of(report, data, lights)
        attach_problems(form, data, problems)
        return render_template("monitoring/report.html", **_report_context(
            project, report, data, lights, problems, form)), 422
    return redirect(url_for("monitoring.report_page", project_id=project.id, year=year, round_id=round_id))


@bp.route("/reports/<int:report_id>/return", methods=["POST"])
@login_required
def return_report(report_id: int):
    report = db.session.get(MonitoringReport, report_id) or abort(404)
    access.require(access.can_supervise(current_user, access.project_or_404(current_user, report.project_id)))
    try:
        service.return_report(report, current_user, request.form.get("comment", ""))
        db.session.commit()
        flash(_("已退回监控表"), "success")
    except TransitionRefused as refused:
        db.session.rollback()
        _fail(refused)
    return redirect(url_for("monitoring.report_page", project_id=report.project_id, year=report.year,
                            round_id=report.round_id))


# ------------------------------------------------------------ project page ------

@bp.route("/projects/<int:project_id>")
@login_required
def project_page(project_id: int):
    """Every round of every year of the project (multi-year projects), its suspensions and letters."""
    project = access.project_or_404(current_user, project_id)
    definition = service.definition_for(project)
    settings = service.settings_of(definition)
    revision = service.approved_goal(project)
    reports = {(r.year, r.round_id): r for r in service.reports_of(project)}
    years = []
    for year in service.project_years(project):
        rounds = []
        for r in settings.rounds:
            report = reports.get((year, r.id))
            lights = service.lights_of(report) if report is not None and report.state == "submitted" else None
            rounds.append({"round": r.in_year(year), "report": report, "lights": lights})
        years.append({"year": year, "rounds": rounds})
    # Across years: the last submitted report of each year, cumulated against the total budget.
    last_per_year = {}
    for (year, _rid), report in sorted(reports.items(), key=lambda kv: (kv[0][0], kv[1].month)):
        if report.state == "submitted":
            last_per_year[year] = service.lights_of(report).budget
    cumulative = sum((b.executed or 0) for b in last_per_year.values())
    history = db.session.scalars(select(AuditEvent).where(
        ((AuditEvent.object_type == "monitoring_report") & AuditEvent.object_id.in_([r.id for r in reports.values()] or [-1]))
        | ((AuditEvent.object_type == "funding_suspension")
           & AuditEvent.object_id.in_([s.id for s in suspensions.suspensions_of(project)] or [-1])))
        .order_by(AuditEvent.id.desc())).all()
    letters = db.session.scalars(select(RectificationLetter).where(RectificationLetter.project_id == project.id)
                                 .order_by(RectificationLetter.id.desc())).all()
    return render_template(
        "monitoring/project.html", project=project, years=years, revision=revision, definition=definition,
        last_per_year=last_per_year, cumulative=cumulative, history=history,
        suspensions=suspensions.suspensions_of(project), active=suspensions.active_suspension(project),
        suspension_labels=suspensions.STATE_LABELS, state_labels=service.STATE_LABELS, letters=letters,
        letter_state=lambda letter: rectification.letter_state(letter, date.today()),
        letter_states=rectification.LETTER_STATES,
        can_file=access.can_file_for(current_user, project.organization_id),
        can_supervise=access.can_supervise(current_user, project))


# -------------------------------------------------------------- suspension ------

@bp.route("/projects/<int:project_id>/suspend", methods=["POST"])
@login_required
def suspend(project_id: int):
    project = access.project_or_404(current_user, project_id)
    access.require(access.can_supervise(current_user, project))
    report = None
    if (request.form.get("report_id") or "").isdigit():
        report = db.session.get(MonitoringReport, params.int_arg("report_id", args=request.form))
        if report is None or report.project_id != project.id:
            abort(404)
    try:
        created = suspensions.suspend(project, current_user, request.form.get("reason", ""), report)
        db.session.commit()
        flash(_("已暂缓拨款，待项目单位提交书面整改报告"), "success")
        return redirect(url_for("monitoring.suspension_page", suspension_id=created.id))
    except TransitionRefused as refused:
        db.session.rollback()
        _fail(refused)
    return redirect(request.form.get("next") if (request.form.get("next") or "").startswith("/monitoring")
                    else url_for("monitoring.project_page", project_id=project.id))


def _suspension_or_404(suspension_id: int) -> FundingSuspension:
    found = db.session.get(FundingSuspension, suspension_id) or abort(404)
    access.project_or_404(current_user, found.project_id)
    return found


@bp.route("/suspensions/<int:suspension_id>")
@login_required
def suspension_page(suspension_id: int):
    item = _suspension_or_404(suspension_id)
    history = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "funding_suspension", AuditEvent.object_id == item.id)
        .order_by(AuditEvent.id)).all()
    return render_template("monitoring/suspension.html", item=item, project=item.project, history=history,
                           labels=suspensions.STATE_LABELS,
                           can_file=access.can_file_for(current_user, item.project.organization_id),
                           can_supervise=access.can_supervise(current_user, item.project))


@bp.route("/suspensions/<int:suspension_id>/report", methods=["POST"])
@login_required
def suspension_report(suspension_id: int):
    item = _suspension_or_404(suspension_id)
    access.require(access.can_file_for(current_user, item.project.organization_id))
    try:
        suspensions.submit_report(item, current_user, request.form.get("report", ""),
                                  request.form.get("lock_version") or None)
        db.session.commit()
        flash(_("整改报告已提交，等待财务部门审批"), "success")
    except (TransitionRefused, StaleDataError) as refused:
        db.session.rollback()
        _fail(refused if isinstance(refused, TransitionRefused) else TransitionRefused(_("此事项刚被他人处理，请刷新。")))
    return redirect(url_for("monitoring.suspension_page", suspension_id=item.id))


@bp.route("/suspensions/<int:suspension_id>/decide", methods=["POST"])
@login_required
def suspension_decide(suspension_id: int):
    item = _suspension_or_404(suspension_id)
    access.require(access.can_supervise(current_user, item.project))
    decision = request.form.get("decision")
    if decision not in ("approve", "return"):
        abort(400)
    try:
        action = suspensions.approve_report if decision == "approve" else suspensions.return_report
        action(item, current_user, request.form.get("comment", ""), request.form.get("lock_version") or None)
        db.session.commit()
        flash(_("已批准整改报告，恢复拨款") if decision == "approve" else _("已退回整改报告"), "success")
    except (TransitionRefused, StaleDataError) as refused:
        db.session.rollback()
        _fail(refused if isinstance(refused, TransitionRefused) else TransitionRefused(_("此事项刚被他人处理，请刷新。")))
    return redirect(url_for("monitoring.suspension_page", suspension_id=item.id))
