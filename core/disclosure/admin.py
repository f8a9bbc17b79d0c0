"""The admin's override of the years a jurisdiction publishes: ``/admin/disclosure/``.

The pack's ``disclosure.years`` is the default; an admin of the jurisdiction may
publish other years (or none) without editing the pack. The override lives in
``Jurisdiction.settings["disclosure_override"]`` and survives pack syncs.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, StringField
from wtforms.validators import Length, ValidationError

from core.audit import record
from core.auth import access
from core.disclosure import policy
from core.extensions import db
from core.models import Jurisdiction, Role

bp = Blueprint("disclosure_admin", __name__, url_prefix="/admin/disclosure")


class DisclosureForm(FlaskForm):
    mode = RadioField(_l("公开年度"), choices=[("pack", _l("按辖区配置包（pack.json）的设置")),
                                            ("custom", _l("自定义"))], default="pack")
    years = StringField(_l("公开的年度"), validators=[Length(max=200)])

    def validate_years(self, field):
        if self.mode.data == "custom":
            _years, error = policy.parse_years(field.data or "")
            if error:
                raise ValidationError(error)


def _admin_scope() -> set[int]:
    return access.jurisdiction_scope(current_user, Role.ADMIN)


def _jurisdiction_or_404(code: str) -> Jurisdiction:
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if jurisdiction is None or jurisdiction.id not in _admin_scope():
        abort(404)
    return jurisdiction


@bp.get("/")
@login_required
def overview():
    scope = _admin_scope()
    if not scope:
        abort(403)
    rows = db.session.scalars(select(Jurisdiction).where(Jurisdiction.id.in_(scope))
                              .order_by(Jurisdiction.code)).all()
    return render_template("disclosure/admin_overview.html", rows=[
        (j, policy.published_years(j.settings), policy.has_override(j.settings)) for j in rows])


@bp.route("/<code>", methods=["GET", "POST"])
@login_required
def edit(code: str):
    jurisdiction = _jurisdiction_or_404(code)
    settings = jurisdiction.settings or {}
    form = DisclosureForm()
    if not form.is_submitted():
        form.mode.data = "custom" if policy.has_override(settings) else "pack"
        form.years.data = ", ".join(str(y) for y in policy.published_years(settings))
    if form.validate_on_submit():
        years = policy.parse_years(form.years.data or "")[0] if form.mode.data == "custom" else None
        jurisdiction.settings = policy.with_override(settings, years)
        record("jurisdiction.disclosure", "jurisdiction", jurisdiction.id, actor=current_user,
               detail={"years": years, "follows_pack": years is None}, jurisdiction_id=jurisdiction.id)
        db.session.commit()
        flash(_("公开年度已保存"), "success")
        return redirect(url_for("disclosure_admin.edit", code=jurisdiction.code))
    return render_template("disclosure/admin_edit.html", jurisdiction=jurisdiction, form=form,
                           pack_years=policy.pack_years(settings),
                           current_years=policy.published_years(settings),
                           overridden=policy.has_override(settings)), (422 if form.errors else 200)
