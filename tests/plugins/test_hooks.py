"""The plugin contract: every hookspec documented and exercised, defaults replaceable."""
from __future__ import annotations

import inspect
import json
import shutil
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import hooks
from core.definitions.errors import Problem
from core.definitions.locations import builtin_pack_dir
from core.definitions.pack import load_pack
from core.extensions import db
from core.hooks import hookimpl
from core.jurisdictions import sync_builtin_packs
from core.models import FormDefinition, Jurisdiction, Project
from core.plugins import collect_registry, make_plugin_manager, plugin_manager
from core.quality.rules import QualityRule
from core.workflow import service
from core.workflow.checks import quality_registry
from core.workflow.transitions import TransitionRefused

HOOKSPECS = [name for name, fn in inspect.getmembers(hooks, inspect.isfunction)
             if hasattr(fn, "perfforms_spec")]


def test_there_are_hookspecs():
    assert {"register_jurisdictions", "validate_submission", "grade"} <= set(HOOKSPECS)


@pytest.mark.parametrize("name", HOOKSPECS)
def test_every_hookspec_is_documented(name):
    fn = getattr(hooks, name)
    doc = " ".join((inspect.getdoc(fn) or "").split())
    assert "Called" in doc, f"{name}: say when it is called"
    assert ":return:" in doc or "ignored" in doc, f"{name}: say what it returns"
    for param in inspect.signature(fn).parameters:
        assert f":param {param}:" in doc, f"{name}: document {param}"
    if fn.perfforms_spec.get("firstresult"):
        assert "first non-``None``" in doc


@pytest.mark.parametrize("name", HOOKSPECS)
def test_every_hookspec_is_tested(name):
    # Datasette's rule: a hook nobody tests is a hook nobody can rely on.
    from pathlib import Path
    tests = Path(__file__).resolve().parents[1]
    used = any(name in p.read_text(encoding="utf-8") for p in tests.rglob("test_*.py")
               if p.name != "test_hooks.py")
    assert used or name in TESTED_HERE, f"no test exercises hook {name}"


TESTED_HERE = {"register_jurisdictions", "register_quality_rules", "validate_submission",
               "submission_transition_after", "grade"}


@pytest.fixture
def register_plugin(app):
    """Register a test plugin on this app's manager; unregister afterwards."""
    pm = app.extensions["perfforms.plugins"]
    registered = []

    def register(plugin, name=None):
        pm.register(plugin, name=name)
        registered.append(plugin)
        return plugin

    yield register
    for plugin in registered:
        pm.unregister(plugin)


def test_builtin_jurisdictions_come_from_entry_points():
    pm = make_plugin_manager()
    names = {pm.get_name(p) for p in pm.get_plugins()}
    assert {"shijiazhuang", "boye", "changzhi", "chongqing", "futian", "core.default_rules"} <= names


def test_core_knows_no_jurisdiction_by_name():
    from pathlib import Path
    core = Path(__file__).resolve().parents[2] / "core"
    offenders = [str(p) for p in core.rglob("*.py")
                 for code in ("shijiazhuang", "boye", "changzhi", "chongqing", "futian")
                 if f'"{code}"' in p.read_text(encoding="utf-8") or f"'{code}'" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_register_jurisdictions_from_a_new_plugin(app, register_plugin, tmp_path):
    pack_dir = tmp_path / "xinhe"
    shutil.copytree(builtin_pack_dir("boye"), pack_dir)
    shutil.copytree(builtin_pack_dir("_default"), tmp_path / "_default")
    doc = json.loads((pack_dir / "pack.json").read_text(encoding="utf-8"))
    doc.update({"code": "xinhe", "name": {"zh": "新河县总工会", "en": "Xinhe County"}})
    (pack_dir / "pack.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    class Xinhe:
        @hookimpl
        def register_jurisdictions(self):
            return [load_pack(pack_dir)]

    register_plugin(Xinhe())
    with app.app_context():
        lines = sync_builtin_packs(plugin_manager())
        db.session.commit()
        assert "xinhe: goal v1 published" in lines
        xinhe = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "xinhe"))
        assert xinhe.name_zh == "新河县总工会"
        # A second sync publishes nothing: the stored version equals the file.
        assert sync_builtin_packs(plugin_manager()) == []


def test_changed_builtin_form_becomes_a_new_version_and_old_one_stays(app, register_plugin, tmp_path):
    pack_dir = tmp_path / "boye"
    shutil.copytree(builtin_pack_dir("boye"), pack_dir)
    shutil.copytree(builtin_pack_dir("_default"), tmp_path / "_default")
    goal = json.loads((pack_dir / "goal.json").read_text(encoding="utf-8"))
    goal["title"]["zh"] = "项目支出绩效目标表（修订）"
    (pack_dir / "goal.json").write_text(json.dumps(goal, ensure_ascii=False), encoding="utf-8")
    pm = app.extensions["perfforms.plugins"]
    original = pm.unregister(name="boye")
    try:
        class Boye2:
            @hookimpl
            def register_jurisdictions(self):
                return [load_pack(pack_dir)]
        register_plugin(Boye2())
        with app.app_context():
            assert sync_builtin_packs(plugin_manager()) == ["boye: goal v2 published"]
            versions = db.session.scalars(select(FormDefinition).join(Jurisdiction).where(
                Jurisdiction.code == "boye", FormDefinition.kind == "goal")
                .order_by(FormDefinition.version)).all()
            assert [v.body["title"]["zh"] for v in versions] == ["项目支出绩效目标表", "项目支出绩效目标表（修订）"]
    finally:
        pm.register(original, name="boye")


def test_duplicate_quality_rule_ids_are_refused():
    rule = QualityRule(id="dup", label={"zh": "x"}, description={"zh": "x"},
                       default_severity="warning", check=lambda d, data, c: [])
    with pytest.raises(RuntimeError, match="duplicate quality rule id 'dup'"):
        collect_registry([[rule], [rule]], "quality rule")


def _project(people, name="插件测试项目"):
    org = people.organization("boye", "711001 博野县总工会本级")
    filer = people.user("filer_a", "filer", organization=org)
    project = Project(organization=org, name=name, year=2023, budget=Decimal("1.00"))
    db.session.add(project)
    db.session.commit()
    return project, filer


def test_register_quality_rules_adds_a_rule(app, people, register_plugin):
    def no_lottery(definition, data, context):
        from core.quality.rules import Finding
        return [Finding(rule="no_lottery", path=f"indicators[{i}].name", row_id=row["id"],
                        message={"zh": "不得以抽奖方式发放"})
                for i, row in enumerate(data.get("indicators", [])) if "抽奖" in row.get("name", "")]

    class Plugin:
        @hookimpl
        def register_quality_rules(self):
            return [QualityRule(id="no_lottery", label={"zh": "抽奖"}, description={"zh": "抽奖"},
                                default_severity="error", check=no_lottery)]

    register_plugin(Plugin())
    project, filer = _project(people)
    submission = service.start_submission(project, "goal", filer)
    data = {"fields": {}, "milestones": {}, "indicators": [
        {"id": "r1", "level1": "output", "level2": "quantity", "name": "抽奖人数", "description": "",
         "target": "≥10 人", "basis": "文件要求"}]}
    result = service.save_draft(submission, data, filer, None)
    assert [(f.rule, f.severity) for f in result.findings if f.rule == "no_lottery"] == [("no_lottery", "error")]
    assert not result.ok_to_submit


def test_validate_submission_problems_block_submission(app, people, register_plugin):
    class Plugin:
        @hookimpl
        def validate_submission(self, definition, data, project, jurisdiction):
            if jurisdiction.code == "boye" and "试点" not in project.name:
                return [Problem("fields.project_name", "本年度仅受理试点项目", "pilot_only")]

    register_plugin(Plugin())
    project, filer = _project(people)
    submission = service.start_submission(project, "goal", filer)
    result = service.save_draft(submission, submission.data, filer, None)
    assert any(p.message == "本年度仅受理试点项目" for p in result.problems)
    with pytest.raises(TransitionRefused) as refused:
        service.apply_transition(submission, "submit", filer)
    assert any(p.code == "pilot_only" for p in refused.value.problems)


def test_submission_transition_after_is_notified(app, people, register_plugin):
    seen = []

    class Plugin:
        @hookimpl
        def submission_transition_after(self, submission, transition, actor, comment):
            seen.append((transition, submission.state, actor.username, comment))

    register_plugin(Plugin())
    project, filer = _project(people)
    submission = service.start_submission(project, "goal", filer)
    with pytest.raises(TransitionRefused):
        service.apply_transition(submission, "approve", filer)
    assert seen == []  # refused transitions notify nobody
    reviewer = people.user("reviewer", "reviewer", jurisdiction="boye")
    submission.state = "submitted"
    service.apply_transition(submission, "return", reviewer, comment="请补充满意度指标")
    assert seen == [("return", "returned", "reviewer", "请补充满意度指标")]


def test_grade_default_bands_and_override(app, register_plugin):
    hook = app.extensions["perfforms.plugins"].hook
    assert hook.grade(total=Decimal("95.0"), bands=None, jurisdiction=None)["zh"] == "优"
    assert hook.grade(total=Decimal("90"), bands=None, jurisdiction=None)["zh"] == "优"
    assert hook.grade(total=Decimal("89.99"), bands=None, jurisdiction=None)["zh"] == "良"
    assert hook.grade(total=Decimal("59.9"), bands=None, jurisdiction=None)["zh"] == "差"

    class Strict:
        @hookimpl
        def grade(self, total, bands, jurisdiction):
            return {"zh": "合格"} if total >= 60 else None

    register_plugin(Strict())
    assert hook.grade(total=Decimal("95"), bands=None, jurisdiction=None) == {"zh": "合格"}
    assert hook.grade(total=Decimal("10"), bands=None, jurisdiction=None)["zh"] == "差"


def test_registries_follow_plugins_registered_after_first_use(app):
    """The quality and scoring registries are built once per set of plugins, so a plugin
    registered (or unregistered) while the app runs is seen by the next request."""
    class Plugin:
        @hookimpl
        def register_quality_rules(self):
            return [QualityRule(id="late_rule", label={"zh": "后加"}, description={"zh": "后加"},
                                default_severity="warning", check=lambda definition, data, context: [])]

    with app.app_context():
        before = quality_registry()
        assert "late_rule" not in before and quality_registry() is before  # reused, not rebuilt
        pm, plugin = app.extensions["perfforms.plugins"], Plugin()
        pm.register(plugin)
        try:
            assert "late_rule" in quality_registry()
        finally:
            pm.unregister(plugin)
        assert "late_rule" not in quality_registry()
