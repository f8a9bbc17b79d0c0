"""An unexpected exception is never Werkzeug's bare 500 (core/errors.py).

The page is the branded error page with a reference, the API answers its JSON with
the same kind of reference, the log holds that reference at ERROR with the
traceback, the transaction is rolled back, and nothing of the exception (its text,
a traceback) reaches the user. The app under test lets exceptions reach the error
handlers (``PROPAGATE_EXCEPTIONS`` False) as in production; under ``TESTING``
alone they are raised to the test client instead.
"""
from __future__ import annotations

import logging
import re

import pytest
from flask import abort
from sqlalchemy import select, text

from core.app import create_app
from core.extensions import db
from core.models import ApiToken, Organization
from tests.conftest import _config, login

SECRET = "内部细节 connection string postgres://secret"
REFERENCE = re.compile(r"参考编号 ([0-9a-f]{8})")


def _boom():
    raise RuntimeError(SECRET)


def _write_then_fail():
    """Adds an organization, then a statement fails: nothing of it may stay."""
    org = db.session.scalar(select(Organization))
    db.session.add(Organization(jurisdiction_id=org.jurisdiction_id, name="半途而废的部门"))
    db.session.flush()
    db.session.execute(text("SELECT * FROM no_such_table"))
    return "unreachable"


@pytest.fixture
def production_app(app, database_url):
    """An app on the test database that, as deployed, hands exceptions to the error
    handlers (``app`` provides the schema, the packs and the cleanup)."""
    production = create_app({**_config(database_url), "PROPAGATE_EXCEPTIONS": False})
    production.add_url_rule("/_test/boom", "test_boom", _boom)
    production.add_url_rule("/_test/write-then-fail", "test_write_then_fail", _write_then_fail)
    production.add_url_rule("/_test/abort-500", "test_abort_500", lambda: abort(500))
    # An endpoint in the API blueprint's name: its error handlers and its token check apply.
    production.add_url_rule("/api/v1/_test/boom", "api.test_boom", _boom)
    yield production
    with production.app_context():
        db.session.remove()
        db.engine.dispose()


def _logged(caplog, reference: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if reference in r.getMessage()]


def test_a_page_shows_the_reference_and_the_log_holds_the_traceback(production_app, people, caplog):
    people.user("filer_a", "filer", organization=people.organization("boye", "博野县总工会本级"))
    client = production_app.test_client()
    login(client, "filer_a")
    with caplog.at_level(logging.ERROR):
        response = client.get("/_test/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    reference = REFERENCE.search(html).group(1)
    assert "系统出错，请稍后重试。如问题持续，请把参考编号 " + reference + " 告知管理员。" in html
    assert "<h1>500</h1>" in html and "filer_a" in html  # the branded layout, signed in
    assert SECRET not in html and "Traceback" not in html and "RuntimeError" not in html
    assert "Internal Server Error" not in html
    [record] = _logged(caplog, reference)
    assert record.levelno == logging.ERROR
    assert record.exc_info[0] is RuntimeError and SECRET in str(record.exc_info[1])
    assert "GET /_test/boom" in record.getMessage()


def test_the_transaction_is_rolled_back_and_the_next_request_works(production_app, people, caplog):
    people.user("filer_a", "filer", organization=people.organization("boye", "博野县总工会本级"))
    client = production_app.test_client()
    login(client, "filer_a")
    with caplog.at_level(logging.ERROR):
        failed = client.get("/_test/write-then-fail")
    assert failed.status_code == 500
    html = failed.get_data(as_text=True)
    reference = REFERENCE.search(html).group(1)
    # The layout loads the signed-in user after the failed statement: on PostgreSQL only
    # a rolled-back session can (an aborted transaction refuses every statement).
    assert "filer_a" in html and "no_such_table" not in html
    assert "no_such_table" in str(_logged(caplog, reference)[0].exc_info[1])
    with production_app.app_context():
        assert db.session.scalar(select(Organization).where(Organization.name == "半途而废的部门")) is None
    assert client.get("/account/tokens").status_code == 200


def test_the_api_answers_json_with_the_reference(production_app, people, caplog):
    user = people.user("filer_a", "filer", organization=people.organization("boye", "博野县总工会本级"))
    token, secret = ApiToken.issue(user, "测试")
    db.session.add(token)
    db.session.commit()
    client = production_app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/_test/boom", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 500 and response.mimetype == "application/json"
    [error] = response.get_json()["errors"]
    reference = error["reference"]
    assert re.fullmatch(r"[0-9a-f]{8}", reference)
    assert error == {"path": "", "code": "internal_error", "reference": reference,
                     "message": f"系统出错，请稍后重试。如问题持续，请把参考编号 {reference} 告知管理员。"}
    assert SECRET not in response.get_data(as_text=True)
    [record] = _logged(caplog, reference)
    assert record.levelno == logging.ERROR and record.exc_info[0] is RuntimeError


def test_abort_500_is_the_branded_page_too(production_app, caplog):
    with caplog.at_level(logging.ERROR):
        response = production_app.test_client().get("/_test/abort-500")
    assert response.status_code == 500
    reference = REFERENCE.search(response.get_data(as_text=True)).group(1)
    assert _logged(caplog, reference)


def test_the_message_is_translated(production_app):
    client = production_app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = client.get("/_test/boom").get_data(as_text=True)
    reference = re.search(r"reference ([0-9a-f]{8})", html).group(1)
    assert "参考编号" not in html and reference in html


def test_http_errors_keep_their_own_pages(production_app):
    client = production_app.test_client()
    assert "页面不存在" in client.get("/no/such/page").get_data(as_text=True)
    refused = client.post("/_test/boom")
    assert refused.status_code == 405 and "此地址不支持 POST 请求。" in refused.get_data(as_text=True)


def test_under_testing_the_exception_reaches_the_test_client(app):
    """Tests see the exception itself (PROPAGATE_EXCEPTIONS is Flask's default under TESTING)."""
    app.add_url_rule("/_test/boom", "test_boom", _boom)
    with pytest.raises(RuntimeError, match="内部细节"):
        app.test_client().get("/_test/boom")
