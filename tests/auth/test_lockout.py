"""Login throttling: 5 failed logins for one username within 15 minutes lock that
name for the rest of the 15 minutes — even with the right password — with a clear
message; unknown names behave the same; 10 attempts a minute per address (Flask-Limiter)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.app import create_app
from core.auth import lockout
from core.extensions import db
from core.models import AuditEvent
from tests.conftest import PASSWORD, _config, csrf_token

WRONG = "wrong-password-0"


@pytest.fixture
def someone(people):
    return people.user("someone", "filer", organization=people.organization("boye", "测试单位"))


def attempt(client, username: str, password: str):
    with client.application.app_context():  # one context per request, as in production
        return client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client)})


def shift_clock(monkeypatch, minutes: float) -> None:
    real = lockout.now
    monkeypatch.setattr(lockout, "now", lambda: real() + timedelta(minutes=minutes))


def test_five_failures_lock_the_name_even_for_the_right_password(app, client, someone):
    for number in range(1, 5):
        page = attempt(client, "someone", WRONG).get_data(as_text=True)
        assert "用户名或密码错误" in page, number
    fifth = attempt(client, "someone", WRONG).get_data(as_text=True)
    assert "已连续 5 次登录失败，已暂时锁定" in fifth and "15 分钟后再试" in fifth

    locked = attempt(client, "someone", PASSWORD)
    assert locked.status_code == 429
    assert "已暂时锁定" in locked.get_data(as_text=True)
    assert "_user_id" not in _session(client)
    # Attempts while locked are not counted: the lock does not grow.
    assert _failures() == 5


def _session(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def _failures() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login.failed"))


def test_the_lock_lifts_after_15_minutes(app, client, someone, monkeypatch):
    for _ in range(5):
        attempt(client, "someone", WRONG)
    shift_clock(monkeypatch, 14)
    assert attempt(client, "someone", PASSWORD).status_code == 429
    page = attempt(client, "someone", PASSWORD)
    assert "1 分钟后再试" in page.get_data(as_text=True)
    shift_clock(monkeypatch, 1.1)  # 15.1 minutes after the failures
    assert attempt(client, "someone", PASSWORD).status_code == 302


def test_a_successful_login_starts_the_count_afresh(app, client, someone):
    for _ in range(4):
        attempt(client, "someone", WRONG)
    assert attempt(client, "someone", PASSWORD).status_code == 302
    with app.app_context():
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for _ in range(4):
        assert attempt(client, "someone", WRONG).status_code == 200
    assert attempt(client, "someone", PASSWORD).status_code == 302


def test_one_name_locked_does_not_lock_another(app, client, someone, people):
    people.user("other", "filer", organization=people.organization("boye", "测试单位"))
    for _ in range(5):
        attempt(client, "someone", WRONG)
    assert attempt(client, "other", PASSWORD).status_code == 302


def test_unknown_names_are_locked_alike_and_not_stored_as_typed(app, client, someone):
    typed = "my-secret-password-typed-as-name"
    for _ in range(5):
        attempt(client, typed, WRONG)
    locked = attempt(client, typed, WRONG)
    assert locked.status_code == 429 and "已暂时锁定" in locked.get_data(as_text=True)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()
    assert len(events) == 5
    assert all(typed not in (e.comment + str(e.detail)) for e in events)
    assert all(e.object_id is None and e.comment.startswith("name:") for e in events)


def test_failures_of_a_known_user_are_in_the_audit_trail(app, client, someone):
    attempt(client, "someone", WRONG)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login.failed"))
    assert (event.object_type, event.object_id, event.detail) == ("login", someone.id, {"username": "someone"})
    assert event.actor_id is None


def test_ten_attempts_a_minute_per_address(database_url, _schema, people):
    app = create_app({**_config(database_url), "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"})
    client = app.test_client()
    statuses = []
    for index in range(11):
        with app.app_context():
            token = csrf_token(client)
            statuses.append(client.post("/login", data={"username": f"nobody{index}", "password": WRONG,
                                                        "csrf_token": token}).status_code)
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
