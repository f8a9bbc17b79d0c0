"""Security headers and cache rules on every page, checked by crawling every GET
route the application has (new blueprints are crawled as they are registered) as
anonymous and as users of each role: no server error, the CSP and companion
headers everywhere, nothing a strict CSP would block in any HTML page, and
``Cache-Control: no-store`` on everything served to a logged-in user or token."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from core.app import create_app
from core.extensions import db
from core.models import ApiToken, User
from core.security import CONTENT_SECURITY_POLICY, HSTS
from tests.backup.test_backup_restore import populate
from tests.conftest import _config, login
from tests.security.crawl import targets
from tests.security.inline import inline_code

EXPECTED = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}
DEMO_PASSWORD = "demo-2026"  # demo users keep it: the password rules apply to passwords people set


def assert_security_headers(response, where: str) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{where}: {name} is {response.headers.get(name)!r}"


def test_headers_on_the_login_page_and_no_hsts_without_https(client):
    response = client.get("/login")
    assert_security_headers(response, "/login")
    assert "Strict-Transport-Security" not in response.headers
    assert "no-store" not in response.headers.get("Cache-Control", "")  # nothing personal on it


def test_hsts_and_secure_cookies_when_served_over_https(database_url, _schema):
    app = create_app({**_config(database_url), "SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True})
    with app.app_context():
        from core.jurisdictions import sync_builtin_packs
        from core.plugins import plugin_manager
        sync_builtin_packs(plugin_manager())
        user = User(username="https_user", display_name="x")
        user.set_password("test-pass-1")
        db.session.add(user)
        db.session.commit()
        try:
            client = app.test_client()
            page = client.get("/login", base_url="https://localhost")
            assert page.headers["Strict-Transport-Security"] == HSTS
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
            response = client.post("/login", base_url="https://localhost",  # over HTTPS the CSRF check wants a Referer
                                   headers={"Referer": "https://localhost/login"},
                                   data={"username": "https_user", "password": "test-pass-1", "csrf_token": token})
            assert response.status_code == 302
            cookie = response.headers["Set-Cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
        finally:
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            db.engine.dispose()


def test_session_cookie_is_httponly_and_samesite_by_default(app, client, people):
    people.user("someone", "filer", organization=people.organization("boye", "测试单位"))
    response = login(client, "someone")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_pages_of_a_logged_in_user_are_not_cached_but_static_files_are(app, client, people):
    people.user("someone", "filer", organization=people.organization("boye", "测试单位"))
    login(client, "someone")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_api_answers_to_a_token_are_not_cached(app, client, people):
    user = people.user("someone", "filer", organization=people.organization("boye", "测试单位"))
    token, secret = ApiToken.issue(user, "测试")
    db.session.add(token)
    db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert_security_headers(response, "/api/v1/me")


# ------------------------------------------------------------------ the crawl ---

CRAWLERS = [None, "admin", "boye_filer", "boye_reviewer", "futian_filer", "filer_a"]


def test_every_get_route_as_every_role(app, people, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    populate(people)
    db.session.commit()
    urls, skipped = targets(app)
    db.session.rollback()

    visited, html_pages = set(), 0
    for username in CRAWLERS:
        client = app.test_client()
        headers = {}
        with app.app_context():  # a fresh context per user: nothing cached in g between them
            if username:
                login(client, username, DEMO_PASSWORD if username != "filer_a" else "test-pass-1")
                # The API reads only its bearer token (and the pages ignore it): send both.
                token, secret = ApiToken.issue(db.session.scalar(sa.select(User).where(User.username == username)),
                                               "crawl")
                db.session.add(token)
                db.session.commit()
                headers = {"Authorization": f"Bearer {secret}"}
            for target in urls:
                response = client.get(target.url, headers=headers)
                where = f"{username or 'anonymous'} GET {target.url}"
                assert response.status_code < 500, where
                assert_security_headers(response, where)
                if username and target.endpoint != "static":
                    assert response.headers.get("Cache-Control") == "no-store", where
                if response.status_code == 200:
                    visited.add(target.endpoint)
                    if response.mimetype == "text/html":
                        html_pages += 1
                        found = inline_code(response.get_data(as_text=True))
                        assert not found, f"{where}: " + "; ".join(f"line {n}: {w}" for n, w in found)
    # The crawl reaches most of the application (a sanity bound, not a target).
    reachable = {t.endpoint for t in urls}
    assert len(visited) >= 0.7 * len(reachable), (sorted(reachable - visited), skipped)
    assert html_pages > 50
