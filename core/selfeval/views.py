"""The self-evaluation page: actual values, checklists and tiers in; scores out, live."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from core.auth import access
from core.extensions import db
from core.scoring import display
from core.selfeval.actuals import leaf_rows, unscored_rows
from core.selfeval.evidence import adopt_evidence, fill_from_evidence
from core.selfeval.scoring import input_specs, load_tree, score_submission
from core.selfeval.start import KIND, goal_revision, start_self_evaluation
from core.webforms.builder import attach_problems, data_from_form, form_from_data
from core.workflow import service
from core.workflow.checks import check, visible_problems
from core.workflow.transitions import EDITABLE_STATES, STATE_LABELS, TransitionRefused

bp = Blueprint("selfeval", __name__)

URL = "/projects/<int:project_id>/forms/self_evaluation"
# Per-leaf inputs a filer may send; anything else in the request is ignored.
LEAF_KEYS = ("actual", "checked", "tier", "count", "score", "final", "reason", "deviation_reason", "evidence")


def _field_ids(submission) -> set[str]:
    return {f["id"] for s in submission.definition.body.get("sections", []) for f in s.get("fields", [])}


def scores_from_request(form, tree, field_ids: set[str], previous: dict) -> dict:
    """The ``scores`` part of the data from posted ``s:<leaf>:<key>`` inputs.

    Targets come from the stored data (the approved goal), never from the request,
    so a filer cannot lower a target by editing the page.
    """
    scores = {}
    for leaf in tree.leaves:
        entry = {"target": previous.get(leaf.id, {}).get("target")} if previous.get(leaf.id, {}).get("target") else {}
        keys = set(LEAF_KEYS) | {spec.key for spec in input_specs(leaf, field_ids)}
        for key in keys:
            name = f"s:{leaf.id}:{key}"
            if key == "checked":
                if f"{name}:present" in form:  # the checklist was on the page: none ticked is an answer
                    entry["checked"] = form.getlist(name)
            elif key.startswith("counts."):
                if name in form:
                    entry.setdefault("counts", {})[key.split(".", 1)[1]] = form.get(name, "").strip()
            elif name in form:
                value = form.get(name, "").strip()[:4000]
                if value:
                    entry[key] = value
        scores[leaf.id] = entry
    return scores


def _data_from_request(submission, tree) -> tuple[dict, object]:
    raw = submission.definition.body
    form = form_from_data(raw, submission.data, formdata=request.form)
    posted = data_from_form(raw, form)
    data = {**submission.data, "fields": posted["fields"],
            "scores": scores_from_request(request.form, tree, _field_ids(submission),
                                          submission.data.get("scores") or {})}
    goal = goal_revision(submission)
    data["actuals"] = {row["id"]: request.form.get(f"a:{row['id']}", "").strip()[:200]
                       for row in unscored_rows(goal.data if goal else None, data)}
    return data, form


def _layout(tree):
    """Rows of the score table: each leaf with the chain of groups above it."""
    rows = []

    def walk(node, chain):
        if node.is_leaf:
            rows.append({"leaf": node, "chain": chain})
        for child in node.children:
            walk(child, chain + [node])

    for node in tree.nodes:
        walk(node, [])
    depth = max((len(r["chain"]) for r in rows), default=0)
    for index, row in enumerate(rows):
        row["cells"] = []
        for level, group in enumerate(row["chain"]):
            previous = rows[index - 1]["chain"] if index else []
            if level < len(previous) and previous[level] is group:
                continue  # the cell above spans this row
            span = sum(1 for r in rows[index:] if level < len(r["chain"]) and r["chain"][level] is group)
            row["cells"].append({"node": group, "rowspan": span})
        row["leaf_colspan"] = depth - len(row["chain"]) + 1
    extras = [{"group": g, "leaves": g.leaves()} for g in (tree.bonus, tree.deductions) if g is not None]
    return {"rows": rows, "depth": depth, "extras": extras}


def _evidence_rows(data) -> dict[str, str]:
    """Scoring leaf id → the goal row whose evidence it shows (from the goal row, or the field it reads)."""
    rows = {leaf: row for row, leaf in leaf_rows(data).items()}
    for row, ev in (data.get("evidence") or {}).items():
        if (ev or {}).get("leaf"):
            rows.setdefault(ev["leaf"], row)
    return rows


def _context(project, submission, data, tree, result, form=None, offers=None):
    field_ids = _field_ids(submission)
    goal = goal_revision(submission)
    return dict(
        unscored=unscored_rows(goal.data if goal else None, data), actuals=data.get("actuals") or {},
        evidence=data.get("evidence") or {}, leaf_rows=_evidence_rows(data), offers=offers or {},
        project=project, submission=submission, raw=submission.definition.body, data=data, tree=tree,
        layout=_layout(tree), result=result, leaves={leaf.id: leaf for leaf in result.leaves},
        specs={leaf.id: input_specs(leaf, field_ids) for leaf in tree.leaves},
        scores=data.get("scores") or {}, form=form, display=display,
        state_label=STATE_LABELS[submission.state], goal=goal,
        review=submission.last_review)


def _page(project_id: int):
    project = access.project_or_404(current_user, project_id)
    submission = project.submission(KIND)
    return project, submission


@bp.route(URL, methods=["GET"])
@login_required
def page(project_id: int):
    project, submission = _page(project_id)
    can_file = access.can_file_for(current_user, project.organization_id)
    if submission is None:
        if not can_file:
            abort(404)
        try:
            submission = start_self_evaluation(project, current_user)
            db.session.commit()
        except TransitionRefused as refused:
            db.session.rollback()
            flash(refused.message, "error")
            return redirect(url_for("projects.detail", project_id=project.id))
    goal = goal_revision(submission)
    offers: dict = {}
    if can_file and submission.state in EDITABLE_STATES and goal is not None:
        if fill_from_evidence(submission, goal.data, current_user, offers=offers):
            db.session.commit()
            flash(_("已根据满意度调查结果填入实际完成值，请核对。"), "success")
    tree = load_tree(submission)
    result = score_submission(submission, tree=tree)
    if can_file and submission.state in EDITABLE_STATES:
        form = form_from_data(submission.definition.body, submission.data)
        form.lock_version.data = str(submission.lock_version)
        checked = check(submission, submission.data)
        attach_problems(form, submission.data, visible_problems(submission, checked.problems))
        return render_template("selfeval/edit.html", **_context(project, submission, submission.data, tree,
                                                                 result, form, offers))
    return render_template("selfeval/view.html", **_context(project, submission, submission.data, tree, result),
                           can_review=access.can_review(current_user, submission))


@bp.route(URL, methods=["POST"])
@login_required
def save(project_id: int):
    project, submission = _page(project_id)
    if submission is None:
        abort(404)
    if not access.can_file_for(current_user, project.organization_id):
        abort(403)
    tree = load_tree(submission)
    data, form = _data_from_request(submission, tree)
    action = request.form.get("action", "save")
    try:
        service.save_draft(submission, data, current_user, request.form.get("lock_version") or None)
        db.session.flush()
        saved_version = submission.lock_version  # submit exactly what was just saved
        db.session.commit()
        if action == "submit":  # the service scores it and refuses as the API would
            service.apply_transition(submission, "submit", current_user, lock_version=saved_version)
            db.session.commit()
    except (TransitionRefused, StaleDataError) as refused:
        db.session.rollback()
        db.session.refresh(submission)
        stale = isinstance(refused, (StaleDataError, service.StaleEdit))
        flash(refused.message if isinstance(refused, TransitionRefused)
              else _("此表刚被他人修改，您的修改未保存。请刷新页面查看最新内容后再修改。"), "error")
        result = score_submission(submission, data=data, tree=tree)
        attach_problems(form, data, check(submission, data).problems)
        form.lock_version.data = request.form.get("lock_version") if stale else str(submission.lock_version)
        return render_template("selfeval/edit.html", **_context(project, submission, data, tree, result, form)), \
            (409 if stale else 422)
    flash(_("已提交，等待财务部门审核") if action == "submit" else _("草稿已保存"), "success")
    return redirect(url_for("selfeval.page", project_id=project.id))


@bp.route(URL + "/evidence/<row_id>", methods=["POST"])
@login_required
def adopt(project_id: int, row_id: str):
    """「采用调查结果」: the newest evidence for a goal row replaces the values in the draft."""
    project, submission = _page(project_id)
    if submission is None:
        abort(404)
    if not access.can_file_for(current_user, project.organization_id):
        abort(403)
    goal = goal_revision(submission)
    if submission.state not in EDITABLE_STATES or goal is None:
        flash(_("此表当前不能修改"), "error")
        return redirect(url_for("selfeval.page", project_id=project.id), 303)
    if adopt_evidence(submission, goal.data, row_id, current_user):
        db.session.commit()
        flash(_("已采用调查结果，请核对。"), "success")
    else:
        flash(_("该指标没有已结束的调查结果可采用"), "error")
    return redirect(url_for("selfeval.page", project_id=project.id), 303)


@bp.route(URL + "/score", methods=["POST"])
@login_required
def live_score(project_id: int):
    """Score what is on the page without saving it (the page calls this as the filer types)."""
    project, submission = _page(project_id)
    if submission is None:
        abort(404)
    tree = load_tree(submission)
    data, _form = _data_from_request(submission, tree)
    return jsonify(score_submission(submission, data=data, tree=tree).as_dict())


def review_page(submission):
    """The reviewer's view of a self-evaluation (called from the review blueprint)."""
    tree = load_tree(submission)
    result = score_submission(submission, tree=tree)
    return render_template("selfeval/view.html", **_context(submission.project, submission, submission.data,
                                                            tree, result), can_review=True, review_mode=True)
