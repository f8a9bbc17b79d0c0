"""A jurisdiction's organizations (departments, units) and its users with their roles."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.admin import bp, service
from core.admin.common import jurisdiction_or_404
from core.admin.service import ROLE_LABELS, AdminRefused
from core.extensions import db
from core.models import Organization


def _context(j, problems=(), values=None) -> dict:
    tree = service.subtree(j)
    ids = [x.id for x in tree]
    organizations = db.session.query(Organization).filter(Organization.jurisdiction_id.in_(ids)) \
        .order_by(Organization.jurisdiction_id, Organization.name).all()
    return dict(j=j, tree=tree, organizations=organizations, members=service.members(j), roles=ROLE_LABELS,
                problems=list(problems), values=values or {})


@bp.route("/jurisdictions/<code>/people")
@login_required
def people(code: str):
    j = jurisdiction_or_404(code)
    return render_template("admin/people.html", **_context(j))


@bp.route("/jurisdictions/<code>/organizations", methods=["POST"])
@login_required
def create_organization(code: str):
    j = jurisdiction_or_404(code)
    try:
        organization = service.create_organization(j, request.form.get("name", ""), request.form.get("org_code", ""),
                                                   current_user)
        db.session.commit()
    except AdminRefused as refused:
        db.session.rollback()
        return render_template("admin/people.html", problems_title=refused.message,
                               **_context(j, refused.problems, request.form)), 422
    flash(_("已添加单位「%(name)s」", name=organization.name), "success")
    return redirect(url_for("admin.people", code=j.code))


@bp.route("/jurisdictions/<code>/users", methods=["POST"])
@login_required
def create_user(code: str):
    j = jurisdiction_or_404(code)
    form = request.form
    try:
        user = service.create_user(j, username=form.get("username", ""), display_name=form.get("display_name", ""),
                                   password=form.get("password", ""), role=form.get("role", ""),
                                   scope=form.get("scope", ""), actor=current_user)
        db.session.commit()
    except AdminRefused as refused:
        db.session.rollback()
        values = {k: v for k, v in form.items() if k != "password"}  # a password is never echoed back
        return render_template("admin/people.html", problems_title=refused.message,
                               **_context(j, refused.problems, values)), 422
    flash(_("已创建用户「%(name)s」", name=user.username), "success")
    return redirect(url_for("admin.people", code=j.code))
