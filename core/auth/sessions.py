"""Session limits: logged out after an hour without a request (idle timeout) and
after PERMANENT_SESSION_LIFETIME (8 hours) since login, whatever the activity.

Flask refreshes a permanent session cookie on every request, so the cookie's own
expiry is a sliding window; both limits are kept as timestamps in the (signed)
session and checked before every request.
"""
from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
DEFAULT_IDLE_SECONDS = 3600


def now() -> int:
    """Seconds since the epoch; tests replace it (or write the session values) to move the clock."""
    return int(time.time())


def start() -> None:
    """Called at login: both clocks start now."""
    moment = now()
    session[LOGIN_AT] = moment
    session[SEEN_AT] = moment


def end() -> None:
    """Log out and forget everything in the session except the chosen language."""
    lang = session.get("lang")
    logout_user()
    session.clear()  # the CSRF secret too: a new session gets a new one
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # Flask-WTF's per-context cache
    if lang:
        session["lang"] = lang


def _seconds(value) -> int:
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)


def install_session_limits(app: Flask) -> None:
    app.config.setdefault("IDLE_TIMEOUT_SECONDS", DEFAULT_IDLE_SECONDS)

    @app.before_request
    def _enforce_session_limits():
        if request.endpoint == "static" or "_user_id" not in session:
            return None
        moment = now()
        seen, login_at = session.get(SEEN_AT), session.get(LOGIN_AT)
        idle = _seconds(app.config["IDLE_TIMEOUT_SECONDS"])
        lifetime = _seconds(app.config["PERMANENT_SESSION_LIFETIME"])
        reason = None
        if isinstance(seen, (int, float)) and moment - seen > idle:
            reason = _("您已 %(minutes)s 分钟未操作，为保护数据已自动退出，请重新登录。", minutes=idle // 60)
        elif isinstance(login_at, (int, float)) and moment - login_at > lifetime:
            reason = _("登录已超过 %(hours)s 小时，请重新登录。", hours=lifetime // 3600)
        if reason:
            end()
            flash(reason, "error")
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("auth.login", next=target))
        if not isinstance(login_at, (int, float)):
            session[LOGIN_AT] = moment  # a session from before these limits: counted from now
        session[SEEN_AT] = moment
        return None
