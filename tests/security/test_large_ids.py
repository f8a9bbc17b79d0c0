"""Numbers the database cannot hold never reach it (core/params.py).

PostgreSQL's ``integer`` ends at 2^31 − 1 and SQLite's at 2^63 − 1; a larger id in a
query is a server error. Every ``<int:…>`` of the URL map, on pages and on the API,
is tried here with 2^31, 2^63 and a 20-digit number, for an admin and for an
anonymous visitor, GET and POST: each is a 404 (the API's JSON ``not_found``) and no
SQL statement carries the number. Query and form parameters holding a year, a page
or an id are a 400 that names the parameter.
"""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from flask import url_for
from sqlalchemy import event
from werkzeug.exceptions import NotFound

from core.extensions import db
from core.params import MAX_ID, BadParameter, IdConverter, int_arg, is_id
from tests.conftest import People, csrf_token, login
from tests.security.world import build

BIG = (2**31, 2**63, 10**20 - 1)
assert [str(n) for n in BIG] == ["2147483648", "9223372036854775808", "99999999999999999999"]
ROLES = ("anonymous", "admin")


def _int_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        ints = [name for name, converter in rule._converters.items() if isinstance(converter, IdConverter)]
        if ints:
            yield rule, ints


@contextmanager
def statements_with(app, values):
    """Collects every SQL statement whose parameters hold one of ``values``."""
    found = []
    texts = {str(v) for v in values}

    def listen(conn, cursor, statement, parameters, context, executemany):
        flat = parameters if isinstance(parameters, (list, tuple)) else list((parameters or {}).values())
        for value in flat:
            if (isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ID) or str(value) in texts:
                found.append((statement, value))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", listen)


@pytest.fixture
def world(app):
    with app.app_context():
        return build(People(app))


def _client(app, world, role):
    client = app.test_client()
    token = csrf_token(client)
    if role != "anonymous":
        login(client, role)
        token = csrf_token(client, "/account/tokens")
    return client, token


def _send(client, token, world, role, method, url):
    if url.startswith("/api/"):
        headers = {"Authorization": f"Bearer {world.bearer[role]}"} if role != "anonymous" else {}
        return client.open(url, method=method, headers=headers, **({} if method == "GET" else {"json": {}}))
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": token})


def test_the_int_converter_matches_only_ids_the_database_holds(app):
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/projects/1") == ("projects.detail", {"project_id": 1})
    assert adapter.match(f"/projects/{MAX_ID}") == ("projects.detail", {"project_id": MAX_ID})
    for refused in ("0", "007", str(MAX_ID + 1), *map(str, BIG), "9" * 5000):
        with pytest.raises(NotFound):
            adapter.match(f"/projects/{refused}")
    assert [is_id(t) for t in ("1", str(MAX_ID), "0", str(MAX_ID + 1), "²", "1e3", "", "9" * 40)] == \
        [True, True, False, False, False, False, False, False]


@pytest.mark.parametrize("role", ROLES)
def test_every_int_path_argument_out_of_range_is_404(app, world, role):
    client, token = _client(app, world, role)
    rules = list(_int_rules(app))
    assert len(rules) > 40  # every blueprint, API included
    problems, tried = [], 0
    with statements_with(app, BIG) as statements:
        for rule, ints in rules:
            for name in ints:
                for big in BIG:
                    # An argument the world does not name (a new route's) takes 1.
                    values = {a: world.arguments.get(a, 1) for a in rule.arguments}
                    values[name] = big
                    with app.test_request_context():
                        url = url_for(rule.endpoint, **values)
                    assert str(big) in url
                    for method in ("GET", "POST"):
                        tried += 1
                        response = _send(client, token, world, role, method, url)
                        where = f"{method} {url} as {role}"
                        # The path matches no rule, whatever the method (not even a 405).
                        if response.status_code != 404:
                            problems.append(f"{where}: {response.status_code}")
                        elif url.startswith("/api/"):
                            body = response.get_json(silent=True) or {}
                            if [e.get("code") for e in body.get("errors", [])] != ["not_found"]:
                                problems.append(f"{where}: not the API's JSON not_found: {response.data[:200]!r}")
                        elif "页面不存在" not in response.get_data(as_text=True):
                            problems.append(f"{where}: not the branded 404 page")
    assert problems == [], "\n".join(problems)
    assert statements == [], "a number out of range reached the database"
    assert tried >= len(rules) * len(BIG) * 2


# ------------------------------------------------------------- query and form ------

#: (role, method, URL with {big}, the parameter named, form fields) — a year, a page or
#: an id read from the query string or a form.
PARAMETERS = [
    ("admin", "GET", "/?year={big}", "year", None),
    ("admin", "GET", "/?page={big}", "page", None),
    ("admin", "GET", "/?per_page={big}", "per_page", None),
    ("reviewer", "GET", "/review/?year={big}", "year", None),
    ("anonymous", "GET", "/public/boye/?year={big}", "year", None),
    ("reviewer", "GET", "/monitoring/?year={big}", "year", None),
    ("reviewer", "GET", "/dashboard/?year={big}", "year", None),
    ("reviewer", "GET", "/assessments/?year={big}", "year", None),
    ("reviewer", "POST", "/assessments/open", "assessor_id", {"assessor_id": "{big}"}),
    ("reviewer", "POST", "/assessments/open", "jurisdiction_id",
     {"assessor_id": "{assessor_id}", "jurisdiction_id": "{big}", "year": "2024"}),
    ("reviewer", "POST", "/assessments/open", "year",
     {"assessor_id": "{assessor_id}", "jurisdiction_id": "{jurisdiction_id}", "year": "{big}"}),
    ("reviewer", "GET", "/rectification/new?project_id={big}", "project_id", None),
    ("reviewer", "GET", "/rectification/new?project_id={project_id}&report_id={big}", "report_id", None),
    ("reviewer", "GET", "/rectification/new?project_id={project_id}&rows={big}", "rows", None),
    ("reviewer", "POST", "/monitoring/projects/{project_id}/suspend", "report_id", {"report_id": "{big}"}),
    ("admin", "GET", "/admin/jurisdictions/boye/forms/goal/diff?b={big}", "b", None),
    ("admin", "GET", "/admin/jurisdictions/boye/forms/goal/diff?a={big}", "a", None),
    ("admin", "GET", "/admin/jurisdictions/boye/forms/goal/preview?version={big}", "version", None),
    ("admin", "GET", "/projects/{project_id}/forms/goal.pdf?revision={big}", "revision", None),
]


@pytest.mark.parametrize("role,method,url,parameter,form", PARAMETERS,
                         ids=[f"{c[1]} {c[2].split('?')[0]} {c[3]}" for c in PARAMETERS])
def test_query_and_form_parameters_out_of_range_are_400_naming_them(app, world, role, method, url, parameter, form):
    client, token = _client(app, world, role)
    with statements_with(app, BIG) as statements:
        for big in BIG:
            values = {**world.arguments, "big": big}
            target = url.format(**values)
            if method == "GET":
                response = client.get(target)
            else:
                response = client.post(target, data={"csrf_token": token,
                                                     **{k: v.format(**values) for k, v in form.items()}})
            assert response.status_code == 400, (target, big, response.status_code)
            text = re.sub(r"\s+", " ", response.get_data(as_text=True))
            message = re.search(r"<h1>400</h1>\s*<p>([^<]*)</p>", text)
            assert message and "参数" in message.group(1) and parameter in message.group(1), (target, text[:2000])
    assert statements == []


@pytest.mark.parametrize("parameter,high", [("year", 2100), ("organization_id", MAX_ID), ("page", 10**6),
                                            ("per_page", 200)])
def test_api_query_parameters_out_of_range_are_json_400(app, world, parameter, high):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world.bearer['admin']}"}
    for big in BIG:
        response = client.get(f"/api/v1/projects?{parameter}={big}", headers=headers)
        assert response.status_code == 400
        [error] = response.get_json()["errors"]
        assert (error["path"], error["code"]) == (parameter, "range")
        assert error["message"] == f"参数 {parameter} 须在 {1 if parameter != 'year' else 2000} 到 {high} 之间，收到 {big}。"
    response = client.get(f"/api/v1/projects?{parameter}=12a", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"path": parameter, "code": "not_integer", "message": f"参数 {parameter} 须为整数，收到「12a」。"}]
    assert client.get(f"/api/v1/projects?{parameter}=", headers=headers).status_code == 200


def test_every_page_ignores_or_refuses_huge_query_parameters(app, world):
    """Every GET route with every integer parameter of the app set to each huge number:
    a 400 or the page itself, never a server error."""
    client, _token = _client(app, world, "admin")
    names = ("year", "page", "per_page", "organization", "organization_id", "project_id", "report_id",
             "revision", "version", "a", "b", "rows", "assessor_id", "jurisdiction_id")
    problems = []
    with app.test_request_context():
        urls = []
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" in rule.methods and rule.endpoint != "static":
                urls.append(url_for(rule.endpoint, **{a: world.arguments.get(a, 1) for a in rule.arguments}))
    for url in urls:
        for big in BIG:
            query = "&".join(f"{n}={big}" for n in names)
            headers = {"Authorization": f"Bearer {world.bearer['admin']}"} if url.startswith("/api/") else {}
            response = client.get(f"{url}?{query}", headers=headers, buffered=True)
            if response.status_code >= 500:
                problems.append(f"GET {url}?…={big}: {response.status_code}")
    assert problems == [], "\n".join(problems)


def test_int_arg_reads_the_query_string_or_a_form(app):
    with app.test_request_context("/?year=2023&id=%2B7&empty=&blank=%20&word=12a&long=" + "9" * 5000):
        assert int_arg("year", None, 2000, 2100) == 2023
        assert int_arg("id") == 7
        assert int_arg("empty", 5) == 5 and int_arg("blank", 5) == 5 and int_arg("missing") is None
        assert int_arg("n", args={"n": "12"}) == 12
        with pytest.raises(BadParameter) as refused:
            int_arg("word")
        assert (refused.value.code, refused.value.error_code) == (400, "not_integer")
        with pytest.raises(BadParameter) as refused:
            int_arg("long")
        assert refused.value.error_code == "range" and len(refused.value.message) < 80
