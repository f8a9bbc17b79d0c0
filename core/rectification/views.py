"""Feedback letters (反馈函) and rectification (整改) pages, Changzhi §28–30."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, func, select
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.exc import StaleDataError

from core.i18n import today as local_today
from core.auth import access
from core.extensions import db
from core.listing import matches, paginate, text_arg
from core.models import MonitoringReport, Organization, Project, RectificationItem, RectificationLetter
from core.params import int_arg
from core.workflow import rectification as workflow
from core.workflow.transitions import TransitionRefused

bp = Blueprint("rectification", __name__, url_prefix="/rectification")

BLANK_ROWS = 5
OVERDUE_SHOWN = 50  # the oldest first; the count says how many more there are
MAX_ROWS = workflow.MAX_ITEMS


def _in_scope(query):
    """``query`` on letters, narrowed to the projects the user sees."""
    visible = access.visible_projects(current_user).with_only_columns(Project.id)
    return query.where(RectificationLetter.project_id.in_(visible))


def _state_filter(state: str, today: date):
    """The SQL condition of :func:`core.workflow.rectification.letter_state` being ``state``."""
    items = select(RectificationItem.id).where(RectificationItem.letter_id == RectificationLetter.id)
    closed = and_(items.exists(), ~items.where(RectificationItem.state != "accepted").exists())
    overdue = items.where(RectificationItem.state == "open", RectificationItem.deadline < today).exists()
    return {"closed": closed, "overdue": and_(~closed, overdue), "open": and_(~closed, ~overdue)}[state]


def _letter_or_404(letter_id: int) -> RectificationLetter:
    letter = db.session.get(RectificationLetter, letter_id) or abort(404)
    access.project_or_404(current_user, letter.project_id)
    return letter


@bp.route("/")
@login_required
def index():
    today = local_today()
    state = request.args.get("state", "")
    state = state if state in workflow.LETTER_STATES else ""
    filters = {"state": state, "q": text_arg("q"), "year": int_arg("year", None, 2000, 2100)}
    letters = _in_scope(select(RectificationLetter).join(RectificationLetter.project).join(Project.organization)) \
        .options(contains_eager(RectificationLetter.project).contains_eager(Project.organization),
                 selectinload(RectificationLetter.items)) \
        .order_by(RectificationLetter.id.desc())
    if state:
        letters = letters.where(_state_filter(state, today))
    if filters["q"]:
        letters = letters.where(matches(filters["q"], Project.name, Organization.name, RectificationLetter.title))
    if filters["year"]:
        letters = letters.where(Project.year == filters["year"])
    overdue_items = _in_scope(select(RectificationItem).join(RectificationItem.letter).join(
        RectificationLetter.project).join(Project.organization)).where(
        RectificationItem.state == "open", RectificationItem.deadline < today)
    overdue_total = db.session.scalar(select(func.count()).select_from(overdue_items.subquery()))
    overdue = db.session.scalars(overdue_items.options(
        contains_eager(RectificationItem.letter).contains_eager(RectificationLetter.project)
        .contains_eager(Project.organization)).order_by(RectificationItem.deadline, RectificationItem.id)
        .limit(OVERDUE_SHOWN)).all()
    return render_template("rectification/index.html", page=paginate(letters, filters), overdue=overdue,
                           overdue_total=overdue_total, today=today, state=state,
                           letter_state=lambda l: workflow.letter_state(l, today), states=workflow.LETTER_STATES,
                           sources=workflow.SOURCES)


def _posted_items(form) -> tuple[list[workflow.NewItem], list[str], list[dict]]:
    items, errors, rows = [], [], []
    for index in range(MAX_ROWS):
        problem = (form.get(f"problem-{index}") or "").strip()
        deadline = (form.get(f"deadline-{index}") or "").strip()
        if f"problem-{index}" not in form:
            break
        rows.append({"problem": problem, "deadline": deadline})
        if not problem and not deadline:
            continue
        if not problem:
            errors.append(_("第 %(n)s 行：请填写问题", n=index + 1))
            continue
        try:
            items.append(workflow.NewItem(problem, date.fromisoformat(deadline)))
        except ValueError:
            errors.append(_("第 %(n)s 行：整改期限「%(d)s」不是日期（如 2024-09-30）", n=index + 1, d=deadline))
    return items, errors, rows


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    values = request.values
    project = access.project_or_404(current_user, int_arg("project_id", 0, args=values))
    if not access.can_supervise(current_user, project):
        abort(403)
    report = None
    if (values.get("report_id") or "").isdigit():
        report = db.session.get(MonitoringReport, int_arg("report_id", args=values))
        if report is None or report.project_id != project.id:
            abort(404)
    rows_wanted = min(MAX_ROWS, max(BLANK_ROWS, int_arg("rows", BLANK_ROWS, 0, 10**6, values)))
    rows = [{"problem": "", "deadline": ""} for _i in range(rows_wanted)]
    form = {"title": "", "summary": "", "source": "monitoring" if report else "evaluation"}
    if request.method == "POST":
        form = {k: (request.form.get(k) or "").strip() for k in ("title", "summary", "source")}
        items, errors, rows = _posted_items(request.form)
        if request.form.get("action") == "more":
            rows += [{"problem": "", "deadline": ""} for _i in range(min(BLANK_ROWS, MAX_ROWS - len(rows)))]
        elif errors:
            for error in errors:
                flash(error, "error")
        else:
            try:
                letter = workflow.issue_letter(project, current_user, form["title"], items, form["source"],
                                               form["summary"], report)
                db.session.commit()
                flash(_("反馈函已下发"), "success")
                return redirect(url_for("rectification.letter", letter_id=letter.id))
            except TransitionRefused as refused:
                db.session.rollback()
                flash(refused.message, "error")
    return render_template("rectification/new.html", project=project, report=report, rows=rows, form=form,
                           sources=workflow.SOURCES)


@bp.route("/<int:letter_id>")
@login_required
def letter(letter_id: int):
    found = _letter_or_404(letter_id)
    today = local_today()
    return render_template("rectification/letter.html", letter=found, project=found.project, today=today,
                           is_overdue=lambda i: workflow.is_overdue(i, today), answered_late=workflow.answered_late,
                           state=workflow.letter_state(found, today), states=workflow.LETTER_STATES,
                           item_states=workflow.ITEM_STATES, sources=workflow.SOURCES,
                           can_file=access.can_file_for(current_user, found.project.organization_id),
                           can_supervise=access.can_supervise(current_user, found.project))


def _item_or_404(item_id: int) -> RectificationItem:
    item = db.session.get(RectificationItem, item_id) or abort(404)
    access.project_or_404(current_user, item.letter.project_id)
    return item


def _run(item: RectificationItem, action, message: str, *args):
    try:
        action(item, current_user, *args, request.form.get("lock_version") or None)
        db.session.commit()
        flash(message, "success")
    except TransitionRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
    except StaleDataError:
        db.session.rollback()
        flash(_("此事项刚被他人处理，请刷新页面查看最新状态。"), "error")
    return redirect(url_for("rectification.letter", letter_id=item.letter_id) + f"#item-{item.id}")


@bp.route("/items/<int:item_id>/answer", methods=["POST"])
@login_required
def answer(item_id: int):
    item = _item_or_404(item_id)
    access.require(access.can_file_for(current_user, item.letter.project.organization_id))
    return _run(item, workflow.answer_item, _("整改措施已反馈"), request.form.get("measures", ""))


@bp.route("/items/<int:item_id>/decide", methods=["POST"])
@login_required
def decide(item_id: int):
    item = _item_or_404(item_id)
    access.require(access.can_supervise(current_user, item.letter.project))
    decision = request.form.get("decision")
    if decision == "accept":
        return _run(item, workflow.accept_item, _("已确认整改完成"), request.form.get("comment", ""))
    if decision == "return":
        return _run(item, workflow.return_item, _("已退回整改措施"), request.form.get("comment", ""))
    abort(400)
