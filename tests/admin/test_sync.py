"""Built-in jurisdictions edited in the browser, then ``packs sync``: a file is applied
only when it changed since the last sync, and never over a newer admin change (unless forced)."""
from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import select

from core.definitions.locations import builtin_pack_dir
from core.definitions.pack import load_pack
from core.extensions import db
from core.hooks import hookimpl
from core.jurisdictions import sync_builtin_packs
from core.models import FormDefinition, Jurisdiction
from core.plugins import plugin_manager
from tests.admin.helpers import Editor, form_values, set_values
from tests.conftest import csrf_token, login


@pytest.fixture
def boye_admin(app, client, people):
    people.user("boye_admin", "admin", jurisdiction="boye")
    login(client, "boye_admin")
    return client


@pytest.fixture
def boye_file(app, tmp_path):
    """Boye's pack folder copied, for a test to change; the plugin reads it instead of the real one."""
    pack_dir = tmp_path / "boye"
    shutil.copytree(builtin_pack_dir("boye"), pack_dir)
    (pack_dir / "pack.json").write_text((pack_dir / "pack.json").read_text(encoding="utf-8").replace(
        "../_default/self_evaluation.json", "self_evaluation.json"), encoding="utf-8")
    shutil.copy(builtin_pack_dir("_default") / "self_evaluation.json", pack_dir / "self_evaluation.json")
    pm = app.extensions["perfforms.plugins"]
    original = pm.unregister(name="boye")

    class Boye:
        @hookimpl
        def register_jurisdictions(self):
            return [load_pack(pack_dir)]

    replacement = Boye()
    pm.register(replacement, name="boye")
    yield pack_dir
    pm.unregister(replacement)
    pm.register(original, name="boye")


def edit_file(pack_dir, name: str, change) -> None:
    path = pack_dir / name
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def goal_titles() -> list[tuple[int, str]]:
    return [(r.version, r.body["title"]["zh"]) for r in db.session.scalars(
        select(FormDefinition).join(Jurisdiction).where(Jurisdiction.code == "boye", FormDefinition.kind == "goal",
                                                        FormDefinition.published_at.is_not(None))
        .order_by(FormDefinition.version))]


def publish_admin_goal(client, title: str) -> None:
    editor = Editor(client, "boye", "goal")
    editor.post("save", title_zh=title)
    assert client.post(f"{editor.url}/publish", data={"csrf_token": csrf_token(client, editor.url)}).status_code == 302


def test_an_unchanged_file_never_reverts_an_admin_edit(app, boye_admin, boye_file):
    publish_admin_goal(boye_admin, "项目支出绩效目标表（管理员修订）")
    page = boye_admin.get("/admin/jurisdictions/boye/settings").get_data(as_text=True)
    values = set_values(form_values(page, "jurisdiction-form"), band0_min="85")
    assert boye_admin.post("/admin/jurisdictions/boye/settings", data=values).status_code == 302
    with app.app_context():
        assert sync_builtin_packs(plugin_manager()) == []
        db.session.commit()
        assert goal_titles()[-1] == (2, "项目支出绩效目标表（管理员修订）")
        boye = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye"))
        assert boye.settings["grade_bands"][0]["min"] == 85 and boye.builtin


def test_a_changed_file_is_applied_where_the_admin_changed_nothing(app, boye_admin, boye_file):
    edit_file(boye_file, "goal.json", lambda d: d["title"].update(zh="项目支出绩效目标表（2025 版）"))
    edit_file(boye_file, "pack.json", lambda d: d["quality_rules"].update(missing_basis="error"))
    with app.app_context():
        assert sync_builtin_packs(plugin_manager()) == ["boye: goal v2 published"]
        db.session.commit()
        assert goal_titles()[-1] == (2, "项目支出绩效目标表（2025 版）")
        boye = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye"))
        assert boye.settings["quality_rules"]["missing_basis"] == "error"


def test_a_changed_file_does_not_override_a_newer_admin_version_unless_forced(app, boye_admin, boye_file, runner):
    publish_admin_goal(boye_admin, "项目支出绩效目标表（管理员修订）")
    page = boye_admin.get("/admin/jurisdictions/boye/settings").get_data(as_text=True)
    assert boye_admin.post("/admin/jurisdictions/boye/settings",
                           data=set_values(form_values(page, "jurisdiction-form"), band0_min="85")).status_code == 302
    edit_file(boye_file, "goal.json", lambda d: d["title"].update(zh="项目支出绩效目标表（2025 版）"))
    edit_file(boye_file, "pack.json", lambda d: d["grade_bands"][0].update(min=95))
    with app.app_context():
        lines = sync_builtin_packs(plugin_manager())
        db.session.commit()
        assert any("goal 文件已更改，但管理员在上次同步后发布了 v2" in line for line in lines)
        assert any("设置「grade_bands」已更改" in line for line in lines)
        assert goal_titles()[-1] == (2, "项目支出绩效目标表（管理员修订）")
        boye = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye"))
        assert boye.settings["grade_bands"][0]["min"] == 85
        # Said again on the next sync: the conflict is not forgotten.
        assert len(sync_builtin_packs(plugin_manager())) == 2
        db.session.commit()
    result = runner.invoke(args=["packs", "sync", "--force"])
    assert result.exit_code == 0 and "boye: goal v3 published" in result.output
    with app.app_context():
        assert goal_titles()[-1] == (3, "项目支出绩效目标表（2025 版）")
        boye = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye"))
        assert boye.settings["grade_bands"][0]["min"] == 95
        assert sync_builtin_packs(plugin_manager()) == []


def test_an_admin_draft_survives_a_sync_and_publishes_after_it(app, boye_admin, boye_file):
    editor = Editor(boye_admin, "boye", "goal")
    editor.post("save", title_zh="草稿标题")                       # v2 draft
    edit_file(boye_file, "goal.json", lambda d: d["title"].update(zh="文件标题"))
    with app.app_context():
        assert sync_builtin_packs(plugin_manager()) == ["boye: goal v3 published"]
        db.session.commit()
    assert boye_admin.post(f"{editor.url}/publish", data={"csrf_token": csrf_token(boye_admin, editor.url)}).status_code == 302
    with app.app_context():
        assert goal_titles() == [(1, "项目支出绩效目标表"), (3, "文件标题"), (4, "草稿标题")]
