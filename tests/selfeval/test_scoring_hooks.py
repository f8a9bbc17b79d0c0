"""Plugins change scoring through the hooks, exactly as a jurisdiction plugin would."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.hooks import hookimpl
from core.scoring import RuleResult, RuleType, load_scoring, score
from core.selfeval.scoring import registry
from tests.conftest import login
from tests.plugins.test_hooks import register_plugin  # noqa: F401  (fixture)
from tests.selfeval.test_selfeval_flow import futian, futian_post  # noqa: F401  (fixture)


def live(client, project_id):
    url = f"/projects/{project_id}/forms/self_evaluation"
    html = client.get(url).get_data(as_text=True)
    return client.post(f"{url}/score", data=futian_post(html)).get_json()


def test_adjust_total_hook_changes_the_total(app, client, futian, register_plugin):
    class OnePointForLateReports:
        @hookimpl
        def adjust_total(self, result, jurisdiction):
            if jurisdiction is not None and jurisdiction.code == "futian":
                return result.total - 1

    register_plugin(OnePointForLateReports())
    login(client, "futian_filer")
    result = live(client, futian)
    assert (result["total"], result["grade"]["zh"]) == ("94.00", "优")


def test_score_indicator_hook_overrides_one_suggestion(app, client, futian, register_plugin):
    class CapCompletion:
        @hookimpl
        def score_indicator(self, leaf, inputs, suggested, jurisdiction):
            if leaf.id == "completion_rate":
                return Decimal("10")

    register_plugin(CapCompletion())
    login(client, "futian_filer")
    leaves = {leaf["id"]: leaf for leaf in live(client, futian)["leaves"]}
    assert leaves["completion_rate"]["suggested"] == "10.00"
    assert leaves["funds_arrival_rate"]["suggested"] == "4.00"


def test_register_scoring_rules_adds_a_rule_type(app, register_plugin):
    def half(leaf, inputs):
        return RuleResult(leaf.weight / 2)

    class Plugin:
        @hookimpl
        def register_scoring_rules(self):
            return [RuleType("half_marks", half, label={"zh": "半分", "en": "Half marks"})]

    register_plugin(Plugin())
    scoring = {"max": 10, "nodes": [{"id": "a", "label": {"zh": "甲"}, "weight": 10,
                                     "rule": {"type": "half_marks"}}]}
    with app.app_context():
        assert score(load_scoring(scoring, registry()), {}).total == 5


def test_a_duplicate_rule_type_stops_start_up(app, register_plugin):
    from core.scoring import DuplicateRuleType

    class Plugin:
        @hookimpl
        def register_scoring_rules(self):
            return [RuleType("ratio", lambda leaf, inputs: RuleResult(None))]

    register_plugin(Plugin())
    with app.app_context(), pytest.raises(DuplicateRuleType, match="ratio"):
        registry()


def test_indicator_evidence_hook_fills_a_missing_actual(app, client, futian, register_plugin):
    class ComplaintsRegister:
        @hookimpl
        def indicator_evidence(self, project, row):
            if row["name"] == "区退休职工的投诉次数":
                return {"actual": "0 次", "note": "投诉登记簿：全年无有责投诉", "url": "/evidence/complaints"}

    register_plugin(ComplaintsRegister())
    login(client, "futian_filer")
    html = client.get(f"/projects/{futian}/forms/self_evaluation").get_data(as_text=True)
    assert 'value="0 次"' in html and "投诉登记簿：全年无有责投诉" in html
