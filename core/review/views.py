"""The finance reviewer's queue and decisions."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.exc import StaleDataError

from core.auth import access
from core.extensions import db
from core.listing import int_arg, matches, paginate, text_arg
from core.models import FormDefinition, Organization, Project, Role, Submission
from core.webforms.layout import indicator_layout
from core.workflow import service
from core.workflow.transitions import STATE_LABELS, TransitionRefused

bp = Blueprint("review", __name__, url_prefix="/review")

MAX_COMMENT = 4000


@bp.route("/")
@login_required
def queue():
    scope = access.jurisdiction_scope(current_user, Role.REVIEWER)
    if not scope:
        abort(403)
    state = request.args.get("state", "submitted")
    if state not in STATE_LABELS:
        state = "submitted"
    filters = {"state": state, "q": text_arg("q"), "year": int_arg("year", None, 2000, 2100)}
    query = (select(Submission).join(Submission.project).join(Project.organization)
             .where(Organization.jurisdiction_id.in_(scope), Submission.state == state)
             .options(contains_eager(Submission.project).contains_eager(Project.organization),
                      selectinload(Submission.definition).load_only(FormDefinition.body))
             .order_by(Submission.updated_at, Submission.id))
    if filters["q"]:
        query = query.where(matches(filters["q"], Project.name, Project.code, Organization.name))
    if filters["year"]:
        query = query.where(Project.year == filters["year"])
    return render_template("review/queue.html", page=paginate(query, filters), state=state,
                           state_labels=STATE_LABELS)


@bp.route("/<int:submission_id>", methods=["GET", "POST"])
@login_required
def decide(submission_id: int):
    submission = access.submission_or_404(current_user, submission_id)
    if not access.can_review(current_user, submission):
        abort(403)
    if request.method == "POST":
        decision = request.form.get("decision")
        if decision not in ("approve", "return"):
            abort(400)
        comment = request.form.get("comment", "")[:MAX_COMMENT]
        field_comments = {
            key[len("fc:"):]: value.strip()[:MAX_COMMENT]
            for key, value in request.form.items() if key.startswith("fc:") and value.strip()
        }
        try:
            service.apply_transition(submission, decision, current_user, comment=comment,
                                     field_comments=field_comments,
                                     lock_version=request.form.get("lock_version") or None)
            db.session.commit()
        except TransitionRefused as refused:
            db.session.rollback()
            flash(refused.message, "error")
            return redirect(url_for("review.decide", submission_id=submission.id))
        except StaleDataError:
            db.session.rollback()
            flash(_("此表刚被其他审核人处理，请查看最新状态"), "error")
            return redirect(url_for("review.decide", submission_id=submission.id))
        flash(_("已审核通过") if decision == "approve" else _("已退回修改"), "success")
        return redirect(url_for("review.queue"))
    if submission.kind == "self_evaluation":
        from core.selfeval.views import review_page
        return review_page(submission)
    raw = submission.definition.body
    return render_template(
        "review/decide.html", submission=submission, project=submission.project, raw=raw,
        data=submission.data, layout=indicator_layout(raw, submission.data.get("indicators", [])),
        findings=submission.findings, state_label=STATE_LABELS[submission.state])
