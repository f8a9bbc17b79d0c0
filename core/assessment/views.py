"""The work-scoring sheet pages: the assessor's overview and ranking, the sheet itself."""
from __future__ import annotations


from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from core.i18n import today as local_today
from core.assessment import service
from core.assessment.sheet import build_sheet, input_text, inputs_from_form, ranking
from core.auth import access
from core.extensions import db
from core.models import Assessment, AuditEvent, Jurisdiction
from core.params import int_arg
from core.scoring import display
from core.workflow.service import StaleEdit
from core.workflow.transitions import TransitionRefused

bp = Blueprint("assessment", __name__, url_prefix="/assessments")


@bp.app_template_global()
def points(value) -> str:
    """A weight or score without trailing zeros (3, 0.5, 101.75), as on the paper sheet."""
    if value is None:
        return "—"
    shown = display(value)
    return f"{shown.normalize():f}" if shown == shown.to_integral() else f"{shown:f}"


def _year() -> int:
    value = int_arg("year", None, 2000, 2100, request.values)
    if value is not None and 2000 <= value <= 2100:
        return value
    years = db.session.scalars(select(Assessment.year).order_by(Assessment.year.desc())).first()
    return years or local_today().year


def _overview(assessor: Jurisdiction, year: int) -> dict:
    assessments = {a.jurisdiction_id: a for a in service.assessments_for(assessor.id, year)}
    children = sorted(assessor.children, key=lambda j: j.name_zh)
    entries = []
    for child in children:
        found = assessments.get(child.id)
        grade = None
        if found is not None and found.state == "assessed":
            grade = service.score_stage(found, "assessed").grade
        entries.append({"jurisdiction": child, "assessment": found, "grade": grade})
    ranked = ranking([(e, e["assessment"].assessed_total if e["assessment"] is not None
                       and e["assessment"].state == "assessed" else None) for e in entries])
    return {"assessor": assessor, "entries": entries, "ranked": ranked}


@bp.route("/")
@login_required
def index():
    year = _year()
    overviews = [_overview(j, year) for j in service.assessor_jurisdictions(current_user)]
    own = service.own_assessments(current_user)
    years = sorted({year, local_today().year, local_today().year - 1,
                    *db.session.scalars(select(Assessment.year).distinct())}, reverse=True)
    return render_template("assessment/index.html", overviews=overviews, own=own, year=year, years=years,
                           labels=service.STATE_LABELS, display=display)


@bp.route("/open", methods=["POST"])
@login_required
def open_():
    assessor = db.session.get(Jurisdiction, int_arg("assessor_id", 0, args=request.form)) or abort(404)
    access.require(assessor.id in access.assessor_jurisdictions(current_user))
    target = db.session.get(Jurisdiction, int_arg("jurisdiction_id", 0, args=request.form)) or abort(404)
    year = int_arg("year", None, 2000, 2100, request.form) or abort(400)
    try:
        found = service.open_assessment(assessor, target, year, current_user)
        db.session.commit()
        flash(_("已发起 %(name)s %(year)s 年度工作考核，等待其自评", name=target.name_zh, year=year), "success")
        return redirect(url_for("assessment.sheet", assessment_id=found.id))
    except TransitionRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
    return redirect(url_for("assessment.index", year=year))


def _assessment_or_404(assessment_id: int) -> Assessment:
    found = db.session.get(Assessment, assessment_id)
    if found is None or not access.can_view_assessment(current_user, found):
        abort(404)
    return found


def _mode(found: Assessment) -> str:
    if found.state in service.SELF_EDITABLE and access.can_self_assess(current_user, found):
        return "self"
    if found.state == "self_submitted" and access.can_assess(current_user, found):
        return "assess"
    return "view"


def _render(found: Assessment, mode: str, self_inputs=None, evidence=None, assessed_inputs=None,
            show_all=False, status=200, lock_version=None):
    sheet = build_sheet(service.tree_of(found))
    self_inputs = found.self_inputs if self_inputs is None else self_inputs
    evidence = found.evidence if evidence is None else evidence
    assessed_inputs = found.assessed_inputs if assessed_inputs is None else assessed_inputs
    self_result = service.score_stage(found, "self", self_inputs)
    assessed_result = service.score_stage(found, "assessed", assessed_inputs) if assessed_inputs else None
    history = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "assessment",
                                                          AuditEvent.object_id == found.id)
                                 .order_by(AuditEvent.id)).all()
    return render_template(
        "assessment/sheet.html", a=found, sheet=sheet, mode=mode, self_inputs=self_inputs, evidence=evidence,
        assessed_inputs=assessed_inputs, self_result=self_result, assessed_result=assessed_result,
        show_all=show_all, labels=service.STATE_LABELS, input_text=input_text, display=display,
        history=history, lock_version=lock_version or found.lock_version), status


@bp.route("/<int:assessment_id>", methods=["GET"])
@login_required
def sheet(assessment_id: int):
    found = _assessment_or_404(assessment_id)
    return _render(found, _mode(found))


@bp.route("/<int:assessment_id>", methods=["POST"])
@login_required
def post(assessment_id: int):
    found = _assessment_or_404(assessment_id)
    mode = _mode(found)
    action = request.form.get("action", "save")
    lock_version = request.form.get("lock_version") or None
    sheet_rows = build_sheet(service.tree_of(found))
    inputs, evidence = inputs_from_form(sheet_rows, request.form)
    try:
        if mode == "self":
            service.save_self(found, inputs, evidence, current_user, lock_version)
            db.session.commit()
            if action == "submit":
                service.submit_self(found, current_user)
                db.session.commit()
                flash(_("自评已提交，等待上级评定"), "success")
            else:
                flash(_("自评分数已保存"), "success")
        elif mode == "assess":
            if action == "return":
                service.return_self(found, current_user, request.form.get("comment", ""), lock_version)
                db.session.commit()
                flash(_("已退回自评"), "success")
            else:
                service.save_assessed(found, inputs, current_user, lock_version)
                db.session.commit()
                if action == "finalise":
                    service.finalise(found, current_user)
                    db.session.commit()
                    flash(_("评定已确认"), "success")
                else:
                    flash(_("评定分数已保存"), "success")
        else:
            abort(403)
    except (TransitionRefused, StaleDataError) as refused:
        db.session.rollback()
        db.session.refresh(found)
        # A stale form keeps its old version, so saving stays refused until the user
        # reloads and sees the other edit; otherwise it continues from the saved draft.
        stale = isinstance(refused, (StaleDataError, StaleEdit))
        if isinstance(refused, StaleDataError):
            refused = TransitionRefused(_("评分表刚被他人修改，您的修改未保存。请刷新页面后再修改。"))
        flash(refused.message, "error")
        keep = lock_version if stale else None
        if mode == "self":
            return _render(found, _mode(found), self_inputs=inputs, evidence=evidence, show_all=True, status=422,
                           lock_version=keep)
        return _render(found, _mode(found), assessed_inputs=inputs, show_all=True, status=422, lock_version=keep)
    return redirect(url_for("assessment.sheet", assessment_id=found.id))
