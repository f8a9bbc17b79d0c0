"""Creating a jurisdiction cloned from a built-in pack, and changing its settings."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import FormDefinition, Jurisdiction
from tests.admin.helpers import form_values, plain, set_values, text
from tests.conftest import csrf_token, login


@pytest.fixture
def admin(app, client, people):
    people.user("sjz_admin", "admin", jurisdiction="shijiazhuang")
    login(client, "sjz_admin")
    return client


def forms_of(code: str) -> dict:
    rows = db.session.scalars(select(FormDefinition).join(Jurisdiction).where(Jurisdiction.code == code)
                              .order_by(FormDefinition.kind, FormDefinition.version))
    return {(r.kind, r.version): r for r in rows}


def test_clone_a_builtin_pack(app, admin):
    page = admin.get("/admin/jurisdictions/new?clone=futian").get_data(as_text=True)
    values = form_values(page, "jurisdiction-form")
    assert values["clone_from"] == "futian"
    response = admin.post("/admin/jurisdictions/new", data=set_values(
        values, code="luohu", name_zh="罗湖区总工会", parent="shijiazhuang", money_unit="元"))
    assert response.status_code == 302, plain(response)[:3000]
    with app.app_context():
        luohu, futian = forms_of("luohu"), forms_of("futian")
        assert {kind for kind, _ in luohu} == {kind for kind, _ in futian}
        for (kind, version), row in luohu.items():
            assert version == 1 and not row.is_published
            assert row.body["id"] == f"luohu.{kind}" and row.body["unit"] == "元"
            source = futian[(kind, 1)].body
            assert row.body["sections"] == source["sections"] and row.body.get("scoring") == source.get("scoring")
        j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "luohu"))
        assert not j.builtin and j.settings["money_unit"] == "元"
    overview = text(admin.get("/admin/jurisdictions/luohu"))
    assert "草稿 v1" in overview
    for kind in ("goal", "self_evaluation", "monitoring"):
        response = admin.post(f"/admin/jurisdictions/luohu/forms/{kind}/publish",
                              data={"csrf_token": csrf_token(admin, "/admin/jurisdictions/luohu")})
        assert response.status_code == 302
    with app.app_context():
        assert all(row.is_published for row in forms_of("luohu").values())


def test_changing_settings_writes_the_forms_drafts(app, admin):
    page = admin.get("/admin/jurisdictions/new").get_data(as_text=True)
    admin.post("/admin/jurisdictions/new", data=set_values(form_values(page, "jurisdiction-form"),
                                                           code="zhengding", name_zh="正定县总工会"))
    for kind in ("goal", "self_evaluation"):
        admin.post(f"/admin/jurisdictions/zhengding/forms/{kind}/publish",
                   data={"csrf_token": csrf_token(admin, "/admin/jurisdictions/zhengding")})
    page = admin.get("/admin/jurisdictions/zhengding/settings").get_data(as_text=True)
    values = set_values(form_values(page, "jurisdiction-form"), money_unit="元", months="4,8,12", complete_by="12",
                        name_en="Zhengding County", band0_min="92", q_missing_basis="error")
    response = admin.post("/admin/jurisdictions/zhengding/settings", data=values, follow_redirects=True)
    assert "设置已保存" in text(response) and "请检查后发布" in text(response)
    with app.app_context():
        rows = forms_of("zhengding")
        goal = rows[("goal", 2)]
        assert not goal.is_published and goal.body["unit"] == "元"
        assert [p["id"] for p in goal.body["milestones"]["points"]] == ["m04", "m08", "m12"]
        assert rows[("self_evaluation", 2)].body["unit"] == "元"
        assert rows[("goal", 1)].body["unit"] == "万元"           # the published version did not move
        j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "zhengding"))
        assert j.name_en == "Zhengding County" and j.settings["grade_bands"][0]["min"] == 92
        assert j.settings["quality_rules"]["missing_basis"] == "error"
    # Bands out of order and a parent that is the jurisdiction itself are refused, nothing saved.
    page = admin.get("/admin/jurisdictions/zhengding/settings").get_data(as_text=True)
    values = set_values(form_values(page, "jurisdiction-form"), band1_min="95")
    response = admin.post("/admin/jurisdictions/zhengding/settings", data=values)
    assert response.status_code == 422 and "grade_bands[1].min" in plain(response)
    with app.app_context():
        assert db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "zhengding")) \
            .settings["grade_bands"][1]["min"] == 80


def test_a_parent_cannot_make_a_cycle(app, admin):
    page = admin.get("/admin/jurisdictions/new").get_data(as_text=True)
    admin.post("/admin/jurisdictions/new", data=set_values(form_values(page, "jurisdiction-form"),
                                                           code="xinji", name_zh="辛集市总工会", parent="shijiazhuang"))
    page = admin.get("/admin/jurisdictions/shijiazhuang/settings").get_data(as_text=True)
    response = admin.post("/admin/jurisdictions/shijiazhuang/settings",
                          data=set_values(form_values(page, "jurisdiction-form"), parent="xinji"))
    assert response.status_code == 422 and "上级辖区不能是本辖区或其下级" in plain(response)
    with app.app_context():
        assert db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "shijiazhuang")).parent is None
