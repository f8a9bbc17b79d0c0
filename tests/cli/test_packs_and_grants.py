"""``packs import --check`` without a database, and ``users grant`` for a jurisdiction a
pack created (issue 14, item 11): run as an admin would, with the app's CLI runner."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.app import create_app
from core.extensions import db
from core.models import AuditEvent, Membership, User
from tests.admin.test_docs import example
from tests.conftest import login


@pytest.fixture
def xinhe_file(tmp_path):
    """docs/packs.md's example pack, a new top-level jurisdiction."""
    path = tmp_path / "xinhe-pack.json"
    path.write_text(json.dumps(example(), ensure_ascii=False), encoding="utf-8")
    return path


def _fresh_runner(tmp_path, url: str | None = None):
    """The CLI of a fresh checkout: a database nobody has run init-db on."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{tmp_path / 'fresh.sqlite'}",
                      "TESTING": True, "SECRET_KEY": "test"})
    return app.test_cli_runner()


def test_check_validates_the_file_without_a_database(tmp_path, xinhe_file):
    runner = _fresh_runner(tmp_path)
    result = runner.invoke(args=["packs", "import", "--check", str(xinhe_file)])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert f"{xinhe_file}: valid" in result.stdout
    assert "run `flask --app wsgi init-db` first" in result.stdout  # what was not checked, and why

    bad = json.loads(xinhe_file.read_text(encoding="utf-8"))
    bad["money_unit"] = 10000
    bad["forms"]["self_evaluation"]["scoring"]["nodes"][0]["weight"] = 45
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["packs", "import", "--check", str(path)])
    assert result.exit_code == 1 and result.exception is not None and isinstance(result.exception, SystemExit)
    assert f"{path}: pack.json: money_unit: 必须是字符串" in result.stderr
    assert "self_evaluation.json: scoring.max: 一级指标分值之和 105 与满分 100 不一致" in result.stderr
    assert "no such table" not in result.output


def test_commands_that_need_the_database_say_run_init_db(tmp_path, xinhe_file):
    runner = _fresh_runner(tmp_path)
    for args in (["packs", "import", str(xinhe_file)], ["packs", "export", "boye"],
                 ["users", "grant", "someone", "admin", "--jurisdiction", "xinhe"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert "run `flask --app wsgi init-db` first" in result.output, (args, result.output)
        assert "no such table" not in result.output and "Traceback" not in result.output


def test_check_without_a_reachable_server_still_checks_the_file(tmp_path, xinhe_file):
    runner = _fresh_runner(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    result = runner.invoke(args=["packs", "import", "--check", str(xinhe_file)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout and "cannot be reached" in result.stdout


def test_import_then_grant_the_new_jurisdiction_an_admin(app, client, runner, people, xinhe_file):
    people.user("alice", "reviewer", jurisdiction="boye")
    result = runner.invoke(args=["packs", "import", "--check", str(xinhe_file)])
    assert result.exit_code == 0 and result.stdout.strip() == f"{xinhe_file}: valid"
    result = runner.invoke(args=["packs", "import", str(xinhe_file)])
    assert result.exit_code == 0, result.output
    assert "xinhe: created" in result.stdout
    assert "grant one with `flask --app wsgi users grant USERNAME admin --jurisdiction xinhe`" in result.stdout

    login(client, "alice")
    assert client.get("/admin/jurisdictions/xinhe").status_code == 404  # nobody administers it yet

    result = runner.invoke(args=["users", "grant", "alice", "admin", "--jurisdiction", "xinhe"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "alice: admin in jurisdiction 'xinhe'"
    with app.app_context():
        alice = db.session.scalar(select(User).where(User.username == "alice"))
        assert sorted((m.role, m.jurisdiction.code) for m in alice.memberships) == [("admin", "xinhe"),
                                                                                   ("reviewer", "boye")]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "membership.create"))
        assert (event.object_type, event.object_id, event.actor_id) == ("user", alice.id, None)
        assert event.detail == {"username": "alice", "role": "admin", "scope": "xinhe", "via": "cli"}
        assert event.jurisdiction_id == next(m.jurisdiction_id for m in alice.memberships if m.role == "admin")
    # The grant holds at once: the admin pages of Xinhe open, and its history shows the grant.
    page = client.get("/admin/jurisdictions/xinhe")
    assert page.status_code == 200 and "授予角色" in page.get_data(as_text=True)


def test_a_filer_is_granted_an_organization(app, runner, people):
    org = people.organization("boye", "博野县总工会女职工部")
    org.code = "711009"
    people.user("bob", "leader", jurisdiction="boye")
    result = runner.invoke(args=["users", "grant", "bob", "filer", "--organization", "711009"])
    assert result.exit_code == 0, result.output
    assert "bob: filer in organization '博野县总工会女职工部' (boye)" in result.stdout
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "membership.create"))
        assert (event.organization_id, event.detail["scope"], event.detail["role"]) == (org.id, org.name, "filer")


@pytest.mark.parametrize("args, message", [
    (["nobody", "admin", "--jurisdiction", "boye"], "no user named 'nobody'"),
    (["carol", "boss", "--jurisdiction", "boye"], "unknown role 'boss': one of filer, reviewer, leader, admin"),
    (["carol", "admin", "--jurisdiction", "atlantis"], "no jurisdiction with code 'atlantis'"),
    (["carol", "admin"], "--jurisdiction CODE or --organization ORG"),
    (["carol", "leader", "--organization", "不存在的单位"], "no organization '不存在的单位'"),
    (["carol", "leader", "--organization", "博野县总工会女职工部", "--jurisdiction", "futian"],
     "no organization '博野县总工会女职工部' in jurisdiction 'futian'"),
    (["carol", "filer", "--jurisdiction", "boye"], "填报人须属于一个单位（业务部门）"),
    (["carol", "admin", "--organization", "博野县总工会女职工部"], "管理员的范围须为辖区"),
    (["carol", "reviewer", "--jurisdiction", "boye"], "用户「carol」已是「boye」的财务审核"),
])
def test_grant_refuses_clearly_and_writes_nothing(app, runner, people, args, message):
    people.organization("boye", "博野县总工会女职工部")
    people.user("carol", "reviewer", jurisdiction="boye")
    with app.app_context():
        before = (db.session.scalar(select(func.count()).select_from(Membership)),
                  db.session.scalar(select(func.count()).select_from(AuditEvent)))
    result = runner.invoke(args=["users", "grant", *args])
    assert result.exit_code == 1
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert (db.session.scalar(select(func.count()).select_from(Membership)),
                db.session.scalar(select(func.count()).select_from(AuditEvent))) == before
