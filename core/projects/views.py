"""Projects and their forms, as the department filer and the leader see them."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from core.auth import access
from core.audit import record
from core.extensions import db
from core.listing import paginate
from core.models import AuditEvent, Project, Submission
from core.projects.queries import project_filters, project_list, project_years
from core.webforms.builder import attach_problems, data_from_form, form_from_data, new_row_id
from core.webforms.layout import indicator_layout
from core.workflow import service
from core.workflow.checks import check, visible_problems
from core.workflow.transitions import EDITABLE_STATES, STATE_LABELS, TRANSITIONS, TransitionRefused

bp = Blueprint("projects", __name__)

# Forms a project goes through, in order. Kinds with their own blueprint (the
# self-evaluation) share the URL scheme /projects/<id>/forms/<kind>.
FORM_KINDS = ("goal", "self_evaluation")
KIND_LABELS = {"goal": {"zh": "绩效目标表", "en": "Goal form"},
               "self_evaluation": {"zh": "绩效自评表", "en": "Self-evaluation"}}

# The ex-ante assessment (事前绩效评估) uses the generic form pages below, like the goal
# form; it is listed only where the jurisdiction publishes an ex_ante form.
GENERIC_KINDS = ("goal", "ex_ante")
FORM_KINDS = ("ex_ante",) + FORM_KINDS
KIND_LABELS["ex_ante"] = {"zh": "事前绩效评估表", "en": "Ex-ante assessment"}


def available_kinds(project: Project) -> list[str]:
    """FORM_KINDS without the ex-ante form where the project's jurisdiction has none."""
    return [k for k in FORM_KINDS if k != "ex_ante" or project.submission(k) is not None
            or service.latest_published(project.organization.jurisdiction_id, k) is not None]


class ProjectForm(FlaskForm):
    organization_id = SelectField(_l("填报部门"), coerce=int)
    name = StringField(_l("项目名称"), validators=[DataRequired(message=_l("请填写项目名称")), Length(max=300)])
    code = StringField(_l("项目编码"), validators=[Optional(), Length(max=64)])
    year = IntegerField(_l("年度"), validators=[DataRequired(message=_l("请填写年度")),
                                               NumberRange(2000, 2100, message=_l("年度须在 2000–2100 之间"))])
    budget = StringField(_l("预算数"), validators=[DataRequired(message=_l("请填写预算数"))])
    multi_year = BooleanField(_l("跨年度项目"))
    end_year = IntegerField(_l("实施期末年度"), validators=[Optional(), NumberRange(2000, 2100)])
    serves_public = BooleanField(_l("面向社会公众或服务对象（须设满意度指标）"), default=True)

    def validate_budget(self, field):
        try:
            value = Decimal(field.data.replace(",", "").strip())
        except (InvalidOperation, AttributeError):
            raise ValidationError(_("预算数必须是数字，收到「%(value)s」", value=field.data))
        if value < 0:
            raise ValidationError(_("预算数不能为负数"))
        if not value.is_finite() or value >= Decimal("1e15"):
            raise ValidationError(_("预算数过大"))


@bp.route("/")
@login_required
def index():
    filters = project_filters(request.args)
    page = paginate(project_list(current_user, filters), filters, scalars=False)
    return render_template("projects/index.html", page=page, state_labels=STATE_LABELS,
                           years=project_years(current_user),
                           can_create=bool(access.filer_organizations(current_user)))


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def new_project():
    organizations = access.filer_organizations(current_user)
    if not organizations:
        abort(403)
    form = ProjectForm()
    form.organization_id.choices = [(o.id, o.name) for o in organizations]
    if form.validate_on_submit():
        project = Project(
            organization_id=form.organization_id.data, name=form.name.data.strip(),
            code=(form.code.data or "").strip(), year=form.year.data,
            budget=Decimal(form.budget.data.replace(",", "").strip()),
            multi_year=form.multi_year.data, end_year=form.end_year.data,
            serves_public=form.serves_public.data)
        if not access.can_file_for(current_user, project.organization_id):
            abort(403)
        db.session.add(project)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            form.name.errors = list(form.name.errors) + [_("本部门该年度已有同名项目")]
        else:
            record("project.create", "project", project.id,
                   jurisdiction_id=project.organization.jurisdiction_id,
                   organization_id=project.organization_id)
            db.session.commit()
            flash(_("项目已创建"), "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/new.html", form=form)


@bp.route("/projects/<int:project_id>")
@login_required
def detail(project_id: int):
    project = access.project_or_404(current_user, project_id)
    submission_ids = [s.id for s in project.submissions]
    history = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "submission",
                                 AuditEvent.object_id.in_(submission_ids or [-1]))
        .order_by(AuditEvent.id.desc())
    ).all()
    return render_template("projects/detail.html", project=project, kinds=available_kinds(project),
                           kind_labels=KIND_LABELS,
                           state_labels=STATE_LABELS, history=history,
                           can_file=access.can_file_for(current_user, project.organization_id))


def _submission(project: Project, kind: str, create: bool) -> Submission | None:
    if kind not in GENERIC_KINDS:  # other kinds are served by their own blueprints
        abort(404)
    submission = project.submission(kind)
    if submission is None and create:
        try:
            submission = service.start_submission(project, kind, current_user)
            db.session.commit()
        except TransitionRefused as refused:
            flash(refused.message, "error")
            return None
    return submission


@bp.route("/projects/<int:project_id>/forms/<kind>", methods=["GET"])
@login_required
def form_page(project_id: int, kind: str):
    project = access.project_or_404(current_user, project_id)
    can_file = access.can_file_for(current_user, project.organization_id)
    submission = _submission(project, kind, create=can_file)
    if submission is None:
        if can_file:
            return redirect(url_for("projects.detail", project_id=project.id))
        abort(404)
    if can_file and submission.state in EDITABLE_STATES:
        form = form_from_data(submission.definition.body, submission.data)
        return _render_edit(project, submission, form, submission.data)
    return _render_view(project, submission)


@bp.route("/projects/<int:project_id>/forms/<kind>", methods=["POST"])
@login_required
def form_post(project_id: int, kind: str):
    project = access.project_or_404(current_user, project_id)
    if not access.can_file_for(current_user, project.organization_id):
        abort(403)
    submission = _submission(project, kind, create=False) or abort(404)
    raw = submission.definition.body
    form = form_from_data(raw, submission.data, formdata=request.form)
    data = data_from_form(raw, form)
    action = request.form.get("action", "save")
    anchor = ""
    if action.startswith("add:"):
        level1, level2 = (action.split(":", 2) + ["", ""])[1:3]
        row_id = new_row_id()
        data["indicators"].append({"id": row_id, "level1": level1, "level2": level2,
                                   "name": "", "description": "", "target": "", "basis": ""})
        anchor = f"row-{row_id}"
    elif action.startswith("remove:"):
        row_id = action.split(":", 1)[1]
        data["indicators"] = [r for r in data["indicators"] if r["id"] != row_id]
    lock_version = form.lock_version.data or None
    try:
        # The draft is committed before submitting, so a refused submission never
        # loses what was typed.
        service.save_draft(submission, data, current_user, lock_version)
        db.session.flush()
        saved_version = submission.lock_version  # submit exactly what was just saved
        db.session.commit()
        if action == "submit":
            service.apply_transition(submission, "submit", current_user, lock_version=saved_version)
            db.session.commit()
    except TransitionRefused as refused:
        db.session.rollback()
        return _refused(project, submission, refused, data, action)
    except StaleDataError:
        db.session.rollback()
        return _refused(project, submission, service.StaleEdit(
            _("此表刚被他人修改，您的修改未保存。请刷新页面查看最新内容后再修改。")), data, action)
    if action == "submit":
        flash(_("已提交，等待财务部门审核"), "success")
        return redirect(url_for("projects.form_page", project_id=project.id, kind=kind))
    if action == "save":
        flash(_("草稿已保存"), "success")
    return redirect(url_for("projects.form_page", project_id=project.id, kind=kind) +
                    (f"#{anchor}" if anchor else ""))


def _refused(project, submission, refused: TransitionRefused, data: dict, action: str):
    """Re-show what the user typed, with the reason, and nothing saved half-way."""
    db.session.refresh(submission)
    flash(refused.message, "error")
    stale = isinstance(refused, service.StaleEdit)
    if submission.state not in EDITABLE_STATES:
        return redirect(url_for("projects.form_page", project_id=project.id, kind=submission.kind))
    form = form_from_data(submission.definition.body, data)
    # A stale form keeps its old lock version, so saving stays refused until the
    # user reloads and sees the other edit; otherwise the saved draft is current.
    form.lock_version.data = request.form.get("lock_version") if stale else str(submission.lock_version)
    return _render_edit(project, submission, form, data, refused=refused), (409 if stale else 422)


def _render_edit(project, submission, form, data, refused: TransitionRefused | None = None):
    raw = submission.definition.body
    if not form.lock_version.data:
        form.lock_version.data = str(submission.lock_version)
    result = check(submission, data)
    problems = result.problems if refused else visible_problems(submission, result.problems)
    loose = attach_problems(form, data, problems)
    layout = indicator_layout(raw, list(form.rows.entries) if "rows" in form else [])
    return render_template(
        "forms/edit.html", project=project, submission=submission, form=form, raw=raw,
        layout=layout, loose_problems=loose, findings=result.findings,
        problem_count=len(problems), review=submission.last_review,
        state_label=STATE_LABELS[submission.state], refused=refused,
        computed=result.data.get("computed", {}))


def _render_view(project, submission):
    raw = submission.definition.body
    layout = indicator_layout(raw, submission.data.get("indicators", []))
    can_adjust = (submission.state in TRANSITIONS["adjust"].sources
                  and access.can_file_for(current_user, project.organization_id))
    return render_template(
        "forms/view.html", project=project, submission=submission, raw=raw, data=submission.data,
        layout=layout, findings=submission.findings, state_label=STATE_LABELS[submission.state],
        can_adjust=can_adjust, can_review=access.can_review(current_user, submission))


@bp.route("/projects/<int:project_id>/forms/<kind>/adjust", methods=["POST"])
@login_required
def adjust(project_id: int, kind: str):
    project = access.project_or_404(current_user, project_id)
    access.require(access.can_file_for(current_user, project.organization_id))
    submission = _submission(project, kind, create=False) or abort(404)
    try:
        service.apply_transition(submission, "adjust", current_user,
                                 comment=request.form.get("comment", ""),
                                 lock_version=request.form.get("lock_version") or None)
        db.session.commit()
    except TransitionRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
    except StaleDataError:
        db.session.rollback()
        flash(_("此表刚被他人修改，请刷新后重试"), "error")
    return redirect(url_for("projects.form_page", project_id=project.id, kind=kind))


@bp.route("/projects/<int:project_id>/forms/<kind>/revisions/<int:revision_id>")
@login_required
def revision(project_id: int, kind: str, revision_id: int):
    project = access.project_or_404(current_user, project_id)
    submission = _submission(project, kind, create=False) or abort(404)
    rev = next((r for r in submission.revisions if r.id == revision_id), None) or abort(404)
    raw = rev.definition.body
    return render_template(
        "forms/view.html", project=project, submission=submission, raw=raw, data=rev.data,
        layout=indicator_layout(raw, rev.data.get("indicators", [])), findings=[],
        state_label=_("修订 %(n)s · %(event)s", n=rev.adjustment_no, event=rev.event), can_adjust=False,
        can_review=False, revision=rev)
