"""Packs as one JSON file: export and import through the browser and the command line,
validated completely before anything is written — and hostile files refused."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from core.admin.service import check_import, export_doc
from core.extensions import db
from core.models import AuditEvent, FormDefinition, Jurisdiction, Membership, Organization, User
from tests.admin.helpers import text
from tests.conftest import csrf_token, login

BUILTINS = ("boye", "changzhi", "chongqing", "futian", "shijiazhuang")


def counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Jurisdiction, FormDefinition, AuditEvent, Organization, User, Membership)}


@pytest.fixture
def admin(app, client, people):
    people.user("root_admin", "admin", jurisdiction="shijiazhuang")
    people.user("futian_admin", "admin", jurisdiction="futian")
    login(client, "root_admin")
    return client


def pack_of(app, source: str, **changes) -> dict:
    with app.app_context():
        doc = export_doc(db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == source)))
    doc.update(changes)
    return doc


def upload(client, data: bytes, name: str = "pack.json", action: str = "import"):
    return client.post("/admin/import", data={"csrf_token": csrf_token(client, "/admin/import"), "action": action,
                                              "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("code", BUILTINS)
def test_every_builtin_pack_exports_to_a_valid_pack(app, code):
    with app.app_context():
        doc = export_doc(db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code)))
        pack, problems = check_import(json.loads(json.dumps(doc, ensure_ascii=False)))
        assert problems == [] and pack.code == code
        assert set(doc["forms"]) == set(pack.forms)


def test_export_download_and_import_as_a_new_jurisdiction(app, admin):
    response = admin.get("/admin/jurisdictions/futian/export")
    assert response.status_code == 404            # root_admin administers Shijiazhuang, not Futian
    login(admin, "futian_admin")
    response = admin.get("/admin/jurisdictions/futian/export")
    assert response.status_code == 200 and 'filename="futian-pack.json"' in response.headers["Content-Disposition"]
    doc = json.loads(response.get_data(as_text=True))
    assert doc["code"] == "futian" and {"goal", "self_evaluation"} <= set(doc["forms"])
    # "Another installation": the same pack under a new code.
    doc.update(code="futian_demo", name={"zh": "福田区总工会（演示）"})
    login(admin, "root_admin")
    response = upload(admin, json.dumps(doc, ensure_ascii=False).encode("utf-8"), action="check")
    assert response.status_code == 200 and "检查通过" in text(response)
    with app.app_context():
        assert db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "futian_demo")) is None
    response = upload(admin, json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/jurisdictions/futian_demo")
    with app.app_context():
        j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "futian_demo"))
        assert not j.builtin and j.settings["money_unit"] == doc["money_unit"]
        rows = db.session.scalars(select(FormDefinition).where(FormDefinition.jurisdiction_id == j.id)).all()
        assert {r.kind: (r.version, r.is_published) for r in rows} == {k: (1, True) for k in doc["forms"]}
        assert {r.kind: r.body for r in rows} == doc["forms"]
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.jurisdiction_id == j.id,
                                                                 AuditEvent.action == "pack.import")) == "pack.import"
    # The importer administers what it created.
    assert admin.get("/admin/jurisdictions/futian_demo").status_code == 200


def test_importing_over_an_existing_jurisdiction_publishes_new_versions_and_keeps_builtin(app, admin, runner, tmp_path):
    doc = pack_of(app, "shijiazhuang")
    doc["forms"]["goal"]["title"]["zh"] = "项目绩效目标申报表（导入）"
    path = tmp_path / "sjz.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["packs", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "shijiazhuang: updated" in result.output and "shijiazhuang: goal v2 published" in result.output
    with app.app_context():
        j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "shijiazhuang"))
        assert j.builtin
        rows = db.session.scalars(select(FormDefinition).where(FormDefinition.jurisdiction_id == j.id,
                                                               FormDefinition.kind == "goal")
                                  .order_by(FormDefinition.version)).all()
        assert [r.body["title"]["zh"] for r in rows][-1] == "项目绩效目标申报表（导入）"
    # The same file again changes nothing.
    result = runner.invoke(args=["packs", "import", str(path)])
    assert result.exit_code == 0 and "published" not in result.output


def test_cli_export_to_a_file_and_back(app, runner, tmp_path):
    path = tmp_path / "boye.json"
    result = runner.invoke(args=["packs", "export", "boye", "-o", str(path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["code"] == "boye" and doc["forms"]["self_evaluation"]["id"] == "default.self_evaluation"
    doc.update(code="boye_copy", name={"zh": "博野（副本）"})
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(args=["packs", "import", "--check", str(path)]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye_copy")) is None
    result = runner.invoke(args=["packs", "import", str(path)])
    assert result.exit_code == 0 and "boye_copy: created" in result.output
    assert "boye_copy: goal v1 published" in result.output
    result = runner.invoke(args=["packs", "export", "nowhere"])
    assert result.exit_code == 1 and "no jurisdiction" in result.output
    stdout = runner.invoke(args=["packs", "export", "boye_copy"])
    assert json.loads(stdout.stdout)["code"] == "boye_copy"


# ---------------------------------------------------------------- hostile packs ----

def _bad_types(doc):
    doc["money_unit"] = 5
    doc["grade_bands"][0]["min"] = "90"
    doc["forms"]["goal"]["sections"][0]["fields"][0]["required"] = "yes"


def _weights(doc):
    doc["forms"]["self_evaluation"]["scoring"]["nodes"][0]["weight"] = 45


def _escape_computed(doc):
    doc["forms"]["self_evaluation"]["computed"] = [
        {"id": "pwn", "label": {"zh": "x"}, "expression": "().__class__.__bases__[0].__subclasses__()"}]


def _escape_rule(doc):
    leaf = doc["forms"]["self_evaluation"]["scoring"]["nodes"][0]["children"][0]["children"][0]
    leaf["rule"] = {"type": "expression", "expression": "__import__('os').system('id')"}


def _escape_check(doc):
    doc["forms"]["goal"]["checks"] = [{"id": "c", "expression": "open('/etc/passwd').read()", "fields": ["x"],
                                       "message": {"zh": "x"}}]


def _unknown_parent(doc):
    doc["parent"] = "atlantis"


def _one_bad_form_among_good(doc):
    doc["forms"]["self_evaluation"]["scoring"]["grades"] = [{"min": 50, "label": {"zh": "优"}}]


HOSTILE = {
    "wrong types": (_bad_types, ["pack.json: money_unit", "pack.json: grade_bands[0].min",
                                 "goal.json: sections[0].fields[0].required"]),
    "weights that do not add up": (_weights, ["self_evaluation.json: scoring.nodes[0].weight: 「决策」的分值 45 与其下级分值之和 20 不一致",
                                              "self_evaluation.json: scoring.max: 一级指标分值之和 125 与满分 100 不一致"]),
    "expression escaping through a computed field": (_escape_computed, [
        "self_evaluation.json: computed[0].expression: 表达式错误（第 26 个字符）：不允许访问属性「.__subclasses__」"]),
    "expression escaping through a scoring rule": (_escape_rule, [
        "self_evaluation.json: scoring.nodes[0].children[0].children[0].rule.expression: 「立项依据充分性」的表达式",
        "不允许访问属性「.system」"]),
    "expression escaping through a check": (_escape_check, ["goal.json: checks[0].expression: 表达式错误",
                                                            "不允许访问属性「.read」"]),
    "a parent that does not exist": (_unknown_parent, ["pack.json: parent"]),
    "one bad form among good ones": (_one_bad_form_among_good, ["self_evaluation.json: scoring.grades"]),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_pack_is_refused_and_writes_nothing(app, admin, case):
    change, paths = HOSTILE[case]
    doc = pack_of(app, "futian", code="futian_evil", name={"zh": "恶意包"})
    change(doc)
    with app.app_context():
        before = counts()
    response = upload(admin, json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    page = text(response)
    assert response.status_code == 422
    assert "未导入任何内容" in page
    for expected in paths:   # the problem list reads "<path>: <message>"
        assert expected in page.replace("</code>: ", ": ").replace("<code>", ""), (expected, page[page.find("problems"):][:3000])
    with app.app_context():
        assert counts() == before


@pytest.mark.parametrize("payload, message", [
    (b"", "文件是空的"),
    (b"\xff\xfe\x00{", "不是 UTF-8"),
    (b'{"code": "x",,}', "JSON 语法错误"),
    (b"[" * 100_000 + b"]" * 100_000, "无法读取 JSON"),
    (b'{"code": ' + b"9" * 5000 + b"}", "无法读取 JSON"),
    (b'{"a": ' + b"[" * 80 + b"1" + b"]" * 80 + b"}", "嵌套超过"),
    (b'["not", "a", "pack"]', "必须是对象"),
    (b'{"code": "x"}', "缺少必填项"),
])
def test_unreadable_files_are_refused_with_a_message(app, admin, payload, message):
    with app.app_context():
        before = counts()
    response = upload(admin, payload)
    assert response.status_code == 422
    assert message in text(response)
    with app.app_context():
        assert counts() == before


def test_a_50_mb_upload_gets_a_clear_page(app, admin):
    with app.app_context():
        before = counts()
    big = b'{"code": "big", "padding": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    response = upload(admin, big)
    assert response.status_code == 413
    page = text(response)
    assert "文件过大" in page and "10 MB" in page and "未导入任何内容" in page
    with app.app_context():
        assert counts() == before


def test_the_cli_refuses_files_over_10_mb_and_hostile_packs(app, runner, tmp_path):
    with app.app_context():
        before = counts()
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.write(b'{"padding": "')
        handle.write(b"x" * (10 * 1024 * 1024 + 1))
        handle.write(b'"}')
    result = runner.invoke(args=["packs", "import", str(big)])
    assert result.exit_code == 1 and "file too large" in result.output and "nothing imported" in result.output
    doc = pack_of(app, "futian", code="futian_evil")
    _escape_rule(doc)
    _weights(doc)
    bad = tmp_path / "evil.json"
    bad.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["packs", "import", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: self_evaluation.json: scoring.max:" in result.output
    assert "nothing imported" in result.output
    with app.app_context():
        assert counts() == before


def test_importing_someone_elses_jurisdiction_is_refused(app, admin):
    login(admin, "futian_admin")
    doc = pack_of(app, "shijiazhuang")
    doc["forms"]["goal"]["title"]["zh"] = "篡改"
    with app.app_context():
        before = counts()
    response = upload(admin, json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    assert response.status_code == 422 and "您不是它的管理员" in text(response)
    with app.app_context():
        assert counts() == before
