"""The survey owner's pages: ``/projects/<project_id>/surveys/...``.

Access (core/auth/access.py): whoever may view the project (its filers and
leaders, the jurisdiction's reviewers, leaders and admins) sees the surveys, the
QR code, the poster, the results and the exports; only a filer of the project's
organization manages them (create, edit, publish, close, invitation codes,
exclusions). A project outside the user's scope is 404.
"""
from __future__ import annotations

import io
from datetime import datetime, timezone

import segno
from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from core.auth import access
from core.extensions import db
from core.i18n import localtime
from core.models import AuditEvent
from survey import charts, export
from survey import results as survey_results
from survey.catalog import find_template, templates_for
from survey.index import scored_items
from survey.models import Survey, SurveyResponse
from survey.service import (MAX_INVITATIONS, SurveyError, close, create_invitations, create_survey,
                            definition_of, format_code, invitation_counts, public_url, publish,
                            satisfaction_rows, set_excluded, update_survey)
from survey.validity import reason_labels

bp = Blueprint("survey_owner", __name__, url_prefix="/projects/<int:project_id>/surveys")

STATUS_LABELS = {"draft": _l("草稿"), "open": _l("收集中"), "closed": _l("已结束")}
MODE_LABELS = {"open": _l("公开链接（任何人可填，每台设备一次）"), "invitation": _l("凭邀请码填答（每个邀请码一次）")}
VERDICTS = {"met": _l("达到目标"), "not_met": _l("未达到目标"),
            "uncertain": _l("不能确定是否达到目标（置信区间包含目标值）")}


# --- loading through access ----------------------------------------------------------------------------------

def _project(project_id: int, manage: bool = False):
    project = access.project_or_404(current_user, project_id)
    if manage and not access.can_file_for(current_user, project.organization_id):
        abort(403)
    return project


def _survey(project_id: int, survey_id: int, manage: bool = False) -> Survey:
    project = _project(project_id, manage)
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.project_id != project.id:
        abort(404)
    return survey


def _can_manage(project) -> bool:
    return access.can_file_for(current_user, project.organization_id)


def _int(name: str, default: int, low: int = 0, high: int = 3600) -> int:
    try:
        return max(low, min(high, int(request.form.get(name, default))))
    except (TypeError, ValueError):
        return default


def _row_label(row: dict) -> str:
    return f"{row.get('name') or '—'}（{row.get('target') or _('无指标值')}）"


# --- list and create -----------------------------------------------------------------------------------------

@bp.route("", methods=["GET"])
@login_required
def index(project_id: int):
    project = _project(project_id)
    surveys = db.session.scalars(select(Survey).where(Survey.project_id == project.id)
                                 .order_by(Survey.id.desc())).all()
    rows = satisfaction_rows(project)
    return render_template("survey/owner_index.html", project=project, surveys=surveys,
                           templates=templates_for(project.jurisdiction) if _can_manage(project) else [],
                           rows=rows, row_label=_row_label, can_manage=_can_manage(project),
                           status_labels=STATUS_LABELS, mode_labels=MODE_LABELS,
                           counts={s.id: survey_results.counts(s) for s in surveys})


@bp.route("", methods=["POST"])
@login_required
def create(project_id: int):
    project = _project(project_id, manage=True)
    template = find_template(project.jurisdiction, request.form.get("template", ""))
    if template is None:
        flash(_("请选择问卷模板"), "error")
        return redirect(url_for(".index", project_id=project.id))
    mode = request.form.get("mode", "open")
    if mode not in MODE_LABELS:
        mode = "open"
    try:
        survey = create_survey(project, template, current_user, title=request.form.get("title", ""),
                               indicator_row_id=request.form.get("indicator_row_id") or None, mode=mode,
                               min_seconds=_int("min_seconds", 20))
    except SurveyError as refused:
        flash(refused.message, "error")
        return redirect(url_for(".index", project_id=project.id))
    db.session.commit()
    flash(_("问卷已创建（草稿）。检查无误后请点「发布」。"), "success")
    return redirect(url_for(".detail", project_id=project.id, survey_id=survey.id))


# --- one survey ------------------------------------------------------------------------------------------------

@bp.route("/<int:survey_id>", methods=["GET"])
@login_required
def detail(project_id: int, survey_id: int):
    survey = _survey(project_id, survey_id)
    project = survey.project
    history = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "survey",
                                                          AuditEvent.object_id == survey.id)
                                 .order_by(AuditEvent.id.desc())).all()
    return render_template("survey/owner_detail.html", project=project, survey=survey,
                           definition=definition_of(survey), url=public_url(survey),
                           qr=Markup(_qr_svg(survey, scale=5)), rows=satisfaction_rows(project),
                           row_label=_row_label, can_manage=_can_manage(project),
                           status_labels=STATUS_LABELS, mode_labels=MODE_LABELS,
                           invitations=invitation_counts(survey), counts=survey_results.counts(survey),
                           history=history, max_invitations=MAX_INVITATIONS)


@bp.route("/<int:survey_id>/settings", methods=["POST"])
@login_required
def settings(project_id: int, survey_id: int):
    survey = _survey(project_id, survey_id, manage=True)
    mode = request.form.get("mode") if survey.status == "draft" else None
    try:
        update_survey(survey, current_user, title=request.form.get("title", ""),
                      indicator_row_id=request.form.get("indicator_row_id") or None,
                      min_seconds=_int("min_seconds", survey.min_seconds),
                      straight_line_min_rows=_int("straight_line_min_rows", survey.straight_line_min_rows, 0, 100),
                      mode=mode if mode in MODE_LABELS else None)
    except SurveyError as refused:
        db.session.rollback()
        flash(refused.message, "error")
    else:
        db.session.commit()
        flash(_("已保存"), "success")
    return redirect(url_for(".detail", project_id=project_id, survey_id=survey.id))


def _transition(project_id: int, survey_id: int, action, message: str):
    survey = _survey(project_id, survey_id, manage=True)
    try:
        action(survey, current_user)
    except SurveyError as refused:
        db.session.rollback()
        flash(refused.message, "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for(".detail", project_id=project_id, survey_id=survey.id))


@bp.route("/<int:survey_id>/publish", methods=["POST"])
@login_required
def publish_view(project_id: int, survey_id: int):
    return _transition(project_id, survey_id, publish, _("问卷已发布，可以分享链接和二维码了"))


@bp.route("/<int:survey_id>/close", methods=["POST"])
@login_required
def close_view(project_id: int, survey_id: int):
    return _transition(project_id, survey_id, close, _("问卷已结束，不再接受填答"))


# --- link, QR code, poster ---------------------------------------------------------------------------------------

def _qr(survey: Survey):
    return segno.make(public_url(survey), error="m")


def _qr_svg(survey: Survey, scale: int = 8, omitsize: bool = False) -> str:
    """The QR code as SVG; ``omitsize`` leaves width and height to the stylesheet (a viewBox only)."""
    out = io.BytesIO()
    _qr(survey).save(out, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, omitsize=omitsize,
                     title=_("二维码：%(title)s", title=survey.title), svgclass="qr", lineclass=None)
    return out.getvalue().decode()


@bp.route("/<int:survey_id>/qr.svg")
@login_required
def qr_svg(project_id: int, survey_id: int):
    survey = _survey(project_id, survey_id)
    return Response(_qr_svg(survey), mimetype="image/svg+xml",
                    headers={"Content-Disposition": f'inline; filename="survey-{survey.slug}.svg"'})


@bp.route("/<int:survey_id>/qr.png")
@login_required
def qr_png(project_id: int, survey_id: int):
    survey = _survey(project_id, survey_id)
    out = io.BytesIO()
    _qr(survey).save(out, kind="png", scale=12, border=3)
    return Response(out.getvalue(), mimetype="image/png",
                    headers={"Content-Disposition": f'attachment; filename="survey-{survey.slug}.png"'})


@bp.route("/<int:survey_id>/poster")
@login_required
def poster(project_id: int, survey_id: int):
    survey = _survey(project_id, survey_id)
    return render_template("survey/poster.html", survey=survey, project=survey.project,
                           url=public_url(survey), qr=Markup(_qr_svg(survey, scale=10, omitsize=True)),
                           definition=definition_of(survey))


# --- invitation codes ----------------------------------------------------------------------------------------------

@bp.route("/<int:survey_id>/invitations", methods=["POST"])
@login_required
def invitations(project_id: int, survey_id: int):
    survey = _survey(project_id, survey_id, manage=True)
    try:
        codes = create_invitations(survey, _int("count", 0, 0, MAX_INVITATIONS + 1), current_user)
    except SurveyError as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for(".detail", project_id=project_id, survey_id=survey.id))
    db.session.commit()
    url = public_url(survey)
    lines = ["\ufeff邀请码,填答链接"] + [f"{format_code(code)},{url}?c={code}" for code in codes]
    stamp = localtime(datetime.now(timezone.utc), "%Y%m%d-%H%M%S")  # the time the user sees on their clock
    return Response("\r\n".join(lines) + "\r\n", mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="invitations-{survey.slug}-{stamp}.csv"',
                             "Cache-Control": "no-store"})


# --- results, exclusions, exports --------------------------------------------------------------------------------------

@bp.route("/<int:survey_id>/results")
@login_required
def results(project_id: int, survey_id: int):
    survey = _survey(project_id, survey_id)
    definition = definition_of(survey)
    outcome = survey_results.compute(survey)
    questions = []
    for f in definition.fields:
        if f.type == "textarea" or f.type == "text":
            questions.append({"field": f, "texts": survey_results.text_answers(survey, f.id)})
            continue
        answered = outcome.answered.get(f.id, 0)
        parts = []
        for row in (f.rows if f.type == "matrix" else [None]):
            item_id = row.id if row else ""
            counts = outcome.distributions.get((f.id, item_id), {})
            denominator = sum(counts.values()) if f.type != "multi_choice" else answered
            bars = charts.bars(f.choices, counts, denominator, scale=f.type in ("rating", "matrix"))
            title = f"{f.label()}{'：' + row.label() if row else ''}"
            summary = outcome.summary.item(f"{f.id}.{item_id}" if item_id else f.id)
            parts.append({"row": row, "bars": bars, "chart": charts.bar_chart(bars, title),
                          "total": denominator, "item": summary})
        questions.append({"field": f, "parts": parts, "answered": answered})
    flagged = db.session.scalars(select(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.invalid_reason != "")
        .order_by(SurveyResponse.id.desc()).limit(500)).all()
    return render_template("survey/results.html", project=survey.project, survey=survey, definition=definition,
                           r=outcome, questions=questions, flagged=flagged, reason_labels=reason_labels,
                           can_manage=_can_manage(survey.project), verdicts=VERDICTS,
                           status_labels=STATUS_LABELS, items=scored_items(definition),
                           now=datetime.now(timezone.utc))


@bp.route("/<int:survey_id>/responses/<int:response_id>/<any(include, exclude):action>", methods=["POST"])
@login_required
def toggle(project_id: int, survey_id: int, response_id: int, action: str):
    survey = _survey(project_id, survey_id, manage=True)
    response = db.session.get(SurveyResponse, response_id)
    if response is None or response.survey_id != survey.id:
        abort(404)
    set_excluded(survey, response, action == "exclude", current_user, request.form.get("comment", "")[:500])
    db.session.commit()
    flash(_("已重新计入第 %(n)s 号答卷", n=response.id) if action == "include"
          else _("已排除第 %(n)s 号答卷", n=response.id), "success")
    return redirect(url_for(".results", project_id=project_id, survey_id=survey.id) + "#flagged")


@bp.route("/<int:survey_id>/export.csv")
@login_required
def export_csv(project_id: int, survey_id: int):
    survey = _survey(project_id, survey_id)
    return Response(stream_with_context(export.to_csv(survey)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="survey-{survey.slug}.csv"'})


@bp.route("/<int:survey_id>/export.xlsx")
@login_required
def export_xlsx(project_id: int, survey_id: int):
    survey = _survey(project_id, survey_id)
    return Response(export.to_xlsx(survey),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="survey-{survey.slug}.xlsx"'})
