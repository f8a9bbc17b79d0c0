"""What the API returns it accepts back (issue 14, item 3): a self-evaluation read with GET
and PUT back unchanged is saved unchanged; actual values can be set through the API;
server-kept parts may come back as null; every refusal is Chinese with a stable code."""
from __future__ import annotations

import pytest

from tests.api.helpers import auth, issue_token
from tests.selfeval.test_selfeval_flow import approved_goal_project

URL = "/api/v1/projects/{}/submissions/self_evaluation"


@pytest.fixture
def started(app, client, people):
    project = approved_goal_project(people, "futian", "福田区总工会", "futian_2022.json", 0)
    secret = issue_token(app, "futian_filer")
    created = client.post(URL.format(project.id), headers=auth(secret))
    assert created.status_code == 201, created.get_json()
    return project.id, secret


def test_get_then_put_unchanged_is_accepted_and_changes_nothing(client, started):
    project_id, secret = started
    read = client.get(URL.format(project_id), headers=auth(secret)).get_json()
    assert "scoring" in read["data"] and "goal_revision_id" in read["data"]
    put = client.put(URL.format(project_id), headers=auth(secret),
                     json={"data": read["data"], "lock_version": read["lock_version"]})
    assert put.status_code == 200, put.get_json()
    again = client.get(URL.format(project_id), headers=auth(secret)).get_json()
    assert again["data"] == read["data"]


def test_actual_values_are_set_through_the_api(client, started):
    project_id, secret = started
    read = client.get(URL.format(project_id), headers=auth(secret)).get_json()
    goal = client.get(URL.format(project_id).replace("self_evaluation", "goal"), headers=auth(secret)).get_json()
    row = next(r["id"] for r in goal["data"]["indicators"] if "人数" in r["name"])  # 慰问退休职工人数 < 2208 人
    data = {**read["data"], "actuals": {row: "2185人"}}
    put = client.put(URL.format(project_id), headers=auth(secret), json={"data": data,
                                                                         "lock_version": read["lock_version"]})
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["data"]["actuals"][row] == "2185人"
    again = client.get(URL.format(project_id), headers=auth(secret)).get_json()
    put_back = client.put(URL.format(project_id), headers=auth(secret),
                          json={"data": again["data"], "lock_version": again["lock_version"]})
    assert put_back.status_code == 200 and put_back.get_json()["data"]["actuals"] == {row: "2185人"}


def test_server_kept_parts_may_be_null_and_bad_values_are_refused_in_chinese(client, started):
    project_id, secret = started
    read = client.get(URL.format(project_id), headers=auth(secret)).get_json()
    nulls = {**read["data"], "computed": None, "scoring": None, "goal_revision_id": None}
    put = client.put(URL.format(project_id), headers=auth(secret), json={"data": nulls,
                                                                         "lock_version": read["lock_version"]})
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["data"]["scoring"] == read["data"]["scoring"]  # kept by the server
    bad = client.put(URL.format(project_id), headers=auth(secret),
                     json={"data": {**read["data"], "actuals": ["not", "an", "object"]},
                           "lock_version": put.get_json()["lock_version"]})
    assert bad.status_code == 422
    error = bad.get_json()["errors"][0]
    assert error["path"] == "data.actuals" and error["code"] == "not_object"
    assert not any(ch.isascii() and ch.isalpha() for ch in error["message"].replace("JSON", ""))
