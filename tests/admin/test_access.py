"""Who may administer what: admins of a jurisdiction or one above it; everyone else sees 404."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEvent, FormDefinition, Jurisdiction
from tests.admin.helpers import form_values, plain, set_values, text
from tests.conftest import csrf_token, login


@pytest.fixture
def users(app, people):
    org = people.organization("futian", "福田区总工会")
    people.user("futian_filer", "filer", organization=org)
    people.user("futian_reviewer", "reviewer", jurisdiction="futian")
    people.user("futian_admin", "admin", jurisdiction="futian")
    people.user("sjz_admin", "admin", jurisdiction="shijiazhuang")


FUTIAN_PAGES = ["/admin/jurisdictions/futian", "/admin/jurisdictions/futian/settings",
                "/admin/jurisdictions/futian/forms/goal", "/admin/jurisdictions/futian/forms/goal/json",
                "/admin/jurisdictions/futian/forms/self_evaluation/preview",
                "/admin/jurisdictions/futian/forms/goal/versions", "/admin/jurisdictions/futian/forms/goal/diff",
                "/admin/jurisdictions/futian/people", "/admin/jurisdictions/futian/export"]


@pytest.mark.parametrize("username", ["futian_filer", "futian_reviewer", "sjz_admin"])
def test_others_get_404_everywhere(app, client, users, username):
    login(client, username)
    for url in FUTIAN_PAGES:
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, "/")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for url in ("/admin/jurisdictions/futian/forms/goal/publish", "/admin/jurisdictions/futian/forms/goal",
                "/admin/jurisdictions/futian/organizations", "/admin/jurisdictions/futian/users",
                "/admin/jurisdictions/futian/settings"):
        assert client.post(url, data={"csrf_token": token, "name": "x"}).status_code == 404, url
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
    if username != "sjz_admin":
        assert client.get("/admin/").status_code == 404
        assert "辖区管理" not in client.get("/").get_data(as_text=True)


def test_the_admin_of_a_jurisdiction_sees_every_page(app, client, users):
    login(client, "futian_admin")
    assert "辖区管理" in client.get("/").get_data(as_text=True)
    index = text(client.get("/admin/"))
    assert "深圳市福田区总工会" in index and "石家庄" not in index
    for url in FUTIAN_PAGES:
        assert client.get(url).status_code == 200, url


def test_a_city_admin_administers_a_county_created_below_it(app, client, users):
    login(client, "sjz_admin")
    page = client.get("/admin/jurisdictions/new").get_data(as_text=True)
    values = set_values(form_values(page, "jurisdiction-form"), code="xinji", name_zh="辛集市总工会",
                        parent="shijiazhuang")
    assert client.post("/admin/jurisdictions/new", data=values).status_code == 302
    with app.app_context():
        xinji = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "xinji"))
        assert xinji.parent.code == "shijiazhuang"
        # Administered through the parent: no membership of its own was needed.
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "membership.create", AuditEvent.jurisdiction_id == xinji.id)) == 0
    assert client.get("/admin/jurisdictions/xinji/forms/goal").status_code == 200
    # The Futian admin cannot see it, nor create below Shijiazhuang.
    login(client, "futian_admin")
    assert client.get("/admin/jurisdictions/xinji").status_code == 404
    page = client.get("/admin/jurisdictions/new").get_data(as_text=True)
    values = set_values(form_values(page, "jurisdiction-form"), code="gaocheng", name_zh="藁城区总工会",
                        parent="shijiazhuang")
    response = client.post("/admin/jurisdictions/new", data=values)
    assert response.status_code == 422 and "您不是该上级辖区的管理员" in text(response)
    with app.app_context():
        assert db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "gaocheng")) is None


def test_creation_problems_are_named_and_nothing_is_written(app, client, users):
    login(client, "futian_admin")
    with app.app_context():
        before = (db.session.scalar(select(func.count()).select_from(Jurisdiction)),
                  db.session.scalar(select(func.count()).select_from(FormDefinition)))
    page = client.get("/admin/jurisdictions/new").get_data(as_text=True)
    values = set_values(form_values(page, "jurisdiction-form"), code="Bad Code", name_zh="", months="3,6,13",
                        band0_min="90", band1_min="95", band1_zh="良")
    response = client.post("/admin/jurisdictions/new", data=values)
    page = plain(response)
    assert response.status_code == 422
    assert "pack.json: name.zh: 不能为空" in page and "「13」无效" in page and "pack.json: code" in page
    assert "grade_bands[1].min" in page
    values = set_values(values, code="futian", name_zh="重名", months="3", band1_min="80")
    assert "辖区代码「futian」已被使用" in text(client.post("/admin/jurisdictions/new", data=values))
    with app.app_context():
        assert before == (db.session.scalar(select(func.count()).select_from(Jurisdiction)),
                          db.session.scalar(select(func.count()).select_from(FormDefinition)))


def test_users_can_only_be_scoped_inside_the_jurisdiction(app, client, users, people):
    other = people.organization("shijiazhuang", "石家庄市总工会本级")
    login(client, "futian_admin")
    url = "/admin/jurisdictions/futian/people"
    response = client.post("/admin/jurisdictions/futian/users", data={
        "csrf_token": csrf_token(client, url), "username": "intruder", "password": "long-enough-1",
        "role": "filer", "scope": f"o{other.id}"})
    assert response.status_code == 422 and "请选择本辖区内的单位或辖区作为范围" in text(response)
    response = client.post("/admin/jurisdictions/futian/users", data={
        "csrf_token": csrf_token(client, url), "username": "futian_filer", "password": "long-enough-1",
        "role": "reviewer", "scope": "j1"})
    assert "用户名「futian_filer」已被使用" in text(response)
    assert "long-enough-1" not in response.get_data(as_text=True)  # a password is never echoed back


def test_an_admin_cannot_move_a_jurisdiction_out_of_their_own_reach(app, client, users):
    login(client, "sjz_admin")
    page = client.get("/admin/jurisdictions/new").get_data(as_text=True)
    client.post("/admin/jurisdictions/new", data=set_values(form_values(page, "jurisdiction-form"),
                                                            code="xinji", name_zh="辛集市总工会", parent="shijiazhuang"))
    page = client.get("/admin/jurisdictions/xinji/settings").get_data(as_text=True)
    response = client.post("/admin/jurisdictions/xinji/settings",
                           data=set_values(form_values(page, "jurisdiction-form"), parent=""))
    assert response.status_code == 422 and "您将不再是此辖区的管理员" in plain(response)
    # "new" is the address of the creation page, not a code.
    page = client.get("/admin/jurisdictions/new").get_data(as_text=True)
    response = client.post("/admin/jurisdictions/new", data=set_values(form_values(page, "jurisdiction-form"),
                                                                       code="new", name_zh="新"))
    assert response.status_code == 422 and "是保留字" in plain(response)
