"""Every route × every role, generated from the URL map (tests/security/access_matrix.py
says who may use what; tests/security/world.py builds the objects the URLs name).

Each cell is one real request through the HTTP interface, with a valid CSRF token
and, on the API, the role's own bearer token. A cell passes when:

- the role may use the route: the answer is not a refusal (GET: the page itself;
  POST with an empty form: the form's own answer — a validation message, a
  redirect back — never 403/404/login);
- it may not: 404 or 403 (a signed-in user) or the login page (anonymous), and no
  page of organization A's project reaches anyone outside A's scope;
- never a 5xx.

The refused cells run first, and the database must be unchanged after them: a
refused request does nothing. The matrix with the status of every cell is written
to test-artifacts/access-matrix.md.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import url_for

from core.app import PROJECT_ROOT
from core.extensions import db
from tests.backup.test_backup_restore import snapshot
from tests.conftest import People, csrf_token, login
from tests.security.access_matrix import (A_SCOPE, ACCESS, ARGUMENT_OVERRIDES, ENDS_SESSION, FORM_ARGUMENTS,
                                         PUBLISHES_A, QUERY_ARGUMENTS, allowed)
from tests.security.world import MARKER, ROLES, build

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Run after every other cell: they end the session or revoke the token the API cells use.
LAST = ("account.revoke_token", "auth.logout")
#: Rows a request may touch without changing anything a user did: the session's
#: last-activity stamp and the API token's last use.
VOLATILE_COLUMNS = {"user_account": {"last_seen_at", "last_login_at"}, "api_token": {"last_used_at"}}


def routes(app) -> list[tuple[str, str, object]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in METHODS:
            if method in rule.methods:
                found.append((rule.endpoint, method, rule))
    return sorted(found, key=lambda r: (r[0], r[1]))


def test_every_route_is_classified(app):
    """A new route fails here until access_matrix.ACCESS says who may use it."""
    in_app = {(endpoint, method) for endpoint, method, _rule in routes(app)}
    assert sorted(in_app - ACCESS.keys()) == [], "routes without an access policy"
    assert sorted(ACCESS.keys() - in_app) == [], "policies for routes that no longer exist"


def _outcome(response, endpoint: str, role: str) -> str:
    if response.status_code >= 500:
        return "error"
    location = response.headers.get("Location", "")
    if response.status_code == 401 or (response.status_code in (301, 302, 303) and "/login" in location):
        ended = endpoint in ENDS_SESSION and role != "anonymous" and response.status_code != 401
        return "works" if ended else "login"
    if response.status_code in (403, 404):
        return "refused"
    return "works"


def _expected(role: str, endpoint: str, method: str) -> str:
    if role in allowed(endpoint, method):
        return "works"
    return "login" if role == "anonymous" else "refused"


def _stable(rows: dict) -> dict:
    return {table: [{k: v for k, v in row.items() if k not in VOLATILE_COLUMNS.get(table, ())} for row in items]
            for table, items in rows.items()}


class Cells:
    """Signed-in test clients, one per role, and what each request answered."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self.clients, self.tokens, self.results, self.problems = {}, {}, {}, []
        for role in ROLES:
            client = app.test_client()
            if role != "anonymous":
                login(client, role)
            self.clients[role] = client
            self.tokens[role] = csrf_token(client, "/login" if role == "anonymous" else "/account/tokens")
        with app.test_request_context():
            self.urls = {}
            for endpoint, method, rule in routes(app):
                values = {**self.world.arguments, **ARGUMENT_OVERRIDES.get(endpoint, {})}
                names = (*rule.arguments, *QUERY_ARGUMENTS.get(endpoint, ()))
                self.urls[endpoint, method] = url_for(endpoint, **{a: values[a] for a in names})

    def request(self, role: str, endpoint: str, method: str):
        url = self.urls[endpoint, method]
        client = self.clients[role]
        if url.startswith("/api/"):
            headers = {"Authorization": f"Bearer {self.world.bearer[role]}"} if role != "anonymous" else {}
            body = {} if method == "GET" else {"json": {}}
            response = client.open(url, method=method, headers=headers, **body)
        elif method == "GET":
            response = client.get(url)
        else:
            form = {a: self.world.arguments[a] for a in FORM_ARGUMENTS.get(endpoint, ())}
            response = client.open(url, method=method, data={"csrf_token": self.tokens[role], **form})
        got, expected = _outcome(response, endpoint, role), _expected(role, endpoint, method)
        self.results[endpoint, method, role] = response.status_code
        where = f"{method} {url} as {role}"
        if got != expected:
            self.problems.append(f"{where}: expected {expected}, got {response.status_code} "
                                 f"{response.headers.get('Location', '')}")
        if role not in A_SCOPE and endpoint not in PUBLISHES_A and MARKER in response.get_data(as_text=True):
            self.problems.append(f"{where}: shows organization A's project")
        return response


def test_every_route_for_every_role(app):
    with app.app_context():
        world = build(People(app))
    cells = Cells(app, world)
    keys = [(endpoint, method) for endpoint, method, _rule in routes(app)]

    refused = [(e, m, r) for e, m in keys for r in ROLES if _expected(r, e, m) != "works"]
    with app.app_context():
        before = _stable(snapshot(db.engine))
    for endpoint, method, role in refused:
        cells.request(role, endpoint, method)
    with app.app_context():
        after = _stable(snapshot(db.engine))
    changed = sorted(t for t in before if before[t] != after[t])
    assert changed == [], f"refused requests changed tables {changed}"

    works = [(e, m, r) for e, m in keys for r in ROLES if _expected(r, e, m) == "works"]
    works.sort(key=lambda cell: (cell[1] != "GET", cell[0] in LAST, cell[0]))
    for endpoint, method, role in works:
        cells.request(role, endpoint, method)

    _write_matrix(cells, keys)
    assert cells.problems == [], "\n".join(cells.problems)
    assert len(cells.results) == len(keys) * len(ROLES)


def _write_matrix(cells: Cells, keys) -> None:
    lines = ["# Access matrix", "",
             f"{len(keys)} routes × {len(ROLES)} roles = {len(cells.results)} requests "
             "(tests/security/test_access_matrix.py). Each cell: the HTTP status; "
             "**bold** where the role may use the route.", "",
             "| route | method | policy | " + " | ".join(ROLES) + " |",
             "|---|---|---|" + "---|" * len(ROLES)]
    for endpoint, method in keys:
        cells_text = []
        for role in ROLES:
            status = cells.results.get((endpoint, method, role), "—")
            cells_text.append(f"**{status}**" if role in allowed(endpoint, method) else str(status))
        lines.append(f"| {cells.urls[endpoint, method]} | {method} | {ACCESS[endpoint, method]} | "
                     + " | ".join(cells_text) + " |")
    out = Path(PROJECT_ROOT) / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "access-matrix.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


#: Pages and exports that hand out organization A's data by id.
BY_ID = ("projects.detail", "projects.form_page", "projects.revision", "review.decide", "reports.form_pdf",
         "reports.goal_xlsx", "reports.evaluation_report_pdf", "selfeval.page", "monitoring.report_page",
         "monitoring.suspension_page", "rectification.letter", "survey_owner.results", "survey_owner.export_csv",
         "survey_owner.export_xlsx", "survey_owner.poster", "api.project", "api.get_submission", "api.score",
         "api.survey_result")


@pytest.mark.parametrize("role", ["filer_b", "admin_other"])
def test_outsiders_learn_nothing_from_object_ids(app, role):
    """Ids of organization A's project, submission, survey and exports asked for by
    someone outside A's scope get the same answer as ids that do not exist."""
    with app.app_context():
        world = build(People(app))
    cells = Cells(app, world)
    client, headers = cells.clients[role], {"Authorization": f"Bearer {world.bearer[role]}"}
    with app.test_request_context():
        missing = {endpoint: url_for(endpoint, **{a: 99999999 if a.endswith("_id") else world.arguments[a]
                                                  for a in app.url_map._rules_by_endpoint[endpoint][0].arguments})
                   for endpoint in BY_ID}
    for endpoint in BY_ID:
        real = client.get(cells.urls[endpoint, "GET"], headers=headers)
        absent = client.get(missing[endpoint], headers=headers)
        assert (real.status_code, real.mimetype) == (absent.status_code, absent.mimetype), endpoint
        assert MARKER not in real.get_data(as_text=True)
