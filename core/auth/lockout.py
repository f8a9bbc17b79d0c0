"""Per-username login lockout: 5 failed logins within 15 minutes lock the name for
the rest of those 15 minutes (on top of Flask-Limiter's 10 attempts a minute per
address, which stops one address trying many names).

Failures are audit events (``login.failed``), so every worker and process sees the
same count without shared limiter storage, and the history shows the attack. A
successful login starts the count afresh. Unknown usernames are counted and locked
the same way, so the lockout message does not tell which names exist; for them the
audit event keeps only a keyed hash of the name typed, never the text (people type
passwords into the username field).
"""
from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select

from core.audit import record
from core.extensions import db
from core.models import AuditEvent, User

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
FAILED = "login.failed"


def now() -> datetime:
    """The current time (UTC); tests replace it to move the clock."""
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    # SQLite drops the offset; the app stores UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _name_key(username: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return "name:" + hmac.new(secret, username.encode("utf-8"), hashlib.sha256).hexdigest()[:40]


def _failures_where(username: str, user: User | None):
    if user is not None:
        return (AuditEvent.object_type == "login", AuditEvent.object_id == user.id, AuditEvent.action == FAILED)
    return (AuditEvent.object_type == "login", AuditEvent.object_id.is_(None), AuditEvent.action == FAILED,
            AuditEvent.comment == _name_key(username))


def locked_until(username: str, user: User | None) -> datetime | None:
    """When the lock on ``username`` ends, or None if it may try now."""
    current = now()
    since = current - WINDOW
    if user is not None:
        last_login = db.session.scalar(select(func.max(AuditEvent.at)).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == user.id, AuditEvent.action == "login"))
        if last_login is not None and _aware(last_login) > since:
            since = _aware(last_login)
    recent = [_aware(at) for at in db.session.scalars(
        select(AuditEvent.at).where(*_failures_where(username, user))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(MAX_FAILURES))]
    recent = [at for at in recent if at > since]
    if len(recent) < MAX_FAILURES:
        return None
    return recent[MAX_FAILURES - 1] + WINDOW


def record_failure(username: str, user: User | None) -> None:
    """Add a ``login.failed`` event (committed by the caller)."""
    if user is not None:
        record(FAILED, "login", user.id, detail={"username": user.username})
    else:
        record(FAILED, "login", None, comment=_name_key(username))


def message(until: datetime) -> str:
    minutes = max(1, math.ceil((until - now()).total_seconds() / 60))
    return gettext("该账号已连续 %(failures)s 次登录失败，已暂时锁定。请 %(minutes)s 分钟后再试，"
                   "或请管理员重置密码。", failures=MAX_FAILURES, minutes=minutes)
