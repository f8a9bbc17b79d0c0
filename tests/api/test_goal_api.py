"""The goal form through the REST API: create, fill, submit, review — and every refusal
the UI makes, as JSON."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEvent, Submission
from tests.api.helpers import PROJECT_3_NAME, auth, goal_data


def create_project(client, secret: str, org_id: int, name: str = PROJECT_3_NAME, **extra) -> dict:
    body = {"organization_id": org_id, "name": name, "code": "13063723P00428710060R", "year": 2023,
            "budget": "8.83", **extra}
    response = client.post("/api/v1/projects", json=body, headers=auth(secret))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def start_goal(client, secret: str, project_id: int) -> dict:
    response = client.post(f"/api/v1/projects/{project_id}/submissions/goal", headers=auth(secret))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def put_goal(client, secret: str, project_id: int, data: dict, lock_version: int):
    return client.put(f"/api/v1/projects/{project_id}/submissions/goal",
                      json={"data": data, "lock_version": lock_version}, headers=auth(secret))


def transition(client, secret: str, project_id: int, name: str, **body):
    return client.post(f"/api/v1/projects/{project_id}/submissions/goal/transitions",
                       json={"transition": name, **body}, headers=auth(secret))


@pytest.fixture
def filled(client, boye, tokens):
    """A Boye project whose goal form holds project 3's data, saved through the API."""
    project = create_project(client, tokens["filer_a"], boye["org_a"])
    started = start_goal(client, tokens["filer_a"], project["id"])
    response = put_goal(client, tokens["filer_a"], project["id"], goal_data(), started["lock_version"])
    assert response.status_code == 200, response.get_json()
    return {"project": project, "submission": response.get_json()}


def test_goal_form_round_trip_submit_and_approve(app, client, boye, tokens):
    filer, reviewer = tokens["filer_a"], tokens["reviewer"]
    project = create_project(client, filer, boye["org_a"])
    assert project["budget"] == "8.83" and project["jurisdiction"] == "boye"
    started = start_goal(client, filer, project["id"])
    assert started["state"] == "draft"
    # Fields that declare a prefill come filled from the project.
    assert started["data"]["fields"]["project_name"] == PROJECT_3_NAME
    assert started["data"]["fields"]["budget_total"] == "8.83"

    saved = put_goal(client, filer, project["id"], goal_data(), started["lock_version"])
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["problems"] == []
    assert saved.get_json()["lock_version"] == started["lock_version"] + 1

    # GET returns exactly what was PUT.
    got = client.get(f"/api/v1/projects/{project['id']}/submissions/goal", headers=auth(filer)).get_json()
    for key, value in goal_data().items():
        assert got["data"][key] == value
    assert got["state"] == "draft" and got["lock_version"] == saved.get_json()["lock_version"]

    submitted = transition(client, filer, project["id"], "submit", lock_version=got["lock_version"])
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["state"] == "submitted"

    # The reviewer finds it among the submitted projects and approves with a fresh lock.
    queue = client.get("/api/v1/projects?state=submitted&year=2023", headers=auth(reviewer)).get_json()
    assert [p["id"] for p in queue["items"]] == [project["id"]]
    lock = submitted.get_json()["lock_version"]
    approved = transition(client, reviewer, project["id"], "approve", comment="同意", lock_version=lock)
    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert body["state"] == "approved"
    assert body["last_review"]["decision"] == "approve" and body["last_review"]["comment"] == "同意"

    with app.app_context():
        sub = db.session.get(Submission, body["id"])
        assert sub.approved_revision.data["indicators"][3]["target"] == "≤200 元/人"
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "submission", AuditEvent.object_id == sub.id)
            .order_by(AuditEvent.id)).all()
        approver = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submission.approve"))
        assert approver.actor.username == "reviewer"
    assert actions == ["submission.create", "submission.save", "submission.submit", "submission.approve"]


def test_reviewer_returns_with_comments_and_filer_sees_them(client, filled, tokens):
    project_id = filled["project"]["id"]
    transition(client, tokens["filer_a"], project_id, "submit")
    # Returning needs a reason, as in the UI.
    refused = transition(client, tokens["reviewer"], project_id, "return", comment=" ")
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [
        {"path": "comment", "message": "「退回修改」须填写说明", "code": "required"}]
    returned = transition(client, tokens["reviewer"], project_id, "return", comment="成本指标请细化",
                          field_comments={"indicators.r4": "请写成「≤200 元/人」", "fields.purpose": ""})
    assert returned.status_code == 200
    seen = client.get(f"/api/v1/projects/{project_id}/submissions/goal", headers=auth(tokens["filer_a"]))
    review = seen.get_json()["last_review"]
    assert seen.get_json()["state"] == "returned"
    assert review["comment"] == "成本指标请细化"
    assert review["field_comments"] == {"indicators.r4": "请写成「≤200 元/人」"}


def test_stale_put_is_refused_with_409_and_nothing_is_overwritten(app, client, filled, tokens):
    project_id, lock = filled["project"]["id"], filled["submission"]["lock_version"]
    first = goal_data()
    first["fields"]["purpose"] = "第一个客户端"
    assert put_goal(client, tokens["filer_a"], project_id, first, lock).status_code == 200
    second = goal_data()
    second["fields"]["purpose"] = "第二个客户端"
    stale = put_goal(client, tokens["filer_a"], project_id, second, lock)
    assert stale.status_code == 409
    error = stale.get_json()["errors"][0]
    assert (error["path"], error["code"]) == ("lock_version", "stale")
    assert "已被修改" in error["message"]
    with app.app_context():
        assert db.session.get(Submission, filled["submission"]["id"]).data["fields"]["purpose"] == "第一个客户端"
    # A stale transition is refused the same way.
    late = transition(client, tokens["filer_a"], project_id, "submit", lock_version=lock)
    assert late.status_code == 409 and late.get_json()["errors"][0]["code"] == "stale"


def test_invalid_data_is_saved_as_a_draft_but_cannot_be_submitted(client, filled, tokens):
    project_id, lock = filled["project"]["id"], filled["submission"]["lock_version"]
    data = goal_data()
    data["fields"]["source_fiscal"] = "abc"
    data["milestones"]["m12"] = "90"
    data["indicators"][0]["target"] = ""
    saved = put_goal(client, tokens["filer_a"], project_id, data, lock)
    # A draft keeps what was typed, and says what is still wrong.
    assert saved.status_code == 200
    assert saved.get_json()["data"]["fields"]["source_fiscal"] == "abc"
    draft_paths = {p["path"] for p in saved.get_json()["problems"]}
    assert {"fields.source_fiscal", "indicators[0].target"} <= draft_paths

    refused = transition(client, tokens["filer_a"], project_id, "submit")
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    paths = {e["path"] for e in errors}
    assert {"fields.source_fiscal", "indicators[0].target"} <= paths
    assert any(p.startswith("milestones") for p in paths)
    source = next(e for e in errors if e["path"] == "fields.source_fiscal")
    assert "abc" in source["message"] and source["code"]
    state = client.get(f"/api/v1/projects/{project_id}/submissions/goal", headers=auth(tokens["filer_a"]))
    assert state.get_json()["state"] == "draft"


def test_malformed_body_is_422_with_paths(client, filled, tokens):
    project_id = filled["project"]["id"]
    response = client.put(f"/api/v1/projects/{project_id}/submissions/goal", headers=auth(tokens["filer_a"]),
                          json={"data": {"fields": [], "indicators": [{"name": 5}, "x"], "extra": 1},
                                "lock_version": "3", "lock_versoin": 3})
    assert response.status_code == 422
    errors = {(e["path"], e["code"]) for e in response.get_json()["errors"]}
    assert errors == {("data.fields", "not_object"), ("data.indicators[0].name", "not_string"),
                      ("data.indicators[1]", "not_object"), ("data.extra", "unknown_key"),
                      ("lock_version", "not_integer"), ("lock_versoin", "unknown_key")}
    missing = client.put(f"/api/v1/projects/{project_id}/submissions/goal", headers=auth(tokens["filer_a"]),
                         json={"data": {}})
    assert {(e["path"], e["code"]) for e in missing.get_json()["errors"]} == {("lock_version", "required")}


def test_json_numbers_are_stored_as_exact_text_and_new_rows_get_ids(client, filled, tokens):
    project_id, lock = filled["project"]["id"], filled["submission"]["lock_version"]
    data = goal_data()
    data["fields"].update({"budget_total": 8.83, "source_fiscal": 8.83})
    data["indicators"].append({"level1": "output", "level2": "quantity", "name": "体检次数",
                               "description": "体检次数", "target": "≥1 次", "basis": "计划"})
    saved = put_goal(client, tokens["filer_a"], project_id, data, lock).get_json()
    assert saved["data"]["fields"]["budget_total"] == "8.83"  # never a float
    assert saved["problems"] == []
    new_row = saved["data"]["indicators"][-1]
    assert new_row["id"].startswith("r") and new_row["name"] == "体检次数"


@pytest.mark.parametrize("who, name, status, code", [
    ("filer_a", "approve", 403, "forbidden"),      # a filer does not review
    ("leader", "approve", 403, "forbidden"),       # a leader only views
    ("reviewer", "submit", 403, "forbidden"),      # a reviewer does not file
    ("reviewer", "adjust", 403, "forbidden"),
])
def test_roles_are_enforced_like_the_ui(client, filled, tokens, who, name, status, code):
    project_id = filled["project"]["id"]
    if name == "approve":
        transition(client, tokens["filer_a"], project_id, "submit")
    response = transition(client, tokens[who], project_id, name, comment="x")
    assert response.status_code == status
    assert response.get_json()["errors"][0]["code"] == code


def test_wrong_state_is_409_and_leader_cannot_save(client, filled, tokens):
    project_id = filled["project"]["id"]
    assert transition(client, tokens["filer_a"], project_id, "submit").status_code == 200
    again = transition(client, tokens["filer_a"], project_id, "submit")
    assert again.status_code == 409 and again.get_json()["errors"][0]["code"] == "wrong_state"
    assert "已提交待审核" in again.get_json()["errors"][0]["message"]
    locked = put_goal(client, tokens["filer_a"], project_id, goal_data(), filled["submission"]["lock_version"] + 1)
    assert locked.status_code == 409 and locked.get_json()["errors"][0]["code"] == "not_editable"
    leader = put_goal(client, tokens["leader"], project_id, goal_data(), 1)
    assert leader.status_code == 403


def test_adjustment_needs_a_reason_and_reopens_the_form(client, filled, tokens):
    project_id = filled["project"]["id"]
    transition(client, tokens["filer_a"], project_id, "submit")
    transition(client, tokens["reviewer"], project_id, "approve")
    refused = transition(client, tokens["filer_a"], project_id, "adjust")
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["path"] == "comment"
    adjusted = transition(client, tokens["filer_a"], project_id, "adjust", comment="预算调减")
    assert adjusted.status_code == 200
    assert (adjusted.get_json()["state"], adjusted.get_json()["adjustment_no"]) == ("adjusting", 1)
