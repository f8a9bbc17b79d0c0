"""JSON errors for every status, rate limits per token, the OpenAPI document, and the
results of the scoring and survey modules (guarded: they may be absent)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from openapi_spec_validator import validate

from core.api import views as api_views
from core.app import create_app
from tests.api.helpers import auth, goal_data, issue_token
from tests.api.test_goal_api import create_project, put_goal, start_goal, transition


def test_request_errors_are_json(app, client, boye, tokens):
    filer = tokens["filer_a"]
    not_json = client.post("/api/v1/projects", data="name=x", headers=auth(filer),
                           content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 415 and not_json.get_json()["errors"][0]["code"] == "unsupported_media_type"
    broken = client.post("/api/v1/projects", data="{\"name\": ", headers=auth(filer),
                         content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["errors"][0]["code"] == "json_syntax"
    assert client.get("/api/v1/no/such/thing", headers=auth(filer)).get_json()["errors"][0]["code"] == "not_found"
    wrong_method = client.delete("/api/v1/projects", headers=auth(filer))
    assert wrong_method.status_code == 405 and "DELETE" in wrong_method.get_json()["errors"][0]["message"]
    unknown_kind = client.get("/api/v1/projects/1/submissions/nonsense", headers=auth(filer))
    assert unknown_kind.status_code == 404
    app.config["MAX_CONTENT_LENGTH"] = 200
    too_large = client.post("/api/v1/projects", json={"name": "x" * 500}, headers=auth(filer))
    assert too_large.status_code == 413 and too_large.get_json()["errors"][0]["code"] == "too_large"


def test_html_pages_keep_their_html_errors(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and response.mimetype == "text/html"


@pytest.fixture
def limited_app(app, database_url):
    """The same database, with rate limiting on (the test app turns it off)."""
    limited = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "test",
                          "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                          "API_RATE_LIMIT": "3 per minute", "PUBLIC_RATE_LIMIT": "2 per minute"})
    yield limited
    with limited.app_context():
        from core.extensions import db
        db.session.remove()
        db.engine.dispose()


def test_rate_limit_counts_per_token(app, limited_app, boye):
    first, second = issue_token(app, "filer_a", "一"), issue_token(app, "filer_a", "二")
    client = limited_app.test_client()
    statuses = [client.get("/api/v1/me", headers=auth(first)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/me", headers=auth(first))
    assert limited.get_json()["errors"][0]["code"] == "rate_limited"
    assert "3 per minute" in limited.get_json()["errors"][0]["message"]
    # Another token of the same user has its own allowance.
    assert client.get("/api/v1/me", headers=auth(second)).status_code == 200


def test_openapi_document_validates_and_documents_every_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)  # raises on an invalid document
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi_document", "api.docs"):
            path = rule.rule.removeprefix("/api/v1")
            for converter in ("int:", "path:"):
                path = path.replace("<" + converter, "<")
            path = path.replace("<", "{").replace(">", "}")
            routes |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    draft = spec["components"]["schemas"]["Draft"]
    assert set(draft["required"]) == {"data", "lock_version"}


def test_docs_page_renders_the_document_as_tables(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "/projects/{project_id}/submissions/{kind}/transitions" in html
    assert 'id="schema-Submission"' in html and "lock_version" in html
    assert "cdn" not in html.lower() and "swagger" not in html.lower()


@pytest.fixture
def approved(client, boye, tokens):
    project = create_project(client, tokens["filer_a"], boye["org_a"])
    started = start_goal(client, tokens["filer_a"], project["id"])
    put_goal(client, tokens["filer_a"], project["id"], goal_data(), started["lock_version"])
    assert transition(client, tokens["filer_a"], project["id"], "submit").status_code == 200
    assert transition(client, tokens["reviewer"], project["id"], "approve").status_code == 200
    return project["id"]


def test_score_needs_a_self_evaluation(client, approved, tokens):
    response = client.get(f"/api/v1/projects/{approved}/score", headers=auth(tokens["filer_a"]))
    assert response.status_code == 404 and response.get_json()["errors"][0]["code"] == "no_submission"


def test_score_of_a_self_evaluation(client, approved, tokens):
    created = client.post(f"/api/v1/projects/{approved}/submissions/self_evaluation", headers=auth(tokens["filer_a"]))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["kind"] == "self_evaluation"
    response = client.get(f"/api/v1/projects/{approved}/score", headers=auth(tokens["reviewer"]))
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["result"]
    assert {"total", "grade", "leaves", "groups"} <= set(result)
    # Nothing scored yet: the leaves say what is missing.
    assert result["ok"] is False and result["problems"]


def test_self_evaluation_needs_an_approved_goal(client, boye, tokens):
    project = create_project(client, tokens["filer_a"], boye["org_a"])
    response = client.post(f"/api/v1/projects/{project['id']}/submissions/self_evaluation",
                           headers=auth(tokens["filer_a"]))
    assert response.status_code == 422 and "批复" in response.get_json()["errors"][0]["message"]


@dataclass
class FakeSurvey:
    valid_questionnaires: int
    satisfaction_rate: Decimal


def test_survey_result_when_present_and_absent(client, approved, tokens, monkeypatch):
    monkeypatch.setattr(api_views, "satisfaction_function", lambda: None)
    absent = client.get(f"/api/v1/projects/{approved}/survey", headers=auth(tokens["leader"]))
    assert absent.status_code == 404 and absent.get_json()["errors"][0]["code"] == "survey_unavailable"
    monkeypatch.setattr(api_views, "satisfaction_function",
                        lambda: (lambda project: FakeSurvey(173, Decimal("95.39"))))
    present = client.get(f"/api/v1/projects/{approved}/survey", headers=auth(tokens["leader"]))
    assert present.status_code == 200
    assert present.get_json()["result"] == {"valid_questionnaires": 173, "satisfaction_rate": "95.39"}
