"""``/account/tokens``: a logged-in user creates and revokes their own API tokens.

A new token's secret is shown once, in the response to the form that created it
(never flashed: flashed messages travel in the session cookie). Only its SHA-256
is stored.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from core.audit import record
from core.extensions import db
from core.models import ApiToken
from core.models.base import utcnow

bp = Blueprint("account", __name__, url_prefix="/account")

MAX_ACTIVE_TOKENS = 20


class TokenForm(FlaskForm):
    name = StringField(_l("令牌名称"), validators=[DataRequired(message=_l("请填写令牌名称，例如用途或系统名")),
                                                 Length(max=100, message=_l("令牌名称最长 100 个字符"))])


def _tokens():
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                              .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())).all()


def _page(form: TokenForm, secret: str | None = None, created: ApiToken | None = None, status: int = 200):
    response = render_template("account/tokens.html", form=form, tokens=_tokens(), secret=secret,
                               created=created, max_active=MAX_ACTIVE_TOKENS)
    headers = {"Cache-Control": "no-store"}  # the page may hold a secret
    return response, status, headers


@bp.route("/tokens", methods=["GET"])
@login_required
def tokens():
    return _page(TokenForm())


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    active = db.session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == current_user.id, ApiToken.revoked_at.is_(None)))
    if active >= MAX_ACTIVE_TOKENS:
        form.name.errors = list(form.name.errors) + [
            _("有效令牌已达 %(n)s 个上限，请先吊销不用的令牌。", n=MAX_ACTIVE_TOKENS)]
        return _page(form, status=422)
    token, secret = ApiToken.issue(current_user, form.name.data.strip())
    db.session.add(token)
    db.session.flush()
    record("api_token.create", "api_token", token.id, actor=current_user, detail={"name": token.name})
    db.session.commit()
    return _page(TokenForm(formdata=None), secret=secret, created=token, status=201)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("api_token.revoke", "api_token", token.id, actor=current_user, detail={"name": token.name})
        db.session.commit()
        flash(_("令牌「%(name)s」已吊销，使用它的程序将无法再访问。", name=token.name), "success")
    return redirect(url_for("account.tokens"))
