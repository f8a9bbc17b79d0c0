"""Measure what a phone downloads to answer a survey: HTML + CSS + JS, per page.

    python bench/measure_survey_page.py

Creates a temporary SQLite database with one open survey per built-in template,
requests every page of each questionnaire like a phone (GET the first page, POST
"next" for the following ones), fetches every stylesheet, script and image the
pages link to, and prints the bytes on the wire (status line, headers and body,
uncompressed — the app does not compress; a proxy's gzip only makes it smaller,
shown for reference). Goal: under 30 KB per page, no web fonts, no CDN.
"""
from __future__ import annotations

import gzip
import re
import shutil
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL = 30 * 1024


def wire_size(response) -> int:
    head = f"HTTP/1.1 {response.status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in response.headers.items()) + "\r\n"
    return len(head.encode("latin-1", "replace")) + len(response.data)


def first_choices(definition) -> dict:
    """Form data answering every question with its first choice (texts: a short sentence)."""
    data = {}
    for f in definition.fields:
        if f.type == "matrix":
            data.update({f"q-{f.id}-{row.id}": f.choices[0].value for row in f.rows})
        elif f.choices:
            data[f"q-{f.id}"] = f.choices[0].value
        else:
            data[f"q-{f.id}"] = "希望慰问金早一点到账"
    return data


def main() -> int:
    import sqlalchemy as sa
    from core.app import create_app
    from core.extensions import db
    from core.jurisdictions import sync_builtin_packs
    from core.models import Jurisdiction, Membership, Organization, Project, User
    from core.plugins import plugin_manager
    from survey.catalog import templates_in
    from survey.service import create_survey, publish

    workdir = Path(tempfile.mkdtemp(prefix="measure-survey-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'm.sqlite'}", "SECRET_KEY": "measure",
                      "RATELIMIT_ENABLED": False})
    surveys, answers = [], {}
    with app.app_context():
        db.create_all()
        sync_builtin_packs(plugin_manager())
        for jurisdiction in db.session.scalars(sa.select(Jurisdiction).order_by(Jurisdiction.code)):
            org = Organization(jurisdiction=jurisdiction, name=f"{jurisdiction.name_zh}本级")
            user = User(username=f"m_{jurisdiction.code}", display_name="m")
            user.set_password("measure-pass")
            user.memberships.append(Membership(role="filer", organization=org))
            project = Project(organization=org, name="满意度调查测量项目", year=2023, budget=Decimal("1.00"))
            db.session.add_all([org, user, project])
            db.session.flush()
            for template in templates_in(jurisdiction.code):
                survey = create_survey(project, template, user)
                publish(survey, user)
                surveys.append((template.key, survey.slug, len(template.definition.sections)))
                answers[template.key] = first_choices(template.definition)
        db.session.commit()

    worst = 0
    print(f"{'questionnaire':32s} {'page':>4s} {'HTML':>8s} {'CSS+JS':>8s} {'total':>8s} {'gzip':>7s}  assets")
    for key, slug, pages in surveys:
        client = app.test_client()
        page = client.get(f"/s/{slug}")
        for number in range(pages):
            html = page.get_data(as_text=True)
            assets = re.findall(r'<(?:link[^>]+href|script[^>]+src|img[^>]+src)="([^"]+)"', html)
            assert not any(a.startswith(("http:", "https:", "//")) for a in assets), assets
            asset_bytes = asset_gzip = 0
            for asset in assets:
                fetched = client.get(asset)
                asset_bytes += wire_size(fetched)
                asset_gzip += len(gzip.compress(fetched.data))
            total = wire_size(page) + asset_bytes
            zipped = len(gzip.compress(page.data)) + asset_gzip
            worst = max(worst, total)
            print(f"{key:32s} {number + 1:>4d} {wire_size(page):>8,d} {asset_bytes:>8,d} {total:>8,d} {zipped:>7,d}  "
                  f"{', '.join(assets)}")
            if number + 1 < pages:  # answer this page (first choice everywhere) and go on, like a phone
                tokens = dict(re.findall(r'<input type="hidden" name="(csrf_token|t)" value="([^"]*)"', html))
                page = client.post(f"/s/{slug}", data={**tokens, **answers[key], "action": "next",
                                                       "page": str(number)})
                assert page.status_code == 200, (key, number, page.status_code)
        print(f"{'':32s} scripts: {len(re.findall('<script', page.get_data(as_text=True)))}, "
              f"web fonts: {int('@font-face' in client.get('/static/survey.css').get_data(as_text=True))}")
    print(f"largest page: {worst:,} bytes = {worst / 1024:.1f} KB (goal < {GOAL // 1024} KB) → "
          f"{'OK' if worst < GOAL else 'OVER'}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if worst < GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
