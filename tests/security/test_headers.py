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

FIXED_ARGUMENTS = {"kind": ["goal", "self_evaluation"], "filename": ["app.css"], "year": [2023],
                   "version": [1], "action": []}
CRAWLERS = [None, "admin", "boye_filer", "boye_reviewer", "futian_filer", "filer_a"]


def _table_for(argument: str) -> sa.Table | None:
    """``project_id`` → project, ``letter_id`` → rectification_letter, ``token_id`` → api_token."""
    stem = argument[:-3]
    tables = [t for t in db.metadata.sorted_tables if "id" in t.columns]
    exact = [t for t in tables if t.name == stem]
    return (exact or [t for t in tables if t.name.endswith("_" + stem)] or [None])[0]


def _first(column: str):
    """The first value of ``column`` in any table that has it (a survey's slug)."""
    for table in db.metadata.sorted_tables:
        if column in table.columns:
            with db.engine.connect() as connection:
                value = connection.execute(sa.select(table.c[column]).order_by(*table.primary_key.columns)).scalar()
            if value is not None:
                return value
    return None


def _jurisdiction_of(table: sa.Table, row: dict) -> int | None:
    """The row's jurisdiction_id, directly or through one foreign key (project → organization)."""
    if row.get("jurisdiction_id"):
        return row["jurisdiction_id"]
    for fk in table.foreign_keys:
        target = fk.column.table
        if "jurisdiction_id" in target.columns and row.get(fk.parent.name) is not None:
            with db.engine.connect() as connection:
                found = connection.execute(sa.select(target.c.jurisdiction_id)
                                           .where(fk.column == row[fk.parent.name])).scalar()
            if found:
                return found
    return None


def _values(rule) -> list[dict] | None:
    """Argument sets for ``rule`` from the data in the database; None if one cannot be filled.

    The last ``*_id`` argument picks rows of its table; the other ``*_id`` arguments
    and ``code``/``slug`` are taken from the same row where it has them (a survey's
    project_id), so the URLs name objects that belong together.
    """
    ids = [a for a in rule.arguments if a.endswith("_id") and rule._converters[a].__class__.__name__ == "IntegerConverter"]
    rows = [{}]
    if ids:
        table = _table_for(ids[-1])
        if table is None:
            return None
        with db.engine.connect() as connection:
            rows = [dict(r) for r in connection.execute(sa.select(table).order_by(table.c.id).limit(3)).mappings()]
        if not rows:
            return None
        rows = [{**row, ids[-1]: row["id"]} for row in rows]
    sets = []
    for row in rows:
        values, ok = {}, True
        for argument in rule.arguments:
            if argument in row:
                values[argument] = row[argument]
            elif argument.endswith("_id") and (table := _table_for(argument)) is not None:
                with db.engine.connect() as connection:
                    values[argument] = connection.execute(sa.select(table.c.id).order_by(table.c.id)).scalar()
                ok = ok and values[argument] is not None
            elif argument == "code":
                jurisdiction = db.metadata.tables["jurisdiction"]
                query = sa.select(jurisdiction.c.code).order_by(jurisdiction.c.id)
                jurisdiction_id = _jurisdiction_of(table, row) if ids else None
                if jurisdiction_id:
                    query = query.where(jurisdiction.c.id == jurisdiction_id)
                with db.engine.connect() as connection:
                    values[argument] = connection.execute(query).scalar()
            elif argument == "slug":
                values[argument] = row.get("slug") or _first("slug")
                ok = ok and values[argument] is not None
            elif FIXED_ARGUMENTS.get(argument):
                values[argument] = FIXED_ARGUMENTS[argument][0]
            else:
                ok = False
        if ok:
            sets.append(values)
            for argument, extra in FIXED_ARGUMENTS.items():
                for value in (extra[1:] if argument in rule.arguments else []):
                    sets.append({**values, argument: value})
    return sets or None


def test_every_get_route_as_every_role(app, people, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    populate(people)
    db.session.commit()
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods]
    urls, skipped = [], []
    with app.test_request_context():
        from flask import url_for
        for rule in rules:
            sets = _values(rule)
            if sets is None:
                skipped.append(rule.rule)
                continue
            urls += [(rule.endpoint, url_for(rule.endpoint, **values)) for values in sets]
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
            for endpoint, url in urls:
                response = client.get(url, headers=headers)
                where = f"{username or 'anonymous'} GET {url}"
                assert response.status_code < 500, where
                assert_security_headers(response, where)
                if username and endpoint != "static":
                    assert response.headers.get("Cache-Control") == "no-store", where
                if response.status_code == 200:
                    visited.add(endpoint)
                    if response.mimetype == "text/html":
                        html_pages += 1
                        found = inline_code(response.get_data(as_text=True))
                        assert not found, f"{where}: " + "; ".join(f"line {n}: {w}" for n, w in found)
    # The crawl reaches most of the application (a sanity bound, not a target).
    reachable = {r.endpoint for r in rules if r.rule not in skipped}
    print("not reached:", sorted(reachable - visited), "skipped:", skipped)
    assert len(visited) >= 0.7 * len(reachable), sorted(reachable - visited)
    assert html_pages > 50
