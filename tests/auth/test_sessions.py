"""Session expiry: logged out after an hour without a request and 8 hours after
login, whatever the activity — tested by setting the session's timestamps, as a
frozen clock would see them. Also: login starts a fresh session, and ``next`` only
ever leads to a local page."""
from __future__ import annotations

import time

import pytest

from core.auth import sessions
from tests.conftest import csrf_token, login


@pytest.fixture
def logged_in(app, client, people):
    people.user("someone", "filer", organization=people.organization("boye", "测试单位"))
    with app.app_context():
        login(client, "someone")
    return client


def set_session(client, **values):
    with client.session_transaction() as session:
        session.update(values)


def get(app, client, path="/"):
    with app.app_context():
        return client.get(path)


def test_login_records_when_the_session_started(app, logged_in):
    with logged_in.session_transaction() as session:
        assert abs(session[sessions.LOGIN_AT] - time.time()) < 60
        assert session[sessions.SEEN_AT] >= session[sessions.LOGIN_AT]


def test_59_minutes_idle_is_still_logged_in_and_refreshes_the_clock(app, logged_in):
    set_session(logged_in, seen_at=int(time.time()) - 59 * 60)
    assert get(app, logged_in).status_code == 200
    with logged_in.session_transaction() as session:
        assert time.time() - session[sessions.SEEN_AT] < 60


def test_after_an_hour_idle_the_user_is_logged_out_with_a_message(app, logged_in):
    set_session(logged_in, seen_at=int(time.time()) - 61 * 60, lang="zh")
    response = get(app, logged_in, "/projects/new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/projects/new")
    with logged_in.session_transaction() as session:
        assert "_user_id" not in session and session.get("lang") == "zh"
    page = get(app, logged_in, "/login").get_data(as_text=True)
    assert "60 分钟未操作，为保护数据已自动退出" in page
    assert get(app, logged_in).status_code == 302  # still logged out


def test_after_8_hours_the_user_is_logged_out_even_when_active(app, logged_in):
    now = int(time.time())
    set_session(logged_in, login_at=now - 8 * 3600 - 60, seen_at=now - 30)
    response = get(app, logged_in)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "登录已超过 8 小时" in get(app, logged_in, "/login").get_data(as_text=True)


def test_a_post_after_the_timeout_does_nothing_and_asks_to_log_in(app, logged_in):
    with app.app_context():
        token = csrf_token(logged_in, "/projects/new")
    set_session(logged_in, seen_at=int(time.time()) - 2 * 3600)
    with app.app_context():
        response = logged_in.post("/projects/new", data={"csrf_token": token, "name": "超时后提交", "year": "2023",
                                                         "budget": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_a_moved_clock_expires_the_session_too(app, logged_in, monkeypatch):
    real = sessions.now
    monkeypatch.setattr(sessions, "now", lambda: real() + 3601)
    assert get(app, logged_in).status_code == 302


def test_login_starts_a_new_session(app, client, people):
    people.user("someone", "filer", organization=people.organization("boye", "测试单位"))
    with app.app_context():
        client.get("/login")
    set_session(client, planted="by someone else", lang="en")
    with app.app_context():
        login(client, "someone")
    with client.session_transaction() as session:
        assert "planted" not in session and session["lang"] == "en"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/",
                                    "/\\/evil.example", "javascript:alert(1)", "/%0d%0aSet-Cookie:x", "/\tevil"])
def test_next_never_leaves_the_site(app, client, people, target):
    people.user("someone", "filer", organization=people.organization("boye", "测试单位"))
    with app.app_context():
        token = csrf_token(client)
        response = client.post("/login", query_string={"next": target},
                               data={"username": "someone", "password": "test-pass-1", "csrf_token": token})
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")) and "evil" not in location.split("?")[0][:3]
    if "\\" in target or "\t" in target or target.startswith(("http", "//", "javascript")):
        assert location == "/"


def test_next_keeps_a_local_page(app, client, people):
    people.user("someone", "filer", organization=people.organization("boye", "测试单位"))
    with app.app_context():
        token = csrf_token(client)
        response = client.post("/login", query_string={"next": "/review/?state=returned"},
                               data={"username": "someone", "password": "test-pass-1", "csrf_token": token})
    assert response.headers["Location"] == "/review/?state=returned"
