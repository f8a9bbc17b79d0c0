"""Registries are built and checked when the app starts (issue 14, item 10).

A duplicate rule type, quality rule or jurisdiction code stops ``create_app`` with a
message naming both plugins; a plugin's own rule type is accepted wherever a definition
is checked (validation, ``packs import --check``, admin publishing, ``definitions
check``) and scores. The test plugins are the small modules in ``tests/plugins/sample``.
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from core.app import create_app
from core.definitions.loader import validate_definition
from core.plugins import PluginConflict, scoring_registry
from core.scoring import DuplicateRuleType
from tests.admin.helpers import form_values, set_values
from tests.admin.test_docs import example
from tests.conftest import csrf_token, login

ROOT = Path(__file__).resolve().parents[2]
FUTIAN_SELF_EVALUATION = ROOT / "form_definitions/futian/self_evaluation.json"
SAMPLE = "tests.plugins.sample."


@pytest.fixture
def register_plugin(app):
    """Register a test plugin module (by import path) on this app's manager; unregister afterwards."""
    pm = app.extensions["perfforms.plugins"]
    registered = []

    def register(module_name: str):
        plugin = importlib.import_module(module_name)
        pm.register(plugin, name=module_name)
        registered.append(plugin)
        return plugin

    yield register
    for plugin in registered:
        pm.unregister(plugin)


def _start(*plugins: str):
    return create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "PLUGINS": [SAMPLE + name for name in plugins]})


def _with_double(body: dict) -> dict:
    """Futian's self-evaluation with 时效 (timeliness, weight 6) scored by the plugin's ``double``."""
    def walk(nodes):
        for node in nodes:
            if node["id"] == "timeliness":
                node["rule"] = {"type": "double"}
            walk(node.get("children", ()))

    walk(body["scoring"]["nodes"])
    return body


def _futian_with_double() -> dict:
    return _with_double(json.loads(FUTIAN_SELF_EVALUATION.read_text(encoding="utf-8")))


# ------------------------------------------------------------------- start-up ----

def test_a_duplicate_rule_type_stops_start_up_naming_both_plugins():
    with pytest.raises(DuplicateRuleType) as refused:
        _start("double_rule", "double_rule_again")
    message = str(refused.value)
    assert "'double'" in message
    assert SAMPLE + "double_rule'" in message and SAMPLE + "double_rule_again'" in message


def test_a_plugin_rule_type_may_not_take_a_built_in_id():
    class Ratio:
        from core.hooks import hookimpl

        @hookimpl
        def register_scoring_rules(self):
            from core.scoring import RuleType
            return [RuleType("ratio", lambda leaf, inputs: None, {"zh": "比率"})]

    app = _start()
    pm = app.extensions["perfforms.plugins"]
    pm.register(Ratio(), name="ratio_again")
    with app.app_context(), pytest.raises(DuplicateRuleType, match="'core.scoring' and by plugin 'ratio_again'"):
        scoring_registry()


def test_a_duplicate_jurisdiction_code_stops_start_up_naming_both_plugins():
    with pytest.raises(PluginConflict) as refused:
        _start("boye_again")
    message = str(refused.value)
    assert "jurisdiction 'boye'" in message
    assert "'boye'" in message and SAMPLE + "boye_again'" in message


def test_a_duplicate_quality_rule_stops_start_up_naming_both_plugins():
    with pytest.raises(PluginConflict) as refused:
        _start("quality_again")
    message = str(refused.value)
    assert message.startswith("quality rule ")
    assert "'core.default_rules'" in message and SAMPLE + "quality_again'" in message


def test_a_plugin_rule_type_is_known_from_the_start():
    app = _start("double_rule")
    with app.app_context():
        assert "double" in scoring_registry() and "ratio" in scoring_registry()


# ------------------------------------------------- a plugin's rule type accepted ----

def test_definition_validation_uses_the_apps_rule_types(app, register_plugin):
    body = _futian_with_double()
    assert [p.code for p in validate_definition(body)] == ["unknown_rule"]  # no app: the engine's types
    with app.app_context():
        assert [p.code for p in validate_definition(body)] == ["unknown_rule"]  # not installed here
    register_plugin(SAMPLE + "double_rule")
    with app.app_context():
        assert validate_definition(body) == []


def test_definitions_check_and_score_accept_a_plugin_rule_type(app, runner, register_plugin, tmp_path):
    definition = tmp_path / "self_evaluation.json"
    definition.write_text(json.dumps(_futian_with_double(), ensure_ascii=False), encoding="utf-8")
    data = tmp_path / "scores.json"
    data.write_text(json.dumps({"scores": {"timeliness": {"value": 2}}}), encoding="utf-8")

    refused = runner.invoke(args=["definitions", "check", str(definition)])
    assert refused.exit_code != 0 and "double" in refused.output

    register_plugin(SAMPLE + "double_rule")
    result = runner.invoke(args=["definitions", "check", str(definition)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["score", "--definition", str(definition), "--data", str(data)])
    printed = json.loads(result.stdout[:result.stdout.rindex("}") + 1])
    leaves = {leaf["id"]: leaf for leaf in printed["leaves"]}
    assert leaves["timeliness"]["score"] == "4.00"   # twice 2, by the plugin's rule


def test_packs_import_check_accepts_a_plugin_rule_type(app, runner, register_plugin, tmp_path):
    doc = example()
    materials = doc["forms"]["self_evaluation"]["scoring"]["nodes"][2]["children"][0]
    assert materials["id"] == "materials"
    materials["rule"] = {"type": "double"}
    path = tmp_path / "xinhe-pack.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    refused = runner.invoke(args=["packs", "import", "--check", str(path)])
    assert refused.exit_code != 0 and "double" in refused.output

    register_plugin(SAMPLE + "double_rule")
    result = runner.invoke(args=["packs", "import", "--check", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_admin_publishes_a_form_using_a_plugin_rule_type(app, client, people, register_plugin):
    register_plugin(SAMPLE + "double_rule")
    people.user("futian_admin", "admin", jurisdiction="futian")
    login(client, "futian_admin")
    url = "/admin/jurisdictions/futian/forms/self_evaluation"
    values = form_values(client.get(f"{url}/json").get_data(as_text=True), "raw-form")
    body = _with_double(json.loads(values["body"]))
    body_text = json.dumps(body, ensure_ascii=False)

    checked = client.post(f"{url}/json", data=set_values(values, body=body_text, action="check"))
    assert checked.status_code == 200, checked.get_data(as_text=True)[:2000]
    assert client.post(f"{url}/json", data=set_values(values, body=body_text, action="save")).status_code == 302
    published = client.post(f"{url}/publish", data={"csrf_token": csrf_token(client, f"{url}/json")})
    assert published.status_code == 302
    assert published.headers["Location"].endswith("/admin/jurisdictions/futian")
