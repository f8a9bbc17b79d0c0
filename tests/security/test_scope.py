"""Who may see what, checked on every GET route: people of one jurisdiction get no
page (never a 200) about an object of another jurisdiction — 404 (or 403, 401, a
redirect) — except the pages that are public on purpose. Routes added later are
crawled as they are registered (tests/security/crawl.py)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.auth.access import _descendant_ids
from core.extensions import db
from core.models import ApiToken, Jurisdiction
from tests.backup.test_backup_restore import populate
from tests.conftest import login
from tests.security.crawl import targets

# Public on purpose: the disclosure pages (approved goals, SECURITY.md), the survey
# questionnaire at /s/<slug>, static files, login, the API's own documentation.
PUBLIC_BLUEPRINTS = {"disclosure", "survey_public", "auth"}
PUBLIC_ENDPOINTS = {"static", "api.docs", "api.openapi_document"}


@pytest.mark.parametrize("role", ["filer", "reviewer", "leader", "admin"])
def test_outsiders_never_get_another_jurisdictions_objects(app, people, runner, role):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    populate(people)
    outsider_home = people.jurisdiction("chongqing")
    if role == "filer":
        outsider = people.user("outsider", role, organization=people.organization("chongqing", "外部单位"))
    else:
        outsider = people.user("outsider", role, jurisdiction="chongqing")
    allowed = _descendant_ids({outsider_home.id})
    token, secret = ApiToken.issue(outsider, "crawl")
    db.session.add(token)
    db.session.commit()
    urls, _skipped = targets(app)
    foreign = [t for t in urls if t.owners and not t.owners & allowed
               and t.endpoint.split(".")[0] not in PUBLIC_BLUEPRINTS and t.endpoint not in PUBLIC_ENDPOINTS]
    assert len(foreign) > 40  # the crawl names enough objects of other jurisdictions to mean something
    names = dict(db.session.execute(sa.select(Jurisdiction.id, Jurisdiction.code)).all())
    db.session.rollback()

    client = app.test_client()
    leaks = []
    with app.app_context():
        login(client, "outsider")
        for target in foreign:
            response = client.get(target.url, headers={"Authorization": f"Bearer {secret}"})
            if response.status_code == 200:
                leaks.append(f"{target.url} ({', '.join(names[o] for o in target.owners)})")
            assert response.status_code < 500, target.url
    assert leaks == []
