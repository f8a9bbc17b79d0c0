"""Shared fixtures: an app per test on a database created once per session.

``TEST_DATABASE_URL`` selects PostgreSQL (``scripts/test`` runs the suite on both);
without it a temporary SQLite file is used. Rows are deleted after each test, so
every test starts from the built-in packs and nothing else.
"""
from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from core.app import create_app
from core.extensions import db
from core.jurisdictions import sync_builtin_packs
from core.models import Jurisdiction, Membership, Organization, User
from core.plugins import plugin_manager

PASSWORD = "test-pass-1"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                      "SECRET_KEY": "test"})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _config(database_url: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "test",
            "RATELIMIT_ENABLED": False}


@pytest.fixture
def app(database_url, _schema, tmp_path):
    app = create_app({**_config(database_url), "EXPORT_DIR": str(tmp_path / "exports")})
    with app.app_context():
        sync_builtin_packs(plugin_manager())
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


class People:
    """Creates organizations and users with one membership each."""

    def __init__(self, app):
        self.app = app

    def jurisdiction(self, code: str) -> Jurisdiction:
        return db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))

    def organization(self, code: str, name: str) -> Organization:
        jurisdiction = self.jurisdiction(code)
        org = db.session.scalar(select(Organization).where(
            Organization.jurisdiction_id == jurisdiction.id, Organization.name == name))
        if org is None:
            org = Organization(jurisdiction=jurisdiction, name=name)
            db.session.add(org)
            db.session.flush()
        return org

    def user(self, username: str, role: str, *, jurisdiction: str | None = None,
             organization: Organization | None = None) -> User:
        user = User(username=username, display_name=username)
        user.set_password(PASSWORD)
        if organization is not None:
            user.memberships.append(Membership(role=role, organization=organization))
        else:
            user.memberships.append(Membership(role=role, jurisdiction=self.jurisdiction(jurisdiction)))
        db.session.add(user)
        db.session.commit()
        return user


@pytest.fixture
def people(app):
    with app.app_context():
        yield People(app)


def csrf_token(client, path: str = "/login") -> str:
    """The session's CSRF token, read from a rendered form like a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'id="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response
