"""Log in, log out, choose the language."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required, login_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core.audit import record
from core.auth import lockout, sessions
from core.extensions import db, limiter
from core.models import User

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(message=_l("请输入用户名")), Length(max=80)])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码")), Length(max=200)])


def _safe_next(target: str | None) -> str:
    # Only local paths: an absolute URL here would be an open redirect.
    # Browsers read "/\\host" like "//host", so backslashes and control characters are refused too.
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and not any(ord(c) < 32 for c in target):
        return target
    return url_for("projects.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        user = db.session.scalar(select(User).where(User.username == username))
        # Per-username lockout (core/auth/lockout.py): checked before the password, so a
        # locked name cannot be probed further, not even with the right password.
        until = lockout.locked_until(username, user)
        if until is not None:
            flash(lockout.message(until), "error")
            return render_template("auth/login.html", form=form), 429
        if user is not None and user.is_active and user.check_password(form.password.data):
            sessions.end()  # nothing from before the login carries over into the new session
            session.permanent = True
            login_user(user)
            sessions.start()
            record("login", "user", user.id, actor=user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        lockout.record_failure(username, user)
        db.session.commit()
        until = lockout.locked_until(username, user)
        flash(lockout.message(until) if until is not None else _("用户名或密码错误"), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.end()
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in ("zh", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
