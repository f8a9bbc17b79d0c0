"""Tokens and scope: a token is its user, another organization's objects are 404,
a revoked token is 401, the session cookie never authenticates the API."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import ApiToken, AuditEvent, User
from core.models.api_token import hash_token
from tests.api.helpers import auth
from tests.api.test_goal_api import create_project, start_goal
from tests.conftest import csrf_token, login


@pytest.fixture
def project_id(client, boye, tokens):
    project = create_project(client, tokens["filer_a"], boye["org_a"])
    start_goal(client, tokens["filer_a"], project["id"])
    return project["id"]


@pytest.mark.parametrize("who", ["filer_b", "futian_reviewer", "futian_filer"])
def test_another_organizations_token_gets_404(client, project_id, tokens, who):
    secret = tokens[who]
    for path in (f"/api/v1/projects/{project_id}", f"/api/v1/projects/{project_id}/submissions/goal",
                 f"/api/v1/projects/{project_id}/score", f"/api/v1/projects/{project_id}/survey"):
        response = client.get(path, headers=auth(secret))
        assert response.status_code == 404, path
        assert response.get_json()["errors"][0]["code"] == "not_found"
    put = client.put(f"/api/v1/projects/{project_id}/submissions/goal", headers=auth(secret),
                     json={"data": {}, "lock_version": 1})
    assert put.status_code == 404
    moved = client.post(f"/api/v1/projects/{project_id}/submissions/goal/transitions", headers=auth(secret),
                        json={"transition": "approve"})
    assert moved.status_code == 404
    listing = client.get("/api/v1/projects", headers=auth(secret)).get_json()
    assert project_id not in [p["id"] for p in listing["items"]]


@pytest.mark.parametrize("who", ["filer_a", "reviewer", "leader", "boye_admin"])
def test_people_in_scope_see_the_project(client, project_id, tokens, who):
    response = client.get(f"/api/v1/projects/{project_id}", headers=auth(tokens[who]))
    assert response.status_code == 200
    assert response.get_json()["submissions"][0]["kind"] == "goal"


def test_token_page_creates_shows_once_and_revokes(app, client, boye):
    login(client, "filer_a")
    token = csrf_token(client, "/account/tokens")
    created = client.post("/account/tokens", data={"csrf_token": token, "name": "预算一体化系统"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    secret = re.search(r'id="new-token" readonly value="([^"]+)"', html).group(1)
    assert secret.startswith("pf_")
    # Shown once: the list page never shows it again, and only its hash is stored.
    assert secret not in client.get("/account/tokens").get_data(as_text=True)
    with app.app_context():
        stored = db.session.scalar(select(ApiToken).where(ApiToken.name == "预算一体化系统"))
        assert stored.token_hash == hash_token(secret) and secret not in (stored.hint + stored.token_hash)
        token_id = stored.id

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    me = client.get("/api/v1/me", headers=auth(secret))
    assert me.status_code == 200
    assert me.get_json()["username"] == "filer_a" and me.get_json()["token"] == "预算一体化系统"
    with app.app_context():
        assert db.session.get(ApiToken, token_id).last_used_at is not None

    login(client, "filer_a")
    revoke = client.post(f"/account/tokens/{token_id}/revoke",
                         data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert revoke.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    refused = client.get("/api/v1/me", headers=auth(secret))
    assert refused.status_code == 401
    assert refused.get_json()["errors"][0]["code"] == "token_revoked"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "api_token")
                                     .order_by(AuditEvent.id)).all()
    assert actions == ["api_token.create", "api_token.revoke"]


def test_token_forms_need_csrf_and_users_revoke_only_their_own(app, client, boye, tokens):
    login(client, "filer_a")
    assert client.post("/account/tokens", data={"name": "无 CSRF"}).status_code == 400
    with app.app_context():
        other = db.session.scalar(select(ApiToken).join(User).where(User.username == "reviewer"))
        other_id = other.id
    response = client.post(f"/account/tokens/{other_id}/revoke",
                           data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, other_id).revoked_at is None
    empty = client.post("/account/tokens", data={"csrf_token": csrf_token(client, "/account/tokens"),
                                                 "name": ""})
    assert empty.status_code == 422 and "请填写令牌名称" in empty.get_data(as_text=True)


@pytest.mark.parametrize("header, code", [
    (None, "token_missing"), ("Bearer", "token_malformed"), ("Basic abc", "token_malformed"),
    ("Bearer pf_not-a-real-token", "token_invalid")])
def test_missing_or_bad_tokens_are_401(client, boye, header, code):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/projects", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["errors"][0]["code"] == code


def test_the_session_cookie_does_not_authenticate_the_api(client, boye):
    login(client, "filer_a")
    assert client.get("/api/v1/me").status_code == 401
    # …and a write without a token is refused before anything else (no CSRF token is needed).
    response = client.post("/api/v1/projects", json={"name": "x"})
    assert response.status_code == 401


def test_inactive_user_token_is_401(app, client, tokens):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "filer_a"))
        user.active = False
        db.session.commit()
    response = client.get("/api/v1/me", headers=auth(tokens["filer_a"]))
    assert response.status_code == 401 and response.get_json()["errors"][0]["code"] == "user_inactive"


def test_token_follows_the_users_current_roles(app, client, project_id, tokens):
    assert client.get(f"/api/v1/projects/{project_id}", headers=auth(tokens["leader"])).status_code == 200
    # (in the test's own app context, which the test client's requests share)
    leader = db.session.scalar(select(User).where(User.username == "leader"))
    for membership in list(leader.memberships):
        db.session.delete(membership)
    db.session.commit()
    assert client.get(f"/api/v1/projects/{project_id}", headers=auth(tokens["leader"])).status_code == 404


def test_definitions_are_those_of_the_jurisdictions_in_scope(app, client, tokens):
    boye = client.get("/api/v1/definitions?kind=goal", headers=auth(tokens["filer_a"])).get_json()["items"]
    assert {d["jurisdiction"] for d in boye} == {"boye"}
    assert all(d["kind"] == "goal" for d in boye) and "body" not in boye[0]
    one = client.get(f"/api/v1/definitions/{boye[0]['id']}", headers=auth(tokens["filer_a"])).get_json()
    assert one["body"]["id"] == "boye.goal" and one["title"]["zh"]
    # Futian's people do not see Boye's forms.
    futian = client.get("/api/v1/definitions", headers=auth(tokens["futian_filer"])).get_json()["items"]
    assert {d["jurisdiction"] for d in futian} == {"futian"}
    assert client.get(f"/api/v1/definitions/{boye[0]['id']}",
                      headers=auth(tokens["futian_filer"])).status_code == 404
    latest = client.get("/api/v1/definitions?latest=1", headers=auth(tokens["reviewer"])).get_json()["items"]
    kinds = [d["kind"] for d in latest]
    assert len(kinds) == len(set(kinds)) and "goal" in kinds


def test_projects_are_filtered_and_paged(client, boye, tokens):
    filer = tokens["filer_a"]
    for year, name in ((2022, "甲"), (2023, "乙"), (2023, "丙")):
        create_project(client, filer, boye["org_a"], name=name, year=year)
    all_ = client.get("/api/v1/projects", headers=auth(filer)).get_json()
    assert all_["total"] == 3 and [p["year"] for p in all_["items"]] == [2023, 2023, 2022]
    y2023 = client.get("/api/v1/projects?year=2023&per_page=1&page=2", headers=auth(filer)).get_json()
    assert (y2023["total"], len(y2023["items"]), y2023["page"]) == (2, 1, 2)
    drafts = client.get("/api/v1/projects?state=draft", headers=auth(filer)).get_json()
    assert drafts["total"] == 0  # no goal form started yet
    bad = client.get("/api/v1/projects?year=abc&state=done", headers=auth(filer))
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["path"] == "year"


def test_project_creation_is_refused_like_the_ui(app, client, boye, tokens):
    filer = tokens["filer_a"]
    other = client.post("/api/v1/projects", headers=auth(filer), json={
        "organization_id": boye["org_b"], "name": "越权项目", "year": 2023, "budget": "1"})
    assert other.status_code == 422 and other.get_json()["errors"][0]["path"] == "organization_id"
    bad = client.post("/api/v1/projects", headers=auth(filer), json={
        "organization_id": boye["org_a"], "name": "坏预算", "year": 1999, "budget": "-5"})
    errors = {e["path"]: e for e in bad.get_json()["errors"]}
    assert bad.status_code == 422 and set(errors) == {"year", "budget"}
    assert errors["budget"]["message"] == "不能为负数"
    assert client.post("/api/v1/projects", headers=auth(filer), json={
        "organization_id": boye["org_a"], "name": "坏预算", "year": 2023, "budget": "abc"}
    ).get_json()["errors"][0]["message"] == "必须是数字，收到「abc」"
    create_project(client, filer, boye["org_a"], name="同名")
    duplicate = client.post("/api/v1/projects", headers=auth(filer), json={
        "organization_id": boye["org_a"], "name": "同名", "year": 2023, "budget": "1"})
    assert duplicate.status_code == 409 and duplicate.get_json()["errors"][0]["path"] == "name"
    reviewer = client.post("/api/v1/projects", headers=auth(tokens["reviewer"]), json={
        "organization_id": boye["org_a"], "name": "审核人建的", "year": 2023, "budget": "1"})
    assert reviewer.status_code == 403
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "project.create"))
        assert event.actor.username == "filer_a" and event.detail == {"via": "api"}


def test_memberships_are_reported(client, tokens):
    me = client.get("/api/v1/me", headers=auth(tokens["reviewer"])).get_json()
    assert me["memberships"] == [{"role": "reviewer", "organization_id": None, "organization": None,
                                  "jurisdiction_id": me["memberships"][0]["jurisdiction_id"],
                                  "jurisdiction": "boye"}]
