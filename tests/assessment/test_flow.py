"""The city union scores its county unions (附件三) through HTTP: open, self scores with
evidence, assessed scores, ranking — and who may do what."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Assessment, AuditEvent, Jurisdiction
from tests.conftest import csrf_token, login

from .test_shijiazhuang_assessment import PERFECT

COUNTIES = (("zhengding", "正定县总工会"), ("luancheng", "栾城区总工会"), ("gaocheng", "藁城区总工会"))


@pytest.fixture
def city(people):
    sjz = people.jurisdiction("shijiazhuang")
    for code, name in COUNTIES:
        db.session.add(Jurisdiction(code=code, name_zh=name, parent=sjz))
    db.session.commit()
    people.user("sjz_reviewer", "reviewer", jurisdiction="shijiazhuang")
    people.user("zd_finance", "reviewer", jurisdiction="zhengding")
    people.user("lc_finance", "reviewer", jurisdiction="luancheng")
    people.user("boye_reviewer", "reviewer", jurisdiction="boye")
    return {code: people.jurisdiction(code).id for code, _ in COUNTIES} | {"sjz": sjz.id}


def form_data(inputs: dict, evidence: dict | None = None) -> dict:
    data = {}
    for leaf, entered in inputs.items():
        for key, value in entered.items():
            if key == "checked":
                data[f"in-{leaf}-checked-present"] = "1"
                data[f"in-{leaf}-checked"] = value
            elif key == "counts":
                data.update({f"in-{leaf}-counts.{k}": v for k, v in value.items()})
            elif key in ("final", "reason"):
                data[f"{key}-{leaf}"] = value
            else:
                data[f"in-{leaf}-{key}"] = value
    data.update({f"ev-{leaf}": text for leaf, text in (evidence or {}).items()})
    return data


def post(client, url, inputs, action, evidence=None, **extra):
    html = client.get(url).get_data(as_text=True)
    lock = re.search(r'name="lock_version" value="(\d+)"', html).group(1)
    return client.post(url, data={"csrf_token": csrf_token(client, url), "lock_version": lock, "action": action,
                                  **form_data(inputs, evidence), **extra})


def logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def open_for(client, city, code, year=2024):
    token = csrf_token(client, "/assessments/?year=2024")
    response = client.post("/assessments/open", data={"csrf_token": token, "assessor_id": city["sjz"],
                                                      "jurisdiction_id": city[code], "year": year})
    assert response.status_code == 302
    return response.headers["Location"]


def test_two_stage_scoring_and_ranking(app, client, city):
    login(client, "sjz_reviewer")
    overview = client.get("/assessments/?year=2024").get_data(as_text=True)
    assert all(name in overview for _, name in COUNTIES) and overview.count("发起考核") == 3
    zd_url = open_for(client, city, "zhengding")
    lc_url = open_for(client, city, "luancheng")
    logout(client)

    # 正定 fills its self scores; an incomplete sheet cannot be submitted.
    login(client, "zd_finance")
    response = post(client, zd_url, {"materials": {"count": "1"}}, "submit")
    assert response.status_code == 422 and "尚未评分" in response.get_data(as_text=True)
    self_zd = dict(PERFECT, spending_progress={"progress": "92"},
                   bonus_items={"counts": {"endorsement": "1", "media": "2"}})
    response = post(client, zd_url, self_zd, "submit", evidence={"rules_issued": "石总工〔2024〕3号等四项制度",
                                                                "spending_progress": "2024年决算报表"})
    assert response.status_code == 302
    # Submitted: no more edits by the county; it cannot see another county's sheet.
    assert 'value="submit"' not in client.get(zd_url).get_data(as_text=True)
    assert client.get(lc_url).status_code == 404
    logout(client)

    login(client, "lc_finance")
    self_lc = dict(PERFECT, materials={"count": "9"}, spending_progress={"progress": "79"})
    assert post(client, lc_url, self_lc, "submit").status_code == 302
    logout(client)

    # The city assesses: it starts from the self scores and changes what it finds differently.
    login(client, "sjz_reviewer")
    page = client.get(zd_url).get_data(as_text=True)
    assert "石总工〔2024〕3号等四项制度" in page and 'value="finalise"' in page
    assessed_zd = dict(self_zd, rules_issued={"count": "2"}, spending_progress={"progress": "87.5"})
    assert post(client, zd_url, assessed_zd, "finalise").status_code == 302
    assert post(client, lc_url, self_lc, "finalise").status_code == 302
    with app.app_context():
        zd = db.session.scalar(select(Assessment).where(Assessment.jurisdiction_id == city["zhengding"]))
        lc = db.session.scalar(select(Assessment).where(Assessment.jurisdiction_id == city["luancheng"]))
        # 正定 self: 99 + 7 (5 + 2 media) − 0.9 (92%) = 105.1; assessed: 99 − 2 + 7 − 2.25 = 101.75.
        assert (zd.state, str(zd.self_total), str(zd.assessed_total)) == ("assessed", "105.1000", "101.7500")
        # 栾城: 材料报送 nine misses → 0 of 6 (not −3); progress 79% → −5: 99 − 6 − 5 = 88.
        assert str(lc.assessed_total) == "88.0000"
        actions = [e.action for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "assessment", AuditEvent.object_id == zd.id).order_by(AuditEvent.id))]
        assert actions == ["assessment.open", "assessment.save_self", "assessment.save_self",
                           "assessment.submit_self", "assessment.save_assessed", "assessment.finalise"]
    ranking = client.get("/assessments/?year=2024").get_data(as_text=True)
    body = ranking[ranking.index("<tbody>"):ranking.index("</tbody>")]
    rows = re.findall(r'<td class="num">(\d+|—)</td>\s*<td>([^<]+)</td>', body)
    assert rows == [("1", "正定县总工会"), ("2", "栾城区总工会"), ("—", "藁城区总工会")]
    assert "101.75" in body and "88.00" in body


def test_who_may_do_what(app, client, city):
    login(client, "zd_finance")  # a county cannot open assessments
    token = csrf_token(client, "/")
    client.post("/assessments/open", data={"csrf_token": token, "assessor_id": city["sjz"],
                                           "jurisdiction_id": city["zhengding"], "year": 2024})
    with app.app_context():
        assert db.session.scalar(select(Assessment)) is None
    logout(client)
    login(client, "boye_reviewer")  # Boye is not a child of Shijiazhuang
    client.post("/assessments/open", data={"csrf_token": csrf_token(client, "/"), "assessor_id": city["sjz"],
                                           "jurisdiction_id": city["zhengding"], "year": 2024})
    with app.app_context():
        assert db.session.scalar(select(Assessment)) is None
    logout(client)
    login(client, "sjz_reviewer")
    url = open_for(client, city, "zhengding")
    # The city cannot write the county's self scores.
    assert 'value="submit"' not in client.get(url).get_data(as_text=True)
    post(client, url, PERFECT, "submit")
    with app.app_context():
        assert db.session.scalar(select(Assessment)).state == "open"
    logout(client)
    login(client, "boye_reviewer")
    assert client.get(url).status_code == 404


def test_the_city_returns_a_self_assessment(app, client, city):
    login(client, "sjz_reviewer")
    url = open_for(client, city, "zhengding")
    logout(client)
    login(client, "zd_finance")
    post(client, url, PERFECT, "submit")
    logout(client)
    login(client, "sjz_reviewer")
    post(client, url, PERFECT, "return", comment="制度建设须附文件")
    logout(client)
    login(client, "zd_finance")
    page = client.get(url).get_data(as_text=True)
    assert "制度建设须附文件" in page and 'value="submit"' in page


def test_a_refused_self_submit_continues_from_the_saved_draft(app, client, city):
    login(client, "sjz_reviewer")
    url = open_for(client, city, "zhengding")
    logout(client)
    login(client, "zd_finance")
    refused = post(client, url, {"materials": {"count": "1"}}, "submit")
    assert refused.status_code == 422
    lock = re.search(r'name="lock_version" value="(\d+)"', refused.get_data(as_text=True)).group(1)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "lock_version": lock,
                                      "action": "submit", **form_data(PERFECT)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Assessment)).state == "self_submitted"
